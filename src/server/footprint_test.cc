// A job's footprint from its GPU runs and measured energy, and totals per hub and tenant,
// against hand computations.
#include "server/footprint.h"

#include <gtest/gtest.h>

#include "base/time_text.h"
#include "resource/test_fleet.h"

namespace harch {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

const Time kT0 = Time(hours(24 * 365 * 56));

// Hub h: PUE 1.5, $0.1/kWh, stand-in zone Z; one node of two H100-SXM.
constexpr char kHubH[] = R"(    - id: h
      country: MA
      carbonZone: Z
      carbonZoneStandIn: true
      pue: 1.5
      energyPriceUsdPerKwh: 0.1
      racks:
        - id: r
          nodes:
            - {name: n1, cpu: 32, memory: 256GiB, gpus: {model: H100-SXM, count: 2, nvlink: nvswitch}}
)";

Topology Fleet() { return MustBuild(std::string("  hubs:\n") + kHubH); }

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

// ---------------------------------------------------------------- measured energy

TEST(MeasuredEnergy, SplitsIntervalsOverBuckets) {
  MeasuredEnergy m;
  m.Add("h", "H100-SXM", kT0 + minutes(4), kT0 + minutes(6), 120, 1);
  ASSERT_EQ(m.buckets.size(), 2u);
  const MeasuredBucket& a = m.buckets.at({"h", "H100-SXM", kT0});
  const MeasuredBucket& b = m.buckets.at({"h", "H100-SXM", kT0 + minutes(5)});
  EXPECT_NEAR(a.joules, 60, 1e-9);
  EXPECT_NEAR(b.joules, 60, 1e-9);
  EXPECT_NEAR(a.gpu_seconds, 60, 1e-9);
  EXPECT_EQ(a.first, kT0 + minutes(4));
  EXPECT_EQ(a.last, kT0 + minutes(5));
  EXPECT_EQ(b.first, kT0 + minutes(5));
  EXPECT_EQ(b.last, kT0 + minutes(6));
}

// Z at 100 g/kWh in the first hour, 300 in the second.
CarbonSignal TwoHourSignal() {
  CarbonConfig c;
  c.utilisation = 0.5;
  c.power["H100-SXM"] = GpuPower{100, 500};  // 300 W at 50%
  c.embodied = Embodied{100, hours(1000)};
  c.gpu_hour_usd = 2;
  std::map<std::string, IntensitySeries> zones;
  zones["Z"] = IntensitySeries("Z", {{kT0, 100}, {kT0 + hours(1), 300}});
  return CarbonSignal(std::move(c), std::move(zones));
}

TEST(Footprint, MeasuredEnergyReplacesTheModelWhereItCovers) {
  const Topology topo = Fleet();
  const JobRecord r = TwoGpusForTwoHours(topo);
  const CarbonSignal signal = TwoHourSignal();
  // Both GPUs measured for the first hour at 250 W each: 1.8 MJ.
  MeasuredEnergy m;
  m.Add("h", "H100-SXM", kT0, kT0 + hours(1), 2 * 250 * 3600.0, 2);
  const v1::Footprint f = JobFootprint(r, JobSpec{}, topo, &signal, &m, kT0 + hours(5));
  ASSERT_TRUE(f.known()) << f.note();
  // Measured hour: 0.5 kWh x PUE 1.5 = 0.75 kWh at 100 g; modelled hour: 2 x 300 W x 1.5 = 0.9
  // kWh at 300 g.
  EXPECT_NEAR(f.measured_energy_kwh(), 0.75, 1e-9);
  EXPECT_NEAR(f.energy_kwh(), 1.65, 1e-9);
  EXPECT_NEAR(f.operational_kgco2e(), 0.075 + 0.27, 1e-9);
  EXPECT_NEAR(f.embodied_kgco2e(), 0.4, 1e-9);  // time-based: unchanged
  EXPECT_NEAR(f.gpu_hours(), 4, 1e-9);
  EXPECT_NEAR(f.cost_usd(), 1.65 * 0.1 + 4 * 2, 1e-9);
  EXPECT_NEAR(f.mean_intensity_g_per_kwh(), 0.345 * 1000 / 1.65, 1e-9);
  EXPECT_EQ(f.energy_source(), "mixed");
  EXPECT_NEAR(f.measured_share(), 0.5, 1e-9);

  m.Add("h", "H100-SXM", kT0 + hours(1), kT0 + hours(2), 2 * 250 * 3600.0, 2);
  const v1::Footprint all = JobFootprint(r, JobSpec{}, topo, &signal, &m, kT0 + hours(5));
  EXPECT_EQ(all.energy_source(), "measured");
  EXPECT_NEAR(all.energy_kwh(), 1.5, 1e-9);
  EXPECT_NEAR(all.operational_kgco2e(), 0.075 + 0.225, 1e-9);

  const v1::Footprint none = JobFootprint(r, JobSpec{}, topo, &signal, nullptr, kT0 + hours(5));
  EXPECT_EQ(none.energy_source(), "model");
  EXPECT_EQ(none.measured_share(), 0);
  EXPECT_NEAR(none.energy_kwh(), 1.8, 1e-9);
}

