// Core invariants: shapes, strides, views, storage sharing, errors, threads, ISA choice.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <numeric>

#include "core/denormal.h"
#include "core/isa.h"
#include "core/thread_pool.h"
#include "ops.h"

using namespace tapeflow;

namespace {
Array iota(const Shape& shape, DType dt = DType::kFloat32) {
  Array a = Array::empty(shape, dt);
  visit_dtype(dt, [&](auto t) {
    using T = decltype(t);
    T* p = a.data<T>();
    for (int64_t i = 0; i < a.size(); ++i) p[i] = static_cast<T>(i);
  });
  return a;
}
template <class T>
T at(const Array& a, const std::vector<int64_t>& idx) {
  int64_t off = 0;
  for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * a.strides()[d];
  return a.data<T>()[off];
}
}  // namespace

TEST(Array, EmptyIsContiguousAndAligned) {
  const Array a = Array::empty({2, 3, 4}, DType::kFloat64);
  EXPECT_EQ(a.size(), 24);
  EXPECT_EQ(a.strides(), (Strides{12, 4, 1}));
  EXPECT_TRUE(a.is_contiguous());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a.raw_data()) % kAlignment, 0u);
  EXPECT_EQ(a.nbytes(), 24 * 8);
}

TEST(Array, ScalarsAndZeroSized) {
  const Array s = Array::empty({}, DType::kInt32);
  EXPECT_EQ(s.size(), 1);
  EXPECT_EQ(s.ndim(), 0);
  const Array z = Array::empty({3, 0, 2}, DType::kFloat32);
  EXPECT_EQ(z.size(), 0);
  EXPECT_TRUE(z.is_contiguous());
}

TEST(Array, NegativeDimsAndOverflowRejected) {
  EXPECT_THROW(Array::empty({-1}, DType::kFloat32), Error);
  try {
    Array::empty({int64_t{1} << 40, int64_t{1} << 40}, DType::kFloat32);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kResourceExhausted);
  }
}

TEST(Array, ViewsShareStorage) {
  const Array a = iota({3, 4});
  const long before = a.storage().use_count();
  {
    const Array t = ops::transpose(a, {});
    EXPECT_EQ(t.shape(), (Shape{4, 3}));
    EXPECT_EQ(t.strides(), (Strides{1, 4}));
    EXPECT_EQ(t.storage(), a.storage());
    EXPECT_FALSE(t.is_contiguous());
    EXPECT_EQ(at<float>(t, {2, 1}), 6.0f);
    EXPECT_EQ(a.storage().use_count(), before + 1);
  }
  EXPECT_EQ(a.storage().use_count(), before);
}

TEST(Array, SliceNegativeStep) {
  const Array a = iota({5});
  ops::SliceArg s;
  s.step = -2;
  const Array v = ops::slice(a, {s});
  ASSERT_EQ(v.shape(), (Shape{3}));
  EXPECT_EQ(v.strides()[0], -2);
  EXPECT_EQ(at<float>(v, {0}), 4.0f);
  EXPECT_EQ(at<float>(v, {2}), 0.0f);
  const Array c = ops::copy(v);
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_EQ(c.data<float>()[1], 2.0f);
}

TEST(Array, SliceIndexOutOfRange) {
  const Array a = iota({2, 3});
  ops::SliceArg s;
  s.index = 2;
  EXPECT_THROW(ops::slice(a, {s}), Error);
  s.index = -2;
  const Array row = ops::slice(a, {s});
  EXPECT_EQ(row.shape(), (Shape{3}));
  EXPECT_EQ(row.data<float>()[0], 0.0f);
}

TEST(Array, BroadcastViewHasZeroStride) {
  const Array a = iota({3, 1});
  const Array b = ops::broadcast_to(a, {2, 3, 4});
  EXPECT_EQ(b.strides(), (Strides{0, 1, 0}));
  EXPECT_EQ(at<float>(b, {1, 2, 3}), 2.0f);
  EXPECT_THROW(ops::broadcast_to(a, {2, 2}), Error);
  EXPECT_THROW(ops::broadcast_to(a, {3}), Error);
}

