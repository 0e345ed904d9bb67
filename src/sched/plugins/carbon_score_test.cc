// Tests of the "carbon" score (plugins/carbon_score.cc): geographic shifting that weighs the
// emissions of running in a hub against those of moving the job's data there over the WAN.
//
// Three hubs with constant intensities, PUEs and WAN links chosen so that every score below is
// computed by hand in its comment. The GPU power is set to 1 kW at full utilisation, so a GPU-hour
// is 1 kWh before PUE:
//
//   hub  country  zone   g/kWh  PUE   run of 1 GPU for 2 h
//   ma   MA       DIRTY  500    1.2   2.4 kWh x 500 = 1.2 kg
//   sn   SN       MID    300    1.5   3.0 kWh x 300 = 0.9 kg
//   fr   FR       CLEAN   50    1.1   2.2 kWh x  50 = 0.11 kg
//
//   link   latency  bandwidth  energy
//   ma-sn  30 ms    10 Gbps    0.01 kWh/GB
//   ma-fr  20 ms    40 Gbps    0.002 kWh/GB
//   (no sn-fr link: sn to fr goes through ma: 50 ms, 10 Gbps, 0.012 kWh/GB)
//
// Moving D GB from L to h emits D x energy x (I(L) + I(h)) / 2 / 1000 kg.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/random.h"
#include "base/time_text.h"
#include "carbon/signal.h"
#include "resource/fleet_spec.h"
#include "resource/topology.h"
#include "sched/job_spec.h"
#include "sched/plugins/plugins.h"
#include "sched/scheduler.h"

namespace harch {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const Time kStart = ParseTime("2026-03-02T00:00:00Z").value();
const Time kNow = kStart + hours(1);

constexpr char kFleet[] = R"(
apiVersion: harchos.io/v1alpha1
kind: Fleet
metadata: {name: carbon-score}
spec:
  hubs:
    - id: ma
      country: MA
      carbonZone: DIRTY
      pue: 1.2
      racks:
        - id: ma-r
          nodes:
            - {name: n, count: 2, cpu: 64, memory: 1TiB, gpus: {model: H100-SXM, count: 8, nvlink: nvswitch}}
    - id: sn
      country: SN
      carbonZone: MID
      pue: 1.5
      racks:
        - id: sn-r
          nodes:
            - {name: n, count: 2, cpu: 64, memory: 1TiB, gpus: {model: H100-SXM, count: 8, nvlink: nvswitch}}
    - id: fr
      country: FR
      carbonZone: CLEAN
      pue: 1.1
      racks:
        - id: fr-r
          nodes:
            - {name: n, count: 2, cpu: 64, memory: 1TiB, gpus: {model: H100-SXM, count: 8, nvlink: nvswitch}}
  wanLinks:
    - {from: ma, to: sn, latencyMs: 30, bandwidthGbps: 10, energyKwhPerGB: 0.01}
    - {from: ma, to: fr, latencyMs: 20, bandwidthGbps: 40, energyKwhPerGB: 0.002}
)";

Topology MakeFleet() {
  auto spec = ParseFleetSpec(kFleet, "fleet.yaml");
  EXPECT_TRUE(spec.ok()) << spec.status().ToString();
  auto topo = BuildTopology(*spec);
  EXPECT_TRUE(topo.ok()) << topo.status().ToString();
  return std::move(topo).value();
}

IntensitySeries Flat(const std::string& zone, double value) {
  std::vector<IntensityPoint> points;
  for (int64_t i = 0; i < 48; ++i) points.push_back({kStart + hours(i), value});
  return IntensitySeries(zone, std::move(points));
}

CarbonSignal MakeSignal() {
  CarbonConfig c;
  c.forecast_error = 0;
  c.utilisation = 1.0;
  c.power["H100-SXM"] = GpuPower{100, 1000};  // 1 kW at full utilisation
  std::map<std::string, IntensitySeries> zones;
  zones["DIRTY"] = Flat("DIRTY", 500);
  zones["MID"] = Flat("MID", 300);
  zones["CLEAN"] = Flat("CLEAN", 50);
  return CarbonSignal(std::move(c), std::move(zones));
}

// A job document: one group of `gpus` whole GPUs; `head` and `data` are spliced into spec.
std::string JobDoc(const std::string& head, const std::string& data = "", int gpus = 1) {
  std::string doc =
      "apiVersion: harchos.io/v1alpha1\nkind: Job\nmetadata: {name: j}\n"
      "spec:\n  tenant: t\n  kind: batch\n";
  doc += head;
  doc += "  taskGroups:\n    - name: main\n      gpusPerReplica: " + std::to_string(gpus) +
         "\n      cpuPerReplica: 1\n      memoryPerReplica: 1GiB\n";
  if (!data.empty()) doc += "  data:\n" + data;
  return doc;
}

