// alibaba-v2023: the pod lists of the Alibaba GPU cluster trace v2023 ("openb", Weng et al.,
// ATC'23), openb_pod_list_*.csv. The mapping from pods to jobs is documented in docs/sim.md
// (### alibaba-v2023) and recorded in Workload::notes.
#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/yaml_reader.h"
#include "sim/workload_readers.h"

namespace harch::workload_internal {
namespace {

constexpr int64_t kMaxGpusPerPod = 64;     // as kMaxGpusPerReplica of a job spec
constexpr int64_t kMaxTime = int64_t{1} << 40;  // seconds; keeps microseconds far from overflow
constexpr int64_t kMaxMilliCpu = 100'000'000;
constexpr int64_t kMaxMemoryMib = int64_t{64} << 20;  // 64 TiB

// The trace's GPU type names -> catalogue model names or families (GpuCatalog::BuiltIn).
struct GpuTypeMapping {
  std::string_view trace;
  std::string_view models;  // '|'-joined, any of them
  std::string_view why;
};
constexpr std::array<GpuTypeMapping, 7> kGpuTypes{{
    {"V100M16", "V100", "Tesla V100 16 GB; the catalogue has one V100 (32 GB)"},
    {"V100M32", "V100", "Tesla V100 32 GB"},
    {"P100", "V100",
     "Tesla P100 16 GB; the catalogue has no Pascal part, V100 is the closest (next generation, "
     "same memory class)"},
    {"T4", "T4", "Tesla T4 16 GB"},
    {"A10", "A10", "A10 24 GB"},
    {"G2", "A10|L4",
     "undisclosed Alibaba type on 8-GPU nodes with 96 cores and 384 GiB (the largest pool, "
     "4,392 GPUs); assumed a 24 GB inference-class card: A10 or L4"},
    {"G3", "A100",
     "undisclosed Alibaba type on 8-GPU nodes with 128 cores and 768 GiB (312 GPUs); assumed "
     "an HGX-class training part: the A100 family"},
}};

struct QosMapping {
  std::string_view qos;
  std::string_view priority_class;
  LatencySensitivity latency;
  bool preemptible;
  WorkloadKind kind;
};
constexpr std::array<QosMapping, 4> kQosMappings{{
    {"LS", "high", LatencySensitivity::kHigh, false, WorkloadKind::kInference},
    {"Guaranteed", "critical", LatencySensitivity::kLow, false, WorkloadKind::kBatch},
    {"Burstable", "normal", LatencySensitivity::kLow, true, WorkloadKind::kBatch},
    {"BE", "best-effort", LatencySensitivity::kLow, true, WorkloadKind::kBatch},
}};

constexpr std::array<std::string_view, 5> kPhases{"Pending", "Running", "Succeeded", "Failed",
                                                  "Unknown"};

enum Column {
  kName, kCpuMilli, kMemoryMib, kNumGpu, kGpuMilli, kGpuSpec, kQos, kPodPhase, kCreationTime,
  kScheduledTime, kDeletionTime, kColumnCount
};
constexpr std::array<std::string_view, kColumnCount> kColumnNames{
    "name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli", "gpu_spec", "qos", "pod_phase",
    "creation_time", "scheduled_time", "deletion_time"};

struct Pod {
  int64_t line = 0;
  std::string name;
  int64_t cpu_milli = 0;
  int64_t memory_mib = 0;
  int64_t num_gpu = 0;
  int64_t gpu_milli = 0;
  std::vector<std::string> models;  // mapped, deduplicated, in the trace's order
  const QosMapping* qos = nullptr;
  std::string qos_name;
  std::string phase;
  int64_t creation = 0;
  std::optional<int64_t> scheduled;
  int64_t deletion = 0;
};

std::string Join(const auto& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

// Splits one CSV record (RFC 4180 quoting, no line breaks inside fields). False on a stray quote.
bool SplitCsv(std::string_view line, std::vector<std::string>* fields) {
  fields->clear();
  std::string field;
  size_t i = 0;
  while (true) {
    field.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) return false;  // unterminated
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += line[i++];
      }
      if (i < line.size() && line[i] != ',') return false;  // text after the closing quote
    } else {
      const size_t comma = line.find(',', i);
      const size_t end = comma == std::string_view::npos ? line.size() : comma;
      field.assign(line.substr(i, end - i));
      if (field.find('"') != std::string::npos) return false;
      i = end;
    }
    fields->push_back(field);
    if (i >= line.size()) return true;
    ++i;  // the comma
  }
}