TEST(Footprint, AWindowClipsRunsAndReadings) {
  const Topology topo = Fleet();
  const JobRecord r = TwoGpusForTwoHours(topo);
  const CarbonSignal signal = TwoHourSignal();
  MeasuredEnergy m;
  m.Add("h", "H100-SXM", kT0, kT0 + hours(1), 2 * 250 * 3600.0, 2);
  const FootprintScope scope{"", kT0 + minutes(30), kT0 + minutes(90)};
  const v1::Footprint f = JobFootprint(r, JobSpec{}, topo, &signal, &m, kT0 + hours(5), scope);
  ASSERT_TRUE(f.known()) << f.note();
  // 00:30-01:00 measured (0.375 kWh at 100 g), 01:00-01:30 modelled (0.45 kWh at 300 g).
  EXPECT_NEAR(f.energy_kwh(), 0.825, 1e-9);
  EXPECT_NEAR(f.operational_kgco2e(), 0.0375 + 0.135, 1e-9);
  EXPECT_NEAR(f.gpu_hours(), 2, 1e-9);
  EXPECT_NEAR(f.measured_share(), 0.5, 1e-9);
}

// ---------------------------------------------------------------- totals

// Hubs h (PUE 1.5, $0.1/kWh, stand-in zone Z at 200 g), g (PUE 1.2, $0.2/kWh, zone Y at 100 g)
// and u (zone U without data), one node of two H100-SXM each.
Topology ThreeHubs() {
  return MustBuild(std::string("  hubs:\n") + kHubH + R"(    - id: g
      country: MA
      carbonZone: Y
      pue: 1.2
      energyPriceUsdPerKwh: 0.2
      racks:
        - id: s
          nodes:
            - {name: n2, cpu: 32, memory: 256GiB, gpus: {model: H100-SXM, count: 2, nvlink: nvswitch}}
    - id: u
      country: MA
      carbonZone: U
      racks:
        - id: t
          nodes:
            - {name: n3, cpu: 32, memory: 256GiB, gpus: {model: H100-SXM, count: 2, nvlink: nvswitch}}
)");
}

CarbonSignal ThreeZones() {
  CarbonConfig c;
  c.utilisation = 0.5;
  c.power["H100-SXM"] = GpuPower{100, 500};
  c.embodied = Embodied{100, hours(1000)};
  c.gpu_hour_usd = 2;
  std::map<std::string, IntensitySeries> zones;
  zones["Z"] = IntensitySeries("Z", {{kT0, 200}, {kT0 + hours(1), 200}, {kT0 + hours(2), 200}});
  zones["Y"] = IntensitySeries("Y", {{kT0, 100}, {kT0 + hours(1), 100}, {kT0 + hours(2), 100}});
  return CarbonSignal(std::move(c), std::move(zones));
}

JobRecord Ran(uint64_t id, const std::string& tenant, const std::string& hub, double gpus, Time from, Time to) {
  JobRecord r;
  r.id = id;
  r.tenant = tenant;
  r.runs.push_back(GpuRunRecord{hub, "H100-SXM", gpus, from, to});
  return r;
}

class FootprintTotalsTest : public ::testing::Test {
 protected:
  FootprintTotalsTest() {
    // a: 2 GPUs in h for 2 h; b: 1 GPU in g for 1 h, and 1 GPU in u (no data) for 1 h;
    // a/sub: 1 GPU in g for the second hour; c: never ran.
    recs_ = {Ran(1, "a", "h", 2, kT0, kT0 + hours(2)), Ran(2, "b", "g", 1, kT0, kT0 + hours(1)),
             Ran(3, "a/sub", "g", 1, kT0 + hours(1), kT0 + hours(2)), Ran(4, "b", "u", 1, kT0, kT0 + hours(1))};
    JobRecord never;
    never.id = 5;
    never.tenant = "c";
    recs_.push_back(never);
    for (const auto& r : recs_) jobs_.push_back({&r, &spec_, nullptr});
  }

