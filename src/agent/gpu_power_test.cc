// GpuPowerReader against a fake NVML library (fake_nvml.cc) with values set by the test.
#include "agent/gpu_power.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <limits>

namespace harch {
namespace {

using std::chrono::seconds;

struct FakeNvml {
  FakeNvml() {
    handle = ::dlopen(HARCH_FAKE_NVML, RTLD_NOW | RTLD_LOCAL);
    if (!handle) return;
    reset = reinterpret_cast<decltype(reset)>(::dlsym(handle, "fake_nvml_reset"));
    set = reinterpret_cast<decltype(set)>(::dlsym(handle, "fake_nvml_set"));
    fail = reinterpret_cast<decltype(fail)>(::dlsym(handle, "fake_nvml_fail"));
    initialised = reinterpret_cast<decltype(initialised)>(::dlsym(handle, "fake_nvml_initialised"));
  }
  ~FakeNvml() {
    if (handle) ::dlclose(handle);
  }
  void* handle = nullptr;
  void (*reset)(unsigned, int) = nullptr;
  void (*set)(unsigned, unsigned long long, unsigned) = nullptr;
  void (*fail)(unsigned, int, int, int) = nullptr;
  int (*initialised)() = nullptr;
};

std::unique_ptr<GpuPowerReader> MustOpen() {
  std::string why;
  auto r = GpuPowerReader::Open(HARCH_FAKE_NVML, &why);
  EXPECT_NE(r, nullptr) << why;
  return r;
}

GpuPowerReading At(int s, std::optional<uint64_t> mj, std::optional<uint32_t> mw = std::nullopt) {
  GpuPowerReading r;
  r.time = std::chrono::system_clock::time_point(seconds(1'700'000'000 + s));
  r.energy_mj = mj;
  r.power_mw = mw;
  return r;
}

TEST(GpuPower, NoLibraryMeansNoReader) {
  std::string why;
  EXPECT_EQ(GpuPowerReader::Open("libnvidia-ml-not-here.so.1", &why), nullptr);
  EXPECT_NE(why.find("libnvidia-ml-not-here.so.1"), std::string::npos) << why;
}

TEST(GpuPower, ALibraryWithoutNvmlIsRefused) {
  std::string why;
  EXPECT_EQ(GpuPowerReader::Open("libm.so.6", &why), nullptr);
  EXPECT_NE(why.find("nvmlInit_v2"), std::string::npos) << why;
}

TEST(GpuPower, ReadsEachDevice) {
  FakeNvml fake;
  ASSERT_NE(fake.handle, nullptr) << ::dlerror();
  fake.reset(2, 0);
  fake.set(0, 1'000'000, 350'000);
  fake.set(1, 2'500'000, 612'345);
  {
    auto reader = MustOpen();
    ASSERT_NE(reader, nullptr);
    EXPECT_EQ(fake.initialised(), 1);
    EXPECT_EQ(reader->device_count(), 2);
    const auto readings = reader->Read();
    ASSERT_EQ(readings.size(), 2u);
    EXPECT_EQ(readings[0].index, 0);
    EXPECT_EQ(readings[0].energy_mj, 1'000'000u);
    EXPECT_EQ(readings[0].power_mw, 350'000u);
    EXPECT_EQ(readings[1].energy_mj, 2'500'000u);
    EXPECT_EQ(readings[1].power_mw, 612'345u);
    EXPECT_TRUE(readings[1].error.empty());
  }
  EXPECT_EQ(fake.initialised(), 0);  // shut down with the reader
}

TEST(GpuPower, AFailingDeviceSaysWhyAndTheOthersStillRead) {
  FakeNvml fake;
  ASSERT_NE(fake.handle, nullptr);
  fake.reset(3, 0);
  fake.set(0, 10, 100);
  fake.set(2, 30, 300);
  fake.fail(1, 15, 0, 0);  // GPU is lost
  auto reader = MustOpen();
  ASSERT_NE(reader, nullptr);
  const auto readings = reader->Read();
  ASSERT_EQ(readings.size(), 3u);
  EXPECT_TRUE(readings[0].error.empty());
  EXPECT_NE(readings[1].error.find("GPU is lost"), std::string::npos) << readings[1].error;
  EXPECT_FALSE(readings[1].energy_mj);
  EXPECT_EQ(readings[2].energy_mj, 30u);
  // A failed reading never makes an interval.
  EXPECT_FALSE(EnergyBetween(readings[1], readings[1]));
}

TEST(GpuPower, ADeviceWithoutEnergyCounterGivesPowerOnly) {
  FakeNvml fake;
  ASSERT_NE(fake.handle, nullptr);
  fake.reset(1, 0);
  fake.set(0, 0, 250'000);
  fake.fail(0, 0, 3, 0);  // energy: Not Supported
  auto reader = MustOpen();
  ASSERT_NE(reader, nullptr);
  const auto r = reader->Read();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].error.empty());
  EXPECT_FALSE(r[0].energy_mj);
  EXPECT_EQ(r[0].power_mw, 250'000u);
  fake.fail(0, 0, 3, 3);
  const auto none = reader->Read();
  EXPECT_NE(none[0].error.find("Not Supported"), std::string::npos) << none[0].error;
}

TEST(GpuPower, InitFailureIsReported) {
  FakeNvml fake;
  ASSERT_NE(fake.handle, nullptr);
  fake.reset(1, 9);  // driver not loaded
  std::string why;
  EXPECT_EQ(GpuPowerReader::Open(HARCH_FAKE_NVML, &why), nullptr);
  EXPECT_NE(why.find("nvmlInit_v2"), std::string::npos) << why;
}

TEST(GpuPower, EnergyFromCounters) {
  // 300 J over 1 s: 300 W.
  EXPECT_DOUBLE_EQ(*EnergyBetween(At(0, 5'000'000), At(1, 5'300'000)), 300.0);
  EXPECT_DOUBLE_EQ(*EnergyBetween(At(0, 7), At(10, 7)), 0.0);
}

TEST(GpuPower, ACounterThatWentBackIsNoInterval) {
  std::string why;
  EXPECT_FALSE(EnergyBetween(At(0, 5'000'000), At(1, 1'000), &why));
  EXPECT_NE(why.find("went back"), std::string::npos) << why;
}

TEST(GpuPower, ACounterThatWrappedCountsItsStep) {
  const uint64_t top = std::numeric_limits<uint64_t>::max();
  // 200 J before the wrap, 100 J after: 300 J in 1 s.
  const auto j = EnergyBetween(At(0, top - 199'999), At(1, 100'000));
  ASSERT_TRUE(j);
  EXPECT_DOUBLE_EQ(*j, 300.0);
}

TEST(GpuPower, ImplausibleStepsAreRefused) {
  std::string why;
  // 1 MJ in a second is not a GPU.
  EXPECT_FALSE(EnergyBetween(At(0, 0), At(1, 1'000'000'000), &why));
  EXPECT_NE(why.find("more than a GPU"), std::string::npos) << why;
  EXPECT_FALSE(EnergyBetween(At(1, 0), At(1, 10), &why));
  EXPECT_NE(why.find("time"), std::string::npos);
  EXPECT_FALSE(EnergyBetween(At(2, 0), At(1, 10)));
}

TEST(GpuPower, PowerOnlyIsIntegrated) {
  // 200 W then 400 W over 2 s: 600 J (trapezoid).
  EXPECT_DOUBLE_EQ(*EnergyBetween(At(0, std::nullopt, 200'000), At(2, std::nullopt, 400'000)),
                   600.0);
  // One counter and one power: the power readings are used.
  EXPECT_DOUBLE_EQ(*EnergyBetween(At(0, 5, 100'000), At(1, std::nullopt, 100'000)), 100.0);
  EXPECT_FALSE(EnergyBetween(At(0, 5), At(1, std::nullopt, 100'000)));
}

}  // namespace
}  // namespace harch
