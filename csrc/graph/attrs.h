// A graph node's attributes: the non-tensor arguments of its ops.h call, as plain data
// (so a graph can be written to a file and rebuilt: csrc/graph/graph.h, GraphDef).
//
// Values are int64, double, string, or lists of int64 or double. Other C++ types are
// spelled with these: bool as 0/1, DType by its TF name ("float32"), Shape and axes as
// int lists, an optional argument by the attribute's absence. The typed getters raise
// InvalidArgument naming the attribute when it is missing or of another type, so a
// hostile file gets a clear error, never a crash.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/array.h"
#include "core/device.h"
#include "core/dtype.h"
#include "core/error.h"

namespace tapeflow::graph {

using AttrValue =
    std::variant<int64_t, double, std::string, std::vector<int64_t>, std::vector<double>>;

class Attrs {
 public:
  using Item = std::pair<std::string, AttrValue>;
  Attrs() = default;
  Attrs(std::initializer_list<Item> items) : items_(items) {}

  // Adds (or replaces) one attribute; returns *this for chaining.
  Attrs& set(const std::string& name, AttrValue value) {
    for (Item& it : items_) {
      if (it.first == name) {
        it.second = std::move(value);
        return *this;
      }
    }
    items_.emplace_back(name, std::move(value));
    return *this;
  }
  bool has(const std::string& name) const { return find(name) != nullptr; }
  const std::vector<Item>& items() const { return items_; }
  bool operator==(const Attrs& o) const { return items_ == o.items_; }

  int64_t i(const std::string& name) const { return get<int64_t>(name, "an int"); }
  double f(const std::string& name) const {
    const AttrValue& v = at(name);
    if (const auto* p = std::get_if<int64_t>(&v)) return static_cast<double>(*p);
    if (const auto* p = std::get_if<double>(&v)) return *p;
    bad(name, "a number");
  }
  bool b(const std::string& name) const {
    const int64_t v = i(name);
    if (v != 0 && v != 1) bad(name, "a bool (0 or 1)");
    return v == 1;
  }
  const std::string& s(const std::string& name) const { return get<std::string>(name, "a string"); }
  const std::vector<int64_t>& ints(const std::string& name) const {
    return get<std::vector<int64_t>>(name, "a list of ints");
  }
  std::vector<double> floats(const std::string& name) const {
    const AttrValue& v = at(name);
    if (const auto* p = std::get_if<std::vector<double>>(&v)) return *p;
    if (const auto* p = std::get_if<std::vector<int64_t>>(&v))
      return std::vector<double>(p->begin(), p->end());
    bad(name, "a list of numbers");
  }
  DType dtype(const std::string& name) const { return dtype_from_name(s(name)); }
  Shape shape(const std::string& name) const {
    const std::vector<int64_t>& v = ints(name);
    for (const int64_t d : v) {
      if (d < 0) bad(name, "a shape (non-negative sizes)");
    }
    return Shape(v.begin(), v.end());
  }
  Device device(const std::string& name) const { return device_from_name(s(name)); }

  static std::vector<int64_t> of(const Shape& shape) {
    return std::vector<int64_t>(shape.begin(), shape.end());
  }

 private:
  const AttrValue* find(const std::string& name) const {
    for (const Item& it : items_) {
      if (it.first == name) return &it.second;
    }
    return nullptr;
  }
  const AttrValue& at(const std::string& name) const {
    const AttrValue* v = find(name);
    if (v == nullptr) raise(ErrorKind::kInvalidArgument, "[graph] missing attribute '", name, "'");
    return *v;
  }
  template <class T>
  const T& get(const std::string& name, const char* what) const {
    const T* p = std::get_if<T>(&at(name));
    if (p == nullptr) bad(name, what);
    return *p;
  }
  [[noreturn]] static void bad(const std::string& name, const char* what) {
    raise(ErrorKind::kInvalidArgument, "[graph] attribute '", name, "' must be ", what);
  }

  std::vector<Item> items_;
};

}  // namespace tapeflow::graph
