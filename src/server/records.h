// What the control plane keeps durably about a job: its lifecycle state, its current attempt's
// tasks and placement. Stored as a JSON document per job (store/store.h); the API's Job message
// is a view of it. Thread-safety: values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/status.h"
#include "harch/v1/harch.pb.h"
#include "resource/topology.h"
#include "sched/job.h"

namespace harch {

// The job lifecycle (docs/server.md). A preempted, lost or drained job goes back to pending; a
// failed attempt with retries left waits out its backoff in pending.
enum class Phase { kPending, kScheduled, kStarting, kRunning, kSucceeded, kFailed, kCancelled };
std::string_view PhaseName(Phase p);
std::optional<Phase> ParsePhase(std::string_view s);
inline bool IsFinal(Phase p) {
  return p == Phase::kSucceeded || p == Phase::kFailed || p == Phase::kCancelled;
}
// Holds GPUs: the scheduler has it running.
inline bool HoldsGpus(Phase p) {
  return p == Phase::kScheduled || p == Phase::kStarting || p == Phase::kRunning;
}

enum class TaskPhase { kAssigned, kRunning, kExited };
std::string_view TaskPhaseName(TaskPhase p);

struct TaskRecord {
  int rank = 0;
  std::string group;
  std::string node;               // node id
  std::vector<std::string> gpus;  // device ids on the node
  TaskPhase phase = TaskPhase::kAssigned;
  int exit_code = 0;
  int pid = 0;
};

// A stretch of time the job's tasks ran on some GPUs of one model in one hub: what its energy,
// emissions and cost are counted from (carbon/accounting.h).
struct GpuRunRecord {
  std::string hub;
  std::string model;
  double gpus = 0;  // whole-GPU equivalents (a 250m share is 0.25, a MIG slice counts 1)
  Time start{};
  std::optional<Time> end;  // open while it runs
};

struct JobRecord {
  uint64_t id = 0;
  std::string request_id;
  std::string spec_text;
  std::string name;
  std::string tenant;
  Phase phase = Phase::kPending;
  std::string reason;
  int attempt = 0;  // starts so far; tasks belong to this one
  int retries = 0;
  int max_retries = 0;
  int exit_code = 0;
  Time created{};
  Time updated{};
  std::optional<Time> started;
  std::optional<Time> finished;
  std::optional<Time> not_before;  // backoff before the next attempt
  Duration progress{0};  // run time kept across pauses of an interruptible job (Job::progress)
  std::vector<TaskRecord> tasks;
  std::vector<GroupPlacement> placement;  // while it holds GPUs
  std::vector<GpuRunRecord> runs;         // every attempt's, for accounting
  int master_port = 0;

  // Not stored: the store ticket that made the current tasks durable, and a change counter
  // for watchers.
  uint64_t assign_ticket = 0;
  uint64_t version = 0;

  std::string TaskId(int rank) const {
    return std::to_string(id) + "/" + std::to_string(attempt) + "/" + std::to_string(rank);
  }
};

// "job/attempt/rank".
struct TaskKey {
  uint64_t job = 0;
  int attempt = 0;
  int rank = 0;
};
// Opens a run per (hub, model) of the current placement at `now`; closes the open ones.
void OpenRuns(JobRecord& r, const Topology& topo, Time now);
void CloseRuns(JobRecord& r, Time now);

std::optional<TaskKey> ParseTaskId(std::string_view id);

// Placement refers to GPUs and nodes by their ids, so a document survives topology rebuilds.
nlohmann::json RecordToJson(const JobRecord& r, const Topology& topo);
Result<JobRecord> RecordFromJson(const std::string& doc, const Topology& topo);

google::protobuf::Timestamp ToTimestamp(Time t);
void ToProto(const JobRecord& r, const JobSpec* spec, v1::Job* out);

}  // namespace harch
