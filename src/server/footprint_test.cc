// A job's footprint from its GPU runs, against a hand computation.
#include "server/footprint.h"

#include <gtest/gtest.h>

#include "resource/test_fleet.h"

namespace harch {
namespace {

using std::chrono::hours;

const Time kT0 = Time(hours(24 * 365 * 56));

Topology Fleet() {
  return MustBuild(R"(  hubs:
    - id: h
      country: MA
      carbonZone: Z
      carbonZoneStandIn: true
      pue: 1.5
      energyPriceUsdPerKwh: 0.1
      racks:
        - id: r
          nodes:
            - {name: n1, cpu: 32, memory: 256GiB, gpus: {model: H100-SXM, count: 2, nvlink: nvswitch}}
)");
}

CarbonSignal Signal(std::optional<double> default_intensity, bool with_series) {
  CarbonConfig c;
  c.utilisation = 0.5;
  c.power["H100-SXM"] = GpuPower{100, 500};  // 300 W at 50%
  c.embodied = Embodied{100, hours(1000)};
  c.gpu_hour_usd = 2;
  c.default_intensity = default_intensity;
  std::map<std::string, IntensitySeries> zones;
  if (with_series) zones["Z"] = IntensitySeries("Z", {{kT0, 200}, {kT0 + hours(1), 200}, {kT0 + hours(2), 200}});
  return CarbonSignal(std::move(c), std::move(zones));
}

JobRecord TwoGpusForTwoHours(const Topology& topo) {
  JobRecord r;
  GroupPlacement gp;
  gp.grants = {GpuGrant{*topo.FindGpu("r-n1/gpu0")}, GpuGrant{*topo.FindGpu("r-n1/gpu1")}};
  r.placement.push_back(gp);
  OpenRuns(r, topo, kT0);
  CloseRuns(r, kT0 + hours(2));
  return r;
}

TEST(Footprint, MatchesTheHandComputation) {
  const Topology topo = Fleet();
  const JobRecord r = TwoGpusForTwoHours(topo);
  ASSERT_EQ(r.runs.size(), 1u);
  EXPECT_EQ(r.runs[0].hub, "h");
  EXPECT_EQ(r.runs[0].model, "H100-SXM");
  EXPECT_DOUBLE_EQ(r.runs[0].gpus, 2.0);
  const CarbonSignal signal = Signal(std::nullopt, true);
  const v1::Footprint f = JobFootprint(r, JobSpec{}, topo, &signal, kT0 + hours(5));
  ASSERT_TRUE(f.known()) << f.note();
  // 2 GPUs x 300 W x 2 h = 1.2 kWh, x PUE 1.5 = 1.8 kWh; x 200 g/kWh = 0.36 kg.
  EXPECT_NEAR(f.energy_kwh(), 1.8, 1e-9);
  EXPECT_NEAR(f.operational_kgco2e(), 0.36, 1e-9);
  // Embodied: 100 kg per GPU x 2 GPUs x 2 h / 1000 h = 0.4 kg.
  EXPECT_NEAR(f.embodied_kgco2e(), 0.4, 1e-9);
  EXPECT_NEAR(f.emissions_kgco2e(), 0.76, 1e-9);
  EXPECT_NEAR(f.gpu_hours(), 4, 1e-9);
  // 1.8 kWh x $0.1 + 4 GPU-hours x $2.
  EXPECT_NEAR(f.cost_usd(), 8.18, 1e-9);
  EXPECT_NEAR(f.mean_intensity_g_per_kwh(), 200, 1e-9);
  ASSERT_EQ(f.stand_in_zones_size(), 1);
  EXPECT_EQ(f.stand_in_zones(0), "Z");
}

TEST(Footprint, OpenRunCountsUpToNow) {
  const Topology topo = Fleet();
  JobRecord r = TwoGpusForTwoHours(topo);
  r.runs[0].end.reset();
  const CarbonSignal signal = Signal(std::nullopt, true);
  EXPECT_NEAR(JobFootprint(r, JobSpec{}, topo, &signal, kT0 + hours(1)).energy_kwh(), 0.9, 1e-9);
}

TEST(Footprint, NoDataIsNeverZero) {
  const Topology topo = Fleet();
  const JobRecord r = TwoGpusForTwoHours(topo);
  const v1::Footprint none = JobFootprint(r, JobSpec{}, topo, nullptr, kT0);
  EXPECT_FALSE(none.known());
  EXPECT_NE(none.note().find("--carbon"), std::string::npos);

  const CarbonSignal no_series = Signal(std::nullopt, false);
  const v1::Footprint missing = JobFootprint(r, JobSpec{}, topo, &no_series, kT0);
  EXPECT_FALSE(missing.known());
  EXPECT_NE(missing.note().find("Z"), std::string::npos) << missing.note();
  EXPECT_EQ(missing.emissions_kgco2e(), 0);  // not set: known() says so

  const CarbonSignal defaulted = Signal(400, false);
  const v1::Footprint f = JobFootprint(r, JobSpec{}, topo, &defaulted, kT0);
  ASSERT_TRUE(f.known());
  EXPECT_NEAR(f.operational_kgco2e(), 1.8 * 0.4, 1e-9);
  EXPECT_NE(f.note().find("defaultIntensity"), std::string::npos);
}

TEST(Footprint, RunsSurviveTheStore) {
  const Topology topo = Fleet();
  JobRecord r = TwoGpusForTwoHours(topo);
  r.id = 7;
  auto back = RecordFromJson(RecordToJson(r, topo).dump(), topo);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->runs.size(), 1u);
  EXPECT_EQ(back->runs[0].start, kT0);
  EXPECT_EQ(back->runs[0].end, kT0 + hours(2));
}

}  // namespace
}  // namespace harch
