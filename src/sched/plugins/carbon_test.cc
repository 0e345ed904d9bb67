// Tests of carbon-aware scheduling (plugins/carbon.cc) through the Scheduler with the
// harch-carbon profile, on a two-hub fleet with hand-made intensity series:
//   - flexible work waits for the cleanest forecast window and starts there;
//   - latency-sensitive work, and work without a deadline or window, is never delayed;
//   - interruptible work runs in its cleanest slots, paused in between, its work kept;
//   - property: on random series, forecast errors, deadlines and job mixes, no job starts later
//     than its deadline allows (no deadline is missed because of shifting), and no grant ever
//     lies outside the jurisdiction the job's data allows, whatever the carbon gain elsewhere.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
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
using std::chrono::minutes;

const Time kStart = ParseTime("2026-03-02T00:00:00Z").value();

// Morocco on a dirty zone, France on a clean one; each hub holds 16 H100s.
constexpr char kFleet[] = R"(
apiVersion: harchos.io/v1alpha1
kind: Fleet
metadata: {name: carbon}
spec:
  hubs:
    - id: ma
      country: MA
      carbonZone: DIRTY
      racks:
        - id: r1
          nodes:
            - {name: n, count: 2, cpu: 64, memory: 1TiB, gpus: {model: H100-SXM, count: 8, nvlink: nvswitch}}
    - id: fr
      country: FR
      carbonZone: CLEAN
      racks:
        - id: r2
          nodes:
            - {name: n, count: 2, cpu: 64, memory: 1TiB, gpus: {model: H100-SXM, count: 8, nvlink: nvswitch}}
)";

Topology MakeFleet() {
  auto spec = ParseFleetSpec(kFleet, "carbon.yaml");
  EXPECT_TRUE(spec.ok()) << spec.status().ToString();
  auto topo = BuildTopology(*spec);
  EXPECT_TRUE(topo.ok()) << topo.status().ToString();
  return std::move(topo).value();
}

IntensitySeries Hourly(const std::string& zone, const std::vector<double>& values) {
  std::vector<IntensityPoint> points;
  for (size_t i = 0; i < values.size(); ++i) points.push_back({kStart + hours(static_cast<int64_t>(i)), values[i]});
  return IntensitySeries(zone, std::move(points));
}

CarbonSignal MakeSignal(IntensitySeries dirty, IntensitySeries clean, double error,
                        std::optional<CarbonConfig::CapacityScaling> scaling = std::nullopt) {
  CarbonConfig c;
  c.capacity_scaling = scaling;
  c.forecast_error = error;
  c.shift_step = minutes(30);
  std::map<std::string, IntensitySeries> zones;
  zones["DIRTY"] = std::move(dirty);
  zones["CLEAN"] = std::move(clean);
  return CarbonSignal(std::move(c), std::move(zones));
}

struct JobArgs {
  std::string name = "job";
  std::string kind = "batch";
  std::string latency;  // empty: the kind's default
  int gpus = 1;
  std::optional<Duration> expected = hours(2);
  std::optional<Time> deadline;
  std::optional<Duration> window;
  std::vector<std::string> jurisdiction;  // empty: none
  bool interruptible = false;
};

