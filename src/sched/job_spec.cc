// YAML -> JobSpec, and the small value parsers it needs (durations, RFC 3339 times). The document
// format is described in docs/job-spec.md.
#include "sched/job_spec.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <iterator>
#include <set>

#include "base/files.h"
#include "resource/gpu_model.h"

namespace harch {
namespace {

constexpr int64_t kMaxTaskGroups = 64;
constexpr int64_t kMaxReplicas = 10'000;
constexpr int64_t kMaxGpusPerReplica = 64;
constexpr int64_t kMaxRetries = 100;
constexpr size_t kMaxListEntries = 64;       // data objects; affinity and anti-affinity terms
constexpr size_t kMaxTenantLevels = 8;
constexpr int64_t kMaxReplicaMilliCpu = 100'000'000;  // 100,000 cores, as a fleet node
constexpr Bytes kMaxReplicaMemory = TiB(64);          // as a fleet node
constexpr Bytes kMaxGpuMemory = TiB(4);               // as a fleet GPU model
constexpr Bytes kMaxDataSize = TiB(int64_t{1} << 20); // 1 EiB
constexpr Duration kMaxJobDuration = std::chrono::hours(24 * 366);

std::string Index(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// "research/nlp": ids joined by '/'.
void ReadTenant(YamlContext& ctx, const YAML::Node& n, const std::string& path, std::string* out) {
  if (!ctx.ReadString(n, path, out)) return;
  if (auto why = TenantPathError(*out)) ctx.Fail(n, path, *why);
}

// A closed set of names: reads the string and maps it through `parse`, or fails listing `valid`.
template <typename T, typename Parse>
void ReadEnum(YamlContext& ctx, const YAML::Node& n, const std::string& path,
              std::string_view valid, Parse parse, T* out) {
  std::string s;
  if (!ctx.ReadString(n, path, &s)) return;
  if (std::optional<T> v = parse(s)) {
    *out = *v;
  } else {
    ctx.Fail(n, path, "must be one of " + std::string(valid) + "; got '" + s + "'");
  }
}

std::optional<NvlinkRequirement> ParseNvlink(std::string_view s) {
  if (s == "none") return NvlinkRequirement::kNone;
  if (s == "preferred") return NvlinkRequirement::kPreferred;
  if (s == "required") return NvlinkRequirement::kRequired;
  return std::nullopt;
}

std::optional<AffinityScope> ParseScope(std::string_view s) {
  if (s == "node") return AffinityScope::kNode;
  if (s == "hub") return AffinityScope::kHub;
  return std::nullopt;
}

// A duration field: a string such as "6h", at least `min`, at most kMaxJobDuration.
void ReadDuration(YamlContext& ctx, MapReader& m, std::string_view key, Duration min,
                  std::optional<Duration>* out) {
  auto n = m.Get(key);
  if (!n) return;
  const std::string path = m.PathOf(key);
  std::string text;
  if (!ctx.ReadString(*n, path, &text)) return;
  auto parsed = ParseDuration(text);
  if (!parsed.ok()) {
    ctx.Fail(*n, path, parsed.status().message());
  } else if (*parsed < min) {
    ctx.Fail(*n, path, min.count() > 0 ? "must be longer than zero" : "must not be negative");
  } else if (*parsed > kMaxJobDuration) {
    ctx.Fail(*n, path, "'" + text + "' is longer than the limit of 366d");
  } else {
    *out = *parsed;
  }
}

// "3g.40gb": <compute slices>g.<memory>gb, with the compute slices of a MIG profile.
bool IsMigProfileName(std::string_view s) {
  if (s.size() < 6 || s[1] != 'g' || s[2] != '.' || !s.ends_with("gb")) return false;
  if (std::string_view("12347").find(s[0]) == std::string_view::npos) return false;
  const std::string_view memory = s.substr(3, s.size() - 5);
  if (memory.empty() || memory.size() > 4 || memory[0] == '0') return false;
  return std::all_of(memory.begin(), memory.end(), IsDigit);
}

bool IsEnvName(std::string_view s) {
  if (s.empty() || IsDigit(s[0])) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}


void ReadGpuConstraints(YamlContext& ctx, const YAML::Node& n, const std::string& path,
                        GpuConstraints* out) {
  MapReader m(ctx, n, path);
  if (auto models = m.Get("models")) {
    const std::string mpath = m.PathOf("models");
    if (ctx.ReadStringList(*models, mpath, &out->models)) {
      for (size_t i = 0; i < out->models.size(); ++i) {
        if (out->models[i].empty()) {
          ctx.Fail((*models)[i], Index(mpath, i), "a GPU model name must not be empty");
          break;
        }
      }
    }
  }
  m.OptionalBytes("minMemory", &out->min_memory, Bytes{0}, kMaxGpuMemory);
  if (auto cc = m.Get("minComputeCapability")) {
    std::string text;
    if (ctx.ReadString(*cc, m.PathOf("minComputeCapability"), &text)) {
      auto parsed = ParseComputeCapability(text);
      if (parsed.ok()) {
        out->min_compute_capability = *parsed;
      } else {
        ctx.Fail(*cc, m.PathOf("minComputeCapability"), parsed.status().message());
      }
    }
  }
  if (auto nv = m.Get("nvlink")) {
    ReadEnum(ctx, *nv, m.PathOf("nvlink"), "none, preferred, required", ParseNvlink, &out->nvlink);
  }
  m.OptionalBool("exclusiveNode", &out->exclusive_node);
  m.Done();
}

void ReadTaskGroup(YamlContext& ctx, const YAML::Node& n, const std::string& path,
                   TaskGroupSpec* out) {
  MapReader m(ctx, n, path);
  out->ref = ctx.Ref(n, path);
  m.RequiredId("name", &out->name);
  int64_t replicas = 1;
  m.OptionalInt("replicas", &replicas, 1, kMaxReplicas);
  out->replicas = static_cast<int>(replicas);

  // What one replica gets: whole GPUs, a share of one GPU, or one MIG instance.
  std::vector<std::string> given;
  if (m.Has("gpusPerReplica")) {
    given.emplace_back("gpusPerReplica");
    int64_t gpus = 0;
    m.OptionalInt("gpusPerReplica", &gpus, 1, kMaxGpusPerReplica);
    out->gpus_per_replica = static_cast<int>(gpus);
  }
  if (auto share = m.Get("gpuShare")) {
    given.emplace_back("gpuShare");
    const std::string spath = m.PathOf("gpuShare");
    std::string text;
    if (ctx.ReadString(*share, spath, &text)) {
      auto parsed = ParseMilliGpu(text);
      if (!parsed.ok()) {
        ctx.Fail(*share, spath, parsed.status().message());
      } else if (parsed->value < 1 || parsed->value >= kWholeGpu.value) {
        ctx.Fail(*share, spath,
                 "must be between 1m and 999m (a share of one GPU); got '" + text +
                     "' (use gpusPerReplica for whole GPUs)");
      } else {
        out->gpu_share = *parsed;
      }
    }
  }
  if (auto mig = m.Get("migProfile")) {
    given.emplace_back("migProfile");
    const std::string mpath = m.PathOf("migProfile");
    if (ctx.ReadString(*mig, mpath, &out->mig_profile) && !IsMigProfileName(out->mig_profile)) {
      ctx.Fail(*mig, mpath,
               "must be a MIG profile such as 1g.10gb or 3g.40gb (compute slices 1, 2, 3, 4 "
               "or 7); got '" + out->mig_profile + "'");
    }
  }

  if (auto cpu = m.Require("cpuPerReplica")) {
    const std::string cpath = m.PathOf("cpuPerReplica");
    std::string text;
    if (ctx.ReadString(*cpu, cpath, &text)) {
      auto parsed = ParseMilliCpu(text);
      if (!parsed.ok()) {
        ctx.Fail(*cpu, cpath, parsed.status().message());
      } else if (parsed->value <= 0 || parsed->value > kMaxReplicaMilliCpu) {
        ctx.Fail(*cpu, cpath, "must be between 1m and 100000 cores");
      } else {
        out->cpu_per_replica = *parsed;
      }
    }
  }
  m.RequiredBytes("memoryPerReplica", &out->memory_per_replica, MiB(1), kMaxReplicaMemory);
  if (auto gpu = m.Get("gpu")) ReadGpuConstraints(ctx, *gpu, m.PathOf("gpu"), &out->gpu);
  m.OptionalStringList("command", &out->command);
  if (auto env = m.Get("env")) {
    const std::string epath = m.PathOf("env");
    if (ctx.ReadStringMap(*env, epath, &out->env)) {
      for (const auto& kv : *env) {
        if (!IsEnvName(kv.first.Scalar())) {
          ctx.Fail(kv.first, epath, "'" + kv.first.Scalar() +
                                        "' is not an environment variable name (A-Z, a-z, 0-9, "
                                        "'_', not starting with a digit)");
          break;
        }
      }
    }
  }
  m.Done();
  // Checked after Done() so that a misspelt field is reported as such, not as a missing one.
  if (!ctx.failed() && given.size() != 1) {
    ctx.Fail(n, path,
             given.empty()
                 ? "needs one of gpusPerReplica, gpuShare or migProfile"
                 : given[0] + " and " + given[1] +
                       " are exclusive: give exactly one of gpusPerReplica, gpuShare, migProfile");
  }
}

void ReadDataObject(YamlContext& ctx, const YAML::Node& n, const std::string& path,
                    DataObject* out) {
  MapReader m(ctx, n, path);
  out->ref = ctx.Ref(n, path);
  m.RequiredId("name", &out->name);
  if (auto j = m.Require("jurisdiction")) {
    const std::string jpath = m.PathOf("jurisdiction");
    if (ctx.ReadStringList(*j, jpath, &out->jurisdiction)) {
      if (out->jurisdiction.empty()) {
        ctx.Fail(*j, jpath, "must name at least one country where the data may be processed");
      }
      for (size_t i = 0; i < out->jurisdiction.size() && !ctx.failed(); ++i) {
        if (!IsCountryCode(out->jurisdiction[i])) {
          ctx.Fail((*j)[i], Index(jpath, i),
                   "must be an ISO 3166-1 alpha-2 code such as MA; got '" +
                       out->jurisdiction[i] + "'");
        }
      }
    }
  }
  m.OptionalBytes("size", &out->size, Bytes{0}, kMaxDataSize);
  if (auto loc = m.Get("location")) {
    const std::string lpath = m.PathOf("location");
    out->location_ref = ctx.Ref(*loc, lpath);
    ctx.ReadId(*loc, lpath, &out->location);
  }
  m.Done();
}

void ReadAffinityTerm(YamlContext& ctx, const YAML::Node& n, const std::string& path,
                      AffinityTerm* out) {
  MapReader m(ctx, n, path);
  out->ref = ctx.Ref(n, path);
  const bool has_job = m.Has("job");
  const bool has_labels = m.Has("labels");
  if (has_job) {
    out->target = AffinityTarget::kJob;
    m.RequiredId("job", &out->job);
  }
  if (auto labels = has_labels ? m.Get("labels") : std::nullopt) {
    out->target = AffinityTarget::kLabels;
    const std::string lpath = m.PathOf("labels");
    if (ctx.ReadStringMap(*labels, lpath, &out->labels) && out->labels.empty()) {
      ctx.Fail(*labels, lpath, "must name at least one label");
    }
  }
  std::optional<YAML::Node> scope = m.Get("scope");
  if (scope) ReadEnum(ctx, *scope, m.PathOf("scope"), "node, hub", ParseScope, &out->scope);
  m.OptionalBool("required", &out->required);
  m.Done();
  // Checked after Done() so that a misspelt field is reported as such, not as a missing one.
  if (ctx.failed()) return;
  if (has_job == has_labels) {
    ctx.Fail(n, path, has_job ? "job and labels are exclusive: give one of them"
                              : "needs one of job (another job) or labels (node labels)");
  } else if (scope && has_labels) {
    ctx.Fail(*scope, m.PathOf("scope"),
             "applies only to job terms (same node or same hub as the other job); a labels "
             "term always matches nodes");
  }
}

// A list of at most `max` entries, each read by `read_one` into a new element of `out`. Returns
// the list node for checks across its entries, or nullopt.
template <typename T, typename Fn>
std::optional<YAML::Node> ReadList(YamlContext& ctx, MapReader& m, std::string_view key,
                                   bool required, size_t max, std::vector<T>* out, Fn read_one) {
  auto n = required ? m.Require(key) : m.Get(key);
  if (!n) return std::nullopt;
  const std::string path = m.PathOf(key);
  if (!ctx.ExpectSequence(*n, path)) return std::nullopt;
  if (n->size() > max) {
    ctx.Fail(*n, path, "has " + std::to_string(n->size()) + " entries; the limit is " +
                           std::to_string(max));
    return std::nullopt;
  }
  for (size_t i = 0; i < n->size() && !ctx.failed(); ++i) {
    read_one(ctx, (*n)[i], Index(path, i), &out->emplace_back());
  }
  return n;
}

// Fails at the `name` of the first entry whose name an earlier entry already has.
template <typename T>
void CheckUniqueNames(YamlContext& ctx, const YAML::Node& list, const std::string& path,
                      const std::vector<T>& entries, std::string_view what) {
  std::set<std::string, std::less<>> seen;
  for (size_t i = 0; i < entries.size() && !ctx.failed(); ++i) {
    if (!seen.insert(entries[i].name).second) {
      const YAML::Node& entry = list[i];
      ctx.Fail(entry["name"], Index(path, i) + ".name",
               std::string(what) + " '" + entries[i].name + "' is declared twice");
    }
  }
}

std::string PriorityClassNames() {
  std::string out;
  for (const PriorityClass& p : PriorityClasses()) out += (out.empty() ? "" : ", ") + p.name;
  return out;
}

void ReadSpec(YamlContext& ctx, const YAML::Node& n, JobSpec* spec) {
  MapReader m(ctx, n, "spec");
  if (auto t = m.Require("tenant")) ReadTenant(ctx, *t, m.PathOf("tenant"), &spec->tenant);
  if (auto k = m.Require("kind")) {
    ReadEnum(ctx, *k, m.PathOf("kind"), "training, inference, batch, interactive, pipeline",
             ParseWorkloadKind, &spec->kind);
  }
  if (auto p = m.Get("priorityClass")) {
    std::string name;
    if (ctx.ReadString(*p, m.PathOf("priorityClass"), &name)) {
      if (auto cls = FindPriorityClass(name)) {
        spec->priority_class = cls->name;
        spec->priority = cls->value;
      } else {
        ctx.Fail(*p, m.PathOf("priorityClass"), "unknown priority class '" + name +
                                                    "'; valid: " + PriorityClassNames());
      }
    }
  }
  if (auto l = m.Get("latencySensitivity")) {
    ReadEnum(ctx, *l, m.PathOf("latencySensitivity"), "low, medium, high",
             ParseLatencySensitivity, &spec->latency);
  }
  m.OptionalBool("preemptible", &spec->preemptible);
  m.OptionalBool("spotTolerant", &spec->spot_tolerant);
  m.OptionalBool("interruptible", &spec->interruptible);
  int64_t retries = spec->max_retries;
  m.OptionalInt("maxRetries", &retries, 0, kMaxRetries);
  spec->max_retries = static_cast<int>(retries);
  ReadDuration(ctx, m, "expectedDuration", Duration{1}, &spec->expected_duration);
  if (auto d = m.Get("deadline")) {
    std::string text;
    if (ctx.ReadString(*d, m.PathOf("deadline"), &text)) {
      auto parsed = ParseTime(text);
      if (parsed.ok()) {
        spec->deadline = *parsed;
      } else {
        ctx.Fail(*d, m.PathOf("deadline"), parsed.status().message());
      }
    }
  }
  ReadDuration(ctx, m, "flexibilityWindow", Duration{0}, &spec->flexibility_window);

  if (auto groups = ReadList(ctx, m, "taskGroups", true, kMaxTaskGroups, &spec->task_groups,
                             ReadTaskGroup)) {
    if (!ctx.failed() && groups->size() == 0) {
      ctx.Fail(*groups, m.PathOf("taskGroups"), "a job needs at least one task group");
    }
    CheckUniqueNames(ctx, *groups, m.PathOf("taskGroups"), spec->task_groups, "task group");
  }
  if (auto data = ReadList(ctx, m, "data", false, kMaxListEntries, &spec->data, ReadDataObject)) {
    CheckUniqueNames(ctx, *data, m.PathOf("data"), spec->data, "data object");
  }
  ReadList(ctx, m, "affinity", false, kMaxListEntries, &spec->affinity, ReadAffinityTerm);
  ReadList(ctx, m, "antiAffinity", false, kMaxListEntries, &spec->anti_affinity,
           ReadAffinityTerm);
  m.Done();
}

}  // namespace

std::optional<std::string> TenantPathError(std::string_view path) {
  size_t levels = 0;
  size_t start = 0;
  while (true) {
    const size_t slash = path.find('/', start);
    const std::string_view part = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty()) {
      return "'" + std::string(path) +
             "' must be ids joined by '/' such as research/nlp, with no empty part";
    }
    if (auto why = IdError(part)) return why;
    if (++levels > kMaxTenantLevels) {
      return "'" + std::string(path) + "' has more than " + std::to_string(kMaxTenantLevels) +
             " levels";
    }
    if (slash == std::string_view::npos) return std::nullopt;
    start = slash + 1;
  }
}

std::string_view WorkloadKindName(WorkloadKind k) {
  switch (k) {
    case WorkloadKind::kTraining: return "training";
    case WorkloadKind::kInference: return "inference";
    case WorkloadKind::kBatch: return "batch";
    case WorkloadKind::kInteractive: return "interactive";
    case WorkloadKind::kPipeline: return "pipeline";
  }
  return "unknown";
}

std::optional<WorkloadKind> ParseWorkloadKind(std::string_view s) {
  if (s == "training") return WorkloadKind::kTraining;
  if (s == "inference") return WorkloadKind::kInference;
  if (s == "batch") return WorkloadKind::kBatch;
  if (s == "interactive") return WorkloadKind::kInteractive;
  if (s == "pipeline") return WorkloadKind::kPipeline;
  return std::nullopt;
}

std::string_view LatencySensitivityName(LatencySensitivity l) {
  switch (l) {
    case LatencySensitivity::kLow: return "low";
    case LatencySensitivity::kMedium: return "medium";
    case LatencySensitivity::kHigh: return "high";
  }
  return "unknown";
}

std::optional<LatencySensitivity> ParseLatencySensitivity(std::string_view s) {
  if (s == "low") return LatencySensitivity::kLow;
  if (s == "medium") return LatencySensitivity::kMedium;
  if (s == "high") return LatencySensitivity::kHigh;
  return std::nullopt;
}

const std::vector<PriorityClass>& PriorityClasses() {
  static const std::vector<PriorityClass> kClasses{
      {"critical", 1000}, {"high", 100}, {"normal", 50}, {"low", 10}, {"best-effort", 0},
  };
  return kClasses;
}

std::optional<PriorityClass> FindPriorityClass(std::string_view name) {
  for (const PriorityClass& p : PriorityClasses()) {
    if (p.name == name) return p;
  }
  return std::nullopt;
}

int64_t TaskGroupSpec::GpuMilli() const {
  int64_t per_replica = gpu_share.value;
  if (gpus_per_replica > 0) {
    per_replica = int64_t{gpus_per_replica} * kWholeGpu.value;
  } else if (!mig_profile.empty()) {
    per_replica = kWholeGpu.value;
  }
  return int64_t{replicas} * per_replica;
}

int64_t JobSpec::TotalGpuMilli() const {
  int64_t total = 0;
  for (const TaskGroupSpec& g : task_groups) total += g.GpuMilli();
  return total;
}

std::optional<std::vector<std::string>> AllowedJurisdiction(const JobSpec& job) {
  if (job.data.empty()) return std::nullopt;
  std::vector<std::string> allowed;
  for (size_t i = 0; i < job.data.size(); ++i) {
    std::vector<std::string> set = job.data[i].jurisdiction;
    std::sort(set.begin(), set.end());
    set.erase(std::unique(set.begin(), set.end()), set.end());
    if (i == 0) {
      allowed = std::move(set);
      continue;
    }
    std::vector<std::string> both;
    std::set_intersection(allowed.begin(), allowed.end(), set.begin(), set.end(),
                          std::back_inserter(both));
    allowed = std::move(both);
  }
  return allowed;
}

Result<JobSpec> ParseJobSpec(std::string_view yaml, const std::string& file) {
  HARCH_ASSIGN_OR_RETURN(YAML::Node root, LoadYaml(yaml, file));
  YamlContext ctx(file);
  JobSpec spec;
  spec.ref = ctx.Ref(root, "");
  MapReader top(ctx, root, "");
  top.ExpectKind("Job");
  if (auto meta = top.Require("metadata")) {
    MapReader m(ctx, *meta, "metadata");
    m.RequiredId("name", &spec.name);
    m.OptionalStringMap("labels", &spec.labels);
    m.Done();
  }
  if (auto body = top.Require("spec")) ReadSpec(ctx, *body, &spec);
  top.Done();
  if (ctx.failed()) return ctx.status();
  return spec;
}

Result<JobSpec> LoadJobSpecFile(const std::string& path) {
  HARCH_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseJobSpec(text, path);
}

}  // namespace harch
