// A stand-in for libnvidia-ml.so.1 for tests: the NVML entry points GpuPowerReader uses, with
// values a test sets through the fake_nvml_* functions (the test loads this library too, and
// the loader hands both the same copy).
#include <cstdint>

namespace {
constexpr int kMaxDevices = 8;
constexpr int kNotSupported = 3;
struct Device {
  unsigned long long energy_mj = 0;
  unsigned int power_mw = 0;
  int handle_rc = 0;
  int energy_rc = 0;
  int power_rc = 0;
};
Device devices[kMaxDevices];
unsigned int device_count = 0;
int init_rc = 0;
int initialised = 0;
}  // namespace

extern "C" {

struct nvmlDevice_st;

// Test controls.
void fake_nvml_reset(unsigned int count, int init_result) {
  device_count = count;
  init_rc = init_result;
  initialised = 0;
  for (auto& d : devices) d = Device{};
}
void fake_nvml_set(unsigned int index, unsigned long long energy_mj, unsigned int power_mw) {
  devices[index].energy_mj = energy_mj;
  devices[index].power_mw = power_mw;
}
void fake_nvml_fail(unsigned int index, int handle_rc, int energy_rc, int power_rc) {
  devices[index].handle_rc = handle_rc;
  devices[index].energy_rc = energy_rc;
  devices[index].power_rc = power_rc;
}
int fake_nvml_initialised() { return initialised; }

// NVML.
int nvmlInit_v2() {
  if (init_rc == 0) ++initialised;
  return init_rc;
}
int nvmlShutdown() {
  --initialised;
  return 0;
}
int nvmlDeviceGetCount_v2(unsigned int* count) {
  *count = device_count;
  return 0;
}
int nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_st** device) {
  if (index >= device_count) return 2;  // NVML_ERROR_INVALID_ARGUMENT
  if (devices[index].handle_rc != 0) return devices[index].handle_rc;
  *device = reinterpret_cast<nvmlDevice_st*>(static_cast<uintptr_t>(index + 1));
  return 0;
}
int nvmlDeviceGetPowerUsage(nvmlDevice_st* device, unsigned int* mw) {
  const Device& d = devices[reinterpret_cast<uintptr_t>(device) - 1];
  if (d.power_rc != 0) return d.power_rc;
  *mw = d.power_mw;
  return 0;
}
int nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_st* device, unsigned long long* mj) {
  const Device& d = devices[reinterpret_cast<uintptr_t>(device) - 1];
  if (d.energy_rc != 0) return d.energy_rc;
  *mj = d.energy_mj;
  return 0;
}
const char* nvmlErrorString(int result) {
  switch (result) {
    case 0:
      return "Success";
    case 2:
      return "Invalid Argument";
    case kNotSupported:
      return "Not Supported";
    case 15:
      return "GPU is lost";
    default:
      return "Unknown Error";
  }
}

}  // extern "C"