JobSpec MakeJob(const JobArgs& a) {
  std::string y = "apiVersion: harchos.io/v1alpha1\nkind: Job\nmetadata: {name: " + a.name +
                  "}\nspec:\n  tenant: t\n  kind: " + a.kind + "\n";
  if (!a.latency.empty()) y += "  latencySensitivity: " + a.latency + "\n";
  if (a.expected) y += "  expectedDuration: " + std::to_string(std::chrono::duration_cast<minutes>(*a.expected).count()) + "m\n";
  if (a.deadline) y += "  deadline: \"" + FormatTime(*a.deadline) + "\"\n";
  if (a.interruptible) y += "  interruptible: true\n";
  if (a.window) y += "  flexibilityWindow: " + std::to_string(std::chrono::duration_cast<minutes>(*a.window).count()) + "m\n";
  y += "  taskGroups:\n    - name: main\n      replicas: 1\n      gpusPerReplica: " + std::to_string(a.gpus) +
       "\n      cpuPerReplica: 1\n      memoryPerReplica: 1GiB\n      command: [run]\n";
  if (!a.jurisdiction.empty()) {
    y += "  data:\n    - name: d\n      jurisdiction: [";
    for (size_t i = 0; i < a.jurisdiction.size(); ++i) y += (i ? ", " : "") + a.jurisdiction[i];
    y += "]\n";
  }
  auto spec = ParseJobSpec(y, "job.yaml");
  EXPECT_TRUE(spec.ok()) << spec.status().ToString() << "\n" << y;
  return std::move(spec).value();
}

class CarbonScheduling : public ::testing::Test {
 protected:
  void Start(CarbonSignal signal, const std::string& profile = "harch-carbon") {
    signal_ = std::make_unique<CarbonSignal>(std::move(signal));
    sched_ = std::make_unique<Scheduler>(&topo_, PluginRegistry::Default().MakeProfile(profile).value(),
                                         QueueConfig{}, SchedulerConfig{}, &clock_, &rng_, &clock_);
    sched_->SetCarbon(signal_.get());
  }
  JobId Submit(const JobArgs& a) {
    auto id = sched_->Submit(MakeJob(a));
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return *id;
  }
  // MA: 500 g/kWh but clean at hours 2-3 (100) and 6 (150); an interruptible job with 3 h of
  // work due by hour 12, whose data must stay in MA.
  JobId StartWithTwoCleanSpells() {
    std::vector<double> ma(48, 500.0);
    ma[2] = ma[3] = 100.0;
    ma[6] = 150.0;
    Start(MakeSignal(Hourly("DIRTY", ma), Hourly("CLEAN", std::vector<double>(48, 50.0)), 0.0));
    return Submit({.expected = hours(3), .deadline = kStart + hours(12), .jurisdiction = {"MA"},
                   .interruptible = true});
  }
  std::string HubOf(JobId id) const {
    const Job* job = sched_->Find(id);
    return topo_.hub(topo_.gpu(job->placement.front().grants.front().gpu).hub).id;
  }

  Topology topo_ = MakeFleet();
  ManualClock clock_{kStart};
  Random rng_{1};
  std::unique_ptr<CarbonSignal> signal_;
  std::unique_ptr<Scheduler> sched_;
};

TEST_F(CarbonScheduling, FlexibleJobWaitsForTheCleanestWindowAndStartsThere) {
  // MA only: 500 g/kWh but a clean spell of 100 from hour 6 to hour 9.
  std::vector<double> ma(48, 500.0);
  for (int h = 6; h < 9; ++h) ma[h] = 100.0;
  Start(MakeSignal(Hourly("DIRTY", ma), Hourly("CLEAN", std::vector<double>(48, 50.0)), 0.0));
  const JobId id = Submit({.deadline = kStart + hours(20), .jurisdiction = {"MA"}});
  sched_->Schedule();
  const Job* job = sched_->Find(id);
  ASSERT_EQ(job->state, JobState::kPending);
  EXPECT_EQ(job->pending_constraint, "carbon");
  EXPECT_NE(job->pending_reason.find("ma"), std::string::npos) << job->pending_reason;
  ASSERT_TRUE(sched_->NextWakeup().has_value());
  EXPECT_EQ(*sched_->NextWakeup(), kStart + hours(6));

  clock_.Set(kStart + hours(5) + minutes(30));
  sched_->Schedule();
  EXPECT_EQ(sched_->Find(id)->state, JobState::kPending);
  clock_.Set(kStart + hours(6));
  sched_->Schedule();
  ASSERT_EQ(sched_->Find(id)->state, JobState::kRunning);
  EXPECT_EQ(HubOf(id), "ma");  // jurisdiction kept, though France is cleaner
}

