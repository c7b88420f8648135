#include "ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <mutex>

#include "core/thread_pool.h"
#include "cpu/cpu_backend.h"
#include "cuda/cuda_backend.h"
#include "graph/graph.h"

namespace tapeflow::ops {

using graph::Values;

namespace {

#define TAPEFLOW_NAME_ENTRY(name, ...) #name,
const char* const kUnaryNames[] = {TAPEFLOW_UNARY_OPS(TAPEFLOW_NAME_ENTRY)};
const char* const kBinaryNames[] = {TAPEFLOW_BINARY_OPS(TAPEFLOW_NAME_ENTRY)};
const char* const kReduceNames[] = {TAPEFLOW_REDUCE_OPS(TAPEFLOW_NAME_ENTRY)};
const char* const kScanNames[] = {TAPEFLOW_SCAN_OPS(TAPEFLOW_NAME_ENTRY)};
#undef TAPEFLOW_NAME_ENTRY
#define TAPEFLOW_KIND_ENTRY(name, kind, ...) OpKind::kind,
const OpKind kUnaryKinds[] = {TAPEFLOW_UNARY_OPS(TAPEFLOW_KIND_ENTRY)};
const OpKind kBinaryKinds[] = {TAPEFLOW_BINARY_OPS(TAPEFLOW_KIND_ENTRY)};
#undef TAPEFLOW_KIND_ENTRY

bool returns_bool(OpKind k) { return k == OpKind::FloatPredicate || k == OpKind::Compare; }

const char* kind_dtypes(OpKind k) {
  switch (k) {
    case OpKind::Float:
    case OpKind::FloatPredicate: return "float32, float64";
    case OpKind::Numeric: return "float32, float64, int32, int64";
    case OpKind::Bool: return "bool";
    case OpKind::Compare: return "any dtype";
    case OpKind::Integer: return "int32, int64";
  }
  return "";
}

// ---- placement ------------------------------------------------------------------
// The innermost tf.device scope of this thread (unset: none). Ops run on the scope's
// device; without one, on the device of their first GPU input, else on the CPU. Inputs
// elsewhere are copied to the op's device first, as TF's eager placement does.
thread_local std::optional<Device> t_scope;

[[noreturn]] void unsatisfiable(Device d) {
  raise(ErrorKind::kInvalidArgument, "Could not satisfy device specification "
        "'/job:localhost/replica:0/task:0/device:", d.str(), "'. enable_soft_placement=0. "
        "Supported device types [CPU", cuda::device_count() > 0 ? ", GPU" : "", "]. All "
        "available devices [/job:localhost/replica:0/task:0/device:CPU:0",
        cuda::device_count() > 0 ? ", /job:localhost/replica:0/task:0/device:GPU:0" : "", "].");
}

Device checked(Device d) {
  if (d.type == DeviceType::kCUDA && d.index >= cuda::device_count()) unsatisfiable(d);
  return d;
}

Device op_device(std::initializer_list<const Array*> xs, const char* op) {
  for (const Array* x : xs) TAPEFLOW_CHECK(x->defined(), "[", op, "] got an undefined array");
  if (t_scope) return checked(*t_scope);
  for (const Array* x : xs)
    if (x->device().type != DeviceType::kCPU) return x->device();
  return cpu_device();
}

bool all_on(Device d, std::initializer_list<const Array*> xs) {
  for (const Array* x : xs)
    if (x->device() != d) return false;
  return true;
}

// Where new tensors (constants, fills, random numbers) are made.
Device creation_device() { return t_scope ? checked(*t_scope) : cpu_device(); }

bool on_gpu(Device d) { return d.type == DeviceType::kCUDA; }

// A contiguous host copy (x itself when it already is one), for checks that read values.
Array host(const Array& x) { return contiguous(to_device(x, cpu_device())); }

// The first element of x as a double, read in place on the host (no new Array).
double first_value(const Array& x) {
  const Array h = host(x);
  return visit_dtype(h.dtype(), [&](auto t) { return static_cast<double>(*h.data<decltype(t)>()); });
}

// x converted to int64 on `dev` (indices for the GPU kernels).
Array int64_on(const Array& x, Device dev) {
  if (x.dtype() == DType::kInt64 && x.device() == dev) return x;
  Array out = Array::empty(x.shape(), DType::kInt64, dev);
  copy_into(out, x);
  return out;
}

Array filled(const Shape& shape, DType dtype, double value, Device dev) {
  Array out = Array::empty(shape, dtype, dev);
  if (on_gpu(dev)) cuda::fill(out, value);
  else cpu::fill(out, value);
  return out;
}

int64_t normalize_axis(int64_t axis, int64_t ndim, const char* op) {
  TAPEFLOW_CHECK(axis >= -ndim && axis < ndim, "[", op, "] axis ", axis,
                 " is out of range for an array of rank ", ndim, " (expected [", -ndim,
                 ", ", ndim, "))");
  return axis < 0 ? axis + ndim : axis;
}

// x's strides aligned to the right of `shape`, 0 where x is broadcast.
Strides broadcast_strides(const Array& x, const Shape& shape) {
  Strides s(shape.size(), 0);
  const size_t off = shape.size() - static_cast<size_t>(x.ndim());
  for (size_t d = 0; d < static_cast<size_t>(x.ndim()); ++d)
    s[off + d] = x.dim(static_cast<int64_t>(d)) == 1 ? 0 : x.strides()[d];
  return s;
}

cpu::Operand operand(const Array& x, const Shape& shape) {
  return {static_cast<char*>(x.raw_data()), broadcast_strides(x, shape), x.itemsize()};
}

// Runs an elementwise inner loop over contiguous operands of out's size, or of one
// element (a scalar broadcast with stride 0), split across threads when large: the fast
// path that skips run_nd's n-d bookkeeping.
void run_flat(const Array& out, std::initializer_list<const Array*> ins, InnerLoop fn) {
  const int64_t n = out.size();
  if (n == 0) return;
  char* base[4] = {static_cast<char*>(out.raw_data())};
  int64_t isz[4] = {out.itemsize()};
  int64_t strides[4] = {1, 1, 1, 1};
  int nops = 1;
  for (const Array* in : ins) {
    strides[nops] = in->size() == n ? 1 : 0;
    base[nops] = static_cast<char*>(in->raw_data());
    isz[nops++] = in->itemsize();
  }
  if (n <= cpu::kElementwiseGrain) {
    fn(base, strides, n, nullptr);
    return;
  }
  parallel_for(n, cpu::kElementwiseGrain, [&](int64_t b, int64_t e) {
    char* ptr[4];
    for (int o = 0; o < nops; ++o) ptr[o] = base[o] + b * isz[o] * strides[o];
    fn(ptr, strides, e - b, nullptr);
  });
}

template <class Pred>
bool any_element(const Array& x, Pred pred) {
  const Array c = host(x);
  return visit_dtype(c.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) {
      const T* p = c.data<T>();
      for (int64_t i = 0; i < c.size(); ++i)
        if (pred(p[i])) return true;
    }
    return false;
  });
}

std::vector<bool> axes_mask(const std::optional<Axes>& axes, int64_t ndim, const char* op) {
  std::vector<bool> mask(static_cast<size_t>(ndim), !axes.has_value());
  if (axes) {
    for (const int64_t a : *axes) {
      const int64_t d = normalize_axis(a, ndim, op);
      TAPEFLOW_CHECK(!mask[d], "[", op, "] axis ", a, " is repeated");
      mask[d] = true;
    }
  }
  return mask;
}

}  // namespace

const char* unary_name(UnaryOp op) { return kUnaryNames[static_cast<int>(op)]; }
const char* binary_name(BinaryOp op) { return kBinaryNames[static_cast<int>(op)]; }
const char* reduce_name(ReduceOp op) { return kReduceNames[static_cast<int>(op)]; }

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    TAPEFLOW_CHECK(da == db || da == 1 || db == 1, "[", op, "] Incompatible shapes: ",
                   shape_str(a), " vs. ", shape_str(b));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

// ---- elementwise ----------------------------------------------------------------

Array unary(UnaryOp op, const Array& x) {
  TAPEFLOW_TRACE(unary_name(op), {x}, graph::Attrs{});
  const char* name = unary_name(op);
  const Device dev = op_device({&x}, name);
  if (x.device() != dev) return unary(op, to_device(x, dev));
  const OpKind kind = kUnaryKinds[static_cast<int>(op)];
  const InnerLoop fn = cpu::kernels().unary[static_cast<int>(op)][static_cast<int>(x.dtype())];
  TAPEFLOW_CHECK(fn != nullptr, "[", name, "] does not support dtype ", dtype_name(x.dtype()),
                 " (input ", x.describe(), "); supported: ", kind_dtypes(kind));
  Array out = Array::empty(x.shape(), returns_bool(kind) ? DType::kBool : x.dtype(), dev);
  if (on_gpu(dev)) {
    cuda::unary(op, x, out);
    return out;
  }
  if (x.is_contiguous()) {  // the common case: one flat loop, no n-d bookkeeping
    run_flat(out, {&x}, fn);
    return out;
  }
  cpu::run_nd(x.shape(), {operand(out, x.shape()), operand(x, x.shape())}, fn, nullptr);
  return out;
}

static bool is_broadcast_scalar(const Array& x) {
  if (x.size() <= 1) return false;
  for (const int64_t st : x.strides())
    if (st != 0) return false;
  return true;
}

Array binary(BinaryOp op, const Array& a, const Array& b) {
  TAPEFLOW_TRACE(binary_name(op), (Values{a, b}), graph::Attrs{});
  const char* name = binary_name(op);
  const Device dev = op_device({&a, &b}, name);
  if (!all_on(dev, {&a, &b})) return binary(op, to_device(a, dev), to_device(b, dev));
  const OpKind kind = kBinaryKinds[static_cast<int>(op)];
  TAPEFLOW_CHECK(a.dtype() == b.dtype(), "[", name, "] dtypes must match, got ", a.describe(),
                 " and ", b.describe());
  const InnerLoop fn = cpu::kernels().binary[static_cast<int>(op)][static_cast<int>(a.dtype())];
  TAPEFLOW_CHECK(fn != nullptr, "[", name, "] does not support dtype ", dtype_name(a.dtype()),
                 " (inputs ", a.describe(), " and ", b.describe(), "); supported: ",
                 kind_dtypes(kind));
  const bool same = a.shape() == b.shape();
  const Shape shape = same ? a.shape() : broadcast_shapes(a.shape(), b.shape(), name);
  if (is_integer(a.dtype())) {
    const bool divides = op == BinaryOp::div || op == BinaryOp::floordiv || op == BinaryOp::mod;
    TAPEFLOW_CHECK(!(divides && shape_size(shape) > 0 &&
                     any_element(b, [](auto v) { return v == 0; })),
                   "[", name, "] Integer division by zero");
    TAPEFLOW_CHECK(!(op == BinaryOp::pow && shape_size(shape) > 0 &&
                     any_element(b, [](auto v) { return v < 0; })),
                   "[", name, "] Integers to negative integer powers are not allowed");
  }
  Array out = Array::empty(shape, returns_bool(kind) ? DType::kBool : a.dtype(), dev);
  if (on_gpu(dev)) {
    cuda::binary(op, a.view(shape, broadcast_strides(a, shape), a.offset()),
                 b.view(shape, broadcast_strides(b, shape), b.offset()), out);
    return out;
  }
  // Equal shapes, or a one-element operand (`x * 0.1`): one flat loop.
  const bool flat = same || (a.size() == 1 && b.shape() == shape) ||
                    (b.size() == 1 && a.shape() == shape);
  if (flat && a.is_contiguous() && b.is_contiguous()) {
    run_flat(out, {&a, &b}, fn);
    return out;
  }
  // One operand a broadcast scalar (every stride 0: a reduction's gradient), the other
  // contiguous and of the output's shape: the flat loop with the scalar's 0-d view.
  if (is_broadcast_scalar(a) && b.shape() == shape && b.is_contiguous()) {
    const Array s = a.view({}, {}, a.offset());
    run_flat(out, {&s, &b}, fn);
    return out;
  }
  if (is_broadcast_scalar(b) && a.shape() == shape && a.is_contiguous()) {
    const Array s = b.view({}, {}, b.offset());
    run_flat(out, {&a, &s}, fn);
    return out;
  }
  cpu::run_nd(shape, {operand(out, shape), operand(a, shape), operand(b, shape)}, fn, nullptr);
  return out;
}

#define TAPEFLOW_DEFINE_UNARY(name, ...) \
  Array name(const Array& x) { return unary(UnaryOp::name, x); }
TAPEFLOW_UNARY_OPS(TAPEFLOW_DEFINE_UNARY)
#undef TAPEFLOW_DEFINE_UNARY
#define TAPEFLOW_DEFINE_BINARY(name, ...) \
  Array name(const Array& a, const Array& b) { return binary(BinaryOp::name, a, b); }
TAPEFLOW_BINARY_OPS(TAPEFLOW_DEFINE_BINARY)
#undef TAPEFLOW_DEFINE_BINARY

// ---- fused elementwise chains ---------------------------------------------------------

std::optional<ChainStep> chain_step(const std::string& name) {
  for (int i = 0; i < kNumUnaryOps; ++i)
    if (name == kUnaryNames[i]) return ChainStep{false, i, 0, 0};
  for (int i = 0; i < kNumBinaryOps; ++i)
    if (name == kBinaryNames[i]) return ChainStep{true, i, 0, 0};
  return std::nullopt;
}

namespace {
// The chain's full shape when it can run fused: every input on the CPU, contiguous with
// that shape, one element of no higher rank, or contiguous with the shape's trailing
// dims (a bias along the last axis: its size is then the chain's `period`, shared by all
// such inputs, at most kMaxPeriod elements). period 0: no such input.
constexpr int64_t kMaxPeriod = 4096;
std::optional<Shape> fused_shape(const Values& inputs, int64_t* period) {
  const Array* full = nullptr;
  for (const Array& x : inputs)
    if (full == nullptr || x.size() > full->size() ||
        (x.size() == full->size() && x.ndim() > full->ndim()))
      full = &x;
  if (full == nullptr) return std::nullopt;
  *period = 0;
  for (const Array& x : inputs) {
    if (x.device() != cpu_device()) return std::nullopt;
    const bool same = x.shape() == full->shape() && x.is_contiguous();
    if (same || (x.size() == 1 && x.ndim() <= full->ndim())) continue;
    // Trailing: x's dims (leading 1s dropped) equal full's last dims.
    int64_t lead = 0;
    while (lead < x.ndim() && x.dim(lead) == 1) ++lead;
    const int64_t rank = x.ndim() - lead;
    bool trailing = x.is_contiguous() && rank >= 1 && rank < full->ndim() &&
                    x.size() <= kMaxPeriod && (*period == 0 || *period == x.size());
    for (int64_t d = 0; trailing && d < rank; ++d)
      trailing = x.dim(lead + d) == full->dim(full->ndim() - rank + d);
    if (!trailing) return std::nullopt;
    *period = x.size();
  }
  return full->shape();
}
}  // namespace