TEST(Array, ReshapeViewsContiguousAndCopiesOtherwise) {
  const Array a = iota({2, 6});
  const Array r = ops::reshape(a, {3, -1});
  EXPECT_EQ(r.shape(), (Shape{3, 4}));
  EXPECT_EQ(r.storage(), a.storage());
  const Array t = ops::transpose(a, {});
  const Array rt = ops::reshape(t, {12});
  EXPECT_NE(rt.storage(), a.storage());
  EXPECT_EQ(rt.data<float>()[1], 6.0f);
  EXPECT_THROW(ops::reshape(a, {5, -1}), Error);
  EXPECT_THROW(ops::reshape(a, {-1, -1}), Error);
}

TEST(Errors, MessagesNameOpShapesAndDtypes) {
  const Array a = iota({2, 3}), b = iota({4});
  try {
    ops::add(a, b);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("[add]"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("(2, 3)"), std::string::npos);
  }
  try {
    ops::add(a, iota({2, 3}, DType::kInt32));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("int32"), std::string::npos);
  }
}

TEST(ThreadPool, CoversRangeOnceAndRethrows) {
  std::vector<std::atomic<int>> hits(100000);
  parallel_for(100000, 1000, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) hits[i]++;
  });
  for (auto& h : hits) ASSERT_EQ(h.load(), 1);
  EXPECT_THROW(parallel_for(100000, 10, [](int64_t, int64_t e) {
                 if (e == 100000) throw Error(ErrorKind::kInternal, "boom");
               }),
               Error);
}

TEST(ThreadPool, CapIsHonoured) {
  set_num_threads(1);
  EXPECT_EQ(num_threads(), 1);
  set_num_threads(0);
  EXPECT_GE(num_threads(), 1);
}

// Reductions and matmul sum in blocks fixed by the shapes alone, so their bits are the
// same at every thread count (sizes cross the 65536-element reduction block, the
// threading grains, and matmul's row/column bands, narrow tails and K blocks).
TEST(ThreadPool, ResultsAreBitIdenticalAtAnyThreadCount) {
  auto filled = [](const Shape& shape, DType dt, uint32_t seed) {
    Array a = Array::empty(shape, dt);
    visit_dtype(dt, [&](auto t) {
      using T = decltype(t);
      uint32_t s = seed;
      for (int64_t i = 0; i < a.size(); ++i) {
        s = s * 1664525u + 1013904223u;  // LCG: values in [-1, 1)
        a.data<T>()[i] = static_cast<T>(static_cast<int32_t>(s) * (1.0 / 2147483648.0));
      }
    });
    return a;
  };
  auto run_all = [&] {
    std::vector<Array> outs;
    for (const DType dt : {DType::kFloat32, DType::kFloat64}) {
      for (const int64_t n : {int64_t{65536}, int64_t{65537}, int64_t{300001}}) {
        const Array x = filled({n}, dt, static_cast<uint32_t>(n));
        for (const ReduceOp op : {ReduceOp::sum, ReduceOp::prod, ReduceOp::max,
                                  ReduceOp::logsumexp})
          outs.push_back(ops::reduce(op, x, std::nullopt, false));
        outs.push_back(ops::mean(x));
      }
      const Array m = filled({300, 1001}, dt, 7);
      outs.push_back(ops::sum(m, ops::Axes{0}));
      outs.push_back(ops::sum(m, ops::Axes{1}));
      const int64_t shapes[][3] = {{300, 1000, 380}, {100, 1200, 193}, {64, 2048, 1000},
                                   {257, 300, 301}};
      for (const auto& s : shapes) {
        const Array a = filled({s[0], s[1]}, dt, 1), b = filled({s[1], s[2]}, dt, 2);
        outs.push_back(ops::matmul(a, b));
        outs.push_back(ops::matmul(filled({s[1], s[0]}, dt, 3), b, true, false));
      }
    }
    return outs;
  };
  set_num_threads(1);
  const std::vector<Array> want = run_all();
  for (const int threads : {2, 3, 7}) {
    set_num_threads(threads);
    const std::vector<Array> got = run_all();
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(got[i].nbytes(), want[i].nbytes());
      EXPECT_EQ(std::memcmp(got[i].raw_data(), want[i].raw_data(), want[i].nbytes()), 0)
          << "result " << i << " differs at " << threads << " threads";
    }
  }
  set_num_threads(0);
}

