// What the binding files (csrc/bindings) share: the Tensor fast path's handles on Python's
// Tensor type, Arrays borrowed from Python objects, and each file's registration.
#pragma once
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "core/array.h"

namespace py = pybind11;

// Shapes and strides convert from and to Python sequences as std::vector<int64_t> does.
namespace pybind11::detail {
template <>
struct type_caster<tapeflow::DimVector> : list_caster<tapeflow::DimVector, int64_t> {};
}  // namespace pybind11::detail

namespace tapeflow::bindings {

// Ops on arrays smaller than this keep the GIL: releasing it would cost more.
constexpr int64_t kReleaseGilAbove = 4096;

// tapeflow.Tensor and the active-tape list, as fast_operators.cpp installs them.
struct FastOperators {
  PyTypeObject* tensor = nullptr;  // tapeflow.Tensor (exact type only)
  Py_ssize_t slot = 0;             // offset of its `_a` slot
  PyObject* active = nullptr;      // tapeflow.autodiff.tape.active (a list)
  PyTypeObject* variable = nullptr;  // tapeflow.Variable (exact type only)
  Py_ssize_t variable_slot = 0;      // offset of its `_a` slot
};
extern FastOperators g_fast;

// A new Tensor holding `a`.
PyObject* make_tensor(Array&& a);
// The Array held by a Python Array object, borrowed (nullptr if it is not one).
const Array* borrowed_array(PyObject* a);
// An exact Tensor's `_a`, read from its slot (nullptr for anything else).
const Array* fast_operand(PyObject* o);
// autodiff/tape.py's record (tape.cpp).
void tape_record(PyObject* op, PyObject* inputs, PyObject* outputs, PyObject* attrs);
// autodiff/tape.py's variable_read (tape.cpp).
void tape_variable_read(PyObject* var, PyObject* value);
// Variable._as_tensor: a Variable's value as a new Tensor holding the same Array, recorded
// on active tapes as TF's ReadVariableOp (a new reference).
PyObject* read_variable(PyObject* var);

void bind_fast_operators(py::module_& m);  // fast_operators.cpp
void bind_tape(py::module_& m);            // tape.cpp
void bind_graph(py::module_& m);           // graph.cpp

}  // namespace tapeflow::bindings
