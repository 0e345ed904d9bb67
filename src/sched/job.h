// A job inside the scheduler: its spec and everything the scheduler decided about it.
// Thread-safety: owned by the Scheduler; readers get const references between cycles.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/ids.h"
#include "resource/placement.h"
#include "sched/job_spec.h"

namespace harch {

struct JobId {
  uint64_t value = 0;
  auto operator<=>(const JobId&) const = default;
};

enum class JobState { kPending, kRunning, kSucceeded, kFailed, kCancelled };
std::string_view JobStateName(JobState s);
inline bool IsFinal(JobState s) {
  return s == JobState::kSucceeded || s == JobState::kFailed || s == JobState::kCancelled;
}

// Where one task group runs and why it went there.
struct GroupPlacement {
  std::string group;
  AllocationId allocation;
  std::vector<GpuGrant> grants;
  bool exclusive = false;  // holds its nodes whole
  std::vector<NodeShare> node_shares;  // CPU and memory per node
  PlanCost cost;
  std::map<std::string, double> scores;  // score plugin -> score in [0, 1]
  double total_score = 0;
};

struct Job {
  JobId id;
  JobSpec spec;
  std::string shape;  // what it asks for, as a key: jobs of one shape fit or block alike
  JobState state = JobState::kPending;
  Time submitted;
  Time queued_since;  // last time it entered the queue (submission, preemption, loss)
  std::optional<Time> started;
  std::optional<Time> finished;
  int attempts = 0;     // times it started
  int preemptions = 0;
  int losses = 0;       // times its node or GPU died under it
  int pauses = 0;       // times an interruptible job was paused for a cleaner slot
  Duration progress{0};  // run time kept from runs that ended in a pause (work not lost)
  std::vector<GroupPlacement> placement;  // while running
  // While pending: the blocking constraint and a sentence naming the closest option.
  std::string pending_constraint;
  std::string pending_reason;
  std::optional<Time> reserved_start;  // the head-of-line job's reservation (EASY backfill)
  std::optional<Time> retry_at;        // waiting for a time, not capacity (NoFit::retry_at)
  // The scheduler's release count when this job last failed to preempt: it tries again only
  // once something has been released (see Scheduler::TryPreempt).
  std::optional<uint64_t> preempt_failed_at;

  int64_t AllocatedMilli() const;  // whole GPUs 1000 each, shares their milli, MIG 1000
};

}  // namespace harch

template <>
struct std::hash<harch::JobId> {
  size_t operator()(harch::JobId j) const noexcept { return std::hash<uint64_t>{}(j.value); }
};