  v1::FootprintTotals Sum(const std::string& tenant = "", const std::string& hub = "",
                          const std::string& from = "", const std::string& to = "") {
    v1::FootprintRequest req;
    req.set_tenant(tenant);
    req.set_hub(hub);
    req.set_from(from);
    req.set_to(to);
    auto out = SumFootprints(jobs_, req, topo_, &signal_, kT0 + hours(5));
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? *out : v1::FootprintTotals{};
  }

  Status Error(const std::string& tenant, const std::string& hub, const std::string& from, const std::string& to) {
    v1::FootprintRequest req;
    req.set_tenant(tenant);
    req.set_hub(hub);
    req.set_from(from);
    req.set_to(to);
    return SumFootprints(jobs_, req, topo_, &signal_, kT0 + hours(5)).status();
  }

  const Topology topo_ = ThreeHubs();
  const CarbonSignal signal_ = ThreeZones();
  JobSpec spec_;
  std::vector<JobRecord> recs_;
  std::vector<FootprintJob> jobs_;
};

TEST_F(FootprintTotalsTest, PerHubPerTenantAndAll) {
  const v1::FootprintTotals t = Sum();
  ASSERT_EQ(t.hubs_size(), 3);
  // h: 2 x 300 W x 2 h x 1.5 = 1.8 kWh; x 200 g = 0.36 kg; embodied 100 kg x 4 GPU-h / 1000 h.
  const v1::HubFootprint& h = t.hubs(0);
  EXPECT_EQ(h.hub(), "h");
  EXPECT_EQ(h.carbon_zone(), "Z");
  EXPECT_TRUE(h.stand_in());
  EXPECT_EQ(h.sum().jobs(), 1);
  EXPECT_NEAR(h.sum().energy_kwh(), 1.8, 1e-9);
  EXPECT_NEAR(h.sum().operational_kgco2e(), 0.36, 1e-9);
  EXPECT_NEAR(h.sum().embodied_kgco2e(), 0.4, 1e-9);
  EXPECT_NEAR(h.sum().emissions_kgco2e(), 0.76, 1e-9);
  EXPECT_NEAR(h.sum().gpu_hours(), 4, 1e-9);
  EXPECT_NEAR(h.sum().cost_usd(), 1.8 * 0.1 + 4 * 2, 1e-9);
  // g: two 1-GPU hours: 2 x 300 W x 1 h x 1.2 = 0.72 kWh; x 100 g = 0.072 kg; embodied 0.2 kg.
  const v1::HubFootprint& g = t.hubs(1);
  EXPECT_EQ(g.hub(), "g");
  EXPECT_FALSE(g.stand_in());
  EXPECT_EQ(g.sum().jobs(), 2);
  EXPECT_NEAR(g.sum().energy_kwh(), 0.72, 1e-9);
  EXPECT_NEAR(g.sum().operational_kgco2e(), 0.072, 1e-9);
  EXPECT_NEAR(g.sum().embodied_kgco2e(), 0.2, 1e-9);
  EXPECT_NEAR(g.sum().cost_usd(), 0.72 * 0.2 + 2 * 2, 1e-9);
  EXPECT_NEAR(g.sum().mean_intensity_g_per_kwh(), 100, 1e-9);
  // u: its zone has no data and there is no default: unknown, not zero.
  const v1::HubFootprint& u = t.hubs(2);
  EXPECT_EQ(u.sum().jobs(), 1);
  EXPECT_EQ(u.sum().jobs_unknown(), 1);
  ASSERT_EQ(t.unknown_size(), 1);
  EXPECT_EQ(t.unknown(0).job(), 4u);
  EXPECT_EQ(t.unknown(0).hub(), "u");
  EXPECT_NE(t.unknown(0).note().find("zone U"), std::string::npos) << t.unknown(0).note();

  ASSERT_EQ(t.tenants_size(), 3);  // c never ran
  EXPECT_EQ(t.tenants(0).tenant(), "a");
  EXPECT_NEAR(t.tenants(0).sum().energy_kwh(), 1.8, 1e-9);
  ASSERT_EQ(t.tenants(0).stand_in_zones_size(), 1);
  EXPECT_EQ(t.tenants(1).tenant(), "a/sub");
  EXPECT_NEAR(t.tenants(1).sum().energy_kwh(), 0.36, 1e-9);
  EXPECT_EQ(t.tenants(2).tenant(), "b");
  EXPECT_EQ(t.tenants(2).sum().jobs(), 2);
  EXPECT_EQ(t.tenants(2).sum().jobs_unknown(), 1);
  EXPECT_NEAR(t.tenants(2).sum().energy_kwh(), 0.36, 1e-9);  // the known job only

  EXPECT_EQ(t.total().jobs(), 4);
  EXPECT_EQ(t.total().jobs_unknown(), 1);
  EXPECT_NEAR(t.total().energy_kwh(), 2.52, 1e-9);
  EXPECT_NEAR(t.total().operational_kgco2e(), 0.432, 1e-9);
  EXPECT_NEAR(t.total().embodied_kgco2e(), 0.6, 1e-9);
  EXPECT_NEAR(t.total().emissions_kgco2e(), 1.032, 1e-9);
  EXPECT_NEAR(t.total().gpu_hours(), 6, 1e-9);
  EXPECT_NEAR(t.total().cost_usd(), 8.18 + 4.144, 1e-9);
  EXPECT_NEAR(t.total().mean_intensity_g_per_kwh(), 432 / 2.52, 1e-9);
  ASSERT_EQ(t.stand_in_zones_size(), 1);
  EXPECT_EQ(t.stand_in_zones(0), "Z");
  EXPECT_FALSE(t.has_from());
}

