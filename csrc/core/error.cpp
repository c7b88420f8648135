#include "core/error.h"

namespace tapeflow {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument: return "InvalidArgument";
    case ErrorKind::kOutOfRange: return "OutOfRange";
    case ErrorKind::kResourceExhausted: return "ResourceExhausted";
    case ErrorKind::kUnimplemented: return "Unimplemented";
    case ErrorKind::kInternal: return "Internal";
    case ErrorKind::kGuardFailed: return "GuardFailed";
  }
  return "Unknown";
}

}  // namespace tapeflow