JobSpec MustParse(const std::string& yaml) {
  auto spec = ParseJobSpec(yaml, "job.yaml");
  EXPECT_TRUE(spec.ok()) << spec.status().ToString() << "\n" << yaml;
  return spec.ok() ? std::move(spec).value() : JobSpec{};
}

class NoJobs final : public JobDirectory {
 public:
  std::vector<const Job*> RunningByName(const std::string&) const override { return {}; }
};

class CarbonScoreTest : public ::testing::Test {
 protected:
  // The carbon score of `spec` placed on one GPU of `hub`.
  double ScoreIn(const JobSpec& spec, const std::string& hub) const {
    Job job;
    job.id = JobId{1};
    job.spec = spec;
    job.submitted = job.queued_since = kNow;
    Plan plan;
    for (size_t i = 0; i < topo_.gpus().size() && plan.grants.empty(); ++i) {
      if (topo_.hub(topo_.gpus()[i].hub).id == hub) plan.grants.push_back(GpuGrant{GpuIdx(i)});
    }
    EXPECT_FALSE(plan.grants.empty()) << hub;
    const SchedContext ctx{topo_, tenants_, jobs_, kNow, &signal_};
    return score_->Score(ctx, job, job.spec.task_groups.front(), plan);
  }
  double Ma(const JobSpec& s) const { return ScoreIn(s, "ma"); }
  double Sn(const JobSpec& s) const { return ScoreIn(s, "sn"); }
  double Fr(const JobSpec& s) const { return ScoreIn(s, "fr"); }

  Topology topo_ = MakeFleet();
  TenantTree tenants_{QueueConfig{}};
  NoJobs jobs_;
  CarbonSignal signal_ = MakeSignal();
  std::unique_ptr<ScorePlugin> score_ = MakeCarbonScore();
};

constexpr char kTwoHours[] = "  expectedDuration: 2h\n";
constexpr char kAnywhere[] = "[MA, SN, FR]";

std::string Data(const std::string& name, const std::string& jurisdiction, const std::string& size,
                 const std::string& location) {
  std::string d = "    - name: " + name + "\n      jurisdiction: " + jurisdiction + "\n";
  if (!size.empty()) d += "      size: " + size + "\n";
  if (!location.empty()) d += "      location: " + location + "\n";
  return d;
}

TEST_F(CarbonScoreTest, WithoutDataTheRunDecidesWithThePue) {
  const JobSpec job = MustParse(JobDoc(kTwoHours));
  // fr 0.11 kg is the best; sn 0.9, ma 1.2.
  EXPECT_DOUBLE_EQ(Fr(job), 1.0);
  EXPECT_DOUBLE_EQ(Sn(job), 0.11 / 0.9);
  EXPECT_DOUBLE_EQ(Ma(job), 0.11 / 1.2);
}

TEST_F(CarbonScoreTest, SmallDataMovesToTheCleanerHub) {
  const JobSpec job = MustParse(JobDoc(kTwoHours, Data("d", kAnywhere, "1000G", "ma")));
  // fr: 0.11 + 1000 x 0.002 x (500 + 50) / 2 / 1000 = 0.11 + 0.55 = 0.66 kg
  // ma: 1.2 (the data is there)
  // sn: 0.9 + 1000 x 0.01 x (500 + 300) / 2 / 1000 = 0.9 + 4 = 4.9
  EXPECT_DOUBLE_EQ(Fr(job), 1.0);
  EXPECT_DOUBLE_EQ(Ma(job), 0.66 / 1.2);
  EXPECT_DOUBLE_EQ(Sn(job), 0.66 / 4.9);
}

TEST_F(CarbonScoreTest, LargeDataKeepsTheJobWhereTheDataIs) {
  const JobSpec job = MustParse(JobDoc(kTwoHours, Data("d", kAnywhere, "5000G", "ma")));
  // fr: 0.11 + 5000 x 0.002 x 275 / 1000 = 0.11 + 2.75 = 2.86
  // sn: 0.9 + 5000 x 0.01 x 400 / 1000 = 0.9 + 20 = 20.9
  EXPECT_DOUBLE_EQ(Ma(job), 1.0);
  EXPECT_DOUBLE_EQ(Fr(job), 1.2 / 2.86);
  EXPECT_DOUBLE_EQ(Sn(job), 1.2 / 20.9);
}

