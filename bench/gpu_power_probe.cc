// gpu_power_probe: what the agent's GPU power reader sees on this machine. Prints each GPU's
// power and energy counter, reads again one second later, and prints the energy in between
// (from the counters, or from the power readings where a GPU has no counter).
//
// Links only the reader (and the C++ runtime statically), so it can be copied to a machine
// that has nothing but an NVIDIA driver. Without NVML it says so and exits 0.
//
//   gpu_power_probe [LIBRARY]   (default libnvidia-ml.so.1)
#include <cstdio>
#include <string>
#include <thread>

#include "agent/gpu_power.h"

namespace {
void Print(const harch::GpuPowerReading& r) {
  std::printf("  gpu %d: ", r.index);
  if (!r.error.empty()) {
    std::printf("error: %s\n", r.error.c_str());
    return;
  }
  if (r.power_mw) {
    std::printf("power %.3f W", *r.power_mw / 1000.0);
  } else {
    std::printf("power n/a");
  }
  if (r.energy_mj) {
    std::printf(", energy counter %llu mJ\n", static_cast<unsigned long long>(*r.energy_mj));
  } else {
    std::printf(", energy counter n/a\n");
  }
}
}  // namespace

int main(int argc, char** argv) {
  const std::string library = argc > 1 ? argv[1] : harch::kNvmlLibrary;
  std::string why;
  auto reader = harch::GpuPowerReader::Open(library, &why);
  if (!reader) {
    std::printf("no GPU power readings on this machine: %s\n", why.c_str());
    return 0;
  }
  std::printf("NVML: %d GPU(s)\n", reader->device_count());
  const auto first = reader->Read();
  std::printf("first reading:\n");
  for (const auto& r : first) Print(r);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const auto second = reader->Read();
  std::printf("second reading:\n");
  for (const auto& r : second) Print(r);
  std::printf("between the two:\n");
  for (size_t i = 0; i < first.size() && i < second.size(); ++i) {
    const double dt = std::chrono::duration<double>(second[i].time - first[i].time).count();
    std::string no;
    const auto j = harch::EnergyBetween(first[i], second[i], &no);
    if (j) {
      std::printf(
          "  gpu %d: %.3f J over %.3f s (mean %.3f W, from %s)\n", first[i].index, *j, dt, *j / dt,
          first[i].energy_mj && second[i].energy_mj ? "the energy counter" : "power readings");
    } else {
      std::printf("  gpu %d: no energy: %s\n", first[i].index, no.c_str());
    }
  }
  return 0;
}