TEST(Isa, ActiveNeverAboveDetected) {
  EXPECT_LE(static_cast<int>(active_isa()), static_cast<int>(detected_isa()));
  EXPECT_STREQ(ops::kernel_isa(), isa_name(active_isa()));
}

TEST(Allocator, BytesReturnedWhenArraysDie) {
  const int64_t before = host_bytes_in_use();
  { const Array a = Array::empty({1000}, DType::kFloat64); EXPECT_GE(host_bytes_in_use(), before + 8000); }
  EXPECT_EQ(host_bytes_in_use(), before);
}

TEST(DimVector, InlineHeapAndEditing) {
  DimVector v{1, 2, 3};
  EXPECT_EQ(v.size(), 3u);
  v.insert(v.begin() + 1, 9);
  EXPECT_EQ(v, (DimVector{1, 9, 2, 3}));
  v.erase(v.begin());
  EXPECT_EQ(v, (DimVector{9, 2, 3}));
  for (int64_t i = 0; i < 20; ++i) v.push_back(i);  // past the inline capacity
  EXPECT_EQ(v.size(), 23u);
  EXPECT_EQ(v[3], 0);
  EXPECT_EQ(v.back(), 19);
  DimVector copy = v, moved = std::move(copy);
  EXPECT_EQ(moved, v);
  v.insert(v.end(), v.begin(), v.begin() + 3);  // a range from the vector itself
  EXPECT_EQ(v.back(), 3);
  EXPECT_EQ(v[v.size() - 3], 9);
  v.resize(2);
  EXPECT_EQ(v, (DimVector{9, 2}));
  const std::vector<int64_t> as_std = v;
  EXPECT_EQ(as_std, (std::vector<int64_t>{9, 2}));
  DimVector small{4, 5};
  small = DimVector(8, 7);  // move-assign a heap vector over an inline one
  EXPECT_EQ(small.size(), 8u);
  EXPECT_EQ(small[7], 7);
  EXPECT_THROW(small.at(8), std::out_of_range);
}

// Kernels flush subnormals only while a FlushDenormals guard is held (the bindings hold
// one, as TF's executors do), on the calling thread and on the pool's workers alike.
TEST(Core, FlushDenormalsGuardCoversPoolWorkersAndIsRestored) {
  const char* preload = std::getenv("LD_PRELOAD");
  if (preload != nullptr && std::strstr(preload, "vgpreload") != nullptr)
    GTEST_SKIP() << "valgrind does not emulate the flush-to-zero and denormals-are-zero modes";
  const int64_t n = int64_t{1} << 17;  // split over the threads
  const Array tiny = ops::full({n}, DType::kFloat32, 1e-20);
  auto count_zeros = [&](const Array& a) {
    int64_t zeros = 0;
    for (int64_t i = 0; i < n; ++i) zeros += a.data<float>()[i] == 0.0f;
    return zeros;
  };
  EXPECT_EQ(count_zeros(ops::mul(tiny, tiny)), 0);  // IEEE: 1e-40 everywhere
  {
    FlushDenormals flush;
    EXPECT_EQ(count_zeros(ops::mul(tiny, tiny)), n);
  }
  EXPECT_EQ(count_zeros(ops::mul(tiny, tiny)), 0);
}
