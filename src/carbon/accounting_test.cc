#include "carbon/accounting.h"

#include <gtest/gtest.h>

#include "base/time_text.h"

namespace harch {
namespace {

Time T(const char* s) { return *ParseTimestamp(s); }

// Two hours, 8 H100-SXM at 50% utilisation, in a hub with PUE 1.2 at 0.10 USD/kWh, on a grid at
// 200 g/kWh for the first hour and 400 for the second. By hand:
//   power per GPU  = 84 + (700 - 84) x 0.5 = 392 W
//   E              = 8 x 392 W x 2 h x 1.2 = 7.5264 kWh
//   I (mean)       = 300 g/kWh  ->  operational = 7.5264 x 0.3 = 2.25792 kg
//   M              = 1000 kg x 8 x 2 h / (4 x 8760 h) = 0.456621 kg
//   cost           = 7.5264 x 0.10 + 16 GPU-h x 2.00 x (1 - 0.5, spot) = 16.75264 USD
TEST(Accounting, MatchesAHandComputation) {
  const IntensitySeries grid("DE", {{T("2021-01-01 00:00:00"), 200}, {T("2021-01-01 01:00:00"), 400}});
  GpuRun run{T("2021-01-01 00:00:00"), T("2021-01-01 02:00:00"), 8, 0.5, true};
  const GpuPower power = *DefaultGpuPower("H100-SXM");
  EXPECT_DOUBLE_EQ(power.At(0.5), 392);
  const Embodied embodied{1000, std::chrono::hours(4 * 8760)};
  const HubRates rates{1.2, 0.10, 2.00, 0.5};
  auto f = Account(run, power, embodied, rates, &grid, std::nullopt, "DE");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_NEAR(f->energy_kwh, 7.5264, 1e-9);
  EXPECT_NEAR(f->intensity_g_per_kwh, 300, 1e-9);
  EXPECT_NEAR(f->operational_kg, 2.25792, 1e-9);
  EXPECT_NEAR(f->embodied_kg, 0.456621, 1e-6);
  EXPECT_NEAR(f->cost_usd, 16.75264, 1e-9);
  EXPECT_NEAR(f->gpu_hours, 16, 1e-12);
  EXPECT_NEAR(f->sci_kg_per(f->gpu_hours), (2.25792 + 0.456621) / 16, 1e-6);

  Footprint sum = *f;
  sum += *f;
  EXPECT_NEAR(sum.energy_kwh, 2 * 7.5264, 1e-9);
  EXPECT_NEAR(sum.intensity_g_per_kwh, 300, 1e-9);
}

TEST(Accounting, AZoneWithoutDataIsNeverZero) {
  GpuRun run{T("2021-01-01 00:00:00"), T("2021-01-01 01:00:00"), 1, 1, false};
  const GpuPower power{100, 1000};
  auto f = Account(run, power, {}, {}, nullptr, std::nullopt, "SN");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("zone SN"), std::string::npos);
  // Outside the series is "no data" too.
  const IntensitySeries grid("DE", {{T("2020-01-01 00:00:00"), 200}});
  EXPECT_FALSE(Account(run, power, {}, {}, &grid, std::nullopt, "DE").ok());
  f = Account(run, power, {}, {}, nullptr, 550.0, "SN");
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->intensity_defaulted);
  EXPECT_NEAR(f->operational_kg, 0.55, 1e-12);
  EXPECT_FALSE(DefaultGpuPower("Z9000"));
  EXPECT_FALSE(Account({run.end, run.start}, power, {}, {}, nullptr, 1.0, "Z").ok());
}

}  // namespace
}  // namespace harch