TEST_F(FootprintTotalsTest, Filters) {
  // A tenant covers its sub-tenants.
  v1::FootprintTotals t = Sum("a");
  EXPECT_EQ(t.total().jobs(), 2);
  EXPECT_NEAR(t.total().energy_kwh(), 2.16, 1e-9);
  EXPECT_EQ(t.tenants_size(), 2);

  t = Sum("", "g");
  ASSERT_EQ(t.hubs_size(), 1);
  EXPECT_EQ(t.total().jobs(), 2);
  EXPECT_NEAR(t.total().energy_kwh(), 0.72, 1e-9);
  EXPECT_EQ(t.total().jobs_unknown(), 0);

  // 00:30-01:30: half of each run.
  t = Sum("", "", "1970-01-01T00:00:00Z", "");
  EXPECT_EQ(t.total().jobs(), 4);
  const std::string from = FormatTime(kT0 + minutes(30));
  const std::string to = FormatTime(kT0 + minutes(90));
  t = Sum("", "", from, to);
  EXPECT_EQ(t.total().jobs(), 4);
  EXPECT_NEAR(t.hubs(0).sum().energy_kwh(), 0.9, 1e-9);
  EXPECT_NEAR(t.hubs(1).sum().energy_kwh(), 0.36, 1e-9);
  EXPECT_NEAR(t.total().gpu_hours(), 3, 1e-9);
  EXPECT_EQ(FormatTime(Time(std::chrono::seconds(t.from().seconds()))), from);

  t = Sum("", "", FormatTime(kT0 + hours(3)), FormatTime(kT0 + hours(4)));
  EXPECT_EQ(t.total().jobs(), 0);
  EXPECT_EQ(t.total().energy_kwh(), 0);
}

TEST_F(FootprintTotalsTest, BadParametersNameThemselves) {
  auto field = [](const Status& st) { return st.message().substr(0, st.message().find(':')); };
  Status st = Error("", "atlantis", "", "");
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_EQ(field(st), "hub");
  EXPECT_NE(st.message().find("h, g, u"), std::string::npos) << st.message();
  EXPECT_EQ(field(Error("", "", "yesterday", "")), "from");
  EXPECT_EQ(field(Error("", "", "", "2022-02-30T00:00:00")), "to");
  EXPECT_EQ(field(Error("", "", FormatTime(kT0 + hours(2)), FormatTime(kT0))), "to");
  EXPECT_EQ(field(Error("", "", FormatTime(kT0 + hours(50)), "")), "from");
}

TEST_F(FootprintTotalsTest, WithoutCarbonConfigEverythingIsUnknown) {
  v1::FootprintRequest req;
  auto t = SumFootprints(jobs_, req, topo_, nullptr, kT0 + hours(5));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->total().jobs(), 4);
  EXPECT_EQ(t->total().jobs_unknown(), 4);
  EXPECT_EQ(t->total().energy_kwh(), 0);
  EXPECT_NE(t->note().find("--carbon"), std::string::npos);
  EXPECT_EQ(t->unknown_size(), 4);
}

}  // namespace
}  // namespace harch
