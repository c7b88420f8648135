// Where an Array's memory lives.
#pragma once
#include <string>

#include "core/error.h"

namespace tapeflow {

enum class DeviceType : int { kCPU = 0, kCUDA = 1 };

struct Device {
  DeviceType type = DeviceType::kCPU;
  int index = 0;
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const {  // "CPU:0", "GPU:0" as TF spells devices
    return std::string(type == DeviceType::kCPU ? "CPU:" : "GPU:") + std::to_string(index);
  }
};

inline Device cpu_device() { return Device{}; }

// "CPU:0", "GPU:1" (as Device::str spells them) to a Device; InvalidArgument otherwise.
inline Device device_from_name(const std::string& name) {
  const auto colon = name.find(':');
  const std::string type = name.substr(0, colon);
  int index = 0;
  if (colon != std::string::npos) {
    try {
      index = std::stoi(name.substr(colon + 1));
    } catch (const std::exception&) {
      index = -1;
    }
  }
  if ((type == "CPU" || type == "GPU") && index >= 0)
    return Device{type == "CPU" ? DeviceType::kCPU : DeviceType::kCUDA, index};
  raise(ErrorKind::kInvalidArgument, "[device] unknown device '", name,
        "' (expected 'CPU:N' or 'GPU:N')");
}

}  // namespace tapeflow