// An integer field in [min, max], or the message for a bad one.
std::optional<std::string> ParseInt(std::string_view text, int64_t min, int64_t max,
                                    int64_t* out) {
  if (text.empty()) return "empty; expected an integer";
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  const bool whole = ec == std::errc() && ptr == text.data() + text.size();
  if (!whole && ec != std::errc::result_out_of_range) {
    return "expected an integer, got '" + std::string(text) + "'";
  }
  if (!whole || v < min || v > max) {
    return "'" + std::string(text) + "' is out of range [" + std::to_string(min) + ", " +
           std::to_string(max) + "]";
  }
  *out = v;
  return std::nullopt;
}

const GpuTypeMapping* FindGpuType(std::string_view name) {
  for (const auto& m : kGpuTypes) {
    if (m.trace == name) return &m;
  }
  return nullptr;
}

// One data row -> Pod, or "column: message".
std::optional<std::string> ParsePod(const std::vector<std::string>& f,
                                    const std::array<size_t, kColumnCount>& col, Pod* pod) {
  auto field = [&](Column c) -> const std::string& { return f[col[c]]; };
  auto named = [&](Column c, const std::string& message) {
    return std::string(kColumnNames[c]) + ": " + message;
  };
  auto integer = [&](Column c, int64_t min, int64_t max, int64_t* out) {
    std::optional<std::string> why = ParseInt(field(c), min, max, out);
    if (why) *why = named(c, *why);
    return why;
  };

  pod->name = field(kName);
  if (auto why = IdError(pod->name)) return named(kName, *why);
  if (auto why = integer(kCpuMilli, 0, kMaxMilliCpu, &pod->cpu_milli)) return why;
  if (auto why = integer(kMemoryMib, 0, kMaxMemoryMib, &pod->memory_mib)) return why;
  if (auto why = integer(kNumGpu, 0, kMaxGpusPerPod, &pod->num_gpu)) return why;
  if (auto why = integer(kGpuMilli, 0, 1000, &pod->gpu_milli)) return why;
  if (pod->num_gpu == 1 && pod->gpu_milli == 0) {
    return named(kGpuMilli, "is 0 for a pod with num_gpu 1; expected a share of 1 to 1000");
  }

  const std::string& spec = field(kGpuSpec);
  if (!spec.empty()) {
    size_t start = 0;
    while (true) {
      const size_t bar = spec.find('|', start);
      const std::string_view type = std::string_view(spec).substr(
          start, bar == std::string::npos ? std::string::npos : bar - start);
      const GpuTypeMapping* m = FindGpuType(type);
      if (m == nullptr) {
        std::vector<std::string_view> known;
        for (const auto& k : kGpuTypes) known.push_back(k.trace);
        return named(kGpuSpec, "unknown GPU type '" + std::string(type) + "' in '" + spec +
                                   "'; known: " + Join(known));
      }
      std::string_view models = m->models;
      while (!models.empty()) {
        const size_t b = models.find('|');
        const std::string model(models.substr(0, b));
        if (std::find(pod->models.begin(), pod->models.end(), model) == pod->models.end()) {
          pod->models.push_back(model);
        }
        models = b == std::string_view::npos ? std::string_view() : models.substr(b + 1);
      }
      if (bar == std::string::npos) break;
      start = bar + 1;
    }
  }

  pod->qos_name = field(kQos);
  for (const auto& q : kQosMappings) {
    if (q.qos == pod->qos_name) pod->qos = &q;
  }
  if (pod->qos == nullptr) {
    std::vector<std::string_view> valid;
    for (const auto& q : kQosMappings) valid.push_back(q.qos);
    return named(kQos, "unknown QoS '" + pod->qos_name + "'; valid: " + Join(valid));
  }
  pod->phase = field(kPodPhase);
  if (std::find(kPhases.begin(), kPhases.end(), pod->phase) == kPhases.end()) {
    return named(kPodPhase, "unknown phase '" + pod->phase + "'; valid: " + Join(kPhases));
  }

  if (auto why = integer(kCreationTime, -kMaxTime, kMaxTime, &pod->creation)) return why;
  if (!field(kScheduledTime).empty()) {
    int64_t scheduled = 0;
    if (auto why = integer(kScheduledTime, -kMaxTime, kMaxTime, &scheduled)) return why;
    if (scheduled < pod->creation) {
      return named(kScheduledTime, std::to_string(scheduled) + " is before creation_time " +
                                       std::to_string(pod->creation));
    }
    pod->scheduled = scheduled;
  }
  if (auto why = integer(kDeletionTime, -kMaxTime, kMaxTime, &pod->deletion)) return why;
  const int64_t start = pod->scheduled.value_or(pod->creation);
  if (pod->deletion < start) {
    return named(kDeletionTime,
                 std::to_string(pod->deletion) + " is before " +
                     (pod->scheduled ? "scheduled_time " : "creation_time ") +
                     std::to_string(start));
  }
  return std::nullopt;
}

