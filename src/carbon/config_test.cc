// The carbon config (config.cc) and the signal built from it (signal.cc): fields read with their
// paths, bad input named by file:line and field, zones joined from their files, the default
// intensity only where declared, and shifting plans that stay within the window asked.
#include "carbon/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "base/files.h"
#include "base/time_text.h"
#include "carbon/signal.h"

namespace harch {
namespace {

using ::testing::HasSubstr;
using std::chrono::hours;

constexpr char kHeader[] = "Datetime (UTC),Zone Id,Carbon Intensity gCO\xe2\x82\x82" "eq/kWh (LCA)\n";

std::string Config(const std::string& spec_body) {
  return "apiVersion: harchos.io/v1alpha1\nkind: Carbon\nmetadata: {name: test}\nspec:\n" + spec_body;
}

constexpr char kMinimal[] = R"(  embodied: {kgPerGpu: 150, lifetime: 1460d}
  zones:
    - {zone: ES, format: electricitymaps-csv, files: [es1.csv, es2.csv], standIn: true, note: for MA}
)";

class CarbonConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("harch-carbon-config-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    EXPECT_TRUE(WriteFileAtomic(path, text).ok());
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(CarbonConfigTest, ReadsEveryField) {
  auto c = ParseCarbonConfig(Config(std::string(R"(  defaultIntensity: 450
  forecast: {error: 0.1, horizon: 48h}
  shiftStep: 15m
  utilisation: 0.6
  rates: {gpuHourUsd: 2.5, spotDiscount: 0.5}
  power:
    H100-SXM: {idleWatts: 90, maxWatts: 700}
)") + kMinimal), "c.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->name, "test");
  EXPECT_EQ(c->default_intensity, 450);
  EXPECT_DOUBLE_EQ(c->forecast_error, 0.1);
  EXPECT_EQ(c->forecast_horizon, hours(48));
  EXPECT_EQ(c->shift_step, std::chrono::minutes(15));
  EXPECT_DOUBLE_EQ(c->utilisation, 0.6);
  EXPECT_DOUBLE_EQ(c->gpu_hour_usd, 2.5);
  EXPECT_DOUBLE_EQ(c->spot_discount, 0.5);
  EXPECT_DOUBLE_EQ(c->power.at("H100-SXM").max_w, 700);
  EXPECT_DOUBLE_EQ(c->embodied.kg_per_gpu, 150);
  EXPECT_EQ(c->embodied.lifetime, hours(1460 * 24));
  ASSERT_EQ(c->zones.size(), 1u);
  EXPECT_EQ(c->zones[0].zone, "ES");
  EXPECT_TRUE(c->zones[0].stand_in);
  EXPECT_EQ(c->zones[0].note, "for MA");
  EXPECT_EQ(c->zones[0].files.size(), 2u);
}

TEST_F(CarbonConfigTest, NoDefaultUnlessDeclared) {
  auto c = ParseCarbonConfig(Config(kMinimal), "c.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->default_intensity.has_value());
}

TEST_F(CarbonConfigTest, BadFieldsAreNamedWithTheirLine) {
  struct Case {
    std::string body;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"  forecast: {error: 2}\n" + std::string(kMinimal), "spec.forecast.error"},
      {"  shiftStep: -5m\n" + std::string(kMinimal), "spec.shiftStep"},
      {"  defaultIntensity: 0\n" + std::string(kMinimal), "spec.defaultIntensity"},
      {"  power: {H100-SXM: {idleWatts: 800, maxWatts: 700}}\n" + std::string(kMinimal), "idleWatts exceeds maxWatts"},
      {"  colour: green\n" + std::string(kMinimal), "spec.colour"},
      {"  embodied: {kgPerGpu: 1}\n  zones:\n    - {zone: ES, format: csv, files: [a.csv]}\n", "spec.zones[0].format"},
      {"  embodied: {kgPerGpu: 1}\n  zones:\n    - {zone: ES, format: electricitymaps-csv}\n", "spec.zones[0].files"},
      {"  embodied: {kgPerGpu: 1}\n  zones:\n    - {zone: ES, format: electricitymaps-csv, files: [a]}\n"
       "    - {zone: ES, format: electricitymaps-csv, files: [b]}\n", "listed twice"},
      {"  zones:\n    - {zone: ES, format: electricitymaps-csv, files: [a]}\n", "spec.embodied"},
  };
  for (const Case& c : cases) {
    auto r = ParseCarbonConfig(Config(c.body), "bad.yaml");
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_THAT(r.status().message(), HasSubstr(c.expect)) << c.body;
    EXPECT_THAT(r.status().message(), HasSubstr("bad.yaml:")) << c.body;
  }
}

TEST_F(CarbonConfigTest, ZonesJoinTheirFilesAndSignalAnswers) {
  Write("es1.csv", std::string(kHeader) + "2022-01-01 00:00:00,ES,100\n2022-01-01 01:00:00,ES,300\n");
  Write("es2.csv", std::string(kHeader) + "2022-01-01 02:00:00,ES,50\n2022-01-01 03:00:00,ES,60\n");
  const std::string path = Write("carbon.yaml", Config(kMinimal));
  auto signal = CarbonSignal::Load(path);
  ASSERT_TRUE(signal.ok()) << signal.status().ToString();
  const Time t0 = ParseTime("2022-01-01T00:00:00Z").value();
  ASSERT_NE(signal->Zone("ES"), nullptr);
  EXPECT_EQ(signal->Zone("ES")->points().size(), 4u);
  EXPECT_EQ(signal->Intensity("ES", t0 + hours(1)), 300);
  EXPECT_EQ(signal->Intensity("ES", t0 + hours(2)), 50);
  EXPECT_FALSE(signal->Intensity("ZA", t0).has_value());  // no zone, no default: unknown, not 0
  // The cleanest hour-long start between t0 and t0+2h is t0+2h (50 g/kWh); forecast error 5%
  // cannot turn 300 or 100 below it.
  auto plan = signal->BestStart("ES", 1, t0, t0 + hours(2), hours(1));
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->start, t0 + hours(2));
  EXPECT_NEAR(plan->forecast_mean, 50, 50 * 0.3);
  // The same question gets the same answer (the plan is kept, not re-drawn).
  EXPECT_EQ(signal->BestStart("ES", 1, t0, t0 + hours(2), hours(1))->forecast_mean, plan->forecast_mean);
  // Beyond the data: no plan.
  EXPECT_FALSE(signal->BestStart("ES", 1, t0 + hours(10), t0 + hours(12), hours(1)).has_value());
}

TEST_F(CarbonConfigTest, AbsoluteFilePathsAreUsedAsTheyAre) {
  const std::string csv = Write("abs.csv", std::string(kHeader) + "2022-01-01 00:00:00,ES,100\n");
  std::filesystem::create_directories(dir_ / "sub");
  const std::string path = Write("sub/carbon.yaml", Config("  embodied: {kgPerGpu: 150, lifetime: 1460d}\n"
                                                           "  zones:\n    - {zone: ES, format: electricitymaps-csv, "
                                                           "files: [" + csv + "]}\n"));
  auto signal = CarbonSignal::Load(path);
  ASSERT_TRUE(signal.ok()) << signal.status().ToString();
  EXPECT_EQ(signal->Zone("ES")->points().size(), 1u);
}

TEST_F(CarbonConfigTest, MissingFileAndBadRowAreReportedWithWhere) {
  const std::string path = Write("carbon.yaml", Config(kMinimal));
  auto missing = CarbonSignal::Load(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("es1.csv"));
  EXPECT_THAT(missing.status().message(), HasSubstr("zone ES"));

  Write("es1.csv", std::string(kHeader) + "2022-01-01 00:00:00,ES,100\n2022-01-01 01:00:00,ES,abc\n");
  Write("es2.csv", std::string(kHeader) + "2022-01-01 02:00:00,ES,50\n");
  auto bad = CarbonSignal::Load(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("es1.csv:3"));
}

}  // namespace
}  // namespace harch
