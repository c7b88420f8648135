// pybind11 module tapeflow._core: thin wrappers over ops.h (this file: Array, dtypes,
// errors and the ops), the tape and reverse walks (tape.cpp), graphs (graph.cpp) and the
// Tensor operator fast path (fast_operators.cpp). Ops release the GIL while their kernel
// runs (small elementwise ones excepted) and flush denormals as TF's kernels do.
#include <cstring>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings/common.h"
#include "core/denormal.h"
#include "core/thread_pool.h"
#include "cuda/cuda_backend.h"
#include "graph/graph.h"
#include "ops.h"

using namespace tapeflow;
using namespace tapeflow::bindings;

namespace {

// Python exception classes for each ErrorKind, installed by tapeflow/__init__.py via
// _set_error_classes (they carry TF's OpError signature, so they live in Python).
py::object g_error_classes[6];

py::buffer_info array_buffer(const Array& a) {
  if (a.device().type != DeviceType::kCPU)
    throw Error(ErrorKind::kInvalidArgument, "[numpy] the array lives on " + a.device().str() +
                "; copy it to the host first (_core.to_device(a, 'CPU:0'))");
  std::string fmt;
  visit_dtype(a.dtype(), [&](auto t) { fmt = py::format_descriptor<decltype(t)>::format(); });
  // numpy reads "q" as longlong, a dtype distinct from np.int64 ("l" on LP64), which
  // would print as dtype=int64 in reprs; use the native long code where it is 64-bit.
  if (a.dtype() == DType::kInt64 && sizeof(long) == 8) fmt = "l";
  std::vector<py::ssize_t> shape(a.shape().begin(), a.shape().end()), strides;
  for (const int64_t s : a.strides()) strides.push_back(s * a.itemsize());
  return py::buffer_info(a.raw_data(), a.itemsize(), fmt, a.ndim(), shape, strides,
                         /*readonly=*/true);
}

DType numpy_dtype(const py::array& arr) {
  const py::dtype dt = arr.dtype();
  const char kind = dt.kind();
  const auto size = dt.itemsize();
  if (!py::bool_(dt.attr("isnative")))
    throw Error(ErrorKind::kInvalidArgument,
                "[from_numpy] non-native byte order; convert with arr.astype(arr.dtype.newbyteorder('='))");
  if (kind == 'f' && size == 4) return DType::kFloat32;
  if (kind == 'f' && size == 8) return DType::kFloat64;
  if (kind == 'i' && size == 4) return DType::kInt32;
  if (kind == 'i' && size == 8) return DType::kInt64;
  if (kind == 'b' && size == 1) return DType::kBool;
  throw Error(ErrorKind::kInvalidArgument,
              "[from_numpy] unsupported numpy dtype " + std::string(py::str(dt)) +
                  "; supported: float32, float64, int32, int64, bool");
}

Array from_numpy(const py::array& arr) {
  const DType dt = numpy_dtype(arr);
  Shape shape(arr.shape(), arr.shape() + arr.ndim());
  Strides strides;
  for (py::ssize_t d = 0; d < arr.ndim(); ++d) {
    const auto s = arr.strides(d);
    if (s % static_cast<py::ssize_t>(itemsize(dt)) != 0)
      throw Error(ErrorKind::kInvalidArgument,
                  "[from_numpy] strides that are not a multiple of the item size; "
                  "use np.ascontiguousarray first");
    strides.push_back(s / static_cast<py::ssize_t>(itemsize(dt)));
  }
  const void* data = arr.data();
  py::gil_scoped_release release;
  return ops::from_buffer(data, shape, strides, dt);
}

int64_t index_value(const py::handle h) {
  // Anything with __index__ (ints, numpy integers); others are a TypeError, as in numpy.
  PyObject* idx = PyNumber_Index(h.ptr());
  if (idx == nullptr) throw py::error_already_set();
  const py::object owned = py::reinterpret_steal<py::object>(idx);
  return owned.cast<int64_t>();
}

std::vector<ops::SliceArg> slice_args(const py::tuple& items) {
  std::vector<ops::SliceArg> out;
  for (const py::handle h : items) {
    ops::SliceArg s;
    if (py::isinstance<py::slice>(h)) {
      const py::object start = h.attr("start"), stop = h.attr("stop"), step = h.attr("step");
      if (!start.is_none()) s.start = index_value(start);
      if (!stop.is_none()) s.stop = index_value(stop);
      if (!step.is_none()) s.step = index_value(step);
    } else {
      s.index = index_value(h);
    }
    out.push_back(s);
  }
  return out;
}

py::tuple random_result(const ops::RandomResult& r) { return py::make_tuple(r.values, r.blocks); }

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "tapeflow native core: Array, CPU kernels, Philox random numbers";

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      const py::object& cls = g_error_classes[static_cast<int>(e.kind())];
      if (cls) {
        py::object exc = cls(py::none(), py::none(), e.what());
        PyErr_SetObject(cls.ptr(), exc.ptr());
      } else {
        PyErr_SetString(e.kind() == ErrorKind::kResourceExhausted ? PyExc_MemoryError
                                                                   : PyExc_ValueError,
                        e.what());
      }
    }
  });
  m.def("_set_error_classes", [](py::dict classes) {
    // In ErrorKind's order.
    const char* names[] = {"InvalidArgument", "OutOfRange", "ResourceExhausted",
                           "Unimplemented", "Internal", "GuardFailed"};
    for (int i = 0; i < 6; ++i) g_error_classes[i] = classes[names[i]];
  });

  py::enum_<DType>(m, "DType")
      .value("float32", DType::kFloat32)
      .value("float64", DType::kFloat64)
      .value("int32", DType::kInt32)
      .value("int64", DType::kInt64)
      .value("bool", DType::kBool);

  py::class_<Array>(m, "Array", py::buffer_protocol())
      .def_buffer(&array_buffer)
      .def_property_readonly("shape", [](const Array& a) { return py::tuple(py::cast(a.shape())); })
      .def_property_readonly("strides", [](const Array& a) { return py::tuple(py::cast(a.strides())); })
      .def_property_readonly("offset", &Array::offset)
      .def_property_readonly("dtype", &Array::dtype)
      // The dtype as its enum value (0 float32, 1 float64, 2 int32, 3 int64, 4 bool): a
      // small int is ~3x cheaper to return and compare than the enum object.
      .def_property_readonly("dtype_index", [](const Array& a) { return static_cast<int>(a.dtype()); })
      .def_property_readonly("ndim", &Array::ndim)
      .def_property_readonly("size", &Array::size)
      .def_property_readonly("nbytes", &Array::nbytes)
      .def_property_readonly("device", [](const Array& a) { return a.device().str(); })
      .def_property_readonly("is_contiguous", &Array::is_contiguous)
      .def("shares_storage", [](const Array& a, const Array& b) { return a.storage() == b.storage(); })
      .def("storage_use_count", [](const Array& a) { return a.storage().use_count(); })
      .def_property_readonly("uid", &Array::uid)
      .def("renamed", &Array::renamed, "The same data as a new value (a new uid).")
      .def("__repr__", [](const Array& a) { return "<_core.Array " + a.describe() + ">"; })
      // numpy tries the buffer protocol first (host arrays: zero-copy); a GPU array
      // refuses it, and numpy falls back to this, which copies to the host.
      .def("__array__", [](const Array& a, py::object dtype, py::object copy) {
        const Array h = ops::to_device(a, cpu_device());
        py::array out = py::array(py::buffer_info(array_buffer(h))).attr("copy")();
        if (!dtype.is_none()) out = out.attr("astype")(dtype);
        return out;
      }, py::arg("dtype") = py::none(), py::arg("copy") = py::none());

  m.def("from_numpy", &from_numpy, py::arg("array"),
        "Copies a numpy array (any strides) into a new contiguous Array.");
  // Every binding that runs kernels flushes denormals meanwhile, as TF (core/denormal.h);
  // most also release the GIL.
  auto rel = py::call_guard<py::gil_scoped_release, FlushDenormals>();
  auto flush = py::call_guard<FlushDenormals>();

  // Elementwise ops release the GIL only for inputs big enough to be worth it: on tiny
  // tensors the release/re-acquire would cost more than the kernel.