SimJob ToJob(const Pod& pod, const std::string& file, int64_t origin, int64_t service_s) {
  SimJob job;
  job.id = pod.name;
  job.arrival = std::chrono::seconds(pod.creation - origin);
  job.service = std::chrono::seconds(service_s);
  job.qos = pod.qos_name;

  JobSpec& spec = job.spec;
  spec.name = pod.name;
  spec.ref = SourceRef{file, static_cast<int>(std::min<int64_t>(pod.line, INT32_MAX)), 1, ""};
  spec.labels["alibaba/pod-phase"] = pod.phase;
  std::string qos_lower = pod.qos_name;
  std::transform(qos_lower.begin(), qos_lower.end(), qos_lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  spec.tenant = "alibaba/" + qos_lower;
  spec.kind = pod.qos->kind;
  const std::optional<PriorityClass> cls = FindPriorityClass(pod.qos->priority_class);
  HARCH_CHECK(cls.has_value());
  spec.priority_class = cls->name;
  spec.priority = cls->value;
  spec.latency = pod.qos->latency;
  spec.preemptible = pod.qos->preemptible;
  spec.expected_duration = job.service;

  TaskGroupSpec& group = spec.task_groups.emplace_back();
  group.name = "pod";
  group.ref = spec.ref;
  group.replicas = 1;
  if (pod.num_gpu == 1 && pod.gpu_milli < 1000) {
    group.gpu_share = MilliGpu{pod.gpu_milli};
  } else {
    group.gpus_per_replica = static_cast<int>(pod.num_gpu);
  }
  group.gpu.models = pod.models;
  group.cpu_per_replica = MilliCpu{pod.cpu_milli};
  group.memory_per_replica = MiB(pod.memory_mib);
  return job;
}

void AddNotes(Workload* out, int64_t origin, bool keep_unscheduled) {
  auto& n = out->notes;
  n["arrival"] = "creation_time minus the earliest creation_time in the file (" +
                 std::to_string(origin) + " s), divided by the arrival scale";
  n["service"] = "deletion_time minus scheduled_time: the pod's lifetime once placed, whatever "
                 "its phase (pod_phase is kept as the label alibaba/pod-phase)";
  n["expected-duration"] = "set to the service time: an oracle estimate no real scheduler has";
  n["unscheduled"] =
      keep_unscheduled
          ? "kept: pods without scheduled_time get service deletion_time minus creation_time "
            "(how long they were wanted)"
          : "dropped: pods without scheduled_time (never placed in the trace) are counted under "
            "'unscheduled'";
  n["zero-duration"] = "pods deleted the instant they started (service 0) are dropped and counted "
                       "under 'zero-duration'";
  n["cpu-only"] = "pods with num_gpu 0 are dropped and counted under 'cpu-only'";
  n["gpus"] = "num_gpu 1 with gpu_milli < 1000: one replica with gpuShare = gpu_milli; otherwise "
              "one replica of num_gpu whole GPUs (gpu_milli is ignored when num_gpu > 1)";
  n["resources"] = "cpuPerReplica = cpu_milli, memoryPerReplica = memory_mib MiB";
  n["tenant"] = "alibaba/<qos in lower case>";
  for (const auto& q : kQosMappings) {
    n["qos." + std::string(q.qos)] =
        "priority " + std::string(q.priority_class) + ", latency " +
        std::string(LatencySensitivityName(q.latency)) +
        (q.preemptible ? ", preemptible" : ", not preemptible") + ", kind " +
        std::string(WorkloadKindName(q.kind));
  }
  for (const auto& m : kGpuTypes) {
    n["model." + std::string(m.trace)] = std::string(m.models) + ": " + std::string(m.why);
  }
}

}  // namespace

