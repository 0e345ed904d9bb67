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
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "base/files.h"
#include "base/random.h"
#include "base/time_text.h"
#include "carbon/shifting.h"

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
  int jobs = 0;
};

Result Run(const IntensitySeries& truth, const Options& o) {
  Random rng(o.seed);
  Result r;
  const Time first = *ParseTimestamp("2020-01-01 00:00:00");
  const Time last = *ParseTimestamp("2021-01-01 00:00:00");
  for (Time day = first; day < last; day += days(1)) {
    if (!Workday(day)) continue;
    for (int j = 0; j < o.jobs_per_day; ++j) {
      const Time submit = day + hours(9) + minutes(rng.Uniform(0, 8 * 60 - 1));
      const Duration duration = minutes(rng.Uniform(4 * 60, 90 * 60));
      const Time latest_start = NextWorkdayMorning(submit);
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
  }
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
  std::printf("%-6s %6s %22s %22s\n", "region", "jobs", "non-interruptible", "interruptible");
  std::printf("%-6s %6s %11s %10s %11s %10s\n", "", "", "HarchOS", "paper", "HarchOS", "paper");
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
    std::printf("%-6s %6d %10.2f%% %9.2f%% %10.2f%% %9.2f%%\n", region.name, r.jobs,
                100 * (1 - r.shifted / r.baseline), region.paper_fixed,
                100 * (1 - r.interrupted / r.baseline), region.paper_interruptible);
  }
  return 0;
}
