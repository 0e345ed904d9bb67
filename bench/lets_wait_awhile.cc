// Rebuilds the machine-learning experiment of "Let's Wait Awhile" (Wiesner et al., Middleware
// 2021) on its own 2020 carbon data, with HarchOS's shifting functions (src/carbon/shifting.h):
// jobs of 4-90 h submitted on workdays between 9:00 and 17:00, which may wait until the next
// workday, planned on a forecast with 5% error and accounted on the real series.
//
//   build/release/bench/lets_wait_awhile [--data DIR] [--jobs-per-day N] [--error 0.05] [--seed S]
//
// DIR defaults to ../shared/data/carbon/lets-wait-awhile-2020 (exits 0 with a message if absent).
// Our reading of "deadline the next workday": a job may start as late as 9:00 on the next workday
// (so it ends no later than it would had it been submitted then); Friday's jobs may wait to
// Monday. Non-interruptible jobs run in one piece from the best start; interruptible ones run in
// the cleanest half-hours before their deadline. Savings are against starting at submission.
// The non-interruptible case runs twice: with the shifting function directly, and through the
// Scheduler itself (profile harch-carbon on a one-hub fleet in the region's zone, jobs submitted
// with expectedDuration and flexibilityWindow, the clock driven from wakeup to wakeup).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/files.h"
#include "base/random.h"
#include "base/time_text.h"
#include "carbon/shifting.h"
#include "carbon/signal.h"
#include "resource/fleet_spec.h"
#include "sched/plugins/plugins.h"
#include "sched/scheduler.h"

namespace harch {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;

struct Options {
  std::string data = "../shared/data/carbon/lets-wait-awhile-2020";
  int jobs_per_day = 10;
  double error = 0.05;
  uint64_t seed = 1;
};

bool Workday(Time t) {
  const std::chrono::weekday wd{std::chrono::floor<days>(t)};
  return wd != std::chrono::Saturday && wd != std::chrono::Sunday;
}

Time NextWorkdayMorning(Time t) {
  Time day = std::chrono::floor<days>(t) + days(1);
  while (!Workday(day)) day += days(1);
  return day + hours(9);
}

struct Result {
  double baseline = 0, shifted = 0, interrupted = 0;  // g/kWh x h, i.e. per kW of load
  double scheduled = 0, scheduled_baseline = 0;       // through the Scheduler
  int jobs = 0, scheduled_jobs = 0, scheduled_late = 0;
};

struct Arrival {
  Time submit;
  Duration duration;
  Time latest_start;
};

// The jobs of the experiment: 4-90 h, submitted on workdays between 9:00 and 17:00.
std::vector<Arrival> Arrivals(const Options& o) {
  Random rng(o.seed);
  std::vector<Arrival> out;
  const Time first = *ParseTimestamp("2020-01-01 00:00:00");
  const Time last = *ParseTimestamp("2021-01-01 00:00:00");
  for (Time day = first; day < last; day += days(1)) {
    if (!Workday(day)) continue;
    for (int j = 0; j < o.jobs_per_day; ++j) {
      const Time submit = day + hours(9) + minutes(rng.Uniform(0, 8 * 60 - 1));
      const Duration duration = minutes(rng.Uniform(4 * 60, 90 * 60));
      out.push_back({submit, duration, NextWorkdayMorning(submit)});
    }
  }
  std::sort(out.begin(), out.end(), [](const Arrival& a, const Arrival& b) { return a.submit < b.submit; });
  return out;
}

// Runs the jobs through a Scheduler with the harch-carbon profile on a fleet large enough that
// capacity never delays them: every delay is the carbon filter's.
void RunThroughScheduler(const IntensitySeries& truth, const Options& o, Result* r) {
  const std::string zone = truth.zone();
  auto spec = ParseFleetSpec("apiVersion: harchos.io/v1alpha1\nkind: Fleet\nmetadata: {name: lwa}\nspec:\n"
                             "  hubs:\n    - id: hub\n      country: XX\n      carbonZone: " + zone +
                             "\n      racks:\n        - id: r\n          nodes:\n"
                             "            - {name: n, count: 40, cpu: 64, memory: 1TiB, gpus: {model: H100-SXM, count: 8}}\n",
                             "lwa.yaml");
  HARCH_CHECK(spec.ok());
  Topology topo = std::move(BuildTopology(*spec)).value();
  CarbonConfig config;
  config.forecast_error = o.error;
  config.forecast_horizon = days(8);  // Friday's 90 h job may wait until Monday 9:00
  config.shift_step = minutes(30);
  std::map<std::string, IntensitySeries> zones{{zone, truth}};
  CarbonSignal signal(std::move(config), std::move(zones));
  const Time first = *ParseTimestamp("2020-01-01 00:00:00");
  ManualClock clock(first);
  Random rng(o.seed);
  Scheduler sched(&topo, PluginRegistry::Default().MakeProfile("harch-carbon").value(), QueueConfig{},
                  SchedulerConfig{}, &clock, &rng, &clock);
  sched.SetCarbon(&signal);
  const std::vector<Arrival> arrivals = Arrivals(o);
  std::map<uint64_t, const Arrival*> waiting;
  std::multimap<Time, JobId> ends;
  size_t next = 0;
  while (next < arrivals.size() || !waiting.empty() || !ends.empty()) {
    // The next instant anything happens: an arrival, a completion, or a time a job waits for.
    Time t = Time::max();
    if (next < arrivals.size()) t = arrivals[next].submit;
    if (!ends.empty()) t = std::min(t, ends.begin()->first);
    if (auto wake = sched.NextWakeup(); wake && *wake > clock.Now()) t = std::min(t, *wake);
    clock.Set(t);
    while (!ends.empty() && ends.begin()->first <= t) {
      HARCH_CHECK(sched.Finish(ends.begin()->second, true).ok());
      ends.erase(ends.begin());
    }
    for (; next < arrivals.size() && arrivals[next].submit <= t; ++next) {
      const Arrival& a = arrivals[next];
      JobSpec job;
      job.name = "lwa-" + std::to_string(next);
      job.tenant = "ml";
      job.kind = WorkloadKind::kTraining;
      job.expected_duration = a.duration;
      job.flexibility_window = a.latest_start - a.submit;
      TaskGroupSpec& g = job.task_groups.emplace_back();
      g.name = "main";
      g.cpu_per_replica = MilliCpu{1000};
      g.memory_per_replica = GiB(1);
      auto id = sched.Submit(std::move(job));
      HARCH_CHECK(id.ok());
      waiting[id->value] = &a;
    }
    sched.Schedule();
    for (auto it = waiting.begin(); it != waiting.end();) {
      const Job* job = sched.Find(JobId{it->first});
      if (job->state != JobState::kRunning) {
        ++it;
        continue;
      }
      const Arrival& a = *it->second;
      const auto base = truth.IntegralHours(a.submit, a.submit + a.duration);
      const auto ran = truth.IntegralHours(t, t + a.duration);
      if (base && ran) {
        r->scheduled_baseline += *base;
        r->scheduled += *ran;
        ++r->scheduled_jobs;
        r->scheduled_late += t > a.latest_start;
      }
      ends.emplace(t + a.duration, JobId{it->first});
      it = waiting.erase(it);
    }
  }
}

Result Run(const IntensitySeries& truth, const Options& o) {
  Random rng(o.seed ^ 0xf0eca57ULL);
  Result r;
  for (const Arrival& a : Arrivals(o)) {
    const Time submit = a.submit;
    const Duration duration = a.duration;
    const Time latest_start = a.latest_start;
    const Time deadline = latest_start + duration;
    // The forecast known at submission, for everything the job may touch.
    const IntensitySeries forecast =
        Forecast(truth, submit, deadline - submit + hours(1), o.error, rng.Uniform(0, 1 << 30));
    const auto start = BestStart(forecast, submit, latest_start, duration, minutes(30));
    const auto slots = BestSlots(forecast, submit, deadline, duration, minutes(30));
    const auto base = truth.IntegralHours(submit, submit + duration);
    if (!start || !slots || !base) continue;
    r.baseline += *base;
    r.shifted += *truth.IntegralHours(*start, *start + duration);
    for (const Window& w : *slots) r.interrupted += *truth.IntegralHours(w.start, w.end);
    ++r.jobs;
  }
  RunThroughScheduler(truth, o, &r);
  return r;
}

}  // namespace
}  // namespace harch