TEST_F(CarbonScoreTest, DataWithoutALocationOrSizeIsNotWeighed) {
  const JobSpec unlocated = MustParse(JobDoc(kTwoHours, Data("d", kAnywhere, "5000G", "")));
  EXPECT_DOUBLE_EQ(Fr(unlocated), 1.0);
  EXPECT_DOUBLE_EQ(Ma(unlocated), 0.11 / 1.2);
  const JobSpec sizeless = MustParse(JobDoc(kTwoHours, Data("d", kAnywhere, "", "ma")));
  EXPECT_DOUBLE_EQ(Fr(sizeless), 1.0);
  EXPECT_DOUBLE_EQ(Ma(sizeless), 0.11 / 1.2);
}

TEST_F(CarbonScoreTest, DataTravelsTheRouteThroughAnotherHub) {
  const JobSpec job = MustParse(JobDoc(kTwoHours, Data("d", kAnywhere, "1000G", "sn")));
  // sn: 0.9 (local)
  // ma: 1.2 + 1000 x 0.01 x (300 + 500) / 2 / 1000 = 1.2 + 4 = 5.2
  // fr: via ma, 0.012 kWh/GB: 0.11 + 1000 x 0.012 x (300 + 50) / 2 / 1000 = 0.11 + 2.1 = 2.21
  EXPECT_DOUBLE_EQ(Sn(job), 1.0);
  EXPECT_DOUBLE_EQ(Ma(job), 0.9 / 5.2);
  EXPECT_DOUBLE_EQ(Fr(job), 0.9 / 2.21);
}

TEST_F(CarbonScoreTest, EveryObjectNotInTheHubIsMoved) {
  const JobSpec job = MustParse(
      JobDoc(kTwoHours, Data("a", kAnywhere, "1000G", "ma") + Data("b", kAnywhere, "100G", "sn")));
  // ma: 1.2 + 100 x 0.01 x 400 / 1000 = 1.2 + 0.4 = 1.6
  // sn: 0.9 + 1000 x 0.01 x 400 / 1000 = 0.9 + 4 = 4.9
  // fr: 0.11 + 0.55 + 100 x 0.012 x (300 + 50) / 2 / 1000 = 0.66 + 0.21 = 0.87
  EXPECT_DOUBLE_EQ(Fr(job), 1.0);
  EXPECT_DOUBLE_EQ(Ma(job), 0.87 / 1.6);
  EXPECT_DOUBLE_EQ(Sn(job), 0.87 / 4.9);
}

TEST_F(CarbonScoreTest, WithoutAnExpectedDurationOneHourIsAssumed) {
  const JobSpec job = MustParse(JobDoc("", Data("d", kAnywhere, "1000G", "ma")));
  // One hour: ma 1.2 x 500 / 1000 = 0.6; fr 1.1 x 50 / 1000 + 0.55 = 0.605: the data stays.
  EXPECT_DOUBLE_EQ(Ma(job), 1.0);
  EXPECT_DOUBLE_EQ(Fr(job), 0.6 / 0.605);
}

TEST_F(CarbonScoreTest, HighLatencyWorkNeverLeavesItsData) {
  const std::string high = std::string(kTwoHours) + "  latencySensitivity: high\n";
  const JobSpec job = MustParse(JobDoc(high, Data("d", kAnywhere, "1000G", "ma")));
  EXPECT_EQ(Ma(job), 1.0);
  EXPECT_EQ(Fr(job), 0.0);  // though moving there would emit less
  EXPECT_EQ(Sn(job), 0.0);

  // All of its located data in one hub, some of it unlocated: still that hub.
  const JobSpec partly = MustParse(
      JobDoc(high, Data("a", kAnywhere, "1000G", "sn") + Data("b", kAnywhere, "1000G", "")));
  EXPECT_EQ(Sn(partly), 1.0);
  EXPECT_EQ(Fr(partly), 0.0);

  // Data in two hubs, or nowhere known: not carbon-scored.
  const JobSpec split = MustParse(
      JobDoc(high, Data("a", kAnywhere, "1000G", "ma") + Data("b", kAnywhere, "1000G", "sn")));
  const JobSpec unlocated = MustParse(JobDoc(high, Data("a", kAnywhere, "1000G", "")));
  for (const JobSpec* s : {&split, &unlocated}) {
    EXPECT_EQ(Ma(*s), 1.0);
    EXPECT_EQ(Sn(*s), 1.0);
    EXPECT_EQ(Fr(*s), 1.0);
  }
}

