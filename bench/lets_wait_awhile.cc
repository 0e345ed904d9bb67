// Rebuilds the machine-learning experiment (scenario II) of "Let's Wait Awhile" (Wiesner et al.,
// Middleware 2021) on its own 2020 carbon data, as the authors' simulation sets it up:
//   - 3,387 jobs on the workdays of 2020, at half-hour starts from 9:00 to 16:30, lasting 4 h to
//     89.5 h in half-hour steps, all drawn uniformly;
//   - deadline "next workday": a job that would finish between 9:00 and 17:00 on a workday must
//     finish then (it cannot move); one finishing after 17:00 or on a Sunday is due at 9:00 the
//     next day, on a Saturday at 9:00 on Monday, before 9:00 at 9:00 that day (so, as in the
//     authors' code, a job finishing on Friday evening is due on Saturday at 9:00);
//   - the forecast is the real series plus normal noise of standard deviation error x the
//     series' mean, one noisy series per repetition (10 by default), on 30-minute steps;
//   - emissions are counted on the real series, against starting every job at submission.
// Non-interruptible jobs run in one piece from the start with the lowest forecast mean;
// interruptible ones in the cleanest half-hours before their deadline.
//
// Each case runs twice: with the shifting functions (src/carbon/shifting.h) as the authors'
// strategy does, and through the Scheduler itself (profile harch-carbon on a one-hub fleet in the
// region's zone, each job submitted with expectedDuration and deadline, interruptible ones with
// interruptible: true and so paused and resumed by the scheduler; the clock driven from event to
// event). The Scheduler plans on the same noisy series (a CarbonSignal over it, without further
// error), so both paths see the same forecast.
//
//   build/release/bench/lets_wait_awhile [--data DIR] [--jobs N] [--error 0.05]
//       [--repetitions 10] [--seed S] [--scheduler-repetitions N]
//
// DIR defaults to ../shared/data/carbon/lets-wait-awhile-2020 (exits 0 with a message if absent).
// Exit status 1 if any job finished after its deadline through the Scheduler.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "base/files.h"
#include "base/random.h"
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

constexpr Duration kStep = minutes(30);

struct Options {
  std::string data = "../shared/data/carbon/lets-wait-awhile-2020";
  int jobs = 3387;
  double error = 0.05;
  int repetitions = 10;
  int scheduler_repetitions = 10;
  uint64_t seed = 0;
};

struct Arrival {
  Time submit;
  Duration duration;
  Time deadline;
};

std::chrono::weekday WeekdayOf(Time t) { return std::chrono::weekday{std::chrono::floor<days>(t)}; }

// The authors' "next workday" deadline for a job that would finish at `finish`.
Time NextWorkdayDeadline(Time finish) {
  const Time nine = std::chrono::floor<days>(finish) + hours(9);
  const Duration of_day = finish - std::chrono::floor<days>(finish);
  const auto wd = WeekdayOf(finish);
  if (wd == std::chrono::Saturday) return nine + days(2);
  if (wd == std::chrono::Sunday || of_day > hours(17)) return nine + days(1);
  if (of_day < hours(9)) return nine;
  return finish;
}

std::vector<Arrival> Arrivals(const Options& o) {
  std::vector<Time> workdays;
  const Time first = *ParseTimestamp("2020-01-01 00:00:00");
  for (Time day = first; day < first + days(366); day += days(1)) {
    const auto wd = WeekdayOf(day);
    if (wd != std::chrono::Saturday && wd != std::chrono::Sunday) workdays.push_back(day);
  }
  Random rng(o.seed);
  std::vector<Arrival> out;
  for (int j = 0; j < o.jobs; ++j) {
    const Time day = workdays[static_cast<size_t>(rng.Uniform(0, static_cast<int64_t>(workdays.size()) - 1))];
    const Time submit = day + hours(9) + kStep * rng.Uniform(0, 15);             // 9:00 .. 16:30
    const Duration duration = hours(4) + kStep * rng.Uniform(0, (86 * 60 - 1) / 30);  // 4 h .. 89.5 h
    out.push_back({submit, duration, NextWorkdayDeadline(submit + duration)});
  }
  std::sort(out.begin(), out.end(), [](const Arrival& a, const Arrival& b) { return a.submit < b.submit; });
  return out;
}

// The real series on its half-hour points, as the authors use it.
IntensitySeries HalfHourly(const IntensitySeries& s) {
  std::vector<IntensityPoint> points;
  for (const auto& p : s.points()) {
    if (p.time.time_since_epoch() % kStep == Duration{0}) points.push_back(p);
  }
  return IntensitySeries(s.zone(), std::move(points));
}

