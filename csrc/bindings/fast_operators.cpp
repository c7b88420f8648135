// The Tensor operator fast path (see below) and its installation.
#include <cstring>
#include <optional>

#include "bindings/common.h"
#include "core/denormal.h"
#include "ops.h"

#include <structmember.h>  // after Python.h (common.h)

namespace tapeflow::bindings {

// ---- the Tensor operator fast path -----------------------------------------------------
// `a + b` (or `a * 2.0`) on tapeflow Tensors of one dtype is the tutorial's commonest
// line; its Python op (ops/_base.py's binary) costs more than the kernel. The operators
// installed here do the same thing in C++ (read both `_a` slots, run the op, make a
// Tensor holding the result, record it on active tapes as the Python op would; + - * /
// ** // % and the four orderings) and hand every other case, unchanged, to the Python
// op: other types (Variables, arrays, numbers that do not convert), mixed dtypes (TF's
// error message), int true division.
FastOperators g_fast;

PyObject* make_tensor(Array&& a) {
  py::object arr = py::cast(std::move(a));
  PyObject* t = g_fast.tensor->tp_alloc(g_fast.tensor, 0);
  if (t == nullptr) throw py::error_already_set();
  *reinterpret_cast<PyObject**>(reinterpret_cast<char*>(t) + g_fast.slot) = arr.release().ptr();
  return t;
}

const Array* borrowed_array(PyObject* a) {
  py::detail::make_caster<Array> caster;
  if (a == nullptr || !caster.load(a, false)) return nullptr;
  return &py::detail::cast_op<const Array&>(caster);
}

PyObject* read_variable(PyObject* var) {
  if (g_fast.tensor == nullptr || g_fast.active == nullptr)
    throw Error(ErrorKind::kInternal, "[variables] read before tapeflow.ops finished importing");
  py::object arr;  // the Variable's Array object: its slot, or `_a` for a subclass
  if (g_fast.variable != nullptr && Py_TYPE(var) == g_fast.variable) {
    PyObject* a = *reinterpret_cast<PyObject**>(reinterpret_cast<char*>(var) + g_fast.variable_slot);
    if (a == nullptr) throw py::attribute_error("Variable has no value");
    arr = py::reinterpret_borrow<py::object>(a);
  } else {
    arr = py::handle(var).attr("_a");
  }
  PyObject* t = g_fast.tensor->tp_alloc(g_fast.tensor, 0);
  if (t == nullptr) throw py::error_already_set();
  *reinterpret_cast<PyObject**>(reinterpret_cast<char*>(t) + g_fast.slot) = arr.release().ptr();
  py::object value = py::reinterpret_steal<py::object>(t);
  if (PyList_GET_SIZE(g_fast.active) != 0) tape_variable_read(var, t);
  return value.release().ptr();
}

const Array* fast_operand(PyObject* o) {
  if (Py_TYPE(o) != g_fast.tensor) return nullptr;
  return borrowed_array(*reinterpret_cast<PyObject**>(reinterpret_cast<char*>(o) + g_fast.slot));
}

// A Python float or int operand as a 0-d Array of the tensor's dtype, converted exactly as
// tensor.py's _scalar_fast does; nullopt where that declines (float into an int tensor,
// anything into bool, out of range), so the Python op raises TF's error.
// Recent scalars per dtype (0-d host Arrays are immutable, so they can be shared; the GIL
// guards the cache). Keyed by the value's bits, so 0.0 and -0.0 stay apart.
struct ScalarCache {
  static constexpr int kSlots = 16;
  uint64_t key[kSlots] = {};
  Array value[kSlots];
};
ScalarCache g_scalars[kNumDTypes];

template <class Make>
Array cached_scalar(DType dt, uint64_t bits, Make make) {
  if (ops::default_device()) return make();  // a tf.device scope: make it there
  ScalarCache& c = g_scalars[static_cast<int>(dt)];
  const int slot = static_cast<int>((bits ^ (bits >> 29) ^ (bits >> 47)) % ScalarCache::kSlots);
  if (c.value[slot].defined() && c.key[slot] == bits) return c.value[slot];
  c.key[slot] = bits;
  c.value[slot] = make();
  return c.value[slot];
}

std::optional<Array> scalar_operand(PyObject* o, DType dt) {
  if (PyFloat_CheckExact(o)) {
    if (!is_floating(dt)) return std::nullopt;
    const double v = PyFloat_AS_DOUBLE(o);
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    return cached_scalar(dt, bits, [&] { return ops::full({}, dt, v); });
  }
  if (!PyLong_CheckExact(o)) return std::nullopt;
  if (is_floating(dt)) {
    const double v = PyLong_AsDouble(o);
    if (v == -1.0 && PyErr_Occurred()) {
      PyErr_Clear();
      return std::nullopt;
    }
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    return cached_scalar(dt, bits, [&] { return ops::full({}, dt, v); });
  }
  if (!is_integer(dt)) return std::nullopt;
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
  if (overflow != 0 || (v == -1 && PyErr_Occurred())) {
    PyErr_Clear();
    return std::nullopt;
  }
  if (dt == DType::kInt32 && (v < INT32_MIN || v > INT32_MAX)) return std::nullopt;
  return cached_scalar(dt, static_cast<uint64_t>(v), [&] { return ops::full_int({}, dt, v); });
}

// reflected: the operator of the right operand (`2.0 - t` is t.__rsub__(2.0)).
// tf_name: the op's TF name when it has a gradient. While a tape is active, a float
// result is recorded as the Python op records it: inputs (a number operand as a new
// Tensor), output, no attributes (tape.py's RULES has the op's rule).
void install_fast_operator(py::object cls, const char* name, BinaryOp op, bool float_only,
                           bool reflected, const char* tf_name, py::object fallback) {
  PyObject* const op_name = tf_name ? PyUnicode_InternFromString(tf_name) : nullptr;  // kept
  cls.attr(name) = py::cpp_function(
      [op, float_only, reflected, op_name, fallback](py::handle self, py::handle other) -> py::object {
        const Array* x = fast_operand(self.ptr());
        if (x == nullptr || (float_only && !is_floating(x->dtype())))
          return fallback(self, other);
        py::object other_value = py::reinterpret_borrow<py::object>(other);
        if (Py_TYPE(other.ptr()) == g_fast.variable)  // a Variable: read (and recorded) once
          other_value = py::reinterpret_steal<py::object>(read_variable(other.ptr()));
        const Array* y = fast_operand(other_value.ptr());
        std::optional<Array> scalar;
        if (y == nullptr) {
          scalar = scalar_operand(other.ptr(), x->dtype());
          if (!scalar) return fallback(self, other);
          y = &*scalar;
        }
        if (x->dtype() != y->dtype()) return fallback(self, other_value);
        const Array& a = reflected ? *y : *x;
        const Array& b = reflected ? *x : *y;
        Array out;
        FlushDenormals flush;  // as TF's kernels (core/denormal.h)
        if (x->size() < kReleaseGilAbove && y->size() < kReleaseGilAbove) {
          out = ops::binary(op, a, b);
        } else {
          py::gil_scoped_release r;
          out = ops::binary(op, a, b);
        }
        const bool record = op_name != nullptr && PyList_GET_SIZE(g_fast.active) != 0 &&
                            is_floating(out.dtype());
        py::object result = py::reinterpret_steal<py::object>(make_tensor(std::move(out)));
        if (record) {
          const py::object y_obj = scalar ? py::reinterpret_steal<py::object>(make_tensor(Array(*scalar)))
                                          : other_value;
          py::tuple inputs(2);
          inputs[reflected ? 1 : 0] = self;
          inputs[reflected ? 0 : 1] = y_obj;
          const py::tuple outputs = py::make_tuple(result);
          tape_record(op_name, inputs.ptr(), outputs.ptr(), Py_None);
        }
        return result;
      },
      py::name(name), py::is_method(cls));
}

void bind_fast_operators(py::module_& m) {
  m.def("_install_fast_operators", [](py::object tensor_cls, py::list active, py::dict fallbacks) {
    py::object descr = tensor_cls.attr("_a");
    if (Py_TYPE(descr.ptr()) != &PyMemberDescr_Type)
      throw Error(ErrorKind::kInternal, "[fast operators] Tensor._a is not a slot");
    g_fast.tensor = reinterpret_cast<PyTypeObject*>(tensor_cls.ptr());
    g_fast.slot = reinterpret_cast<PyMemberDescrObject*>(descr.ptr())->d_member->offset;
    g_fast.active = active.release().ptr();  // module-level list: kept for the process
    Py_INCREF(tensor_cls.ptr());
    const struct {
      const char* name;
      BinaryOp op;
      bool float_only, reflected;
      const char* tf_name;  // ops with a gradient: what the Python op records
    } table[] = {
        {"__add__", BinaryOp::add, false, false, "AddV2"},
        {"__sub__", BinaryOp::sub, false, false, "Sub"},
        {"__mul__", BinaryOp::mul, false, false, "Mul"},
        {"__truediv__", BinaryOp::div, true, false, "RealDiv"},
        {"__radd__", BinaryOp::add, false, true, "AddV2"},
        {"__rsub__", BinaryOp::sub, false, true, "Sub"},
        {"__rmul__", BinaryOp::mul, false, true, "Mul"},
        {"__rtruediv__", BinaryOp::div, true, true, "RealDiv"},
        {"__pow__", BinaryOp::pow, false, false, "Pow"},
        {"__rpow__", BinaryOp::pow, false, true, "Pow"},
        {"__floordiv__", BinaryOp::floordiv, false, false, nullptr},
        {"__rfloordiv__", BinaryOp::floordiv, false, true, nullptr},
        {"__mod__", BinaryOp::mod, false, false, "FloorMod"},
        {"__rmod__", BinaryOp::mod, false, true, "FloorMod"},
        {"__lt__", BinaryOp::less, false, false, nullptr},
        {"__le__", BinaryOp::less_equal, false, false, nullptr},
        {"__gt__", BinaryOp::greater, false, false, nullptr},
        {"__ge__", BinaryOp::greater_equal, false, false, nullptr}};
    for (const auto& e : table)
      install_fast_operator(tensor_cls, e.name, e.op, e.float_only, e.reflected, e.tf_name,
                            fallbacks[e.name]);
  }, "Installs Tensor's + - * / ** // % (and reflected) < <= > >= with a native path for a "
     "Tensor and a Tensor of its dtype, a Variable or a Python number, recorded on active "
     "tapes as the Python ops record (ops/_base.py's binary does the rest).");
  m.def("_install_variable_reads", [](py::object variable_cls) {
    py::object descr = variable_cls.attr("_a");
    if (Py_TYPE(descr.ptr()) != &PyMemberDescr_Type)
      throw Error(ErrorKind::kInternal, "[fast operators] Variable._a is not a slot");
    g_fast.variable = reinterpret_cast<PyTypeObject*>(variable_cls.ptr());
    g_fast.variable_slot = reinterpret_cast<PyMemberDescrObject*>(descr.ptr())->d_member->offset;
    Py_INCREF(variable_cls.ptr());
    variable_cls.attr("_as_tensor") = py::cpp_function(
        [](py::handle self) -> py::object {
          return py::reinterpret_steal<py::object>(read_variable(self.ptr()));
        },
        py::name("_as_tensor"), py::is_method(variable_cls),
        "The current value as a Tensor; recorded on active tapes (TF's ReadVariableOp).");
  }, "Installs Variable._as_tensor (a read, recorded on active tapes) natively, the one "
     "read that Tensor's fast operators use for a Variable operand too.");
}

}  // namespace tapeflow::bindings