TEST_F(CarbonScheduling, LatencySensitiveAndInelasticWorkIsNeverDelayed) {
  std::vector<double> ma(48, 500.0);
  for (int h = 6; h < 9; ++h) ma[h] = 100.0;
  Start(MakeSignal(Hourly("DIRTY", ma), Hourly("CLEAN", ma), 0.0));
  const JobId inference = Submit({.name = "serve", .kind = "inference", .deadline = kStart + hours(20)});
  const JobId urgent = Submit({.name = "urgent", .latency = "high", .deadline = kStart + hours(20)});
  const JobId no_deadline = Submit({.name = "plain"});
  const JobId no_estimate = Submit({.name = "unknown", .expected = std::nullopt, .window = hours(12)});
  const JobId pinned = Submit({.name = "pinned", .deadline = kStart + hours(20), .window = Duration{0}});
  const JobId flexible = Submit({.name = "flex", .window = hours(12)});
  sched_->Schedule();
  for (JobId id : {inference, urgent, no_deadline, no_estimate, pinned}) {
    EXPECT_EQ(sched_->Find(id)->state, JobState::kRunning) << sched_->Find(id)->spec.name;
  }
  EXPECT_EQ(sched_->Find(flexible)->state, JobState::kPending);
}

TEST_F(CarbonScheduling, WithoutCarbonDataTheProfileIsHarch) {
  Start(MakeSignal(Hourly("DIRTY", {500}), Hourly("CLEAN", {500}), 0.0));
  sched_->SetCarbon(nullptr);
  const JobId id = Submit({.window = hours(12)});
  sched_->Schedule();
  EXPECT_EQ(sched_->Find(id)->state, JobState::kRunning);
}

TEST_F(CarbonScheduling, CleanerHubPreferredWhenJurisdictionAllowsIt) {
  Start(MakeSignal(Hourly("DIRTY", std::vector<double>(48, 600.0)), Hourly("CLEAN", std::vector<double>(48, 60.0)), 0.0));
  const JobId free_job = Submit({.name = "anywhere", .gpus = 8});
  const JobId both = Submit({.name = "both", .gpus = 8, .jurisdiction = {"MA", "FR"}});
  const JobId ma_only = Submit({.name = "ma-only", .gpus = 8, .jurisdiction = {"MA"}});
  sched_->Schedule();
  EXPECT_EQ(HubOf(free_job), "fr");
  EXPECT_EQ(HubOf(both), "fr");
  EXPECT_EQ(HubOf(ma_only), "ma");
}

TEST_F(CarbonScheduling, CapacityScalingCapsFlexibleWorkInDirtyHoursOnly) {
  // Both zones flat, so no window is cleaner than now: only the cap keeps work out of MA.
  Start(MakeSignal(Hourly("DIRTY", std::vector<double>(48, 600.0)), Hourly("CLEAN", std::vector<double>(48, 100.0)), 0.0,
                   CarbonConfig::CapacityScaling{300, 0.25}));  // 4 of MA's 16 GPUs
  std::vector<JobId> flex;
  for (int i = 0; i < 3; ++i) {
    flex.push_back(Submit({.name = "flex" + std::to_string(i), .gpus = 2, .window = hours(12), .jurisdiction = {"MA"}}));
    sched_->Schedule();  // the cap counts what runs at the start of a cycle
  }
  EXPECT_EQ(sched_->Find(flex[0])->state, JobState::kRunning);
  EXPECT_EQ(sched_->Find(flex[1])->state, JobState::kRunning);
  const Job* third = sched_->Find(flex[2]);
  ASSERT_EQ(third->state, JobState::kPending);
  EXPECT_EQ(third->pending_constraint, "carbon");
  EXPECT_NE(third->pending_reason.find("capacity scaling"), std::string::npos) << third->pending_reason;
  EXPECT_EQ(sched_->NextWakeup(), kStart + hours(1));
  // Guaranteed (inflexible) work is never capped, nor is work free to go to a cleaner hub.
  const JobId plain = Submit({.name = "plain", .gpus = 8, .jurisdiction = {"MA"}});
  const JobId anywhere = Submit({.name = "anywhere", .gpus = 2, .window = hours(12)});
  sched_->Schedule();
  EXPECT_EQ(sched_->Find(plain)->state, JobState::kRunning);
  ASSERT_EQ(sched_->Find(anywhere)->state, JobState::kRunning);
  EXPECT_EQ(HubOf(anywhere), "fr");
  // It waits hour by hour, and no later than its window allows.
  clock_.Set(kStart + hours(11));
  sched_->Schedule();
  EXPECT_EQ(sched_->Find(flex[2])->state, JobState::kPending);
  clock_.Set(kStart + hours(12));
  sched_->Schedule();
  EXPECT_EQ(sched_->Find(flex[2])->state, JobState::kRunning);
}

