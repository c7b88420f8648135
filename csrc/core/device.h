// Where an Array's memory lives.
#pragma once
#include <string>

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

}  // namespace tapeflow
