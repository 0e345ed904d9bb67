// Workloads for the simulator: the jobs of a trace or a generator, each with its arrival time,
// its service time once running, and the JobSpec the scheduler sees.
//
//   alibaba-v2023:PATH   the Alibaba GPU trace v2023 pod list (openb_pod_list_*.csv)
//   synthetic:PATH       the project's generator, configured by a small YAML file
//   jsonl:PATH           the project's one-job-per-line format (docs/sim.md)
//
// Bad lines are reported with file:line; by option they are skipped (and counted) or fatal,
// never silently dropped. Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "sched/job_spec.h"

namespace harch {

struct SimJob {
  std::string id;            // the trace's name for it
  Duration arrival{0};       // from the start of the simulation
  Duration service{0};       // run time once started (restarts from zero after preemption)
  JobSpec spec;              // what the scheduler sees (spec.expected_duration may be set)
  std::string qos;           // class for reporting: the trace's QoS or the priority class
  // Its deadline, counted from its arrival (the simulator sets spec.deadline when it arrives).
  std::optional<Duration> deadline_after;
};

struct WorkloadOptions {
  double arrival_scale = 1.0;     // > 1 compresses inter-arrival times (more load)
  bool keep_unscheduled = false;  // alibaba: keep pods the trace never scheduled
  bool skip_bad_lines = false;    // false: the first bad line is an error
  uint64_t seed = 1;              // synthetic: the generator's seed
  int64_t max_jobs = 0;           // 0: all
};

struct Workload {
  std::string kind;               // alibaba-v2023, synthetic, jsonl
  std::string path;
  std::string input_hash;         // FNV-1a 64 of the input file(s), hex
  std::vector<SimJob> jobs;       // sorted by arrival, then id
  int64_t lines_read = 0;
  int64_t bad_lines_skipped = 0;
  std::vector<std::string> bad_line_errors;  // "file:line: message", the first 20
  std::map<std::string, int64_t> dropped;    // reason -> count (e.g. "cpu-only", "unscheduled")
  std::map<std::string, std::string> notes;  // documented choices, e.g. the model mapping
};

// Parses "KIND:PATH" and loads it.
Result<Workload> LoadWorkload(const std::string& kind_and_path, const WorkloadOptions& options);

// FNV-1a 64-bit of `data` as 16 hex digits.
std::string Fnv1a64Hex(std::string_view data);

}  // namespace harch
