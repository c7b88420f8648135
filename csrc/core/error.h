// Errors raised by the core. Each carries a kind that the bindings map to a distinct
// Python exception (tf.errors.InvalidArgumentError, ...). Messages start with "[op]".
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace tapeflow {

enum class ErrorKind {
  kInvalidArgument,    // bad shapes, dtypes, axes, values
  kOutOfRange,         // index outside a dimension
  kResourceExhausted,  // allocation failed
  kUnimplemented,      // op/dtype/device combination not built
  kInternal,           // a bug in tapeflow
  kGuardFailed,        // a traced graph met a value its trace did not (csrc/graph)
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

const char* error_kind_name(ErrorKind kind);

namespace detail {
inline void stream_all(std::ostringstream&) {}
template <class T, class... Rest>
void stream_all(std::ostringstream& os, const T& first, const Rest&... rest) {
  os << first;
  stream_all(os, rest...);
}
}  // namespace detail

template <class... Parts>
[[noreturn]] void raise(ErrorKind kind, const Parts&... parts) {
  std::ostringstream os;
  detail::stream_all(os, parts...);
  throw Error(kind, os.str());
}

}  // namespace tapeflow

// TAPEFLOW_CHECK(cond, "[op] message ", value, ...): InvalidArgument unless cond.
#define TAPEFLOW_CHECK(cond, ...)                                        \
  do {                                                                   \
    if (!(cond)) ::tapeflow::raise(::tapeflow::ErrorKind::kInvalidArgument, __VA_ARGS__); \
  } while (0)
#define TAPEFLOW_CHECK_KIND(cond, kind, ...)                              \
  do {                                                                   \
    if (!(cond)) ::tapeflow::raise(::tapeflow::ErrorKind::kind, __VA_ARGS__); \
  } while (0)