#define TAPEFLOW_BIND_UNARY(name, ...)                                  \
  m.def(#name, [](const Array& x) {                                     \
    FlushDenormals flush_denormals;                                    \
    if (x.size() < kReleaseGilAbove) return ops::name(x);              \
    py::gil_scoped_release r;                                          \
    return ops::name(x);                                               \
  }, py::arg("x"));
  TAPEFLOW_UNARY_OPS(TAPEFLOW_BIND_UNARY)
#undef TAPEFLOW_BIND_UNARY
#define TAPEFLOW_BIND_BINARY(name, ...)                                 \
  m.def(#name, [](const Array& a, const Array& b) {                     \
    FlushDenormals flush_denormals;                                    \
    if (a.size() < kReleaseGilAbove && b.size() < kReleaseGilAbove)    \
      return ops::name(a, b);                                          \
    py::gil_scoped_release r;                                          \
    return ops::name(a, b);                                            \
  }, py::arg("a"), py::arg("b"));
  TAPEFLOW_BINARY_OPS(TAPEFLOW_BIND_BINARY)
#undef TAPEFLOW_BIND_BINARY
  m.def("unary_ops", [] {
    std::vector<std::string> v;
    for (int i = 0; i < kNumUnaryOps; ++i) v.push_back(ops::unary_name(static_cast<UnaryOp>(i)));
    return v;
  });
  m.def("binary_ops", [] {
    std::vector<std::string> v;
    for (int i = 0; i < kNumBinaryOps; ++i) v.push_back(ops::binary_name(static_cast<BinaryOp>(i)));
    return v;
  });

  m.def("where", &ops::where, rel);
  // A fill converts its number as TF's constants do, outside any kernel: denormals stay.
  m.def("full", &ops::full, py::arg("shape"), py::arg("dtype"), py::arg("value"),
        py::call_guard<py::gil_scoped_release>());
  m.def("full_int", &ops::full_int, py::arg("shape"), py::arg("dtype"), py::arg("value"),
        py::call_guard<py::gil_scoped_release>());
  m.def("cast", &ops::cast, py::arg("x"), py::arg("dtype"), rel);
  m.def("copy", &ops::copy, rel);
  m.def("shape_of", &ops::shape_of, py::arg("x"), py::arg("dtype"), rel);
  m.def("size_of", &ops::size_of, py::arg("x"), py::arg("dtype"), rel);
  m.def("contiguous", &ops::contiguous, rel);
  m.def("reshape", &ops::reshape, py::arg("x"), py::arg("shape"), rel);
  m.def("transpose", &ops::transpose, py::arg("x"), py::arg("perm") = ops::Axes{}, rel);
  m.def("broadcast_to", &ops::broadcast_to, rel);
  m.def("broadcast_shapes", [](const Shape& a, const Shape& b) { return ops::broadcast_shapes(a, b); });
  m.def("expand_dims", &ops::expand_dims, rel);
  m.def("squeeze", &ops::squeeze, py::arg("x"), py::arg("axes") = ops::Axes{}, rel);
  m.def("slice", [](const Array& x, const py::tuple& items) {
    const auto args = slice_args(items);
    py::gil_scoped_release r;
    return ops::slice(x, args);
  }, flush);

  m.def("slice_assign", [](const Array& x, const py::tuple& items, const Array& value) {
    const auto args = slice_args(items);
    py::gil_scoped_release r;
    return ops::slice_assign(x, args, value);
  }, flush);
  m.def("scatter_add", &ops::scatter_add, py::arg("indices"), py::arg("updates"), py::arg("shape"),
        py::arg("axis") = 0, rel);

  m.def("reduce", [](const std::string& op, const Array& x, std::optional<ops::Axes> axes, bool keepdims) {
    for (int i = 0; i < kNumReduceOps; ++i) {
      if (op == ops::reduce_name(static_cast<ReduceOp>(i))) {
        py::gil_scoped_release r;
        return ops::reduce(static_cast<ReduceOp>(i), x, axes, keepdims);
      }
    }
    throw Error(ErrorKind::kInvalidArgument, "[reduce] unknown reduction '" + op + "'");
  }, py::arg("op"), py::arg("x"), py::arg("axes") = py::none(), py::arg("keepdims") = false, flush);
  m.def("mean", &ops::mean, py::arg("x"), py::arg("axes") = py::none(), py::arg("keepdims") = false, rel);
  m.def("argmax", &ops::argmax, py::arg("x"), py::arg("axis"), py::arg("output_type") = DType::kInt64, rel);
  m.def("argmin", &ops::argmin, py::arg("x"), py::arg("axis"), py::arg("output_type") = DType::kInt64, rel);

  m.def("cumsum", &ops::cumsum, py::arg("x"), py::arg("axis") = 0, py::arg("exclusive") = false,
        py::arg("reverse") = false, rel);
  m.def("cumprod", &ops::cumprod, py::arg("x"), py::arg("axis") = 0,
        py::arg("exclusive") = false, py::arg("reverse") = false, rel);
  m.def("cumulative_logsumexp", &ops::cumulative_logsumexp, py::arg("x"), py::arg("axis") = 0,
        py::arg("exclusive") = false, py::arg("reverse") = false, rel);

  m.def("matmul", &ops::matmul, py::arg("a"), py::arg("b"), py::arg("transpose_a") = false,
        py::arg("transpose_b") = false, rel);
  m.def("concat", &ops::concat, py::arg("values"), py::arg("axis"), rel);
  m.def("stack", &ops::stack, py::arg("values"), py::arg("axis") = 0, rel);
  m.def("gather", &ops::gather, py::arg("params"), py::arg("indices"), py::arg("axis") = 0, rel);
  m.def("one_hot", &ops::one_hot, py::arg("indices"), py::arg("depth"), py::arg("on_value") = 1.0,
        py::arg("off_value") = 0.0, py::arg("axis") = -1, py::arg("dtype") = DType::kFloat32, rel);
  m.def("tile", &ops::tile, py::arg("x"), py::arg("multiples"), rel);
  m.def("pad", &ops::pad, py::arg("x"), py::arg("paddings"), py::arg("constant_value") = 0.0, rel);

  py::class_<ops::Window>(m, "Window")
      .def(py::init([](std::vector<int64_t> strides, std::vector<int64_t> dilations,
                       std::vector<int64_t> pad_before, std::vector<int64_t> pad_after) {
             return ops::Window{std::move(strides), std::move(dilations), std::move(pad_before),
                                std::move(pad_after)};
           }),
           py::arg("strides"), py::arg("dilations"), py::arg("pad_before"), py::arg("pad_after"))
      .def_readonly("strides", &ops::Window::strides)
      .def_readonly("dilations", &ops::Window::dilations)
      .def_readonly("pad_before", &ops::Window::pad_before)
      .def_readonly("pad_after", &ops::Window::pad_after);
  m.def("conv", &ops::conv, py::arg("x"), py::arg("w"), py::arg("window"), rel);
  m.def("conv_bias_act", &ops::conv_bias_act, py::arg("x"), py::arg("w"), py::arg("bias"),
        py::arg("window"), py::arg("relu"), rel);
  m.def("conv_backprop_input", &ops::conv_backprop_input, py::arg("x_shape"), py::arg("w"),
        py::arg("dy"), py::arg("window"), rel);
  m.def("conv_backprop_filter", &ops::conv_backprop_filter, py::arg("x"), py::arg("w_shape"),
        py::arg("dy"), py::arg("window"), rel);
  m.def("max_pool_with_argmax", [](const Array& x, const std::vector<int64_t>& ksize,
                                   const ops::Window& window, bool include_batch) {
    const auto r = ops::max_pool_with_argmax(x, ksize, window, include_batch);
    return std::make_pair(r[0], r[1]);  // (no Python objects made without the GIL)
  }, py::arg("x"), py::arg("ksize"), py::arg("window"), py::arg("include_batch"), rel);
  m.def("max_pool", &ops::max_pool, py::arg("x"), py::arg("ksize"), py::arg("window"), rel);
  m.def("avg_pool", &ops::avg_pool, py::arg("x"), py::arg("ksize"), py::arg("window"), rel);
  m.def("max_pool_grad", &ops::max_pool_grad, py::arg("x"), py::arg("dy"), py::arg("ksize"),
        py::arg("window"), rel);
  m.def("avg_pool_grad", &ops::avg_pool_grad, py::arg("x_shape"), py::arg("dy"),
        py::arg("ksize"), py::arg("window"), rel);

  // (tuples made from pairs and arrays by pybind11 after the GIL is taken back)
  m.def("batch_norm", [](const Array& x, const Array& gamma, const Array& beta, double eps) {
    return ops::batch_norm(x, gamma, beta, eps);
  }, py::arg("x"), py::arg("gamma"), py::arg("beta"), py::arg("epsilon"), rel);
  m.def("batch_norm_grad", [](const Array& dy, const Array& x, const Array& gamma,
                              const Array& mean, const Array& var, double eps) {
    return ops::batch_norm_grad(dy, x, gamma, mean, var, eps);
  }, py::arg("dy"), py::arg("x"), py::arg("gamma"), py::arg("mean"), py::arg("var"),
     py::arg("epsilon"), rel);
  m.def("softmax", &ops::softmax, py::arg("x"), py::arg("axis") = -1, rel);
  m.def("sparse_softmax_xent", [](const Array& logits, const Array& labels) {
    const auto r = ops::sparse_softmax_xent(logits, labels);
    return py::make_tuple(r[0], r[1]);
  }, py::arg("logits"), py::arg("labels"), flush);
  m.def("apply_adam", [](const Array& var, const Array& mm, const Array& v, const Array& g,
                         const Array& lr, const Array& b1p, const Array& b2p, double b1,
                         double b2, double eps) {
    const auto r = [&] {
      py::gil_scoped_release release;
      return ops::apply_adam(var, mm, v, g, lr, b1p, b2p, b1, b2, eps);
    }();
    return py::make_tuple(r[0], r[1], r[2]);
  }, py::arg("var"), py::arg("m"), py::arg("v"), py::arg("grad"), py::arg("lr"),
     py::arg("beta1_power"), py::arg("beta2_power"), py::arg("one_minus_beta1"),
     py::arg("one_minus_beta2"), py::arg("epsilon"), flush);

  m.def("random_uniform", [](const Shape& s, DType d, ops::PhiloxKey k, ops::PhiloxCounter c) {
    return random_result(ops::random_uniform(s, d, k, c));
  }, py::arg("shape"), py::arg("dtype"), py::arg("key"), py::arg("counter"), flush);
  m.def("random_uniform_int", [](const Shape& s, DType d, int64_t lo, int64_t hi, ops::PhiloxKey k,
                                 ops::PhiloxCounter c) {
    return random_result(ops::random_uniform_int(s, d, lo, hi, k, c));
  }, py::arg("shape"), py::arg("dtype"), py::arg("minval"), py::arg("maxval"), py::arg("key"),
     py::arg("counter"), flush);
  m.def("random_normal", [](const Shape& s, DType d, ops::PhiloxKey k, ops::PhiloxCounter c) {
    return random_result(ops::random_normal(s, d, k, c));
  }, py::arg("shape"), py::arg("dtype"), py::arg("key"), py::arg("counter"), flush);
  m.def("random_truncated_normal", [](const Shape& s, DType d, ops::PhiloxKey k, ops::PhiloxCounter c) {
    return random_result(ops::random_truncated_normal(s, d, k, c));
  }, py::arg("shape"), py::arg("dtype"), py::arg("key"), py::arg("counter"), flush);
  m.def("philox", &ops::philox_block, py::arg("counter"), py::arg("key"));

  m.def("to_device", [](const Array& a, const std::string& device) {
    const Device d = device_from_name(device);
    py::gil_scoped_release r;
    return ops::to_device(a, d);
  }, py::arg("x"), py::arg("device"));
  m.def("set_default_device", [](std::optional<std::string> device) {
    ops::set_default_device(device ? std::optional<Device>(device_from_name(*device)) : std::nullopt);
  }, py::arg("device"));
  m.def("default_device", []() -> std::optional<std::string> {
    const auto d = ops::default_device();
    if (!d) return std::nullopt;
    return d->str();
  });
  m.def("cuda_device_count", &cuda::device_count);
  m.def("cuda_device_name", &cuda::device_name, py::arg("index") = 0);
  m.def("cuda_synchronize", &cuda::synchronize, py::arg("index") = 0, rel);
  m.def("cuda_has_cublas", &cuda::has_cublas);
  m.def("cuda_set_use_cublas", &cuda::set_use_cublas, py::arg("on"));
  m.def("device_bytes_in_use", &device_bytes_in_use);
  m.def("device_bytes_cached", &device_bytes_cached);

  bind_tape(m);
  bind_fast_operators(m);
  bind_graph(m);

  m.def("kernel_isa", &ops::kernel_isa);
  m.def("cuda_available", &ops::cuda_available);
  m.def("num_threads", &num_threads);
  m.def("set_num_threads", &set_num_threads, py::arg("n"));
  m.def("host_bytes_in_use", &host_bytes_in_use);
  m.def("host_bytes_cached", &host_bytes_cached);
  m.def("host_fresh_allocations", &host_fresh_allocations);
  m.def("empty_cache", &empty_cache);
}