Array elementwise_chain(const std::vector<ChainStep>& steps, const Values& inputs) {
  const int n_in = static_cast<int>(inputs.size());
  TAPEFLOW_CHECK(!steps.empty(), "[elementwise_chain] needs at least one step");
  for (size_t k = 0; k < steps.size(); ++k) {
    const ChainStep& st = steps[k];
    const int n_ops = st.binary ? kNumBinaryOps : kNumUnaryOps;
    TAPEFLOW_CHECK(st.op >= 0 && st.op < n_ops, "[elementwise_chain] step ", k, " has no op");
    for (const int r : {st.a, st.binary ? st.b : st.a})
      TAPEFLOW_CHECK(r < n_in && (r >= 0 || (r == -1 && k > 0)), "[elementwise_chain] step ",
                     k, " reads operand ", r, " that does not exist");
  }
  const auto one_by_one = [&] {
    Values results;
    const auto operand = [&](int r) -> const Array& { return r >= 0 ? inputs[r] : results.back(); };
    for (const ChainStep& st : steps)
      results.push_back(st.binary ? binary(static_cast<BinaryOp>(st.op), operand(st.a), operand(st.b))
                                  : unary(static_cast<UnaryOp>(st.op), operand(st.a)));
    return results.back();
  };
  int64_t period = 0;
  const std::optional<Shape> shape = fused_shape(inputs, &period);
  if (!shape) return one_by_one();
  // Each step's kernel and result dtype; anything the ops would refuse runs one by one
  // (and raises there, with the op's own message).
  std::vector<InnerLoop> fns;
  std::vector<DType> dts;
  const auto dtype_of = [&](int r) { return r >= 0 ? inputs[r].dtype() : dts.back(); };
  for (const ChainStep& st : steps) {
    const DType dt = dtype_of(st.a);
    if (st.binary && dtype_of(st.b) != dt) return one_by_one();
    const InnerLoop fn = st.binary ? cpu::kernels().binary[st.op][static_cast<int>(dt)]
                                   : cpu::kernels().unary[st.op][static_cast<int>(dt)];
    if (fn == nullptr) return one_by_one();
    const OpKind kind = st.binary ? kBinaryKinds[st.op] : kUnaryKinds[st.op];
    fns.push_back(fn);
    dts.push_back(returns_bool(kind) ? DType::kBool : dt);
  }
  Array out = Array::empty(*shape, dts.back(), cpu_device());
  const int64_t n = out.size();
  if (n == 0) return out;
  // Blocks of about 1024 elements (a few KiB per intermediate: they stay in L1), a whole
  // number of periods, so a trailing input reads the same block-long tiling of itself
  // (made once here) at every block.
  const int64_t block = period > 0 ? std::max<int64_t>(1, 1024 / period) * period : 1024;
  std::vector<std::vector<char>> tiled(inputs.size());
  for (size_t r = 0; r < inputs.size(); ++r) {
    const Array& x = inputs[r];
    if (period == 0 || x.size() != period || x.shape() == *shape) continue;
    const int64_t isz = x.itemsize();
    tiled[r].resize(static_cast<size_t>(block * isz));
    for (int64_t i = 0; i < block; i += period)
      std::memcpy(tiled[r].data() + i * isz, x.raw_data(), static_cast<size_t>(period * isz));
  }
  const size_t n_steps = steps.size();
  const auto run_range = [&](int64_t begin, int64_t end) {
    // Two block buffers, 8 bytes per element: step k writes buffer k % 2 and reads the
    // previous step's result from the other (the last step writes the output).
    thread_local std::vector<int64_t> scratch;
    scratch.resize(static_cast<size_t>(2 * block));
    for (int64_t b = begin; b < end; b += block) {
      const int64_t count = std::min(block, end - b);
      for (size_t k = 0; k < n_steps; ++k) {
        const ChainStep& st = steps[k];
        char* data[3];
        int64_t strides[3] = {1, 1, 1};
        data[0] = k + 1 == n_steps ? static_cast<char*>(out.raw_data()) + b * out.itemsize()
                                   : reinterpret_cast<char*>(scratch.data() + (k % 2) * block);
        const int operands[2] = {st.a, st.b};
        for (int o = 0; o < (st.binary ? 2 : 1); ++o) {
          const int r = operands[o];
          if (r < 0) {
            data[o + 1] = reinterpret_cast<char*>(scratch.data() + ((k + 1) % 2) * block);
          } else if (!tiled[r].empty()) {
            data[o + 1] = tiled[r].data();
          } else if (inputs[r].size() == 1 && n != 1) {
            data[o + 1] = static_cast<char*>(inputs[r].raw_data());
            strides[o + 1] = 0;
          } else {
            data[o + 1] = static_cast<char*>(inputs[r].raw_data()) + b * inputs[r].itemsize();
          }
        }
        fns[k](data, strides, count, nullptr);
      }
    }
  };
  const int64_t blocks = (n + block - 1) / block;
  if (n <= cpu::kElementwiseGrain) {
    run_range(0, n);
  } else {  // ranges of whole blocks, so every block starts at a multiple of `block`
    parallel_for(blocks, std::max<int64_t>(1, cpu::kElementwiseGrain / block),
                 [&](int64_t b0, int64_t b1) { run_range(b0 * block, std::min(n, b1 * block)); });
  }
  return out;
}

// Graph ops: one per unary and binary op of the op list, without attributes.
static const bool kElementwiseGraphOps = [] {
  for (int i = 0; i < kNumUnaryOps; ++i) {
    const auto op = static_cast<UnaryOp>(i);
    graph::register_op(kUnaryNames[i], [op](const graph::Attrs&) {
      return graph::kernel_of([op](const Values& in) { return unary(op, in[0]); });
    });
  }
  for (int i = 0; i < kNumBinaryOps; ++i) {
    const auto op = static_cast<BinaryOp>(i);
    graph::register_op(kBinaryNames[i], [op](const graph::Attrs&) {
      return graph::kernel_of([op](const Values& in) { return binary(op, in[0], in[1]); });
    });
  }
  return true;
}();

TAPEFLOW_GRAPH_OP("where", a) {
  return graph::kernel_of([](const Values& in) { return where(in[0], in[1], in[2]); });
}

Array where(const Array& cond, const Array& a, const Array& b) {
  TAPEFLOW_TRACE("where", (Values{cond, a, b}), graph::Attrs{});
  const Device dev = op_device({&cond, &a, &b}, "where");
  if (!all_on(dev, {&cond, &a, &b}))
    return where(to_device(cond, dev), to_device(a, dev), to_device(b, dev));
  TAPEFLOW_CHECK(cond.dtype() == DType::kBool, "[where] condition must be bool, got ",
                 cond.describe());
  TAPEFLOW_CHECK(a.dtype() == b.dtype(), "[where] x and y must have the same dtype, got ",
                 a.describe(), " and ", b.describe());
  const Shape shape =
      broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), "where"), b.shape(), "where");
  Array out = Array::empty(shape, a.dtype(), dev);
  if (on_gpu(dev)) {
    cuda::where(cond.view(shape, broadcast_strides(cond, shape), cond.offset()),
                a.view(shape, broadcast_strides(a, shape), a.offset()),
                b.view(shape, broadcast_strides(b, shape), b.offset()), out);
    return out;
  }
  cpu::run_nd(shape,
              {operand(out, shape), operand(cond, shape), operand(a, shape), operand(b, shape)},
              cpu::where_loop(a.itemsize()), nullptr);
  return out;
}

// ---- creation and conversion -----------------------------------------------------

Array full(const Shape& shape, DType dtype, double value) {
  return filled(shape, dtype, value, creation_device());
}

Array full_int(const Shape& shape, DType dtype, int64_t value) {
  const Device dev = creation_device();
  Array out = Array::empty(shape, dtype, dev);
  if (on_gpu(dev)) cuda::fill_int(out, value);
  else cpu::fill_int(out, value);
  return out;
}

Array from_buffer(const void* data, const Shape& shape, const Strides& strides, DType dtype) {
  TAPEFLOW_CHECK(shape.size() == strides.size(), "[from_buffer] shape ", shape_str(shape),
                 " and strides ", shape_str(strides), " differ in rank");
  Array out = Array::empty(shape, dtype);
  cpu::run_nd(shape,
              {operand(out, shape),
               cpu::Operand{static_cast<char*>(const_cast<void*>(data)), strides, out.itemsize()}},
              cpu::cast_loop(dtype, dtype), nullptr);
  return to_device(out, creation_device());
}

void copy_into(const Array& dst, const Array& src) {
  TAPEFLOW_CHECK(dst.defined() && src.defined(), "[copy] got an undefined array");
  TAPEFLOW_CHECK(broadcast_shapes(dst.shape(), src.shape(), "copy") == dst.shape(),
                 "[copy] cannot write ", src.describe(), " into ", dst.describe());
  if (src.device() != dst.device()) {
    copy_into(dst, to_device(src, dst.device()));
    return;
  }
  if (on_gpu(dst.device())) {
    cuda::copy_cast(dst, src.view(dst.shape(), broadcast_strides(src, dst.shape()), src.offset()));
    return;
  }
  cpu::Operand d{static_cast<char*>(dst.raw_data()), dst.strides(), dst.itemsize()};
  cpu::run_nd(dst.shape(), {d, operand(src, dst.shape())}, cpu::cast_loop(src.dtype(), dst.dtype()),
              nullptr);
}

TAPEFLOW_GRAPH_OP("copy", a) {
  return graph::kernel_of([](const Values& in) { return copy(in[0]); });
}

Array copy(const Array& x) {
  TAPEFLOW_TRACE("copy", {x}, graph::Attrs{});
  TAPEFLOW_CHECK(x.defined(), "[copy] got an undefined array");
  Array out = Array::empty(x.shape(), x.dtype(), x.device());
  copy_into(out, x);
  return out;
}

Array contiguous(const Array& x) { return x.is_contiguous() ? x : copy(x); }

static Array int_vector(const std::vector<int64_t>& v, const Shape& shape, DType dtype,
                        const char* op) {
  TAPEFLOW_CHECK(is_integer(dtype), "[", op, "] out_type must be int32 or int64, got ",
                 dtype_name(dtype));
  Array out = Array::empty(shape, dtype, cpu_device());
  for (size_t i = 0; i < v.size(); ++i) {
    if (dtype == DType::kInt32) {
      TAPEFLOW_CHECK(v[i] <= INT32_MAX, "[", op, "] ", v[i], " does not fit in int32");
      out.data<int32_t>()[i] = static_cast<int32_t>(v[i]);
    } else {
      out.data<int64_t>()[i] = v[i];
    }
  }
  return out;
}

TAPEFLOW_GRAPH_OP("shape", a) {
  const DType dtype = a.dtype("out_type");
  return graph::kernel_of([dtype](const Values& in) { return shape_of(in[0], dtype); });
}

Array shape_of(const Array& x, DType dtype) {
  TAPEFLOW_TRACE("shape", {x}, (graph::Attrs{{"out_type", dtype_name(dtype)}}));
  const std::vector<int64_t> dims(x.shape().begin(), x.shape().end());
  return int_vector(dims, {x.ndim()}, dtype, "shape");
}

TAPEFLOW_GRAPH_OP("size", a) {
  const DType dtype = a.dtype("out_type");
  return graph::kernel_of([dtype](const Values& in) { return size_of(in[0], dtype); });
}

Array size_of(const Array& x, DType dtype) {
  TAPEFLOW_TRACE("size", {x}, (graph::Attrs{{"out_type", dtype_name(dtype)}}));
  return int_vector({x.size()}, {}, dtype, "size");
}

TAPEFLOW_GRAPH_OP("cast", a) {
  const DType dtype = a.dtype("dtype");
  return graph::kernel_of([dtype](const Values& in) { return cast(in[0], dtype); });
}

Array cast(const Array& x, DType dtype) {
  TAPEFLOW_TRACE("cast", {x}, (graph::Attrs{{"dtype", dtype_name(dtype)}}));
  const Device dev = op_device({&x}, "cast");
  if (x.device() != dev) return cast(to_device(x, dev), dtype);
  if (x.dtype() == dtype) return x;
  Array out = Array::empty(x.shape(), dtype, dev);
  copy_into(out, x);
  return out;
}

// ---- views ------------------------------------------------------------------------

TAPEFLOW_GRAPH_OP("reshape", a) {
  const Shape shape(a.ints("shape"));  // may hold one -1
  return graph::kernel_of([shape](const Values& in) { return reshape(in[0], shape); });
}

Array reshape(const Array& x, Shape shape) {
  TAPEFLOW_TRACE("reshape", {x}, (graph::Attrs{{"shape", graph::Attrs::of(shape)}}));
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      TAPEFLOW_CHECK(infer < 0, "[reshape] only one dimension can be -1, got ", shape_str(shape));
      infer = static_cast<int64_t>(i);
    } else {
      TAPEFLOW_CHECK(shape[i] >= 0, "[reshape] dimensions must be >= -1, got ", shape_str(shape));
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    TAPEFLOW_CHECK(known != 0 && x.size() % known == 0, "[reshape] Input to reshape is a tensor with ",
                   x.size(), " values, but the requested shape requires a multiple of ", known);
    shape[infer] = x.size() / known;
  }
  TAPEFLOW_CHECK(shape_size(shape) == x.size(), "[reshape] Input to reshape is a tensor with ",
                 x.size(), " values, but the requested shape has ", shape_size(shape));
  const Array src = contiguous(x);
  return src.view(shape, contiguous_strides(shape), src.offset());
}

TAPEFLOW_GRAPH_OP("transpose", a) {
  const Axes perm = a.ints("perm");
  return graph::kernel_of([perm](const Values& in) { return transpose(in[0], perm); });
}

Array transpose(const Array& x, const Axes& perm_in) {
  TAPEFLOW_TRACE("transpose", {x}, (graph::Attrs{{"perm", perm_in}}));
  const int64_t n = x.ndim();
  Axes perm = perm_in;
  if (perm.empty() && n > 0) {
    for (int64_t i = n - 1; i >= 0; --i) perm.push_back(i);
  }
  TAPEFLOW_CHECK(static_cast<int64_t>(perm.size()) == n, "[transpose] perm has ", perm.size(),
                 " entries for an array of rank ", n);
  std::vector<bool> seen(static_cast<size_t>(n), false);
  Shape shape(n);
  Strides strides(n);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t p = normalize_axis(perm[i], n, "transpose");
    TAPEFLOW_CHECK(!seen[p], "[transpose] perm ", shape_str(perm), " is not a permutation");
    seen[p] = true;
    shape[i] = x.dim(p);
    strides[i] = x.strides()[p];
  }
  return x.view(shape, strides, x.offset());
}

