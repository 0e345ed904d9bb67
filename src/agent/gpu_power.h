// GPU power and energy readings through NVML, loaded at run time (dlopen), so HarchOS builds
// and runs without NVIDIA headers or libraries; a machine without the driver simply has no
// readings, and accounting keeps using the power model (carbon/accounting.h).
//
// The reader asks each device for its power draw (mW) and its energy counter (mJ since the
// driver was loaded). EnergyBetween() turns two readings of one GPU into the energy used in
// between, refusing intervals it cannot trust (a counter that went back: the driver was
// reloaded or the counter reset).
//
// Self-contained (standard library and libdl only), so the small probe that links it runs on a
// bare machine. Thread-safety: a reader is used by one thread at a time; EnergyBetween is pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace harch {

inline constexpr const char* kNvmlLibrary = "libnvidia-ml.so.1";

// One GPU at one time. A device whose queries fail has `error` set; a device without an energy
// counter (NVML_ERROR_NOT_SUPPORTED, before Volta) has power only.
struct GpuPowerReading {
  int index = 0;
  std::chrono::system_clock::time_point time;
  std::optional<uint64_t> energy_mj;  // counter since driver load
  std::optional<uint32_t> power_mw;   // draw now
  std::string error;                  // "" when at least one of the two was read
};

class GpuPowerReader {
 public:
  // Loads `library` (a name dlopen searches for, or a path) and initialises NVML. When the
  // library is absent or NVML fails to start, returns null and says why in *why.
  static std::unique_ptr<GpuPowerReader> Open(const std::string& library, std::string* why);
  ~GpuPowerReader();  // nvmlShutdown, then unloads the library
  GpuPowerReader(const GpuPowerReader&) = delete;
  GpuPowerReader& operator=(const GpuPowerReader&) = delete;

  int device_count() const { return count_; }
  // Every device, in NVML's index order, stamped with the system clock.
  std::vector<GpuPowerReading> Read();

  struct Api;  // the NVML entry points (gpu_power.cc)

 private:
  GpuPowerReader(void* handle, std::unique_ptr<Api> api, int count);
  void* handle_;
  std::unique_ptr<Api> api_;
  int count_;
};

// Energy in joules that one GPU used from `prev` to `cur` (same index), or nullopt with *why
// when the interval cannot be trusted: time did not move forward, either reading failed, the
// counter went back (driver reloaded, counter reset) or jumped by more than a GPU can draw.
// A counter that wrapped past 2^64 by a plausible step counts that step. Without energy
// counters on both, it integrates the two power readings (trapezoid).
std::optional<double> EnergyBetween(const GpuPowerReading& prev, const GpuPowerReading& cur,
                                    std::string* why = nullptr);

}  // namespace harch