// The forecast of one repetition: every point plus N(0, error x the series' mean).
IntensitySeries Noisy(const IntensitySeries& truth, double error, uint64_t seed) {
  double mean = 0;
  for (const auto& p : truth.points()) mean += p.g_per_kwh;
  mean /= static_cast<double>(truth.points().size());
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, error * mean);
  std::vector<IntensityPoint> points = truth.points();
  for (auto& p : points) p.g_per_kwh += noise(rng);
  return IntensitySeries(truth.zone(), std::move(points));
}

// Emissions per kW of load (g/kWh x h), summed over the jobs.
struct Totals {
  double baseline = 0, fixed = 0, interrupted = 0;
  double sched_baseline[2] = {0, 0}, sched[2] = {0, 0};  // [interruptible]
  int jobs = 0, sched_late = 0, pauses = 0;
};

void ByFunction(const IntensitySeries& truth, const IntensitySeries& forecast, const std::vector<Arrival>& arrivals,
                Totals* r) {
  for (const Arrival& a : arrivals) {
    const auto base = truth.IntegralHours(a.submit, a.submit + a.duration);
    const auto start = BestStart(forecast, a.submit, a.deadline - a.duration, a.duration, kStep);
    const auto slots = BestSlots(forecast, a.submit, a.deadline, a.duration, kStep);
    if (!base || !start || !slots) continue;
    r->baseline += *base;
    r->fixed += *truth.IntegralHours(*start, *start + a.duration);
    for (const Window& w : *slots) r->interrupted += *truth.IntegralHours(w.start, w.end);
    ++r->jobs;
  }
}

// The jobs through a Scheduler with the harch-carbon profile on a fleet large enough that
// capacity never delays them: every wait and every pause is the carbon filter's.
void ByScheduler(const IntensitySeries& truth, const IntensitySeries& forecast, const std::vector<Arrival>& arrivals,
                 bool interruptible, Totals* r) {
  const std::string zone = truth.zone();
  auto spec = ParseFleetSpec("apiVersion: harchos.io/v1alpha1\nkind: Fleet\nmetadata: {name: lwa}\nspec:\n"
                             "  hubs:\n    - id: hub\n      country: XX\n      carbonZone: " + zone +
                             "\n      racks:\n        - id: r\n          nodes:\n"
                             "            - {name: n, count: 40, cpu: 64, memory: 1TiB, gpus: {model: H100-SXM, count: 8}}\n",
                             "lwa.yaml");
  HARCH_CHECK(spec.ok());
  Topology topo = std::move(BuildTopology(*spec)).value();
  CarbonConfig config;
  config.forecast_error = 0;          // `forecast` already is the noisy series
  config.forecast_horizon = days(8);  // the longest job and its slack
  config.shift_step = kStep;
  CarbonSignal signal(std::move(config), {{zone, forecast}});
  ManualClock clock(arrivals.front().submit);
  Random rng(1);
  Scheduler sched(&topo, PluginRegistry::Default().MakeProfile("harch-carbon").value(), QueueConfig{},
                  SchedulerConfig{}, &clock, &rng, &clock);
  sched.SetCarbon(&signal);
  struct Run {
    const Arrival* arrival;
    Duration done{0};
    std::optional<Time> since;  // running since
  };
  std::map<uint64_t, Run> live;
  size_t next = 0;
  while (next < arrivals.size() || !live.empty()) {
    // The next instant anything happens: an arrival, a job's work running out, or a time the
    // scheduler waits for (a clean window or slot starting, a slot ending).
    Time t = Time::max();
    if (next < arrivals.size()) t = arrivals[next].submit;
    for (const auto& [id, run] : live) {
      if (run.since) t = std::min(t, *run.since + run.arrival->duration - run.done);
    }
    if (auto wake = sched.NextWakeup(); wake && *wake > clock.Now()) t = std::min(t, *wake);
    clock.Set(t);
    for (auto it = live.begin(); it != live.end();) {
      Run& run = it->second;
      if (!run.since || *run.since + run.arrival->duration - run.done > t) {
        ++it;
        continue;
      }
      r->sched[interruptible] += *truth.IntegralHours(*run.since, t);
      r->sched_late += t > run.arrival->deadline;
      HARCH_CHECK(sched.Finish(JobId{it->first}, true).ok());
      it = live.erase(it);
    }
    for (; next < arrivals.size() && arrivals[next].submit <= t; ++next) {
      const Arrival& a = arrivals[next];
      JobSpec job;
      job.name = "lwa-" + std::to_string(next);
      job.tenant = "ml";
      job.kind = WorkloadKind::kTraining;
      job.expected_duration = a.duration;
      job.deadline = a.deadline;
      job.interruptible = interruptible;
      TaskGroupSpec& g = job.task_groups.emplace_back();
      g.name = "main";
      g.cpu_per_replica = MilliCpu{1000};
      g.memory_per_replica = GiB(1);
      auto id = sched.Submit(std::move(job));
      HARCH_CHECK(id.ok());
      const auto base = truth.IntegralHours(a.submit, a.submit + a.duration);
      HARCH_CHECK(base.has_value());
      r->sched_baseline[interruptible] += *base;
      live[id->value] = Run{&a};
    }
    sched.Schedule();
    for (const auto& e : sched.TakeEvents()) {
      auto it = live.find(e.job.value);
      if (it == live.end()) continue;
      Run& run = it->second;
      if (e.type == "Scheduled") {
        run.since = t;
      } else if (e.type == "Paused") {
        r->sched[interruptible] += *truth.IntegralHours(*run.since, t);
        run.done += t - *run.since;
        run.since.reset();
        ++r->pauses;
      }
    }
  }
}