TAPEFLOW_GRAPH_OP("broadcast_to", a) {
  const Shape shape = a.shape("shape");
  return graph::kernel_of([shape](const Values& in) { return broadcast_to(in[0], shape); });
}

Array broadcast_to(const Array& x, const Shape& shape) {
  TAPEFLOW_TRACE("broadcast_to", {x}, (graph::Attrs{{"shape", graph::Attrs::of(shape)}}));
  TAPEFLOW_CHECK(static_cast<int64_t>(shape.size()) >= x.ndim() &&
                     broadcast_shapes(x.shape(), shape, "broadcast_to") == shape,
                 "[broadcast_to] Unable to broadcast tensor of shape ", shape_str(x.shape()),
                 " to tensor of shape ", shape_str(shape));
  return x.view(shape, broadcast_strides(x, shape), x.offset());
}

TAPEFLOW_GRAPH_OP("expand_dims", a) {
  const int64_t axis = a.i("axis");
  return graph::kernel_of([axis](const Values& in) { return expand_dims(in[0], axis); });
}

Array expand_dims(const Array& x, int64_t axis) {
  TAPEFLOW_TRACE("expand_dims", {x}, (graph::Attrs{{"axis", axis}}));
  const int64_t n = x.ndim();
  TAPEFLOW_CHECK(axis >= -n - 1 && axis <= n, "[expand_dims] axis ", axis,
                 " is out of range for an array of rank ", n, " (expected [", -n - 1, ", ", n,
                 "])");
  if (axis < 0) axis += n + 1;
  Shape shape = x.shape();
  Strides strides = x.strides();
  shape.insert(shape.begin() + axis, 1);
  strides.insert(strides.begin() + axis, 1);
  return x.view(shape, strides, x.offset());
}

TAPEFLOW_GRAPH_OP("squeeze", a) {
  const Axes axes = a.ints("axes");
  return graph::kernel_of([axes](const Values& in) { return squeeze(in[0], axes); });
}

Array squeeze(const Array& x, const Axes& axes) {
  TAPEFLOW_TRACE("squeeze", {x}, (graph::Attrs{{"axes", axes}}));
  std::vector<bool> drop(static_cast<size_t>(x.ndim()), axes.empty());
  if (axes.empty()) {
    for (int64_t d = 0; d < x.ndim(); ++d) drop[d] = x.dim(d) == 1;
  } else {
    for (const int64_t a : axes) {
      const int64_t d = normalize_axis(a, x.ndim(), "squeeze");
      TAPEFLOW_CHECK(x.dim(d) == 1, "[squeeze] Can not squeeze dim[", d,
                     "], expected a dimension of 1, got ", x.dim(d));
      drop[d] = true;
    }
  }
  Shape shape;
  Strides strides;
  for (int64_t d = 0; d < x.ndim(); ++d) {
    if (drop[d]) continue;
    shape.push_back(x.dim(d));
    strides.push_back(x.strides()[d]);
  }
  return x.view(shape, strides, x.offset());
}

// Slice arguments as one attribute: five ints per entry (which of start/stop/index are
// set as bits 1/2/4, start, stop, step, index).
static std::vector<int64_t> slice_attr(const std::vector<SliceArg>& args) {
  std::vector<int64_t> out;
  out.reserve(args.size() * 5);
  for (const SliceArg& s : args) {
    out.push_back((s.start ? 1 : 0) | (s.stop ? 2 : 0) | (s.index ? 4 : 0));
    out.push_back(s.start.value_or(0));
    out.push_back(s.stop.value_or(0));
    out.push_back(s.step);
    out.push_back(s.index.value_or(0));
  }
  return out;
}

static std::vector<SliceArg> slice_args(const graph::Attrs& a) {
  const std::vector<int64_t>& v = a.ints("args");
  TAPEFLOW_CHECK(v.size() % 5 == 0, "[graph] attribute 'args' must hold 5 ints per index");
  std::vector<SliceArg> args(v.size() / 5);
  for (size_t k = 0; k < args.size(); ++k) {
    const int64_t* e = &v[5 * k];
    if (e[0] & 1) args[k].start = e[1];
    if (e[0] & 2) args[k].stop = e[2];
    args[k].step = e[3];
    if (e[0] & 4) args[k].index = e[4];
  }
  return args;
}

TAPEFLOW_GRAPH_OP("slice", a) {
  const std::vector<SliceArg> args = slice_args(a);
  return graph::kernel_of([args](const Values& in) { return slice(in[0], args); });
}

Array slice(const Array& x, const std::vector<SliceArg>& args) {
  TAPEFLOW_TRACE("slice", {x}, (graph::Attrs{{"args", slice_attr(args)}}));
  TAPEFLOW_CHECK(static_cast<int64_t>(args.size()) <= x.ndim(), "[slice] ", args.size(),
                 " indices for an array of rank ", x.ndim(), " (", x.describe(), ")");
  Shape shape;
  Strides strides;
  int64_t offset = x.offset();
  bool empty = false;
  for (int64_t d = 0; d < x.ndim(); ++d) {
    const int64_t dim = x.dim(d), stride = x.strides()[d];
    if (d >= static_cast<int64_t>(args.size())) {
      shape.push_back(dim);
      strides.push_back(stride);
      continue;
    }
    const SliceArg& s = args[d];
    if (s.index) {
      int64_t i = *s.index;
      TAPEFLOW_CHECK(i >= -dim && i < dim, "[strided_slice] slice index ", i, " of dimension ", d,
                     " out of bounds.");
      if (i < 0) i += dim;
      offset += i * stride;
      continue;
    }
    TAPEFLOW_CHECK(s.step != 0, "[slice] slice step cannot be zero");
    const bool neg = s.step < 0;
    auto adjust = [&](std::optional<int64_t> v, int64_t dflt) {
      if (!v) return dflt;
      int64_t i = *v;
      if (i < 0) {
        i += dim;
        if (i < 0) i = neg ? -1 : 0;
      } else if (i >= dim) {
        i = neg ? dim - 1 : dim;
      }
      return i;
    };
    const int64_t start = adjust(s.start, neg ? dim - 1 : 0);
    const int64_t stop = adjust(s.stop, neg ? -1 : dim);
    // Unsigned step magnitude: -INT64_MIN and stop - start + step must not overflow.
    const uint64_t mag = neg ? uint64_t{0} - static_cast<uint64_t>(s.step)
                             : static_cast<uint64_t>(s.step);
    int64_t len = 0;
    if (!neg && stop > start) len = static_cast<int64_t>(static_cast<uint64_t>(stop - start - 1) / mag + 1);
    if (neg && start > stop) len = static_cast<int64_t>(static_cast<uint64_t>(start - stop - 1) / mag + 1);
    if (len > 0) offset += start * stride;
    empty = empty || len == 0;
    shape.push_back(len);
    // With one element or none the stride is never used (and stride * step may overflow).
    strides.push_back(len > 1 ? stride * s.step : stride);
  }
  return x.view(shape, strides, empty ? x.offset() : offset);
}

TAPEFLOW_GRAPH_OP("slice_assign", a) {
  const std::vector<SliceArg> args = slice_args(a);
  return graph::kernel_of(
      [args](const Values& in) { return slice_assign(in[0], args, in[1]); });
}

Array slice_assign(const Array& x, const std::vector<SliceArg>& args, const Array& value) {
  TAPEFLOW_TRACE("slice_assign", (Values{x, value}), (graph::Attrs{{"args", slice_attr(args)}}));
  const Device dev = op_device({&x, &value}, "slice_assign");
  if (!all_on(dev, {&x, &value})) return slice_assign(to_device(x, dev), args, to_device(value, dev));
  TAPEFLOW_CHECK(x.dtype() == value.dtype(), "[slice_assign] value must have the variable's dtype ",
                 dtype_name(x.dtype()), ", got ", value.describe());
  const Array out = copy(x);
  const Array dst = slice(out, args);
  TAPEFLOW_CHECK(broadcast_shapes(dst.shape(), value.shape(), "slice_assign") == dst.shape(),
                 "[slice_assign] Cannot assign a value of shape ", shape_str(value.shape()),
                 " to a slice of shape ", shape_str(dst.shape()));
  copy_into(dst, value);
  return out;
}

// ---- reductions ---------------------------------------------------------------------

// Elements per block of a long single-row reduction (one block per parallel task).
// A constant, so results are bit-identical at any thread count.
constexpr int64_t kReduceBlock = 1 << 16;

// A reduction's attributes: "axes" (absent: all axes) and "keepdims".
static graph::Attrs reduce_attrs(const std::optional<Axes>& axes, bool keepdims) {
  graph::Attrs a{{"keepdims", int64_t{keepdims}}};
  if (axes) a.set("axes", *axes);
  return a;
}

static std::optional<Axes> reduce_axes(const graph::Attrs& a) {
  return a.has("axes") ? std::optional<Axes>(a.ints("axes")) : std::nullopt;
}

Array reduce(ReduceOp op, const Array& x, const std::optional<Axes>& axes, bool keepdims) {
  TAPEFLOW_TRACE(reduce_name(op), {x}, reduce_attrs(axes, keepdims));
  const char* name = reduce_name(op);
  const Device dev = op_device({&x}, name);
  if (x.device() != dev) return reduce(op, to_device(x, dev), axes, keepdims);
  const int o = static_cast<int>(op), dt = static_cast<int>(x.dtype());
  const ReduceRowsFn rows_fn = cpu::kernels().reduce_rows[o][dt];
  const ReduceColsFn cols_fn = cpu::kernels().reduce_cols[o][dt];
  TAPEFLOW_CHECK(rows_fn != nullptr, "[", name, "] does not support dtype ",
                 dtype_name(x.dtype()), " (input ", x.describe(), ")");
  const std::vector<bool> red = axes_mask(axes, x.ndim(), name);
  const bool arg = op == ReduceOp::argmax || op == ReduceOp::argmin;

  Shape out_shape, perm_shape;
  Strides perm_strides;
  int64_t O = 1, R = 1;
  for (int64_t d = 0; d < x.ndim(); ++d) {
    if (red[d]) {
      R *= x.dim(d);
      if (keepdims) out_shape.push_back(1);
    } else {
      O *= x.dim(d);
      out_shape.push_back(x.dim(d));
      perm_shape.push_back(x.dim(d));
      perm_strides.push_back(x.strides()[d]);
    }
  }
  for (int64_t d = 0; d < x.ndim(); ++d) {
    if (!red[d]) continue;
    perm_shape.push_back(x.dim(d));
    perm_strides.push_back(x.strides()[d]);
  }
  TAPEFLOW_CHECK(!(arg && R == 0 && O > 0), "[", name, "] Reduction axis is empty in shape ",
                 shape_str(x.shape()));
  const DType out_dt = arg ? DType::kInt64 : x.dtype();
  Array out = Array::empty(out_shape, out_dt, dev);
  if (O == 0) return out;
  char* po = static_cast<char*>(out.raw_data());
  const int64_t isz = x.itemsize(), osz = out.itemsize();

  // Reduced dims all before kept dims in a contiguous input: sum whole rows at a time.
  bool leading = true, seen_kept = false;
  for (int64_t d = 0; d < x.ndim(); ++d) {
    if (x.dim(d) == 1) continue;
    if (!red[d]) seen_kept = true;
    else if (seen_kept) leading = false;
  }
  if (on_gpu(dev)) {
    if (leading && O > 1 && R > 1 && x.is_contiguous()) {
      cuda::reduce(op, x, O, R, true, out);
    } else {
      cuda::reduce(op, contiguous(x.view(perm_shape, perm_strides, x.offset())), O, R, false, out);
    }
    return out;
  }
  if (cols_fn && leading && O > 1 && R > 1 && x.is_contiguous()) {
    const char* px = static_cast<const char*>(x.raw_data());
    parallel_for(O, std::max<int64_t>(16, cpu::kElementwiseGrain / R), [&](int64_t j0, int64_t j1) {
      cols_fn(px + j0 * isz, R, j1 - j0, O, po + j0 * osz);
    });
    return out;
  }

  const Array xc = contiguous(x.view(perm_shape, perm_strides, x.offset()));
  const char* px = static_cast<const char*>(xc.raw_data());
  const bool splittable = cols_fn != nullptr && op != ReduceOp::logsumexp;
  if (O == 1 && splittable && R > kReduceBlock) {
    // One long row: fixed blocks of kReduceBlock (the last one shorter), each reduced
    // alone, then the block results reduced in order. The blocks never depend on the
    // thread count, so neither do the bits of the result.
    const int64_t blocks = (R + kReduceBlock - 1) / kReduceBlock;
    Array partial = Array::empty({blocks}, x.dtype());
    char* pp = static_cast<char*>(partial.raw_data());
    parallel_for(blocks, 1, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        const int64_t b = c * kReduceBlock, e = std::min(R, b + kReduceBlock);
        rows_fn(px + b * isz, 1, e - b, pp + c * isz);
      }
    });
    rows_fn(pp, 1, blocks, po);
    return out;
  }
  parallel_for(O, std::max<int64_t>(1, cpu::kElementwiseGrain / std::max<int64_t>(R, 1)),
               [&](int64_t r0, int64_t r1) {
                 rows_fn(px + r0 * R * isz, r1 - r0, R, po + r0 * osz);
               });
  return out;
}

Array sum(const Array& x, const std::optional<Axes>& axes, bool keepdims) {
  return reduce(ReduceOp::sum, x, axes, keepdims);
}

TAPEFLOW_GRAPH_OP("mean", a) {
  const std::optional<Axes> axes = reduce_axes(a);
  const bool keepdims = a.b("keepdims");
  return graph::kernel_of([axes, keepdims](const Values& in) { return mean(in[0], axes, keepdims); });
}

Array mean(const Array& x, const std::optional<Axes>& axes, bool keepdims) {
  TAPEFLOW_TRACE("mean", {x}, reduce_attrs(axes, keepdims));
  TAPEFLOW_CHECK(x.dtype() != DType::kBool, "[mean] does not support dtype bool");
  Array s = reduce(ReduceOp::sum, x, axes, keepdims);
  const int64_t count = s.size() == 0 ? 0 : x.size() / s.size();
  if (is_integer(x.dtype())) {
    if (count == 0) return full_int(s.shape(), s.dtype(), 0);
    return div(s, full_int({}, s.dtype(), count));  // truncates, as tf.reduce_mean on ints
  }
  return div(s, full({}, s.dtype(), static_cast<double>(count)));
}

