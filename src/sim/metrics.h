// What the simulator measures and how it turns the measurements into summary.json and
// timeseries.json (the keys are listed in docs/sim.md). Thread-safety: values.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sched/scheduler.h"

namespace harch {

struct SeriesPoint {
  double t_s;
  double allocation;  // allocated GPUs / all GPUs
  int64_t pending;
  int64_t running;
  double fragmentation;
};

struct RunMetrics {
  double allocated_gpu_seconds = 0;
  double fragmentation_seconds = 0;  // time integral of the fragmentation ratio
  int64_t max_allocated_milli = 0;
  int64_t preemptions = 0;
  int64_t carbon_pauses = 0;  // interruptible jobs paused between clean slots (work kept)
  int64_t jobs_lost = 0;
  int64_t jobs_requeued = 0;
  int64_t node_failures = 0;
  int64_t sovereignty_violations = 0;
  std::vector<double> latency_us;  // wall time of each scheduling cycle
  std::vector<SeriesPoint> series;
};

// One workload job at the end of the run.
struct JobOutcome {
  std::string qos;
  int64_t gpu_milli = 0;
  bool rejected = false;
  std::optional<double> queue_delay_s;  // first start - arrival, if it ever started
  std::optional<double> jct_s;          // completion - arrival, if it completed
};

// "1 GPU or less", "2-7", "8", "9-63", "64-255", "256+".
std::string SizeBucket(int64_t gpu_milli);

nlohmann::json SummaryJson(const std::vector<JobOutcome>& jobs, const RunMetrics& m,
                           double makespan_s, int64_t total_gpus);
// Series decimated to at most 2,000 points and the JCT CDF at 200 quantiles.
nlohmann::json TimeseriesJson(const RunMetrics& m, const std::vector<JobOutcome>& jobs);
// The profile and configuration the run used.
nlohmann::json PolicyParameters(const Scheduler& sched);

}  // namespace harch