TEST_F(CarbonScheduling, InterruptibleJobRunsInItsCleanSlotsAndIsPausedBetween) {
  const JobId id = StartWithTwoCleanSpells();
  sched_->Schedule();
  ASSERT_EQ(sched_->Find(id)->state, JobState::kPending);
  EXPECT_EQ(sched_->Find(id)->pending_constraint, "carbon");
  EXPECT_EQ(sched_->NextWakeup(), kStart + hours(2));

  clock_.Set(kStart + hours(2));
  sched_->Schedule();
  ASSERT_EQ(sched_->Find(id)->state, JobState::kRunning);
  EXPECT_EQ(HubOf(id), "ma");
  EXPECT_EQ(sched_->NextWakeup(), kStart + hours(4));  // the slot's end

  clock_.Set(kStart + hours(4));
  sched_->Schedule();
  const Job* job = sched_->Find(id);
  ASSERT_EQ(job->state, JobState::kPending);
  EXPECT_EQ(job->pauses, 1);
  EXPECT_EQ(job->preemptions, 0);
  EXPECT_EQ(job->progress, hours(2));
  EXPECT_EQ(job->pending_constraint, "carbon");
  EXPECT_NE(job->pending_reason.find("2h of 3h done"), std::string::npos) << job->pending_reason;
  EXPECT_EQ(sched_->NextWakeup(), kStart + hours(6));
  std::vector<std::string> types;
  for (const auto& e : sched_->TakeEvents()) types.push_back(e.type);
  EXPECT_NE(std::find(types.begin(), types.end(), "Paused"), types.end());

  clock_.Set(kStart + hours(6));
  sched_->Schedule();
  ASSERT_EQ(sched_->Find(id)->state, JobState::kRunning);
  EXPECT_EQ(sched_->NextWakeup(), kStart + hours(7));
  clock_.Set(kStart + hours(7));
  sched_->Schedule();  // its planned work is done: never paused past its estimate
  EXPECT_EQ(sched_->Find(id)->state, JobState::kRunning);
  EXPECT_EQ(sched_->NextWakeup(), std::nullopt);
}

TEST_F(CarbonScheduling, InterruptibleJobBehindItsPlanRunsUntilItHasCaughtUp) {
  const JobId id = StartWithTwoCleanSpells();
  sched_->Schedule();
  clock_.Set(kStart + hours(2) + minutes(30));  // the cycle came half an hour late
  sched_->Schedule();
  ASSERT_EQ(sched_->Find(id)->state, JobState::kRunning);
  clock_.Set(kStart + hours(4));
  sched_->Schedule();
  EXPECT_EQ(sched_->Find(id)->state, JobState::kRunning);  // 30 min behind: it goes on
  EXPECT_EQ(sched_->NextWakeup(), kStart + hours(4) + minutes(30));
  clock_.Set(kStart + hours(4) + minutes(30));
  sched_->Schedule();
  ASSERT_EQ(sched_->Find(id)->state, JobState::kPending);
  EXPECT_EQ(sched_->Find(id)->progress, hours(2));
}