TEST_F(CarbonScoreTest, MediumLatencyWorkScoresLowestBeyondTheLatencyBound) {
  const std::string medium = std::string(kTwoHours) + "  latencySensitivity: medium\n";
  const JobSpec job = MustParse(JobDoc(medium, Data("d", kAnywhere, "1000G", "ma")));
  // fr is 20 ms from the data (within 25 ms): as for low latency. sn is 30 ms away: 0.
  EXPECT_DOUBLE_EQ(Fr(job), 1.0);
  EXPECT_DOUBLE_EQ(Ma(job), 0.66 / 1.2);
  EXPECT_EQ(Sn(job), 0.0);
  // Data in sn: fr is 50 ms away through ma, ma 30 ms; only sn remains.
  const JobSpec far = MustParse(JobDoc(medium, Data("d", kAnywhere, "1000G", "sn")));
  EXPECT_EQ(Sn(far), 1.0);
  EXPECT_EQ(Ma(far), 0.0);
  EXPECT_EQ(Fr(far), 0.0);
}

TEST_F(CarbonScoreTest, AHubWhereMovingTheDataOutlastsTheSlackIsNotPreferred) {
  // 1000 GB = 8000 Gb: 200 s to fr at 40 Gbps, 800 s to sn at 10 Gbps.
  const auto with_slack = [&](int64_t s) {
    const std::string head = std::string(kTwoHours) + "  deadline: \"" +
                             FormatTime(kNow + hours(2) + seconds(s)) + "\"\n";
    return MustParse(JobDoc(head, Data("d", kAnywhere, "1000G", "ma")));
  };
  const JobSpec roomy = with_slack(300);
  EXPECT_DOUBLE_EQ(Fr(roomy), 1.0);
  EXPECT_DOUBLE_EQ(Ma(roomy), 0.66 / 1.2);
  EXPECT_EQ(Sn(roomy), 0.0);
  const JobSpec tight = with_slack(100);
  EXPECT_EQ(Ma(tight), 1.0);
  EXPECT_EQ(Fr(tight), 0.0);
  EXPECT_EQ(Sn(tight), 0.0);
  // Already late: the data's own hub is not held back, moving is.
  const JobSpec late = with_slack(-600);
  EXPECT_EQ(Ma(late), 1.0);
  EXPECT_EQ(Fr(late), 0.0);
}

TEST_F(CarbonScoreTest, ACleanerHubOutsideTheJurisdictionIsNotTheYardstick) {
  // May run in MA or SN only: fr, the cleanest, is not compared against.
  const JobSpec job = MustParse(JobDoc(kTwoHours, Data("d", "[MA, SN]", "", "")));
  EXPECT_DOUBLE_EQ(Sn(job), 1.0);
  EXPECT_DOUBLE_EQ(Ma(job), 0.9 / 1.2);
  const JobSpec located = MustParse(JobDoc(kTwoHours, Data("d", "[MA, SN]", "1000G", "ma")));
  EXPECT_DOUBLE_EQ(Ma(located), 1.0);
  EXPECT_DOUBLE_EQ(Sn(located), 1.2 / 4.9);
}

TEST_F(CarbonScoreTest, WithoutCarbonDataOrWithoutAnIntensityHere) {
  const JobSpec job = MustParse(JobDoc(kTwoHours, Data("d", kAnywhere, "1000G", "ma")));
  Job j;
  j.spec = job;
  Plan plan;
  plan.grants.push_back(GpuGrant{GpuIdx(size_t{0})});
  const SchedContext no_carbon{topo_, tenants_, jobs_, kNow, nullptr};
  EXPECT_EQ(score_->Score(no_carbon, j, job.task_groups.front(), plan), 1.0);
  // After the series ends (no default declared): unknown, neither preferred nor avoided.
  const SchedContext later{topo_, tenants_, jobs_, kStart + hours(100), &signal_};
  EXPECT_EQ(score_->Score(later, j, job.task_groups.front(), plan), 0.5);
}

// --- Through the Scheduler (profile harch-carbon) ---------------------------------------------

class CarbonScoreScheduling : public ::testing::Test {
 protected:
  CarbonScoreScheduling() {
    sched_ = std::make_unique<Scheduler>(
        &topo_, PluginRegistry::Default().MakeProfile("harch-carbon").value(), QueueConfig{},
        SchedulerConfig{}, &clock_, &rng_, &clock_);
    sched_->SetCarbon(&signal_);
  }
  std::string HubOf(JobId id) const {
    const Job* job = sched_->Find(id);
    EXPECT_EQ(job->state, JobState::kRunning)
        << job->pending_constraint << ": " << job->pending_reason;
    if (job->placement.empty()) return "";
    return topo_.hub(topo_.gpu(job->placement.front().grants.front().gpu).hub).id;
  }