int main(int argc, char** argv) {
  harch::Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--data")) o.data = argv[i + 1];
    if (!std::strcmp(argv[i], "--jobs-per-day")) o.jobs_per_day = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--error")) o.error = std::atof(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seed")) o.seed = std::strtoull(argv[i + 1], nullptr, 10);
  }
  if (!std::filesystem::exists(o.data)) {
    std::printf("skipped: no carbon data at %s\n", o.data.c_str());
    return 0;
  }
  struct Region {
    const char* name;
    const char* file;
    double paper_fixed, paper_interruptible;  // the paper's savings, percent
  };
  const Region regions[] = {{"DE", "de_ci.csv", 5.91, 7.93}, {"GB", "gb_ci.csv", 6.56, 9.03},
                            {"FR", "fr_ci.csv", 4.77, 5.92}};
  std::printf("Let's Wait Awhile, ML jobs 4-90 h, workdays 9-17, wait until the next workday, "
              "%.0f%% forecast error, %d jobs/workday\n",
              o.error * 100, o.jobs_per_day);
  std::printf("%-6s %6s %34s %22s\n", "region", "jobs", "non-interruptible", "interruptible");
  std::printf("%-6s %6s %11s %11s %10s %11s %10s\n", "", "", "function", "scheduler", "paper", "HarchOS", "paper");
  int late = 0;
  for (const Region& region : regions) {
    auto text = harch::ReadFile(o.data + "/" + region.file);
    if (!text.ok()) {
      std::fprintf(stderr, "%s\n", text.status().ToString().c_str());
      return 1;
    }
    auto series = harch::ReadTimeSeriesCsv(*text, region.file, region.name);
    if (!series.ok()) {
      std::fprintf(stderr, "%s\n", series.status().ToString().c_str());
      return 1;
    }
    const auto r = harch::Run(*series, o);
    late += r.scheduled_late;
    std::printf("%-6s %6d %10.2f%% %10.2f%% %9.2f%% %10.2f%% %9.2f%%\n", region.name, r.jobs,
                100 * (1 - r.shifted / r.baseline), 100 * (1 - r.scheduled / r.scheduled_baseline),
                region.paper_fixed,
                100 * (1 - r.interrupted / r.baseline), region.paper_interruptible);
  }
  std::printf("(scheduler: every job started by its latest start: %s)\n", late == 0 ? "yes" : "NO");
  return late == 0 ? 0 : 1;
}