TEST_F(CarbonScheduling, InterruptibleJobWithoutCleanerSlotsRunsAtOnce) {
  Start(MakeSignal(Hourly("DIRTY", std::vector<double>(48, 300.0)), Hourly("CLEAN", std::vector<double>(48, 300.0)), 0.0));
  const JobId id = Submit({.expected = hours(3), .deadline = kStart + hours(12), .interruptible = true});
  const JobId urgent = Submit({.name = "urgent", .latency = "high", .expected = hours(3),
                               .deadline = kStart + hours(12), .interruptible = true});
  sched_->Schedule();
  EXPECT_EQ(sched_->Find(id)->state, JobState::kRunning);  // ties go to the earliest slots
  EXPECT_EQ(sched_->Find(urgent)->state, JobState::kRunning);
}

// Every grant of a running job lies in a country its (single) data object allows.
void ExpectWithinJurisdiction(const Topology& topo, const Job& job) {
  if (job.spec.data.empty()) return;
  const auto& allowed = job.spec.data.front().jurisdiction;
  for (const auto& gp : job.placement) {
    for (const auto& g : gp.grants) {
      const std::string& country = topo.hub(topo.gpu(g.gpu).hub).country;
      EXPECT_NE(std::find(allowed.begin(), allowed.end(), country), allowed.end())
          << job.spec.name << " ran in " << country;
    }
  }
}

// Random hourly series with day/night swings and noise.
std::vector<double> RandomSeries(Random& rng, int hours_count) {
  std::vector<double> v;
  const double base = 100 + rng.UniformDouble() * 500;
  const double swing = rng.UniformDouble() * 0.6;
  const double phase = rng.UniformDouble() * 24;
  for (int h = 0; h < hours_count; ++h) {
    const double day = std::sin((h + phase) / 24.0 * 2 * 3.14159265);
    v.push_back(std::max(5.0, base * (1 + swing * day) * (0.8 + 0.4 * rng.UniformDouble())));
  }
  return v;
}