Status ReadAlibabaV2023(const std::string& path, std::string_view text,
                        const WorkloadOptions& options, Workload* out) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 byte order mark
  std::vector<std::string> fields;
  std::array<size_t, kColumnCount> col{};
  size_t header_fields = 0;
  bool have_header = false;
  std::vector<Pod> pods;
  std::map<std::string, int64_t, std::less<>> first_line;  // name -> line
  LineReader lines(text);
  std::string_view line;
  while (lines.Next(&line)) {
    const int64_t line_no = lines.line_no();
    if (line.empty()) continue;

    if (!have_header) {
      if (!SplitCsv(line, &fields)) {
        return InvalidArgument(path + ":" + std::to_string(line_no) +
                               ": the header is not a CSV record (stray quote)");
      }
      std::vector<std::string_view> missing;
      for (size_t c = 0; c < kColumnCount; ++c) {
        const auto it = std::find(fields.begin(), fields.end(), kColumnNames[c]);
        if (it == fields.end()) {
          missing.push_back(kColumnNames[c]);
        } else if (std::find(it + 1, fields.end(), kColumnNames[c]) != fields.end()) {
          return InvalidArgument(path + ":" + std::to_string(line_no) + ": the header names "
                                 "column '" + std::string(kColumnNames[c]) + "' twice");
        } else {
          col[c] = static_cast<size_t>(it - fields.begin());
        }
      }
      if (!missing.empty()) {
        return InvalidArgument(path + ":" + std::to_string(line_no) +
                               ": not an Alibaba v2023 pod list: the header lacks column(s) " +
                               Join(missing) + " (expected " + Join(kColumnNames) + ")");
      }
      header_fields = fields.size();
      have_header = true;
      continue;
    }

    ++out->lines_read;
    std::optional<std::string> why;
    Pod pod;
    pod.line = line_no;
    if (!SplitCsv(line, &fields)) {
      why = "not a CSV record (stray or unterminated quote)";
    } else if (fields.size() != header_fields) {
      why = "has " + std::to_string(fields.size()) + " fields; the header has " +
            std::to_string(header_fields);
    } else {
      why = ParsePod(fields, col, &pod);
    }
    if (!why) {
      auto [it, inserted] = first_line.emplace(pod.name, line_no);
      if (!inserted) {
        why = "name: pod '" + pod.name + "' already appeared on line " +
              std::to_string(it->second);
      }
    }
    if (why) {
      HARCH_RETURN_IF_ERROR(BadLine(options, out, path, line_no, *why));
      continue;
    }
    pods.push_back(std::move(pod));
  }
  if (!have_header) {
    return InvalidArgument(path + ": empty file: expected an Alibaba v2023 pod list with the "
                           "header " + Join(kColumnNames));
  }

  int64_t origin = 0;
  if (!pods.empty()) {
    origin = std::numeric_limits<int64_t>::max();
    for (const Pod& p : pods) origin = std::min(origin, p.creation);
  }
  for (const Pod& pod : pods) {
    if (pod.num_gpu == 0) {
      ++out->dropped["cpu-only"];
      continue;
    }
    if (!pod.scheduled && !options.keep_unscheduled) {
      ++out->dropped["unscheduled"];
      continue;
    }
    const int64_t service = pod.deletion - pod.scheduled.value_or(pod.creation);
    if (service <= 0) {
      ++out->dropped["zero-duration"];
      continue;
    }
    out->jobs.push_back(ToJob(pod, path, origin, service));
  }
  AddNotes(out, origin, options.keep_unscheduled);
  return Status::Ok();
}

}  // namespace harch::workload_internal