double Saving(double baseline, double shifted) { return baseline > 0 ? 100 * (1 - shifted / baseline) : 0; }

}  // namespace
}  // namespace harch

int main(int argc, char** argv) {
  harch::Options o;
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s: missing value\n", flag.c_str());
      return 2;
    }
    const char* v = argv[i + 1];
    if (flag == "--data") {
      o.data = v;
    } else if (flag == "--jobs") {
      o.jobs = std::atoi(v);
    } else if (flag == "--error") {
      o.error = std::atof(v);
    } else if (flag == "--repetitions") {
      o.repetitions = std::atoi(v);
    } else if (flag == "--scheduler-repetitions") {
      o.scheduler_repetitions = std::atoi(v);
    } else if (flag == "--seed") {
      o.seed = std::strtoull(v, nullptr, 10);
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (o.jobs < 1 || o.repetitions < 1 || o.scheduler_repetitions < 0 || o.error < 0) {
    std::fprintf(stderr, "--jobs and --repetitions must be >= 1, --scheduler-repetitions and --error >= 0\n");
    return 2;
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
  const auto arrivals = harch::Arrivals(o);
  int movable = 0;
  for (const auto& a : arrivals) movable += a.deadline > a.submit + a.duration;
  std::printf("Let's Wait Awhile, scenario II: %d ML jobs of 4-89.5 h on 2020's workdays 9:00-16:30, deadline the "
              "next workday (%d may move), %.0f%% forecast error, %d repetitions (%d through the Scheduler)\n",
              o.jobs, movable, o.error * 100, o.repetitions, o.scheduler_repetitions);
  std::printf("%-6s %6s | %-31s | %-31s | %s\n", "", "", "non-interruptible savings", "interruptible savings", "");
  std::printf("%-6s %6s | %9s %10s %9s | %9s %10s %9s | %s\n", "region", "jobs", "function", "scheduler", "paper",
              "function", "scheduler", "paper", "pauses/run");
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
    const harch::IntensitySeries truth = harch::HalfHourly(*series);
    harch::Totals r;
    for (int rep = 0; rep < o.repetitions; ++rep) {
      const auto forecast = harch::Noisy(truth, o.error, o.seed * 1000 + static_cast<uint64_t>(rep));
      harch::ByFunction(truth, forecast, arrivals, &r);
      if (rep < o.scheduler_repetitions) {
        harch::ByScheduler(truth, forecast, arrivals, false, &r);
        harch::ByScheduler(truth, forecast, arrivals, true, &r);
      }
    }
    late += r.sched_late;
    const int sched_runs = std::min(o.repetitions, o.scheduler_repetitions);
    auto sched_text = [&](bool interruptible) {
      char buf[32];
      if (sched_runs == 0) return std::string("-");
      std::snprintf(buf, sizeof buf, "%.2f%%", harch::Saving(r.sched_baseline[interruptible], r.sched[interruptible]));
      return std::string(buf);
    };
    std::printf("%-6s %6d | %8.2f%% %10s %8.2f%% | %8.2f%% %10s %8.2f%% | %.1f\n", region.name,
                r.jobs / o.repetitions, harch::Saving(r.baseline, r.fixed), sched_text(false).c_str(),
                region.paper_fixed, harch::Saving(r.baseline, r.interrupted), sched_text(true).c_str(),
                region.paper_interruptible, sched_runs ? static_cast<double>(r.pauses) / sched_runs : 0.0);
  }
  std::printf("(through the Scheduler, every job finished by its deadline: %s)\n", late == 0 ? "yes" : "NO");
  return late == 0 ? 0 : 1;
}