TEST(CarbonSchedulingProperty, NoDeadlineMissedAndNoJurisdictionTraded) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Random rng(seed);
    Topology topo = MakeFleet();
    ManualClock clock(kStart);
    Random sched_rng(seed);
    CarbonSignal signal = MakeSignal(Hourly("DIRTY", RandomSeries(rng, 24 * 8)),
                                     Hourly("CLEAN", RandomSeries(rng, 24 * 8)), rng.UniformDouble() * 0.2);
    Scheduler sched(&topo, PluginRegistry::Default().MakeProfile("harch-carbon").value(), QueueConfig{},
                    SchedulerConfig{}, &clock, &sched_rng, &clock);
    sched.SetCarbon(&signal);
    // Light load (jobs of at most 12 h and 2 GPUs every 2-4 h: never more than 14 GPUs asked at
    // once, and each hub holds 16), so that capacity never makes a job late: any lateness would
    // be the shifting's.
    struct Tracked {
      JobId id;
      JobSpec spec;
      std::optional<Time> ends;
    };
    std::vector<Tracked> jobs;
    const std::vector<std::vector<std::string>> jurisdictions = {{}, {"MA"}, {"FR"}, {"MA", "FR"}};
    Time t = kStart;
    const Time arrivals_end = kStart + hours(72);
    Time next_arrival = kStart;
    int n = 0;
    while (t < kStart + hours(24 * 7)) {
      if (t >= next_arrival && t < arrivals_end) {
        JobArgs a;
        a.name = "j" + std::to_string(n++);
        a.kind = rng.Bernoulli(0.15) ? "inference" : "training";
        a.gpus = static_cast<int>(rng.Uniform(1, 2));
        a.expected = minutes(rng.Uniform(30, 12 * 60));
        const Duration slack = minutes(rng.Uniform(0, 30 * 60));
        if (rng.Bernoulli(0.7)) a.deadline = t + *a.expected + slack;
        if (rng.Bernoulli(0.3)) a.window = minutes(rng.Uniform(0, 24 * 60));
        a.jurisdiction = jurisdictions[static_cast<size_t>(rng.Uniform(0, 3))];
        JobSpec spec = MakeJob(a);
        auto id = sched.Submit(spec);
        ASSERT_TRUE(id.ok()) << id.status().ToString();
        jobs.push_back({*id, std::move(spec), std::nullopt});
        next_arrival = t + minutes(rng.Uniform(120, 240));
      }
      sched.Schedule();
      for (Tracked& j : jobs) {
        const Job* job = sched.Find(j.id);
        if (!job || job->state != JobState::kRunning || j.ends) continue;
        j.ends = t + *j.spec.expected_duration;
        // (a) it started no later than its deadline and window allow.
        if (j.spec.deadline) {
          EXPECT_LE(t + *j.spec.expected_duration, *j.spec.deadline)
              << j.spec.name << " started " << FormatTime(t) << ", deadline " << FormatTime(*j.spec.deadline);
        }
        if (j.spec.flexibility_window) {
          EXPECT_LE(t, job->submitted + *j.spec.flexibility_window)
              << j.spec.name << " submitted " << FormatTime(job->submitted) << ", started " << FormatTime(t);
        }
        if (j.spec.kind == WorkloadKind::kInference) {
          EXPECT_EQ(t, job->submitted) << j.spec.name;
        }
        // (b) every grant lies in a country its data allows.
        ExpectWithinJurisdiction(topo, *job);
      }
      for (Tracked& j : jobs) {
        if (j.ends && *j.ends <= t) {
          if (const Job* job = sched.Find(j.id); job && job->state == JobState::kRunning) {
            ASSERT_TRUE(sched.Finish(j.id, true).ok());
          }
        }
      }
      // Half-hour ticks, and the instants jobs wait for (a start may be a job's latest start,
      // off the grid), as the simulator and the server's loop do.
      Time next = t + minutes(30);
      if (auto wake = sched.NextWakeup(); wake && *wake > t) next = std::min(next, *wake);
      t = next;
      clock.Set(t);
    }
    for (const Tracked& j : jobs) EXPECT_TRUE(j.ends.has_value()) << j.spec.name << " never ran";
  }
}

