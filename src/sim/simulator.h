// harch sim: a trace-driven discrete-event simulation that drives the real scheduler core (the
// same Scheduler class as the control plane) on a simulated clock, and measures what it does:
// GPU allocation, job completion time, queueing delay, fragmentation, preemptions, sovereignty.
//
// Deterministic: the same inputs and seed give the same decisions and a byte-identical
// summary.json, except the wall-clock measurements (decision latency, events per second), which
// `timing = false` writes as zeros. Thread-safety: one simulation per call; nothing shared.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "sim/job_log.h"
#include "sim/workload.h"

namespace harch {

// A node going down or coming back at a simulated time.
struct ScriptedFault {
  Duration at{0};
  std::string node;
  bool down = true;
};

struct SimOptions {
  std::string fleet_path;
  std::string workload;  // KIND:PATH
  WorkloadOptions workload_options;
  std::string policy = "harch";
  std::string queues_path;  // optional tenants and quotas (kind: Queues)
  uint64_t seed = 1;
  bool timing = true;
  // Random node failures: each node fails at this rate (per node per day); it comes back after
  // `repair_time`. Its jobs are lost and requeued.
  double node_failures_per_day = 0;
  Duration repair_time = std::chrono::hours(4);
  std::vector<ScriptedFault> faults;
  // Carbon (docs/carbon.md): a `kind: Carbon` config. With it the carbon-aware plugins see the
  // zones' intensity, and every run is accounted: energy, emissions, cost, deadline misses.
  std::string carbon_path;
  // When simulated time starts (arrivals are relative to it): the carbon series must cover it.
  // Unset: 2023-01-01, or with a carbon config the first instant every hub's zone has data for.
  std::optional<Time> start;
  // The per-job record written next to summary.json: jobs.jsonl, jobs.csv, or none.
  JobLogFormat job_log = JobLogFormat::kJsonl;
};

struct SimOutput {
  nlohmann::json summary;     // summary.json
  nlohmann::json timeseries;  // timeseries.json
  std::vector<SimJobRecord> jobs;  // in workload order
  JobLogFormat job_log = JobLogFormat::kJsonl;
};

Result<SimOutput> RunSimulation(const SimOptions& options);

// Parses "6h:dakhla-h100-01-n01:down" (time from the start, node id, down|up).
Result<ScriptedFault> ParseFault(std::string_view text);

// Writes summary.json, timeseries.json, report.html and the per-job record (jobs.jsonl or
// jobs.csv, as out.job_log says) into `dir` (created if missing).
Status WriteSimOutput(const SimOutput& out, const std::string& dir);

}  // namespace harch
