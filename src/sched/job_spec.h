// The job spec: what an ML engineer submits (examples/jobs/*.yaml, docs/job-spec.md).
//
// A job is one or more task groups scheduled together as a gang: every replica of every group
// is placed, or none is. Data objects carry jurisdiction sets; the job may run only where ALL of
// its data may be processed. Thread-safety: values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/quantity.h"
#include "base/status.h"
#include "base/time_text.h"
#include "base/yaml_reader.h"

namespace harch {

enum class WorkloadKind { kTraining, kInference, kBatch, kInteractive, kPipeline };
std::string_view WorkloadKindName(WorkloadKind k);
std::optional<WorkloadKind> ParseWorkloadKind(std::string_view s);

enum class LatencySensitivity { kLow, kMedium, kHigh };
std::string_view LatencySensitivityName(LatencySensitivity l);
std::optional<LatencySensitivity> ParseLatencySensitivity(std::string_view s);

// Priority classes, highest first. The value orders them; preemption only ever evicts
// preemptible jobs of a strictly lower class.
struct PriorityClass {
  std::string name;
  int value;
};
// critical 1000, high 100, normal 50, low 10, best-effort 0.
const std::vector<PriorityClass>& PriorityClasses();
std::optional<PriorityClass> FindPriorityClass(std::string_view name);

enum class NvlinkRequirement { kNone, kPreferred, kRequired };

struct GpuConstraints {
  std::vector<std::string> models;  // names or families; empty = any
  Bytes min_memory;
  int min_compute_capability = 0;   // 90 for 9.0
  NvlinkRequirement nvlink = NvlinkRequirement::kPreferred;  // over the whole task group
  bool exclusive_node = false;
};

// replicas x (gpus_per_replica whole GPUs | one gpu_share | one MIG instance). A replica's GPUs
// are always on one node (one process sees them).
struct TaskGroupSpec {
  std::string name;
  int replicas = 1;
  int gpus_per_replica = 0;         // whole GPUs; 0 when gpu_share or mig_profile is set
  MilliGpu gpu_share{0};            // a share of one GPU per replica (e.g. 250m)
  std::string mig_profile;          // one MIG instance per replica (e.g. "3g.40gb")
  GpuConstraints gpu;
  MilliCpu cpu_per_replica;
  Bytes memory_per_replica;
  std::vector<std::string> command;
  std::map<std::string, std::string> env;
  SourceRef ref;

  int64_t GpuMilli() const;  // all replicas: whole GPUs 1000 each, a MIG instance 1000, shares their milli
};

struct DataObject {
  std::string name;
  std::vector<std::string> jurisdiction;  // countries where it may be processed
  Bytes size;
  // The hub where it is stored (a hub id of the fleet, checked at submission); empty when not
  // given. Geographic carbon shifting weighs moving it elsewhere over the WAN.
  std::string location;
  SourceRef location_ref;  // the `location` field, for errors found against the fleet
  SourceRef ref;
};

enum class AffinityTarget { kJob, kLabels };
enum class AffinityScope { kNode, kHub };

struct AffinityTerm {
  AffinityTarget target = AffinityTarget::kLabels;
  std::string job;                            // with kJob: the other job's name
  std::map<std::string, std::string> labels;  // with kLabels: node labels
  AffinityScope scope = AffinityScope::kNode; // with kJob: same node or same hub
  bool required = true;                       // false: preferred (a score)
  SourceRef ref;
};

struct JobSpec {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string tenant;  // a queue path such as "research/nlp"
  WorkloadKind kind = WorkloadKind::kBatch;
  std::string priority_class = "normal";
  int priority = 50;   // the class's value
  LatencySensitivity latency = LatencySensitivity::kLow;
  bool preemptible = true;
  bool spot_tolerant = false;
  // It checkpoints: it may be paused and resumed later without losing work (carbon shifting
  // runs it in the cleanest slots before its deadline; see CarbonSlots).
  bool interruptible = false;
  std::vector<TaskGroupSpec> task_groups;
  std::vector<DataObject> data;
  std::optional<Duration> expected_duration;
  std::optional<Time> deadline;
  std::optional<Duration> flexibility_window;
  std::vector<AffinityTerm> affinity;
  std::vector<AffinityTerm> anti_affinity;
  int max_retries = 3;
  SourceRef ref;

  int64_t TotalGpuMilli() const;  // whole GPUs count 1000 each; MIG instances count 1000
};

// The countries the job may run in: the intersection of its data objects' sets. nullopt when it
// has no data object (anywhere); an empty vector when the sets do not intersect (nowhere).
std::optional<std::vector<std::string>> AllowedJurisdiction(const JobSpec& job);

// Parses a job spec document. Refuses unknown fields, wrong types and absurd values with
// file:line:column and the field path.
Result<JobSpec> ParseJobSpec(std::string_view yaml, const std::string& file);
Result<JobSpec> LoadJobSpecFile(const std::string& path);

// Why `path` is not a tenant path (ids joined by '/', at most 8 levels), or nullopt.
std::optional<std::string> TenantPathError(std::string_view path);

}  // namespace harch