// Interruptible jobs on random series: each finishes its expected work by its deadline however
// often it is paused, never runs outside its data's jurisdiction, and with an exact forecast
// emits no more than it would have running at once.
TEST(CarbonSchedulingProperty, InterruptibleWorkMeetsDeadlinesAndEmitsNoMore) {
  int pauses = 0, jobs_paused = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Random rng(seed);
    Topology topo = MakeFleet();
    ManualClock clock(kStart);
    Random sched_rng(seed);
    const double error = seed % 2 ? 0.0 : rng.UniformDouble() * 0.2;
    const auto dirty = Hourly("DIRTY", RandomSeries(rng, 24 * 8));
    const auto clean = Hourly("CLEAN", RandomSeries(rng, 24 * 8));
    CarbonSignal signal = MakeSignal(dirty, clean, error);
    Scheduler sched(&topo, PluginRegistry::Default().MakeProfile("harch-carbon").value(), QueueConfig{},
                    SchedulerConfig{}, &clock, &sched_rng, &clock);
    sched.SetCarbon(&signal);
    struct Tracked {
      JobId id;
      JobSpec spec;
      Time submitted;
      Duration done{0};
      std::optional<Time> run_since;
      std::optional<Time> finished;
      std::string zone;                 // where it runs now
      double emitted = 0, at_once = 0;  // g/kWh x h, per kW
    };
    std::vector<Tracked> jobs;
    const std::vector<std::vector<std::string>> jurisdictions = {{}, {"MA"}, {"FR"}, {"MA", "FR"}};
    auto series_of = [&](const Job* job) -> const IntensitySeries& {
      return topo.hub(topo.gpu(job->placement.front().grants.front().gpu).hub).carbon_zone == "DIRTY" ? dirty : clean;
    };
    Time t = kStart;
    Time next_arrival = kStart;
    int n = 0;
    while (t < kStart + hours(24 * 7)) {
      if (t >= next_arrival && t < kStart + hours(72)) {
        JobArgs a;
        a.name = "j" + std::to_string(n++);
        a.kind = "training";
        a.gpus = static_cast<int>(rng.Uniform(1, 2));
        a.expected = minutes(rng.Uniform(30, 12 * 60));
        a.deadline = t + *a.expected + minutes(rng.Uniform(0, 30 * 60));
        a.jurisdiction = jurisdictions[static_cast<size_t>(rng.Uniform(0, 3))];
        a.interruptible = true;
        JobSpec spec = MakeJob(a);
        auto id = sched.Submit(spec);
        ASSERT_TRUE(id.ok()) << id.status().ToString();
        jobs.push_back({*id, std::move(spec), t});
        next_arrival = t + minutes(rng.Uniform(120, 240));
      }
      sched.Schedule();
      for (Tracked& j : jobs) {
        const Job* job = sched.Find(j.id);
        if (j.finished || !job) continue;
        const bool running = job->state == JobState::kRunning;
        if (running && !j.run_since) {
          j.run_since = t;
          j.zone = topo.hub(topo.gpu(job->placement.front().grants.front().gpu).hub).carbon_zone;
          ExpectWithinJurisdiction(topo, *job);
          if (j.done == Duration{0}) j.at_once = *series_of(job).IntegralHours(j.submitted, j.submitted + *j.spec.expected_duration);
        } else if (!running && j.run_since) {  // paused: it ran in the zone it was placed in
          j.emitted += *(j.zone == "DIRTY" ? dirty : clean).IntegralHours(*j.run_since, t);
          j.done += t - *j.run_since;
          j.run_since.reset();
        }
      }
      // The next instant: a pause or resume, or a job's work running out; half-hour ticks else.
      Time next = t + minutes(30);
      if (auto wake = sched.NextWakeup(); wake && *wake > t) next = std::min(next, *wake);
      for (const Tracked& j : jobs) {
        if (j.run_since && !j.finished) next = std::min(next, *j.run_since + (*j.spec.expected_duration - j.done));
      }
      for (Tracked& j : jobs) {
        if (!j.run_since || j.finished) continue;
        const Time ends = *j.run_since + (*j.spec.expected_duration - j.done);
        if (ends > next) continue;
        const Job* job = sched.Find(j.id);
        j.emitted += *series_of(job).IntegralHours(*j.run_since, ends);
        ASSERT_TRUE(sched.Finish(j.id, true).ok());
        j.finished = ends;
        EXPECT_LE(ends, *j.spec.deadline) << j.spec.name << " finished " << FormatTime(ends);
      }
      t = next;
      clock.Set(t);
    }
    for (const Tracked& j : jobs) {
      EXPECT_TRUE(j.finished.has_value()) << j.spec.name << " never finished";
      // With an exact forecast and one hub allowed, the cleanest slots cannot emit more.
      if (error == 0 && j.finished && j.spec.data.size() == 1 && j.spec.data[0].jurisdiction.size() == 1) {
        EXPECT_LE(j.emitted, j.at_once + 1e-6) << j.spec.name;
      }
      pauses += sched.Find(j.id)->pauses;
      jobs_paused += sched.Find(j.id)->pauses > 0;
    }
  }
  // The property is about paused work: make sure there was some.
  EXPECT_GT(jobs_paused, 20) << pauses << " pauses";
}

}  // namespace
}  // namespace harch