static Array arg_reduce(ReduceOp op, const Array& x, int64_t axis, DType out) {
  TAPEFLOW_TRACE(reduce_name(op), {x},
                 (graph::Attrs{{"axis", axis}, {"output_type", dtype_name(out)}}));
  TAPEFLOW_CHECK(out == DType::kInt32 || out == DType::kInt64, "[", reduce_name(op),
                 "] output_type must be int32 or int64, got ", dtype_name(out));
  TAPEFLOW_CHECK(x.ndim() > 0, "[", reduce_name(op), "] needs an array of rank >= 1, got ",
                 x.describe());
  return cast(reduce(op, x, Axes{axis}, false), out);
}

Array argmax(const Array& x, int64_t axis, DType out) {
  return arg_reduce(ReduceOp::argmax, x, axis, out);
}
Array argmin(const Array& x, int64_t axis, DType out) {
  return arg_reduce(ReduceOp::argmin, x, axis, out);
}

// Graph ops: one per reduction ("axes", "keepdims"); argmax/argmin traced through
// arg_reduce carry "axis" and "output_type" instead.
static const bool kReduceGraphOps = [] {
  for (int i = 0; i < kNumReduceOps; ++i) {
    const auto op = static_cast<ReduceOp>(i);
    graph::register_op(kReduceNames[i], [op](const graph::Attrs& a) {
      if (a.has("output_type")) {
        const int64_t axis = a.i("axis");
        const DType out = a.dtype("output_type");
        return graph::kernel_of(
            [op, axis, out](const Values& in) { return arg_reduce(op, in[0], axis, out); });
      }
      const std::optional<Axes> axes = reduce_axes(a);
      const bool keepdims = a.b("keepdims");
      return graph::kernel_of(
          [op, axes, keepdims](const Values& in) { return reduce(op, in[0], axes, keepdims); });
    });
  }
  return true;
}();

// ---- scans -------------------------------------------------------------------------

const char* scan_name(ScanOp op) { return kScanNames[static_cast<int>(op)]; }

Array scan(ScanOp op, const Array& x, int64_t axis, bool exclusive, bool reverse) {
  TAPEFLOW_TRACE(scan_name(op), {x},
                 (graph::Attrs{{"axis", axis}, {"exclusive", int64_t{exclusive}},
                               {"reverse", int64_t{reverse}}}));
  const char* name = scan_name(op);
  const Device dev = op_device({&x}, name);
  if (x.device() != dev) return scan(op, to_device(x, dev), axis, exclusive, reverse);
  const ScanFn fn = cpu::kernels().scan[static_cast<int>(op)][static_cast<int>(x.dtype())];
  // TF's messages: the op's dtype list, then ScanOp's axis check (a 0-d x has none).
  TAPEFLOW_CHECK(fn != nullptr, "[", name, "] Value for attr 'T' of ", dtype_name(x.dtype()),
                 " is not in the list of allowed values: ",
                 op == ScanOp::cumulative_logsumexp ? "float, double"
                                                    : "float, double, int32, int64");
  const int64_t nd = x.ndim();
  TAPEFLOW_CHECK(axis >= -nd && axis < nd, "[", name, "] ScanOp: Expected scan axis in the "
                 "range [", -nd, ", ", nd, "), but got ", axis);
  const int64_t ax = axis < 0 ? axis + nd : axis;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < ax; ++d) outer *= x.dim(d);
  for (int64_t d = ax + 1; d < nd; ++d) inner *= x.dim(d);
  const int64_t len = x.dim(ax);
  Array out = Array::empty(x.shape(), x.dtype(), dev);
  if (out.size() == 0) return out;
  const Array xc = contiguous(x);
  if (on_gpu(dev)) {
    cuda::scan(op, xc, out, outer, len, inner, exclusive, reverse);
    return out;
  }
  const char* px = static_cast<const char*>(xc.raw_data());
  char* po = static_cast<char*>(out.raw_data());
  const int64_t isz = x.itemsize(), block = len * inner;
  const int threads = num_threads();
  if (x.size() <= cpu::kElementwiseGrain || threads == 1 || outer >= threads || inner < 512) {
    // Whole (len, inner) blocks per thread. Lines are never split: each stays one
    // sequential scan, as TF's, so the numbers do not depend on the thread count.
    parallel_for(outer, std::max<int64_t>(1, cpu::kElementwiseGrain / block),
                 [&](int64_t o0, int64_t o1) {
                   fn(px + o0 * block * isz, po + o0 * block * isz, o1 - o0, len, inner,
                      inner, exclusive, reverse);
                 });
    return out;
  }
  // Few wide blocks (a leading axis of a big array): split the columns too.
  const int64_t width = (inner + threads - 1) / threads;
  const int64_t parts = (inner + width - 1) / width;
  parallel_for(outer * parts, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t o = t / parts, j0 = (t % parts) * width;
      const int64_t off = (o * block + j0) * isz;
      fn(px + off, po + off, 1, len, inner, std::min(width, inner - j0), exclusive, reverse);
    }
  });
  return out;
}

Array cumsum(const Array& x, int64_t axis, bool exclusive, bool reverse) {
  return scan(ScanOp::cumsum, x, axis, exclusive, reverse);
}
Array cumprod(const Array& x, int64_t axis, bool exclusive, bool reverse) {
  return scan(ScanOp::cumprod, x, axis, exclusive, reverse);
}
Array cumulative_logsumexp(const Array& x, int64_t axis, bool exclusive, bool reverse) {
  return scan(ScanOp::cumulative_logsumexp, x, axis, exclusive, reverse);
}

static const bool kScanGraphOps = [] {
  for (int i = 0; i < kNumScanOps; ++i) {
    const auto op = static_cast<ScanOp>(i);
    graph::register_op(kScanNames[i], [op](const graph::Attrs& a) {
      const int64_t axis = a.i("axis");
      const bool exclusive = a.b("exclusive"), reverse = a.b("reverse");
      return graph::kernel_of([=](const Values& in) {
        return scan(op, in[0], axis, exclusive, reverse);
      });
    });
  }
  return true;
}();

// ---- matmul ------------------------------------------------------------------------

TAPEFLOW_GRAPH_OP("matmul", a) {
  const bool ta = a.b("transpose_a"), tb = a.b("transpose_b");
  return graph::kernel_of([ta, tb](const Values& in) { return matmul(in[0], in[1], ta, tb); });
}

Array matmul(const Array& a, const Array& b, bool transpose_a, bool transpose_b) {
  TAPEFLOW_TRACE("matmul", (Values{a, b}),
                 (graph::Attrs{{"transpose_a", int64_t{transpose_a}},
                               {"transpose_b", int64_t{transpose_b}}}));
  const Device dev = op_device({&a, &b}, "matmul");
  if (!all_on(dev, {&a, &b}))
    return matmul(to_device(a, dev), to_device(b, dev), transpose_a, transpose_b);
  TAPEFLOW_CHECK(a.dtype() == b.dtype(), "[matmul] dtypes must match, got ", a.describe(),
                 " and ", b.describe());
  const GemmFn gemm = cpu::kernels().gemm[static_cast<int>(a.dtype())];
  TAPEFLOW_CHECK(gemm != nullptr, "[matmul] does not support dtype ", dtype_name(a.dtype()));
  TAPEFLOW_CHECK(a.ndim() >= 2 && b.ndim() >= 2, "[matmul] inputs must have rank >= 2, got ",
                 a.describe(), " and ", b.describe());
  const Array at = transpose_a ? transpose(a, [&] {
    Axes p;
    for (int64_t i = 0; i < a.ndim(); ++i) p.push_back(i);
    std::swap(p[a.ndim() - 1], p[a.ndim() - 2]);
    return p;
  }()) : a;
  const Array bt = transpose_b ? transpose(b, [&] {
    Axes p;
    for (int64_t i = 0; i < b.ndim(); ++i) p.push_back(i);
    std::swap(p[b.ndim() - 1], p[b.ndim() - 2]);
    return p;
  }()) : b;
  const int64_t M = at.dim(at.ndim() - 2), K = at.dim(at.ndim() - 1);
  const int64_t K2 = bt.dim(bt.ndim() - 2), N = bt.dim(bt.ndim() - 1);
  TAPEFLOW_CHECK(K == K2, "[matmul] Matrix size-incompatible: In[0]: ", shape_str(a.shape()),
                 ", In[1]: ", shape_str(b.shape()), " (transpose_a=", transpose_a,
                 ", transpose_b=", transpose_b, ")");
  const Shape a_batch(at.shape().begin(), at.shape().end() - 2);
  const Shape b_batch(bt.shape().begin(), bt.shape().end() - 2);
  const Shape batch = broadcast_shapes(a_batch, b_batch, "matmul");
  Shape out_shape = batch;
  out_shape.push_back(M);
  out_shape.push_back(N);
  Array out = Array::empty(out_shape, a.dtype(), dev);
  const int64_t nb = shape_size(batch);
  if (out.size() == 0) return out;

  // x^T @ dy (a weight's gradient): while B stays in L2, the transposed-A kernel reads a
  // in place rather than from a transposed copy.
  const int64_t isz = a.itemsize();
  const GemmFn gemm_at = cpu::kernels().gemm_at[static_cast<int>(a.dtype())];
  const bool a_in_place = transpose_a && !on_gpu(dev) && gemm_at != nullptr &&
                          static_cast<double>(K) * N * isz <= 768.0 * 1024;
  const Array A = a_in_place ? contiguous(a) : contiguous(at), B = contiguous(bt);
  // Offsets (in elements) of each batch's matrix in A and B, following broadcasting.
  auto batch_offsets = [&](const Array& x) {
    const size_t nbx = x.shape().size() - 2, lead = batch.size() - nbx;
    Strides s(batch.size(), 0);  // x's batch strides aligned to `batch`, 0 if broadcast
    for (size_t d = 0; d < nbx; ++d)
      s[lead + d] = x.shape()[d] == 1 ? 0 : x.strides()[d];
    std::vector<int64_t> offs(static_cast<size_t>(nb));
    std::vector<int64_t> idx(batch.size(), 0);
    for (int64_t i = 0; i < nb; ++i) {
      int64_t off = 0;
      for (size_t d = 0; d < batch.size(); ++d) off += idx[d] * s[d];
      offs[i] = off;
      for (size_t d = batch.size(); d-- > 0;) {
        if (++idx[d] < batch[d]) break;
        idx[d] = 0;
      }
    }
    return offs;
  };
  const std::vector<int64_t> aoff = batch_offsets(A), boff = batch_offsets(B);
  if (on_gpu(dev)) {
    cuda::matmul(A, B, out, M, N, K, aoff, boff);
    return out;
  }
  const char* pa = static_cast<const char*>(A.raw_data());
  const char* pb = static_cast<const char*>(B.raw_data());
  char* pc = static_cast<char*>(out.raw_data());
  // Threads. The GEMM of one call is serial; C is cut into pieces (batch items x row
  // bands, or column bands for short, wide outputs and for wide packed products) that
  // the threads claim one at a time from a shared counter. Claiming, rather than a fixed
  // split, matters: a pool worker can take 20-300 us to wake up, and pieces it does not
  // take the caller runs itself, so a late worker never makes a product slower than
  // serial. Products whose B fits the kernel's in-place (L2) path use many pieces; larger
  // ones pack B per piece, so they use one piece per thread. Below ~7 MFLOP a hand-off
  // cannot pay back. Pieces start at multiples of the kernel's MR rows and 32 columns,
  // and every GEMM path sums K in the same blocks, so the split never changes a bit.
  constexpr double kThreadWork = 192.0 * 192 * 192;    // M*N*K below which: one thread
  constexpr double kPieceWork = 1024.0 * 1024;         // M*N*K per piece, at least
  constexpr double kInPlaceB = 768.0 * 1024;           // bytes of B the kernel reads in place
  const double work = static_cast<double>(nb) * M * N * (K > 0 ? K : 1);
  const int threads = work < kThreadWork ? 1 : num_threads();
  int64_t row_bands = 1, col_bands = 1;
  int64_t rb = M, cb = N;
  if (threads > 1 && nb < 4 * threads) {
    const bool in_place = static_cast<double>(K) * N * isz <= kInPlaceB;
    const double want_total = in_place ? std::min(16.0, std::max<double>(threads, work / kPieceWork))
                                       : static_cast<double>(threads);
    const int64_t want = std::max<int64_t>(1, (static_cast<int64_t>(want_total) + nb - 1) / nb);
    const int64_t mr = std::max(1, cpu::kernels().gemm_mr);
    // Packed products (B past the in-place size) pack B per piece: row bands each pack
    // all of B, column bands only their columns (while each reads, or packs, all of A).
    // So column bands when B is at least as wide as A is tall. Measured, two threads,
    // fp32, columns vs rows: 256x1024 @ 1024x4096 +24%, 2048^3 +4%, 1000^3 +2%, 4096^3 +1%,
    // 1024^3 even; 4096x1024 @ 1024^2 -4% (rows kept there).
    const bool cols_first = !in_place && N >= M && N >= 64 * threads;
    if (!cols_first && M >= 2 * mr * std::min<int64_t>(want, threads)) {
      rb = std::max<int64_t>((M + want - 1) / want, 2 * mr);
      rb = (rb + mr - 1) / mr * mr;
      row_bands = (M + rb - 1) / rb;
    } else if (N >= 64 * threads) {
      cb = std::max<int64_t>((N + want - 1) / want, 64);
      cb = (cb + 31) / 32 * 32;
      col_bands = (N + cb - 1) / cb;
      // A last band under 16 columns joins the one before: alone, it could take the
      // narrow-output kernel (N < W / 2), whose sums differ from the wide one's.
      if (col_bands > 1 && N - (col_bands - 1) * cb < 16) --col_bands;
    }
  }
  const int64_t per_matrix = row_bands * col_bands, pieces = nb * per_matrix;
  auto run_piece = [&](int64_t t) {
    const int64_t bi = t / per_matrix, p = t % per_matrix;
    const int64_t r0 = (p / col_bands) * rb, c0 = (p % col_bands) * cb;
    const int64_t r1 = std::min(M, r0 + rb);
    const int64_t c1 = p % col_bands == col_bands - 1 ? N : std::min(N, c0 + cb);
    if (r0 >= r1 || c0 >= c1) return;
    if (a_in_place)  // rows r0.. of A^T are columns r0.. of the stored K x M matrix
      gemm_at(r1 - r0, c1 - c0, K, pa + (aoff[bi] + r0) * isz, M, pb + (boff[bi] + c0) * isz,
              N, pc + (bi * M * N + r0 * N + c0) * isz, N);
    else
      gemm(r1 - r0, c1 - c0, K, pa + (aoff[bi] + r0 * K) * isz, K, pb + (boff[bi] + c0) * isz,
           N, pc + (bi * M * N + r0 * N + c0) * isz, N);
  };
  if (threads == 1 || pieces == 1) {
    for (int64_t t = 0; t < pieces; ++t) run_piece(t);
  } else {
    int64_t next = 0;  // claimed with atomic builtins
    parallel_for(threads, 1, [&](int64_t, int64_t) {
      for (int64_t t = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED); t < pieces;
           t = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED))
        run_piece(t);
    });
  }
  return out;
}

