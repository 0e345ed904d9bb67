// The simulator's per-job record (jobs.jsonl or jobs.csv in the output folder): when each job
// arrived, every run it had (start, end, how it ended, where it ran), its preemptions, losses
// and pauses. Runs can then be compared job by job with another simulator's log, not only
// through the summary. Thread-safety: values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace harch {

enum class RunEnd { kFinished, kPreempted, kLost, kPaused, kUnfinished };
std::string_view RunEndName(RunEnd e);

// One run of a job: from a start to what ended it.
struct SimRunRecord {
  double start_s = 0;                // from the start of the simulation
  std::optional<double> end_s;       // unset: still running when the simulation stopped
  RunEnd end = RunEnd::kUnfinished;
  std::vector<std::string> hubs;     // sorted, unique
  std::vector<std::string> nodes;    // sorted, unique
  std::vector<std::string> models;   // GPU models, sorted, unique
  int64_t gpu_milli = 0;             // allocated: whole GPUs 1000 each
};

struct SimJobRecord {
  std::string id;
  std::string tenant;
  std::string qos;
  int64_t gpu_milli = 0;             // what it asked for
  double arrival_s = 0;
  std::optional<double> deadline_s;  // absolute, from the start of the simulation
  bool rejected = false;
  std::string reject_reason;
  std::vector<SimRunRecord> runs;
  std::optional<double> completed_s;

  // "completed", "rejected", "never-started" or "unfinished".
  std::string_view Outcome() const;
  std::optional<double> FirstStart() const;
  std::optional<double> QueueDelay() const;  // first start - arrival
  std::optional<double> Jct() const;         // completion - arrival
  int Ends(RunEnd how) const;                // runs that ended so: preemptions, losses, pauses
};

enum class JobLogFormat { kJsonl, kCsv, kNone };
// "jsonl", "csv" or "none"; anything else is an error that lists them.
Result<JobLogFormat> ParseJobLogFormat(std::string_view text);

nlohmann::json SimJobRecordJson(const SimJobRecord& r);
// One JSON object per line, in the order given.
std::string JobLogJsonl(const std::vector<SimJobRecord>& records);
// A header and one row per job (RFC 4180 quoting); runs are summarised: the first start, the
// completion, the number of runs, and where the last run was.
std::string JobLogCsv(const std::vector<SimJobRecord>& records);

}  // namespace harch