  Topology topo_ = MakeFleet();
  ManualClock clock_{kNow};
  Random rng_{1};
  CarbonSignal signal_ = MakeSignal();
  std::unique_ptr<Scheduler> sched_;
};

// One job per test, on an empty fleet: the other scores tie across the hubs, the carbon score
// decides.
TEST_F(CarbonScoreScheduling, SmallDataJobMovesToTheCleanerHub) {
  auto id = sched_->Submit(MustParse(JobDoc(kTwoHours, Data("d", kAnywhere, "1000G", "ma"))));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  sched_->Schedule();
  EXPECT_EQ(HubOf(*id), "fr");
}

TEST_F(CarbonScoreScheduling, LargeDataJobStaysWithItsData) {
  auto id = sched_->Submit(MustParse(JobDoc(kTwoHours, Data("d", kAnywhere, "5000G", "ma"))));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  sched_->Schedule();
  EXPECT_EQ(HubOf(*id), "ma");
}

TEST_F(CarbonScoreScheduling, ACleanerHubOutsideTheJurisdictionNeverWins) {
  // fr emits a tenth of ma and the data is small, but the data may not leave MA (or SN).
  std::vector<JobId> ids;
  for (const char* where : {"[MA]", "[MA, SN]"}) {
    for (const char* location : {"", "ma"}) {
      for (const char* latency : {"low", "medium", "high"}) {
        const std::string head = std::string(kTwoHours) + "  latencySensitivity: " + latency + "\n";
        auto id = sched_->Submit(MustParse(JobDoc(head, Data("d", where, "1G", location))));
        ASSERT_TRUE(id.ok()) << id.status().ToString();
        ids.push_back(*id);
      }
    }
  }
  sched_->Schedule();
  for (JobId id : ids) {
    const std::string hub = HubOf(id);
    EXPECT_NE(hub, "fr") << "job " << id.value;
    EXPECT_FALSE(hub.empty());
  }
}

TEST_F(CarbonScoreScheduling, HighLatencyWorkStaysWithItsData) {
  const std::string high = std::string(kTwoHours) + "  latencySensitivity: high\n";
  auto id = sched_->Submit(MustParse(JobDoc(high, Data("d", kAnywhere, "1G", "sn"))));
  ASSERT_TRUE(id.ok());
  sched_->Schedule();
  EXPECT_EQ(HubOf(*id), "sn");
}

TEST_F(CarbonScoreScheduling, SubmitRefusesALocationThatIsNoHub) {
  const std::string doc = JobDoc(kTwoHours, Data("d", kAnywhere, "1G", "rabat"));
  auto id = sched_->Submit(MustParse(doc));
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), Code::kInvalidArgument);
  const std::string before = doc.substr(0, doc.find("rabat"));
  const auto line = std::count(before.begin(), before.end(), '\n') + 1;
  EXPECT_EQ(id.status().message(),
            "job.yaml:" + std::to_string(line) +
                ":17: spec.data[0].location: names no hub of the fleet: 'rabat' "
                "(hubs: ma, sn, fr)");
}

TEST_F(CarbonScoreScheduling, SubmitRefusesDataStoredOutsideItsOwnJurisdiction) {
  auto id = sched_->Submit(MustParse(JobDoc(kTwoHours, Data("d", "[MA, SN]", "1G", "fr"))));
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(id.status().message(), StartsWith("job.yaml:"));
  EXPECT_THAT(
      id.status().message(),
      HasSubstr("spec.data[0].location: data object 'd' is stored in hub fr in FR, outside its own "
                "jurisdiction [MA, SN]: the data is already out of bounds"));
  EXPECT_TRUE(sched_->JobsIn(JobState::kPending).empty());
}

TEST_F(CarbonScoreScheduling, SubmitChecksLocationsOfSpecsBuiltInCode) {
  JobSpec spec = MustParse(JobDoc(kTwoHours));
  DataObject& d = spec.data.emplace_back();
  d.name = "d";
  d.jurisdiction = {"MA"};
  d.location = "nowhere";
  d.ref = SourceRef{"trace.csv", 0, 0, "spec.data[0]"};
  auto id = sched_->Submit(spec);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(
      id.status().message(),
      "trace.csv: spec.data[0].location: names no hub of the fleet: 'nowhere' (hubs: ma, sn, fr)");
}

}  // namespace
}  // namespace harch