// ---- data movement ---------------------------------------------------------------

// concat/stack of contiguous host inputs (batching dataset elements, stacking rows)
// into `out` along `axis` of out: each input contributes one run of bytes per index of
// the leading axes, copied with memcpy. False (nothing written) when an input is on
// another device or strided.
static bool copy_runs(const Array& out, const std::vector<Array>& xs, int64_t axis) {
  if (on_gpu(out.device())) return false;
  for (const Array& x : xs)
    if (x.device() != out.device() || !x.is_contiguous()) return false;
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= out.dim(d);
  if (outer == 0) return true;
  std::vector<size_t> run(xs.size());  // bytes of input i per leading index
  for (size_t i = 0; i < xs.size(); ++i)
    run[i] = static_cast<size_t>(xs[i].size() / outer * xs[i].itemsize());
  char* dst = static_cast<char*>(out.raw_data());
  for (int64_t o = 0; o < outer; ++o) {
    for (size_t i = 0; i < xs.size(); ++i) {
      if (run[i] == 0) continue;
      std::memcpy(dst, static_cast<const char*>(xs[i].raw_data()) + o * run[i], run[i]);
      dst += run[i];
    }
  }
  return true;
}

TAPEFLOW_GRAPH_OP("concat", a) {
  const int64_t axis = a.i("axis");
  return graph::kernel_of([axis](const Values& in) { return concat(in, axis); });
}

Array concat(const std::vector<Array>& xs, int64_t axis) {
  TAPEFLOW_TRACE("concat", xs, (graph::Attrs{{"axis", axis}}));
  TAPEFLOW_CHECK(!xs.empty(), "[concat] needs at least one input");
  const Array& first = xs[0];
  TAPEFLOW_CHECK(first.ndim() > 0, "[concat] Can't concatenate scalars (use stack instead)");
  const int64_t ax = normalize_axis(axis, first.ndim(), "concat");
  Shape shape = first.shape();
  shape[ax] = 0;
  Device dev = t_scope ? checked(*t_scope) : cpu_device();
  for (size_t i = 0; i < xs.size(); ++i) {
    TAPEFLOW_CHECK(xs[i].defined(), "[concat] got an undefined array");
    if (!t_scope && on_gpu(xs[i].device()) && !on_gpu(dev)) dev = xs[i].device();
    TAPEFLOW_CHECK(xs[i].dtype() == first.dtype(), "[concat] all inputs must have the same dtype: ",
                   "values[0] is ", first.describe(), ", values[", i, "] is ", xs[i].describe());
    TAPEFLOW_CHECK(xs[i].ndim() == first.ndim(), "[concat] Ranks of all input tensors should match: ",
                   "shape[0] = ", shape_str(first.shape()), " vs. shape[", i, "] = ",
                   shape_str(xs[i].shape()));
    for (int64_t d = 0; d < first.ndim(); ++d) {
      TAPEFLOW_CHECK(d == ax || xs[i].dim(d) == first.dim(d), "[concat] Dimension ", d,
                     " in both shapes must be equal: shape[0] = ", shape_str(first.shape()),
                     " vs. shape[", i, "] = ", shape_str(xs[i].shape()));
    }
    shape[ax] += xs[i].dim(ax);
  }
  Array out = Array::empty(shape, first.dtype(), dev);
  if (copy_runs(out, xs, ax)) return out;
  int64_t pos = 0;
  for (const Array& x : xs) {
    std::vector<SliceArg> sl(static_cast<size_t>(ax + 1));
    sl[ax].start = pos;
    sl[ax].stop = pos + x.dim(ax);
    if (x.size() > 0) copy_into(slice(out, sl), x);
    pos += x.dim(ax);
  }
  return out;
}

TAPEFLOW_GRAPH_OP("stack", a) {
  const int64_t axis = a.i("axis");
  return graph::kernel_of([axis](const Values& in) { return stack(in, axis); });
}

Array stack(const std::vector<Array>& xs, int64_t axis) {
  TAPEFLOW_TRACE("stack", xs, (graph::Attrs{{"axis", axis}}));
  TAPEFLOW_CHECK(!xs.empty(), "[stack] needs at least one input");
  const int64_t rank = xs[0].ndim();
  TAPEFLOW_CHECK(axis >= -rank - 1 && axis <= rank, "[stack] axis ", axis,
                 " is out of range for stacking arrays of rank ", rank, " (expected [",
                 -rank - 1, ", ", rank, "])");
  for (size_t i = 0; i < xs.size(); ++i) {
    TAPEFLOW_CHECK(xs[i].defined(), "[stack] got an undefined array");
    TAPEFLOW_CHECK(xs[i].shape() == xs[0].shape(), "[stack] Shapes of all inputs must match: values[0].shape = ",
                   shape_str(xs[0].shape()), " != values[", i, "].shape = ", shape_str(xs[i].shape()));
  }
  const int64_t ax = axis < 0 ? axis + rank + 1 : axis;
  bool same = true;
  for (const Array& x : xs) same = same && x.dtype() == xs[0].dtype() && x.device() == xs[0].device();
  if (same && !t_scope) {
    Shape shape = xs[0].shape();
    shape.insert(shape.begin() + ax, static_cast<int64_t>(xs.size()));
    Array out = Array::empty(shape, xs[0].dtype(), xs[0].device());
    if (copy_runs(out, xs, ax)) return out;
  }
  std::vector<Array> expanded;
  for (const Array& x : xs) expanded.push_back(expand_dims(x, axis));
  return concat(expanded, axis);
}

TAPEFLOW_GRAPH_OP("gather", a) {
  const int64_t axis = a.i("axis");
  return graph::kernel_of([axis](const Values& in) { return gather(in[0], in[1], axis); });
}

Array gather(const Array& params, const Array& indices, int64_t axis) {
  TAPEFLOW_TRACE("gather", (Values{params, indices}), (graph::Attrs{{"axis", axis}}));
  const Device dev = op_device({&params, &indices}, "gather");
  if (!all_on(dev, {&params, &indices}))
    return gather(to_device(params, dev), to_device(indices, dev), axis);
  TAPEFLOW_CHECK(is_integer(indices.dtype()), "[gather] indices must be int32 or int64, got ",
                 indices.describe());
  TAPEFLOW_CHECK(params.ndim() > 0, "[gather] params must be at least 1-D, got ", params.describe());
  const int64_t ax = normalize_axis(axis, params.ndim(), "gather");
  const int64_t n = params.dim(ax);
  const Array idx_c = host(int64_on(indices, cpu_device()));
  const int64_t* ip = idx_c.data<int64_t>();
  for (int64_t j = 0; j < idx_c.size(); ++j) {
    TAPEFLOW_CHECK(ip[j] >= 0 && ip[j] < n, "[gather] indices[", j, "] = ", ip[j],
                   " is not in [0, ", n, ")");
  }
  Shape shape(params.shape().begin(), params.shape().begin() + ax);
  shape.insert(shape.end(), indices.shape().begin(), indices.shape().end());
  shape.insert(shape.end(), params.shape().begin() + ax + 1, params.shape().end());
  Array out = Array::empty(shape, params.dtype(), dev);
  if (out.size() == 0) return out;
  const Array p = contiguous(params);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < ax; ++d) outer *= params.dim(d);
  for (int64_t d = ax + 1; d < params.ndim(); ++d) inner *= params.dim(d);
  if (on_gpu(dev)) {
    cuda::gather_rows(p, int64_on(idx_c, dev), out, outer, n, inner);
    return out;
  }
  cpu::gather_rows(static_cast<const char*>(p.raw_data()), static_cast<char*>(out.raw_data()), ip,
                   outer, n, idx_c.size(), inner * p.itemsize());
  return out;
}

TAPEFLOW_GRAPH_OP("scatter_add", a) {
  const Shape shape = a.shape("shape");
  const int64_t axis = a.i("axis");
  return graph::kernel_of(
      [shape, axis](const Values& in) { return scatter_add(in[0], in[1], shape, axis); });
}

Array scatter_add(const Array& indices, const Array& updates, const Shape& shape, int64_t axis) {
  TAPEFLOW_TRACE("scatter_add", (Values{indices, updates}),
                 (graph::Attrs{{"shape", graph::Attrs::of(shape)}, {"axis", axis}}));
  const Device dev = op_device({&indices, &updates}, "scatter_add");
  if (!all_on(dev, {&indices, &updates}))
    return scatter_add(to_device(indices, dev), to_device(updates, dev), shape, axis);
  TAPEFLOW_CHECK(is_integer(indices.dtype()), "[scatter_add] indices must be int32 or int64, got ",
                 indices.describe());
  TAPEFLOW_CHECK(updates.dtype() != DType::kBool, "[scatter_add] does not support dtype bool");
  const int64_t nd = static_cast<int64_t>(shape.size());
  TAPEFLOW_CHECK(nd > 0, "[scatter_add] output must be at least 1-D");
  const int64_t ax = normalize_axis(axis, nd, "scatter_add");
  Shape want(shape.begin(), shape.begin() + ax);
  want.insert(want.end(), indices.shape().begin(), indices.shape().end());
  want.insert(want.end(), shape.begin() + ax + 1, shape.end());
  TAPEFLOW_CHECK(updates.shape() == want, "[scatter_add] updates of shape ", shape_str(updates.shape()),
                 " do not match indices ", shape_str(indices.shape()), " into ", shape_str(shape),
                 " along axis ", ax, " (expected ", shape_str(want), ")");
  const int64_t n = shape[ax];
  const Array idx = host(int64_on(indices, cpu_device()));
  const int64_t* ip = idx.data<int64_t>();
  for (int64_t j = 0; j < idx.size(); ++j)
    TAPEFLOW_CHECK(ip[j] >= 0 && ip[j] < n, "[scatter_add] indices[", j, "] = ", ip[j],
                   " is not in [0, ", n, ")");
  Array out = filled(shape, updates.dtype(), 0.0, dev);
  if (out.size() == 0 || idx.size() == 0) return out;
  const Array u = contiguous(updates);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < ax; ++d) outer *= shape[d];
  for (int64_t d = ax + 1; d < nd; ++d) inner *= shape[d];
  if (on_gpu(dev)) {
    cuda::scatter_add_rows(u, int64_on(idx, dev), out, outer, n, inner);
    return out;
  }
  cpu::scatter_add_rows(u.dtype(), static_cast<const char*>(u.raw_data()),
                        static_cast<char*>(out.raw_data()), ip, outer, n, idx.size(), inner);
  return out;
}

TAPEFLOW_GRAPH_OP("one_hot", a) {
  const int64_t depth = a.i("depth"), axis = a.i("axis");
  const double on = a.f("on_value"), off = a.f("off_value");
  const DType dtype = a.dtype("dtype");
  return graph::kernel_of([=](const Values& in) {
    return one_hot(in[0], depth, on, off, axis, dtype);
  });
}

Array one_hot(const Array& indices, int64_t depth, double on_value, double off_value,
              int64_t axis, DType dtype) {
  TAPEFLOW_TRACE("one_hot", {indices},
                 (graph::Attrs{{"depth", depth}, {"on_value", on_value}, {"off_value", off_value},
                               {"axis", axis}, {"dtype", dtype_name(dtype)}}));
  const Device dev = op_device({&indices}, "one_hot");
  if (indices.device() != dev)
    return one_hot(to_device(indices, dev), depth, on_value, off_value, axis, dtype);
  TAPEFLOW_CHECK(is_integer(indices.dtype()), "[one_hot] indices must be int32 or int64, got ",
                 indices.describe());
  TAPEFLOW_CHECK(depth >= 0, "[one_hot] depth must be non-negative, got: ", depth);
  const int64_t n = indices.ndim();
  TAPEFLOW_CHECK(axis >= -1 && axis <= n, "[one_hot] Expected axis to be -1 or between [0, ", n,
                 "].  But received: ", axis);
  Shape last_shape = indices.shape();
  last_shape.push_back(depth);
  Array out = filled(last_shape, dtype, off_value, dev);
  // Out-of-range indices give all-off rows, as TF.
  if (on_gpu(dev)) {
    cuda::one_hot_set(contiguous(int64_on(indices, dev)), out, depth, on_value);
  } else {
    const Array idx = contiguous(int64_on(indices, dev));
    const int64_t* ip = idx.data<int64_t>();
    const Array on = filled({}, dtype, on_value, dev);
    const int64_t isz = out.itemsize();
    char* po = static_cast<char*>(out.raw_data());
    for (int64_t i = 0; i < idx.size(); ++i) {
      if (ip[i] >= 0 && ip[i] < depth)
        std::memcpy(po + (i * depth + ip[i]) * isz, on.raw_data(), static_cast<size_t>(isz));
    }
  }
  if (axis == -1 || axis == n) return out;
  Axes perm;
  for (int64_t d = 0; d < n; ++d) {
    if (d == axis) perm.push_back(n);
    perm.push_back(d);
  }
  return copy(transpose(out, perm));
}

TAPEFLOW_GRAPH_OP("tile", a) {
  const std::vector<int64_t> multiples = a.ints("multiples");
  return graph::kernel_of([multiples](const Values& in) { return tile(in[0], multiples); });
}

Array tile(const Array& x, const std::vector<int64_t>& multiples) {
  TAPEFLOW_TRACE("tile", {x}, (graph::Attrs{{"multiples", multiples}}));
  const Device dev = op_device({&x}, "tile");
  if (x.device() != dev) return tile(to_device(x, dev), multiples);
  TAPEFLOW_CHECK(static_cast<int64_t>(multiples.size()) == x.ndim(),
                 "[tile] Expected multiples argument to be a vector of length ", x.ndim(),
                 " but got length ", multiples.size());
  Shape vshape, oshape;
  Strides vstrides;
  for (int64_t d = 0; d < x.ndim(); ++d) {
    TAPEFLOW_CHECK(multiples[d] >= 0, "[tile] Expected multiples[", d, "] >= 0, but got ",
                   multiples[d]);
    vshape.push_back(multiples[d]);
    vstrides.push_back(0);
    vshape.push_back(x.dim(d));
    vstrides.push_back(x.strides()[d]);
    oshape.push_back(multiples[d] * x.dim(d));
  }
  return reshape(copy(x.view(vshape, vstrides, x.offset())), oshape);
}

static std::vector<int64_t> pad_attr(const std::vector<std::pair<int64_t, int64_t>>& paddings) {
  std::vector<int64_t> flat;
  for (const auto& p : paddings) {
    flat.push_back(p.first);
    flat.push_back(p.second);
  }
  return flat;
}

