#include "agent/gpu_power.h"

#include <dlfcn.h>

#include <limits>
#include <type_traits>

// NVML's device handle type, under NVML's own name: a function called through a pointer must
// have exactly the type it was defined with (UBSan's -fsanitize=function checks it).
struct nvmlDevice_st;

namespace harch {

namespace {
// The few NVML declarations we need, from NVML's public C API (nvml.h): results are an enum
// whose 0 is success; devices are opaque handles.
using NvmlReturn = int;
using NvmlDevice = nvmlDevice_st*;
constexpr NvmlReturn kNvmlSuccess = 0;
// No single GPU draws more (a GB200 superchip peaks near 2.7 kW): a larger step of the counter
// is not energy.
constexpr double kMaxPlausibleWatts = 5000;

double Seconds(std::chrono::system_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}
}  // namespace

struct GpuPowerReader::Api {
  NvmlReturn (*init)();
  NvmlReturn (*shutdown)();
  NvmlReturn (*count)(unsigned int*);
  NvmlReturn (*handle)(unsigned int, NvmlDevice*);
  NvmlReturn (*power)(NvmlDevice, unsigned int*);
  NvmlReturn (*energy)(NvmlDevice, unsigned long long*);
  const char* (*error)(NvmlReturn);

  std::string Error(NvmlReturn r) const {
    const char* s = error ? error(r) : nullptr;
    return (s ? std::string(s) : "NVML error") + " (" + std::to_string(r) + ")";
  }
};

std::unique_ptr<GpuPowerReader> GpuPowerReader::Open(const std::string& library, std::string* why) {
  void* h = ::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = ::dlerror();
    *why = "cannot load " + library + ": " + (e ? e : "unknown error") + " (no NVIDIA driver?)";
    return nullptr;
  }
  auto api = std::make_unique<Api>();
  std::string missing;
  auto sym = [&](const char* name, auto* fn) {
    *fn = reinterpret_cast<std::remove_pointer_t<decltype(fn)>>(::dlsym(h, name));
    if (!*fn) missing += (missing.empty() ? "" : ", ") + std::string(name);
  };
  sym("nvmlInit_v2", &api->init);
  sym("nvmlShutdown", &api->shutdown);
  sym("nvmlDeviceGetCount_v2", &api->count);
  sym("nvmlDeviceGetHandleByIndex_v2", &api->handle);
  sym("nvmlDeviceGetPowerUsage", &api->power);
  sym("nvmlDeviceGetTotalEnergyConsumption", &api->energy);
  sym("nvmlErrorString", &api->error);
  if (!missing.empty()) {
    *why = library + " lacks " + missing;
    ::dlclose(h);
    return nullptr;
  }
  if (NvmlReturn r = api->init(); r != kNvmlSuccess) {
    *why = "nvmlInit_v2: " + api->Error(r);
    ::dlclose(h);
    return nullptr;
  }
  unsigned int count = 0;
  if (NvmlReturn r = api->count(&count); r != kNvmlSuccess) {
    *why = "nvmlDeviceGetCount_v2: " + api->Error(r);
    api->shutdown();
    ::dlclose(h);
    return nullptr;
  }
  return std::unique_ptr<GpuPowerReader>(
      new GpuPowerReader(h, std::move(api), static_cast<int>(count)));
}

GpuPowerReader::GpuPowerReader(void* handle, std::unique_ptr<Api> api, int count)
    : handle_(handle), api_(std::move(api)), count_(count) {}

GpuPowerReader::~GpuPowerReader() {
  api_->shutdown();
  ::dlclose(handle_);
}

std::vector<GpuPowerReading> GpuPowerReader::Read() {
  std::vector<GpuPowerReading> out;
  out.reserve(count_);
  for (int i = 0; i < count_; ++i) {
    GpuPowerReading& r = out.emplace_back();
    r.index = i;
    NvmlDevice dev = nullptr;
    if (NvmlReturn e = api_->handle(static_cast<unsigned>(i), &dev); e != kNvmlSuccess) {
      r.time = std::chrono::system_clock::now();
      r.error = "nvmlDeviceGetHandleByIndex_v2: " + api_->Error(e);
      continue;
    }
    unsigned long long mj = 0;
    unsigned int mw = 0;
    const NvmlReturn er = api_->energy(dev, &mj);
    const NvmlReturn pr = api_->power(dev, &mw);
    r.time = std::chrono::system_clock::now();
    if (er == kNvmlSuccess) r.energy_mj = mj;
    if (pr == kNvmlSuccess) r.power_mw = mw;
    if (er != kNvmlSuccess && pr != kNvmlSuccess) {
      r.error = "nvmlDeviceGetTotalEnergyConsumption: " + api_->Error(er) +
                "; nvmlDeviceGetPowerUsage: " + api_->Error(pr);
    }
  }
  return out;
}

std::optional<double> EnergyBetween(const GpuPowerReading& prev, const GpuPowerReading& cur,
                                    std::string* why) {
  auto no = [why](std::string reason) -> std::optional<double> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  if (!prev.error.empty() || !cur.error.empty()) return no("a reading failed");
  const double dt = Seconds(cur.time - prev.time);
  if (dt <= 0) return no("time did not move forward");
  if (prev.energy_mj && cur.energy_mj) {
    const double max_j = kMaxPlausibleWatts * dt;
    if (*cur.energy_mj < *prev.energy_mj) {
      // Either the 64-bit counter wrapped (the step is small modulo 2^64) or it restarted.
      const uint64_t wrapped =
          std::numeric_limits<uint64_t>::max() - *prev.energy_mj + *cur.energy_mj + 1;
      if (static_cast<double>(wrapped) / 1000.0 <= max_j)
        return static_cast<double>(wrapped) / 1000.0;
      return no("the energy counter went back (driver reloaded or counter reset)");
    }
    const double j = static_cast<double>(*cur.energy_mj - *prev.energy_mj) / 1000.0;
    if (j > max_j) return no("the energy counter jumped by more than a GPU can draw");
    return j;
  }
  if (prev.power_mw && cur.power_mw) {
    return (static_cast<double>(*prev.power_mw) + *cur.power_mw) / 2.0 / 1000.0 * dt;
  }
  return no("no energy counter or power on both readings");
}

}  // namespace harch