TAPEFLOW_GRAPH_OP("pad", a) {
  const std::vector<int64_t>& flat = a.ints("paddings");
  TAPEFLOW_CHECK(flat.size() % 2 == 0, "[graph] attribute 'paddings' must hold pairs");
  std::vector<std::pair<int64_t, int64_t>> paddings;
  for (size_t k = 0; k < flat.size(); k += 2) paddings.emplace_back(flat[k], flat[k + 1]);
  const double value = a.f("value");
  return graph::kernel_of([paddings, value](const Values& in) { return pad(in[0], paddings, value); });
}

Array pad(const Array& x, const std::vector<std::pair<int64_t, int64_t>>& paddings, double value) {
  TAPEFLOW_TRACE("pad", {x}, (graph::Attrs{{"paddings", pad_attr(paddings)}, {"value", value}}));
  const Device dev = op_device({&x}, "pad");
  if (x.device() != dev) return pad(to_device(x, dev), paddings, value);
  TAPEFLOW_CHECK(static_cast<int64_t>(paddings.size()) == x.ndim(),
                 "[pad] The first dimension of paddings must be the rank of inputs: got ",
                 paddings.size(), " pairs for ", x.describe());
  Shape shape;
  std::vector<SliceArg> sl;
  for (int64_t d = 0; d < x.ndim(); ++d) {
    const auto [before, after] = paddings[d];
    TAPEFLOW_CHECK(before >= 0 && after >= 0, "[pad] Paddings must be non-negative: ", before,
                   " ", after);
    shape.push_back(before + x.dim(d) + after);
    SliceArg s;
    s.start = before;
    s.stop = before + x.dim(d);
    sl.push_back(s);
  }
  Array out = filled(shape, x.dtype(), value, dev);
  if (x.size() > 0) copy_into(slice(out, sl), x);
  return out;
}

// ---- fused activations ----------------------------------------------------------------

TAPEFLOW_GRAPH_OP("softmax", a) {
  const int64_t axis = a.i("axis");
  return graph::kernel_of([axis](const Values& in) { return softmax(in[0], axis); });
}

Array softmax(const Array& x, int64_t axis) {
  TAPEFLOW_TRACE("softmax", {x}, (graph::Attrs{{"axis", axis}}));
  TAPEFLOW_CHECK(x.defined(), "[softmax] got an undefined array");
  TAPEFLOW_CHECK(is_floating(x.dtype()), "[softmax] Value for attr 'T' of ",
                 dtype_name(x.dtype()), " is not in the list of allowed values: float, double");
  TAPEFLOW_CHECK(x.ndim() >= 1, "[softmax] logits must have rank >= 1, got ", x.describe());
  const Axes ax{normalize_axis(axis, x.ndim(), "softmax")};
  const ReduceRowsFn rows_fn = cpu::kernels().softmax_rows[static_cast<int>(x.dtype())];
  if (ax[0] == x.ndim() - 1 && x.device() == cpu_device() && rows_fn != nullptr &&
      x.size() > 0) {  // contiguous rows on the CPU: one fused pass, the composite's bits
    const Array cx = contiguous(x);
    Array out = Array::empty(x.shape(), x.dtype());
    const int64_t len = x.dim(x.ndim() - 1), rows = x.size() / len, isz = x.itemsize();
    const char* in = static_cast<const char*>(cx.raw_data());
    char* o = static_cast<char*>(out.raw_data());
    parallel_for(rows, std::max<int64_t>(1, cpu::kElementwiseGrain / len), [&](int64_t b, int64_t e) {
      rows_fn(in + b * len * isz, e - b, len, o + b * len * isz);
    });
    return out;
  }
  const Array e = exp(sub(x, reduce(ReduceOp::max, x, ax, true)));
  return div(e, reduce(ReduceOp::sum, e, ax, true));
}

// ---- fused losses -------------------------------------------------------------------

TAPEFLOW_GRAPH_OP("sparse_softmax_xent", a) {
  return graph::kernel_of([](const Values& in) {
    const auto o = sparse_softmax_xent(in[0], in[1]);
    return Values{o[0], o[1]};
  });
}

std::array<Array, 2> sparse_softmax_xent(const Array& logits, const Array& labels) {
  if (graph::recording()) {
    const Values r = graph::record("sparse_softmax_xent", {logits, labels}, graph::Attrs{});
    return {r[0], r[1]};
  }
  const Device dev = op_device({&logits, &labels}, "sparse_softmax_xent");
  if (!all_on(dev, {&logits, &labels}))
    return sparse_softmax_xent(to_device(logits, dev), to_device(labels, dev));
  TAPEFLOW_CHECK(is_floating(logits.dtype()), "[sparse_softmax_xent] logits must be float, got ",
                 logits.describe());
  TAPEFLOW_CHECK(is_integer(labels.dtype()), "[sparse_softmax_xent] labels must be int32 or "
                 "int64, got ", labels.describe());
  TAPEFLOW_CHECK(logits.ndim() >= 1 && logits.dim(logits.ndim() - 1) > 0,
                 "[sparse_softmax_xent] logits must have at least one class, got ",
                 logits.describe());
  const Shape batch(logits.shape().begin(), logits.shape().end() - 1);
  TAPEFLOW_CHECK(labels.shape() == batch, "[sparse_softmax_xent] labels shape ",
                 shape_str(labels.shape()), " must equal logits shape ", shape_str(logits.shape()),
                 " without its last dimension");
  const int64_t classes = logits.dim(logits.ndim() - 1);
  const Array y = host(int64_on(labels, cpu_device()));
  const int64_t* py = y.data<int64_t>();
  for (int64_t i = 0; i < y.size(); ++i) {
    TAPEFLOW_CHECK(py[i] >= 0 && py[i] < classes, "[sparse_softmax_xent] Received a label value "
                   "of ", py[i], " which is outside the valid range of [0, ", classes, ")");
  }
  const Array x = contiguous(logits);
  std::array<Array, 2> out = {Array::empty(batch, logits.dtype(), dev),
                              Array::empty(logits.shape(), logits.dtype(), dev)};
  if (on_gpu(dev)) {
    cuda::sparse_softmax_xent(x, int64_on(y, dev), out[0], out[1], y.size(), classes);
    return out;
  }
  cpu::sparse_softmax_xent(logits.dtype(), y.size(), classes, x.raw_data(), py,
                           out[0].raw_data(), out[1].raw_data());
  return out;
}

// ---- fused optimizer updates ------------------------------------------------------

TAPEFLOW_GRAPH_OP("apply_adam", a) {
  const double b1 = a.f("one_minus_beta1"), b2 = a.f("one_minus_beta2"), eps = a.f("epsilon");
  return graph::kernel_of([=](const Values& in) {
    const auto o = apply_adam(in[0], in[1], in[2], in[3], in[4], in[5], in[6], b1, b2, eps);
    return Values{o[0], o[1], o[2]};
  });
}

// The bias-corrected step lr * sqrt(1 - beta2_power) / (1 - beta1_power), each operation
// rounded to T as the same computation with tensor ops of dtype T would round it.
template <class T>
static double adam_alpha(double lr, double beta1_power, double beta2_power) {
  const T one(1);
  return static_cast<double>(static_cast<T>(lr) * std::sqrt(one - static_cast<T>(beta2_power)) /
                             (one - static_cast<T>(beta1_power)));
}

std::array<Array, 3> apply_adam(const Array& var, const Array& m, const Array& v,
                                const Array& grad, const Array& lr, const Array& beta1_power,
                                const Array& beta2_power, double one_minus_beta1,
                                double one_minus_beta2, double epsilon) {
  if (graph::recording()) {
    const Values r = graph::record("apply_adam", {var, m, v, grad, lr, beta1_power, beta2_power},
                                   graph::Attrs{{"one_minus_beta1", one_minus_beta1},
                                                {"one_minus_beta2", one_minus_beta2},
                                                {"epsilon", epsilon}});
    return {r[0], r[1], r[2]};
  }
  for (const Array* s : {&lr, &beta1_power, &beta2_power})
    TAPEFLOW_CHECK(s->size() == 1 && is_floating(s->dtype()),
                   "[apply_adam] lr, beta1_power and beta2_power must be one float value each, "
                   "got ", s->describe());
  const Device dev = op_device({&var, &m, &v, &grad}, "apply_adam");
  if (!all_on(dev, {&var, &m, &v, &grad}))
    return apply_adam(to_device(var, dev), to_device(m, dev), to_device(v, dev),
                      to_device(grad, dev), lr, beta1_power, beta2_power, one_minus_beta1,
                      one_minus_beta2, epsilon);
  TAPEFLOW_CHECK(var.dtype() == DType::kFloat32 || var.dtype() == DType::kFloat64,
                 "[apply_adam] needs a float32 or float64 variable, got ", var.describe());
  for (const Array* a : {&m, &v, &grad}) {
    TAPEFLOW_CHECK(a->dtype() == var.dtype() && a->shape() == var.shape(),
                   "[apply_adam] var ", var.describe(), ", m, v and grad must have the same "
                   "shape and dtype, got ", a->describe());
  }
  const double lr_v = first_value(lr), b1p = first_value(beta1_power), b2p = first_value(beta2_power);
  const double alpha = var.dtype() == DType::kFloat32 ? adam_alpha<float>(lr_v, b1p, b2p)
                                                      : adam_alpha<double>(lr_v, b1p, b2p);
  const Array cv = contiguous(var), cm = contiguous(m), cvv = contiguous(v), cg = contiguous(grad);
  std::array<Array, 3> out = {Array::empty(var.shape(), var.dtype(), dev),
                              Array::empty(var.shape(), var.dtype(), dev),
                              Array::empty(var.shape(), var.dtype(), dev)};
  if (on_gpu(dev)) {
    cuda::adam(cv, cm, cvv, cg, out, alpha, one_minus_beta1, one_minus_beta2, epsilon);
    return out;
  }
  const AdamFn fn = cpu::kernels().adam[static_cast<int>(var.dtype())];
  const int64_t isz = var.itemsize();
  auto at = [isz](const Array& a, int64_t i) { return static_cast<char*>(a.raw_data()) + i * isz; };
  parallel_for(var.size(), cpu::kElementwiseGrain, [&](int64_t b, int64_t e) {
    fn(e - b, at(cv, b), at(cm, b), at(cvv, b), at(cg, b), at(out[0], b), at(out[1], b),
       at(out[2], b), alpha, one_minus_beta1, one_minus_beta2, epsilon);
  });
  return out;
}

// ---- random ---------------------------------------------------------------------

static RandomResult random_op(cpu::RandomKind kind, const Shape& shape, DType dtype,
                              PhiloxKey key, PhiloxCounter ctr, int64_t lo = 0, int64_t hi = 0) {
  const bool int_kind = kind == cpu::RandomKind::kUniformInt;
  TAPEFLOW_CHECK(int_kind ? is_integer(dtype) : is_floating(dtype), "[random] dtype ",
                 dtype_name(dtype), " is not supported by this distribution");
  TAPEFLOW_CHECK(!int_kind || lo < hi, "[random] Need minval < maxval: ", lo, " >= ", hi);
  if (int_kind && dtype == DType::kInt32) {
    TAPEFLOW_CHECK(lo >= INT32_MIN && hi <= INT32_MAX, "[random] minval ", lo,
                   " and maxval ", hi, " must lie within int32's range");
  }
  const Device dev = creation_device();
  Array out = Array::empty(shape, dtype, dev);
  if (on_gpu(dev)) cuda::random_fill(out, static_cast<int>(kind), key, ctr, lo, hi);
  else cpu::random_fill(out, kind, key, ctr, lo, hi);
  return {out, cpu::random_blocks(kind, dtype, out.size())};
}

// A random draw inside a trace becomes a node with its own counter, starting where the
// traced draw started and advancing past each run's draw: every run of the graph gets
// new numbers, as a stateful random op in a TF graph does. Attributes: shape, dtype,
// key (2 ints), counter (4 ints: where the first run starts), minval/maxval (ints).
static graph::Kernel random_kernel(cpu::RandomKind kind, const graph::Attrs& a) {
  const Shape shape = a.shape("shape");
  const DType dtype = a.dtype("dtype");
  const std::vector<int64_t>& key = a.ints("key");
  const std::vector<int64_t>& ctr = a.ints("counter");
  TAPEFLOW_CHECK(key.size() == 2 && ctr.size() == 4, "[graph] random ops need a key of 2 and "
                 "a counter of 4 words");
  const int64_t lo = a.i("minval"), hi = a.i("maxval");
  struct Counter {
    std::mutex mu;
    PhiloxCounter next;
  };
  auto state = std::make_shared<Counter>();
  const PhiloxKey k{static_cast<uint32_t>(key[0]), static_cast<uint32_t>(key[1])};
  for (int w = 0; w < 4; ++w) state->next[w] = static_cast<uint32_t>(ctr[w]);
  return graph::kernel_of([=](const Values&) {
    PhiloxCounter c;
    {
      std::lock_guard<std::mutex> lock(state->mu);
      c = state->next;
    }
    RandomResult r = random_op(kind, shape, dtype, k, c, lo, hi);
    std::lock_guard<std::mutex> lock(state->mu);
    uint64_t carry = r.blocks;  // next = c + blocks, as a 128-bit counter
    for (auto& w : state->next) {
      const uint64_t sum = static_cast<uint64_t>(w) + (carry & 0xffffffffu);
      w = static_cast<uint32_t>(sum);
      carry = (carry >> 32) + (sum >> 32);
    }
    return r.values;
  });
}

TAPEFLOW_GRAPH_OP("random_uniform", a) { return random_kernel(cpu::RandomKind::kUniform, a); }
TAPEFLOW_GRAPH_OP("random_uniform_int", a) {
  return random_kernel(cpu::RandomKind::kUniformInt, a);
}
TAPEFLOW_GRAPH_OP("random_normal", a) { return random_kernel(cpu::RandomKind::kNormal, a); }
TAPEFLOW_GRAPH_OP("random_truncated_normal", a) {
  return random_kernel(cpu::RandomKind::kTruncatedNormal, a);
}

static RandomResult traced_random(const char* name, cpu::RandomKind kind, const Shape& shape,
                                  DType dtype, PhiloxKey key, PhiloxCounter ctr, int64_t lo = 0,
                                  int64_t hi = 0) {
  const graph::Attrs attrs{{"shape", graph::Attrs::of(shape)},
                           {"dtype", dtype_name(dtype)},
                           {"key", std::vector<int64_t>{key[0], key[1]}},
                           {"counter", std::vector<int64_t>{ctr[0], ctr[1], ctr[2], ctr[3]}},
                           {"minval", lo},
                           {"maxval", hi}};
  const Values out = graph::record(name, {}, attrs, /*stateful=*/true);
  return {out[0], cpu::random_blocks(kind, dtype, out[0].size())};
}

RandomResult random_uniform(const Shape& shape, DType dtype, PhiloxKey key, PhiloxCounter ctr) {
  if (graph::recording())
    return traced_random("random_uniform", cpu::RandomKind::kUniform, shape, dtype, key, ctr);
  return random_op(cpu::RandomKind::kUniform, shape, dtype, key, ctr);
}
RandomResult random_uniform_int(const Shape& shape, DType dtype, int64_t lo, int64_t hi,
                                PhiloxKey key, PhiloxCounter ctr) {
  if (graph::recording())
    return traced_random("random_uniform_int", cpu::RandomKind::kUniformInt, shape, dtype, key,
                         ctr, lo, hi);
  return random_op(cpu::RandomKind::kUniformInt, shape, dtype, key, ctr, lo, hi);
}
RandomResult random_normal(const Shape& shape, DType dtype, PhiloxKey key, PhiloxCounter ctr) {
  if (graph::recording())
    return traced_random("random_normal", cpu::RandomKind::kNormal, shape, dtype, key, ctr);
  return random_op(cpu::RandomKind::kNormal, shape, dtype, key, ctr);
}
RandomResult random_truncated_normal(const Shape& shape, DType dtype, PhiloxKey key,
                                     PhiloxCounter ctr) {
  if (graph::recording())
    return traced_random("random_truncated_normal", cpu::RandomKind::kTruncatedNormal, shape,
                         dtype, key, ctr);
  return random_op(cpu::RandomKind::kTruncatedNormal, shape, dtype, key, ctr);
}
std::array<uint32_t, 4> philox_block(PhiloxCounter ctr, PhiloxKey key) {
  return cpu::philox4x32_10(ctr, key);
}

// ---- devices ----------------------------------------------------------------------

TAPEFLOW_GRAPH_OP("to_device", a) {
  const Device device = a.device("device");
  return graph::kernel_of([device](const Values& in) { return to_device(in[0], device); });
}

Array to_device(const Array& x, Device device) {
  TAPEFLOW_TRACE("to_device", {x}, (graph::Attrs{{"device", device.str()}}));
  TAPEFLOW_CHECK(x.defined(), "[to_device] got an undefined array");
  if (x.device() == device) return x;
  checked(device);
  const Array src = contiguous(x);  // on x's device
  Array out = Array::empty(x.shape(), x.dtype(), device);
  const size_t nbytes = static_cast<size_t>(out.nbytes());
  if (nbytes == 0) return out;
  if (!on_gpu(src.device())) {
    cuda::copy_to_device(out.raw_data(), src.raw_data(), nbytes, device.index);
  } else if (!on_gpu(device)) {
    cuda::copy_to_host(out.raw_data(), src.raw_data(), nbytes, src.device().index);
  } else {  // between GPUs: through the host
    return to_device(to_device(x, cpu_device()), device);
  }
  return out;
}

void set_default_device(std::optional<Device> device) { t_scope = device; }
std::optional<Device> default_device() { return t_scope; }

const char* kernel_isa() { return cpu::kernels().isa; }
bool cuda_available() { return cuda::device_count() > 0; }


// ---- convolution and pooling ------------------------------------------------------------

namespace {

graph::Attrs window_attrs(const Window& w) {
  return graph::Attrs{{"strides", w.strides}, {"dilations", w.dilations},
                      {"pad_before", w.pad_before}, {"pad_after", w.pad_after}};
}

Window window_of(const graph::Attrs& a) {
  return Window{a.ints("strides"), a.ints("dilations"), a.ints("pad_before"), a.ints("pad_after")};
}

// Checks a window against x's spatial dims and fills g's spatial fields (three dims, 1-D
// and 2-D leading with size 1). ksize: the filter's or pool's window.
ConvGeom window_geometry(const char* op, const Shape& x_shape, const std::vector<int64_t>& ksize,
                         const Window& win) {
  const size_t s = ksize.size();
  TAPEFLOW_CHECK(s >= 1 && s <= 3, "[", op, "] supports 1 to 3 spatial dimensions, got ", s);
  TAPEFLOW_CHECK(x_shape.size() == s + 2, "[", op, "] input must be ", s + 2,
                 "-dimensional (batch, ", s, " spatial, channels), got shape ", shape_str(x_shape));
  TAPEFLOW_CHECK(win.strides.size() == s && win.dilations.size() == s &&
                     win.pad_before.size() == s && win.pad_after.size() == s,
                 "[", op, "] strides, dilations and paddings need one entry per spatial "
                 "dimension (", s, ")");
  ConvGeom g;
  g.n = x_shape[0];
  g.cin = x_shape[s + 1];
  const size_t lead = 3 - s;
  for (size_t d = 0; d < s; ++d) {
    const int64_t k = ksize[d], st = win.strides[d], dil = win.dilations[d];
    TAPEFLOW_CHECK(st > 0, "[", op, "] Stride must be > 0, but got ", st);
    TAPEFLOW_CHECK(dil > 0, "[", op, "] Dilated rates should be larger than 0.");
    TAPEFLOW_CHECK(k > 0, "[", op, "] Sliding window ksize must be positive, got ", k);
    TAPEFLOW_CHECK(win.pad_before[d] >= 0 && win.pad_after[d] >= 0, "[", op,
                   "] padding must be non-negative, got ", win.pad_before[d], " and ",
                   win.pad_after[d]);
    const int64_t in = x_shape[d + 1], eff = (k - 1) * dil + 1;
    const int64_t out = (in + win.pad_before[d] + win.pad_after[d] - eff + st) / st;
    TAPEFLOW_CHECK(out >= 0, "[", op, "] Computed output size would be negative: ", out,
                   " [input_size: ", in, ", effective_filter_size: ", eff, ", stride: ", st, "]");
    g.in[lead + d] = in;
    g.out[lead + d] = out;
    g.k[lead + d] = k;
    g.stride[lead + d] = st;
    g.dil[lead + d] = dil;
    g.pad[lead + d] = win.pad_before[d];
  }
  return g;
}

Shape out_shape_of(const ConvGeom& g, size_t s, int64_t channels) {
  Shape out{g.n};
  for (size_t d = 3 - s; d < 3; ++d) out.push_back(g.out[d]);
  out.push_back(channels);
  return out;
}

void check_float(const char* op, DType dt) {
  TAPEFLOW_CHECK(dt == DType::kFloat32 || dt == DType::kFloat64, "[", op,
                 "] Value for attr 'T' of ", dtype_name(dt),
                 " is not in the list of allowed values: float, double");
}

// The geometry of conv(x, w) for x of x_shape and w of w_shape (both checked).
ConvGeom conv_geometry(const char* op, const Shape& x_shape, const Shape& w_shape,
                       const Window& win) {
  TAPEFLOW_CHECK(w_shape.size() == x_shape.size(), "[", op, "] filter must be ",
                 x_shape.size(), "-dimensional, got shape ", shape_str(w_shape));
  const size_t s = w_shape.size() - 2;
  ConvGeom g = window_geometry(op, x_shape, std::vector<int64_t>(w_shape.begin(), w_shape.end() - 2), win);
  const int64_t depth = w_shape[s];
  g.cout = w_shape[s + 1];
  TAPEFLOW_CHECK(depth > 0 && g.cin % depth == 0, "[", op,
                 "] input depth must be evenly divisible by filter depth: ", g.cin, " vs ", depth);
  g.groups = g.cin / depth;
  TAPEFLOW_CHECK(g.groups > 0 && g.cout % g.groups == 0, "[", op,
                 "] output depth must be evenly divisible by number of groups: ", g.cout,
                 " vs ", g.groups);
  return g;
}

bool any_empty(const ConvGeom& g) {
  return g.n == 0 || g.cin == 0 || g.cout == 0 || g.in_volume() == 0 || g.out_volume() == 0;
}

// A backward convolution's out_backprop against the shape the forward would give, with
// TF's messages (Conv2DCustomBackpropInput / Conv2DBackpropFilter).
void check_out_backprop(const char* op, const ConvGeom& g, const Shape& x_shape,
                        const Shape& dy_shape, size_t s) {
  TAPEFLOW_CHECK(dy_shape.size() == s + 2, "[", op, "] out_backprop must be ", s + 2,
                 "-dimensional, got shape ", shape_str(dy_shape));
  TAPEFLOW_CHECK(dy_shape[0] == g.n, "[", op, "] input and out_backprop must have the same "
                 "batch size, got ", g.n, " and ", dy_shape[0]);
  for (size_t d = 0; d < s; ++d) {
    const size_t k = 3 - s + d;
    TAPEFLOW_CHECK(dy_shape[d + 1] == g.out[k], "[", op, "] Size of out_backprop doesn't "
                   "match computed: actual = ", dy_shape[d + 1], ", computed = ", g.out[k],
                   " spatial_dim: ", d + 1, " input: ", x_shape[d + 1], " filter: ", g.k[k],
                   " output: ", dy_shape[d + 1], " stride: ", g.stride[k], " dilation: ",
                   g.dil[k]);
  }
  TAPEFLOW_CHECK(dy_shape[s + 1] == g.cout, "[", op, "] filter and out_backprop must have "
                 "the same out_depth");
}

}  // namespace

TAPEFLOW_GRAPH_OP("conv", a) {
  const Window w = window_of(a);
  return graph::kernel_of([w](const Values& in) { return conv(in[0], in[1], w); });
}

namespace {

// conv and conv_bias_act: bias (nullptr: none) and relu make the epilogue.
Array conv_impl(const char* op, const Array& x, const Array& w, const Array* bias, bool relu,
                const Window& win) {
  const Device dev = bias != nullptr ? op_device({&x, &w, bias}, op) : op_device({&x, &w}, op);
  if (!all_on(dev, {&x, &w}) || (bias != nullptr && bias->device() != dev)) {
    const Array b = bias != nullptr ? to_device(*bias, dev) : Array();
    return conv_impl(op, to_device(x, dev), to_device(w, dev), bias != nullptr ? &b : nullptr,
                     relu, win);
  }
  check_float(op, x.dtype());
  TAPEFLOW_CHECK(x.dtype() == w.dtype(), "[", op, "] input and filter dtypes must match, got ",
                 x.describe(), " and ", w.describe());
  const ConvGeom g = conv_geometry(op, x.shape(), w.shape(), win);
  if (bias != nullptr) {
    TAPEFLOW_CHECK(bias->dtype() == x.dtype(), "[", op, "] bias dtype must match the input's, "
                   "got ", bias->describe(), " and ", x.describe());
    TAPEFLOW_CHECK(bias->ndim() == 1 && bias->dim(0) == g.cout, "[", op, "] bias must be 1-D "
                   "with one entry per output channel (", g.cout, "), got ", bias->describe());
  }
  Array out = Array::empty(out_shape_of(g, win.strides.size(), g.cout), x.dtype(), dev);
  if (out.size() == 0) return out;
  if (any_empty(g) || g.depth() == 0) {  // no products: the epilogue alone, op by op
    Array zero = full(out.shape(), x.dtype(), 0.0);
    if (bias != nullptr) zero = add(zero, *bias);
    return relu ? ops::relu(zero) : zero;
  }
  const Array cx = contiguous(x), cw = contiguous(w);
  const Array cb = bias != nullptr ? contiguous(*bias) : Array();
  if (on_gpu(dev)) {
    cuda::conv_forward(g, cx, cw, out, cb, relu);
  } else {
    cpu::conv_forward(g, x.dtype(), cx.raw_data(), cw.raw_data(), out.raw_data(),
                      bias != nullptr ? cb.raw_data() : nullptr, relu);
  }
  return out;
}

}  // namespace

Array conv(const Array& x, const Array& w, const Window& win) {
  TAPEFLOW_TRACE("conv", (Values{x, w}), window_attrs(win));
  return conv_impl("conv", x, w, nullptr, false, win);
}

TAPEFLOW_GRAPH_OP("conv_bias_act", a) {
  const Window w = window_of(a);
  const bool relu = a.b("relu");
  return graph::kernel_of([w, relu](const Values& in) {
    return conv_bias_act(in[0], in[1], in[2], w, relu);
  });
}

Array conv_bias_act(const Array& x, const Array& w, const Array& bias, const Window& win,
                    bool relu) {
  TAPEFLOW_TRACE("conv_bias_act", (Values{x, w, bias}),
                 window_attrs(win).set("relu", int64_t{relu}));
  return conv_impl("conv_bias_act", x, w, &bias, relu, win);
}

TAPEFLOW_GRAPH_OP("conv_backprop_input", a) {
  const Window w = window_of(a);
  const Shape shape = a.shape("x_shape");
  return graph::kernel_of([w, shape](const Values& in) {
    return conv_backprop_input(shape, in[0], in[1], w);
  });
}

Array conv_backprop_input(const Shape& x_shape, const Array& w, const Array& dy,
                          const Window& win) {
  TAPEFLOW_TRACE("conv_backprop_input", (Values{w, dy}),
                 window_attrs(win).set("x_shape", graph::Attrs::of(x_shape)));
  const Device dev = op_device({&w, &dy}, "conv_backprop_input");
  if (!all_on(dev, {&w, &dy}))
    return conv_backprop_input(x_shape, to_device(w, dev), to_device(dy, dev), win);
  check_float("conv_backprop_input", w.dtype());
  TAPEFLOW_CHECK(w.dtype() == dy.dtype(), "[conv_backprop_input] filter and out_backprop "
                 "dtypes must match, got ", w.describe(), " and ", dy.describe());
  for (const int64_t d : x_shape)
    TAPEFLOW_CHECK(d >= 0, "[conv_backprop_input] input_sizes must be non-negative, got ",
                   shape_str(x_shape));
  const ConvGeom g = conv_geometry("conv_backprop_input", x_shape, w.shape(), win);
  check_out_backprop("conv_backprop_input", g, x_shape, dy.shape(), win.strides.size());
  Array dx = Array::empty(x_shape, w.dtype(), dev);
  if (dx.size() == 0) return dx;
  if (any_empty(g) || g.depth() == 0) {
    copy_into(dx, full(Shape{}, w.dtype(), 0.0));
    return dx;
  }
  const Array cw = contiguous(w), cdy = contiguous(dy);
  if (on_gpu(dev)) cuda::conv_backprop_input(g, cdy, cw, dx);
  else cpu::conv_backprop_input(g, w.dtype(), cdy.raw_data(), cw.raw_data(), dx.raw_data());
  return dx;
}

TAPEFLOW_GRAPH_OP("conv_backprop_filter", a) {
  const Window w = window_of(a);
  const Shape shape = a.shape("w_shape");
  return graph::kernel_of([w, shape](const Values& in) {
    return conv_backprop_filter(in[0], shape, in[1], w);
  });
}

Array conv_backprop_filter(const Array& x, const Shape& w_shape, const Array& dy,
                           const Window& win) {
  TAPEFLOW_TRACE("conv_backprop_filter", (Values{x, dy}),
                 window_attrs(win).set("w_shape", graph::Attrs::of(w_shape)));
  const Device dev = op_device({&x, &dy}, "conv_backprop_filter");
  if (!all_on(dev, {&x, &dy}))
    return conv_backprop_filter(to_device(x, dev), w_shape, to_device(dy, dev), win);
  check_float("conv_backprop_filter", x.dtype());
  TAPEFLOW_CHECK(x.dtype() == dy.dtype(), "[conv_backprop_filter] input and out_backprop "
                 "dtypes must match, got ", x.describe(), " and ", dy.describe());
  for (const int64_t d : w_shape)
    TAPEFLOW_CHECK(d >= 0, "[conv_backprop_filter] filter_sizes must be non-negative, got ",
                   shape_str(w_shape));
  const ConvGeom g = conv_geometry("conv_backprop_filter", x.shape(), w_shape, win);
  check_out_backprop("conv_backprop_filter", g, x.shape(), dy.shape(), win.strides.size());
  Array dw = Array::empty(w_shape, x.dtype(), dev);
  if (dw.size() == 0) return dw;
  if (any_empty(g)) {
    copy_into(dw, full(Shape{}, x.dtype(), 0.0));
    return dw;
  }
  const Array cx = contiguous(x), cdy = contiguous(dy);
  if (on_gpu(dev)) cuda::conv_backprop_filter(g, cx, cdy, dw);
  else cpu::conv_backprop_filter(g, x.dtype(), cx.raw_data(), cdy.raw_data(), dw.raw_data());
  return dw;
}

namespace {

ConvGeom pool_geometry(const char* op, const Shape& x_shape, const std::vector<int64_t>& ksize,
                       const Window& win) {
  for (const int64_t d : win.dilations)
    TAPEFLOW_CHECK(d == 1, "[", op, "] pooling dilations must be 1, got ", d);
  ConvGeom g = window_geometry(op, x_shape, ksize, win);
  g.cout = g.cin;
  return g;
}

Array pool_op(bool is_max, const Array& x, const std::vector<int64_t>& ksize, const Window& win) {
  const char* op = is_max ? "max_pool" : "avg_pool";
  const Device dev = op_device({&x}, op);
  if (x.device() != dev) return pool_op(is_max, to_device(x, dev), ksize, win);
  check_float(op, x.dtype());
  const ConvGeom g = pool_geometry(op, x.shape(), ksize, win);
  Array out = Array::empty(out_shape_of(g, ksize.size(), g.cin), x.dtype(), dev);
  if (out.size() == 0) return out;
  const Array cx = contiguous(x);
  if (on_gpu(dev)) cuda::pool_forward(g, is_max, cx, out);
  else cpu::pool_forward(g, x.dtype(), is_max ? cpu::PoolKind::kMax : cpu::PoolKind::kAvg,
                         cx.raw_data(), out.raw_data());
  return out;
}

}  // namespace

TAPEFLOW_GRAPH_OP("max_pool", a) {
  const Window w = window_of(a);
  const std::vector<int64_t> k = a.ints("ksize");
  return graph::kernel_of([w, k](const Values& in) { return max_pool(in[0], k, w); });
}

Array max_pool(const Array& x, const std::vector<int64_t>& ksize, const Window& win) {
  TAPEFLOW_TRACE("max_pool", {x}, window_attrs(win).set("ksize", ksize));
  return pool_op(true, x, ksize, win);
}

TAPEFLOW_GRAPH_OP("avg_pool", a) {
  const Window w = window_of(a);
  const std::vector<int64_t> k = a.ints("ksize");
  return graph::kernel_of([w, k](const Values& in) { return avg_pool(in[0], k, w); });
}

Array avg_pool(const Array& x, const std::vector<int64_t>& ksize, const Window& win) {
  TAPEFLOW_TRACE("avg_pool", {x}, window_attrs(win).set("ksize", ksize));
  return pool_op(false, x, ksize, win);
}

TAPEFLOW_GRAPH_OP("max_pool_with_argmax", a) {
  const Window w = window_of(a);
  const std::vector<int64_t> k = a.ints("ksize");
  const bool include_batch = a.b("include_batch");
  return graph::kernel_of([w, k, include_batch](const Values& in) {
    const auto r = max_pool_with_argmax(in[0], k, w, include_batch);
    return Values{r[0], r[1]};
  });
}

std::array<Array, 2> max_pool_with_argmax(const Array& x, const std::vector<int64_t>& ksize,
                                          const Window& win, bool include_batch) {
  if (graph::recording()) {
    const Values r = graph::record("max_pool_with_argmax", {x},
                                   window_attrs(win).set("ksize", ksize).set(
                                       "include_batch", int64_t{include_batch}));
    return {r[0], r[1]};
  }
  const Device dev = op_device({&x}, "max_pool_with_argmax");
  if (x.device() != dev) return max_pool_with_argmax(to_device(x, dev), ksize, win, include_batch);
  check_float("max_pool_with_argmax", x.dtype());
  const ConvGeom g = pool_geometry("max_pool_with_argmax", x.shape(), ksize, win);
  const Shape shape = out_shape_of(g, ksize.size(), g.cin);
  Array out = Array::empty(shape, x.dtype(), dev);
  Array idx = Array::empty(shape, DType::kInt64, dev);
  if (out.size() == 0) return {out, idx};
  const Array cx = contiguous(x);
  if (on_gpu(dev)) cuda::max_pool_argmax(g, cx, out, idx, include_batch);
  else cpu::max_pool_argmax(g, x.dtype(), cx.raw_data(), out.raw_data(), idx.data<int64_t>(),
                            include_batch);
  return {out, idx};
}

TAPEFLOW_GRAPH_OP("max_pool_grad", a) {
  const Window w = window_of(a);
  const std::vector<int64_t> k = a.ints("ksize");
  return graph::kernel_of([w, k](const Values& in) { return max_pool_grad(in[0], in[1], k, w); });
}

Array max_pool_grad(const Array& x, const Array& dy, const std::vector<int64_t>& ksize,
                    const Window& win) {
  TAPEFLOW_TRACE("max_pool_grad", (Values{x, dy}), window_attrs(win).set("ksize", ksize));
  const Device dev = op_device({&x, &dy}, "max_pool_grad");
  if (!all_on(dev, {&x, &dy})) return max_pool_grad(to_device(x, dev), to_device(dy, dev), ksize, win);
  check_float("max_pool_grad", x.dtype());
  TAPEFLOW_CHECK(x.dtype() == dy.dtype(), "[max_pool_grad] dtypes must match, got ",
                 x.describe(), " and ", dy.describe());
  const ConvGeom g = pool_geometry("max_pool_grad", x.shape(), ksize, win);
  const Shape expect = out_shape_of(g, ksize.size(), g.cin);
  TAPEFLOW_CHECK(dy.shape() == expect, "[max_pool_grad] gradient has shape ",
                 shape_str(dy.shape()), ", expected the pool's output shape ", shape_str(expect));
  Array dx = Array::empty(x.shape(), x.dtype(), dev);
  if (dx.size() == 0) return dx;
  if (dy.size() == 0) {
    copy_into(dx, full(Shape{}, x.dtype(), 0.0));
    return dx;
  }
  const Array cx = contiguous(x), cdy = contiguous(dy);
  // TF's 1-D/2-D MaxPoolGrad routes a window's gradient to its first maximum, its 3-D
  // MaxPool3DGrad to every maximum (ties matter for quantised or ReLU-zeroed inputs).
  const bool all_maxima = ksize.size() == 3;
  if (on_gpu(dev)) cuda::pool_backward(g, true, cx, cdy, dx, all_maxima);
  else cpu::max_pool_backward(g, x.dtype(), cx.raw_data(), cdy.raw_data(), dx.raw_data(), all_maxima);
  return dx;
}

TAPEFLOW_GRAPH_OP("avg_pool_grad", a) {
  const Window w = window_of(a);
  const std::vector<int64_t> k = a.ints("ksize");
  const Shape shape = a.shape("x_shape");
  return graph::kernel_of([w, k, shape](const Values& in) {
    return avg_pool_grad(shape, in[0], k, w);
  });
}

Array avg_pool_grad(const Shape& x_shape, const Array& dy, const std::vector<int64_t>& ksize,
                    const Window& win) {
  TAPEFLOW_TRACE("avg_pool_grad", {dy},
                 window_attrs(win).set("ksize", ksize).set("x_shape", graph::Attrs::of(x_shape)));
  const Device dev = op_device({&dy}, "avg_pool_grad");
  if (dy.device() != dev) return avg_pool_grad(x_shape, to_device(dy, dev), ksize, win);
  check_float("avg_pool_grad", dy.dtype());
  for (const int64_t d : x_shape)
    TAPEFLOW_CHECK(d >= 0, "[avg_pool_grad] orig_input_shape must be non-negative, got ",
                   shape_str(x_shape));
  const ConvGeom g = pool_geometry("avg_pool_grad", x_shape, ksize, win);
  const Shape expect = out_shape_of(g, ksize.size(), g.cin);
  TAPEFLOW_CHECK(dy.shape() == expect, "[avg_pool_grad] gradient has shape ",
                 shape_str(dy.shape()), ", expected the pool's output shape ", shape_str(expect));
  Array dx = Array::empty(x_shape, dy.dtype(), dev);
  if (dx.size() == 0) return dx;
  if (dy.size() == 0) {
    copy_into(dx, full(Shape{}, dy.dtype(), 0.0));
    return dx;
  }
  const Array cdy = contiguous(dy);
  if (on_gpu(dev)) cuda::pool_backward(g, false, Array(), cdy, dx, false);
  else cpu::avg_pool_backward(g, dy.dtype(), cdy.raw_data(), dx.raw_data());
  return dx;
}

// ---- batch normalisation -------------------------------------------------------------

namespace {

// Checks x (rank >= 1, float) and the per-channel arrays; returns {rows, channels}.
std::pair<int64_t, int64_t> norm_shape(const char* op, const Array& x,
                                       std::initializer_list<const Array*> per_channel) {
  check_float(op, x.dtype());
  TAPEFLOW_CHECK(x.ndim() >= 1, "[", op, "] input must have rank >= 1, got ", x.describe());
  const int64_t C = x.dim(x.ndim() - 1);
  for (const Array* a : per_channel) {
    TAPEFLOW_CHECK(a->dtype() == x.dtype(), "[", op, "] dtypes must match, got ", a->describe(),
                   " and ", x.describe());
    TAPEFLOW_CHECK(a->ndim() == 1 && a->dim(0) == C, "[", op, "] per-channel arrays must be "
                   "1-D with ", C, " entries (the last axis), got ", a->describe());
  }
  return {C == 0 ? 0 : x.size() / C, C};
}

}  // namespace

TAPEFLOW_GRAPH_OP("batch_norm", a) {
  const double eps = a.f("epsilon");
  return graph::kernel_of([eps](const Values& in) {
    const auto r = batch_norm(in[0], in[1], in[2], eps);
    return Values{r[0], r[1], r[2]};
  });
}

std::array<Array, 3> batch_norm(const Array& x, const Array& gamma, const Array& beta,
                                double epsilon) {
  if (graph::recording()) {
    const Values r = graph::record("batch_norm", {x, gamma, beta},
                                   graph::Attrs{{"epsilon", epsilon}});
    return {r[0], r[1], r[2]};
  }
  const Device dev = op_device({&x, &gamma, &beta}, "batch_norm");
  if (!all_on(dev, {&x, &gamma, &beta}))
    return batch_norm(to_device(x, dev), to_device(gamma, dev), to_device(beta, dev), epsilon);
  const auto [rows, C] = norm_shape("batch_norm", x, {&gamma, &beta});
  TAPEFLOW_CHECK(epsilon >= 0, "[batch_norm] epsilon must be non-negative, got ", epsilon);
  std::array<Array, 3> out = {Array::empty(x.shape(), x.dtype(), dev),
                              Array::empty({C}, x.dtype(), dev), Array::empty({C}, x.dtype(), dev)};
  const Array cx = contiguous(x), cg = contiguous(gamma), cb = contiguous(beta);
  if (on_gpu(dev)) {
    cuda::batch_norm_forward(cx, cg, cb, epsilon, out[0], out[1], out[2], rows, C);
  } else if (C > 0) {
    cpu::batch_norm_forward(x.dtype(), rows, C, cx.raw_data(), cg.raw_data(), cb.raw_data(),
                            epsilon, out[0].raw_data(), out[1].raw_data(), out[2].raw_data());
  }
  return out;
}

TAPEFLOW_GRAPH_OP("batch_norm_grad", a) {
  const double eps = a.f("epsilon");
  return graph::kernel_of([eps](const Values& in) {
    const auto r = batch_norm_grad(in[0], in[1], in[2], in[3], in[4], eps);
    return Values{r[0], r[1], r[2]};
  });
}

std::array<Array, 3> batch_norm_grad(const Array& dy, const Array& x, const Array& gamma,
                                     const Array& mean, const Array& var, double epsilon) {
  if (graph::recording()) {
    const Values r = graph::record("batch_norm_grad", {dy, x, gamma, mean, var},
                                   graph::Attrs{{"epsilon", epsilon}});
    return {r[0], r[1], r[2]};
  }
  const Device dev = op_device({&dy, &x, &gamma, &mean, &var}, "batch_norm_grad");
  if (!all_on(dev, {&dy, &x, &gamma, &mean, &var}))
    return batch_norm_grad(to_device(dy, dev), to_device(x, dev), to_device(gamma, dev),
                           to_device(mean, dev), to_device(var, dev), epsilon);
  const auto [rows, C] = norm_shape("batch_norm_grad", x, {&gamma, &mean, &var});
  TAPEFLOW_CHECK(dy.shape() == x.shape() && dy.dtype() == x.dtype(), "[batch_norm_grad] dy ",
                 dy.describe(), " must match x ", x.describe());
  std::array<Array, 3> out = {Array::empty(x.shape(), x.dtype(), dev),
                              Array::empty({C}, x.dtype(), dev), Array::empty({C}, x.dtype(), dev)};
  const Array cdy = contiguous(dy), cx = contiguous(x), cg = contiguous(gamma),
              cm = contiguous(mean), cv = contiguous(var);
  if (on_gpu(dev)) {
    cuda::batch_norm_backward(cdy, cx, cg, cm, cv, epsilon, out[0], out[1], out[2], rows, C);
  } else if (C > 0) {
    cpu::batch_norm_backward(x.dtype(), rows, C, cdy.raw_data(), cx.raw_data(), cg.raw_data(),
                             cm.raw_data(), cv.raw_data(), epsilon, out[0].raw_data(),
                             out[1].raw_data(), out[2].raw_data());
  }
  return out;
}

}  // namespace tapeflow::ops
