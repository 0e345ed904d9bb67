// jsonl: the project's workload format, one JSON object per line (docs/sim.md, ### jsonl).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/yaml_reader.h"
#include "sim/workload_readers.h"

namespace harch::workload_internal {
namespace {

using nlohmann::json;

constexpr double kMaxArrivalSeconds = 1e10;             // ~317 years
constexpr double kMaxDurationSeconds = 366.0 * 86'400;  // as expectedDuration of a job spec
constexpr int64_t kMaxReplicas = 10'000;
constexpr int64_t kMaxGpusPerReplica = 64;
constexpr double kMaxCores = 100'000;
constexpr Bytes kMaxReplicaMemory = TiB(64);
constexpr Bytes kMaxGpuMemory = TiB(4);
constexpr int kMaxNesting = 16;

constexpr std::string_view kFields[] = {
    "id", "arrival_s", "duration_s", "expected_s", "deadline_s", "tenant", "kind", "priority", "latency",
    "preemptible", "interruptible", "replicas", "gpus_per_replica", "gpu_share", "mig", "models", "min_memory",
    "nvlink", "exclusive", "jurisdiction", "cpu", "memory", "qos"};

// A failed field: "field: message".
struct FieldError {
  std::string text;
};

std::string Quoted(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

// Deeper nesting than any valid line needs is refused before parsing.
bool NestsTooDeep(std::string_view line) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxNesting) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

bool IsMigProfileName(std::string_view s) {
  if (s.size() < 6 || s[1] != 'g' || s[2] != '.' || !s.ends_with("gb")) return false;
  if (std::string_view("12347").find(s[0]) == std::string_view::npos) return false;
  const std::string_view memory = s.substr(3, s.size() - 5);
  if (memory.empty() || memory.size() > 4 || memory[0] == '0') return false;
  return std::all_of(memory.begin(), memory.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}


// Typed access to the fields of one line's object. Each getter returns false and records the
// first error when the field has the wrong type or range; absent fields leave *out untouched.
class Fields {
 public:
  explicit Fields(const json& obj) : obj_(obj) {}

  const std::optional<FieldError>& error() const { return error_; }
  bool Has(std::string_view key) const { return obj_.contains(key); }

  bool Fail(std::string_view key, const std::string& message) {
    if (!error_) error_ = FieldError{std::string(key) + ": " + message};
    return false;
  }
  bool Require(std::string_view key) {
    return Has(key) || Fail(key, "missing required field");
  }

  bool String(std::string_view key, std::string* out) {
    if (!Has(key)) return true;
    const json& v = obj_.at(key);
    if (!v.is_string()) return Fail(key, "expected a string, got " + Quoted(v));
    *out = v.get<std::string>();
    return true;
  }
  bool Number(std::string_view key, double min, double max, double* out) {
    if (!Has(key)) return true;
    const json& v = obj_.at(key);
    if (!v.is_number()) return Fail(key, "expected a number, got " + Quoted(v));
    const double d = v.get<double>();
    if (!std::isfinite(d) || d < min || d > max) {
      std::ostringstream msg;
      msg << Quoted(v) << " is out of range [" << min << ", " << max << "]";
      return Fail(key, msg.str());
    }
    *out = d;
    return true;
  }
  bool Int(std::string_view key, int64_t min, int64_t max, int64_t* out) {
    if (!Has(key)) return true;
    const json& v = obj_.at(key);
    if (!v.is_number_integer()) return Fail(key, "expected an integer, got " + Quoted(v));
    const bool too_big = v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(max);
    if (too_big || v.get<int64_t>() < min || v.get<int64_t>() > max) {
      return Fail(key, Quoted(v) + " is out of range [" + std::to_string(min) + ", " +
                           std::to_string(max) + "]");
    }
    *out = v.get<int64_t>();
    return true;
  }
  bool Bool(std::string_view key, bool* out) {
    if (!Has(key)) return true;
    const json& v = obj_.at(key);
    if (!v.is_boolean()) return Fail(key, "expected true or false, got " + Quoted(v));
    *out = v.get<bool>();
    return true;
  }
  bool StringList(std::string_view key, std::vector<std::string>* out) {
    if (!Has(key)) return true;
    const json& v = obj_.at(key);
    if (!v.is_array()) return Fail(key, "expected an array of strings, got " + Quoted(v));
    std::vector<std::string> values;
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string() || v[i].get_ref<const std::string&>().empty()) {
        return Fail(key, "entry " + std::to_string(i) + " must be a non-empty string, got " +
                             Quoted(v[i]));
      }
      values.push_back(v[i].get<std::string>());
    }
    *out = std::move(values);
    return true;
  }
  bool Size(std::string_view key, Bytes min, Bytes max, Bytes* out) {
    std::string text;
    if (!Has(key) || !String(key, &text)) return !error_;
    auto parsed = ParseBytes(text);
    if (!parsed.ok()) return Fail(key, parsed.status().message());
    if (*parsed < min || *parsed > max) {
      return Fail(key, "'" + text + "' is out of range [" + FormatBytes(min) + ", " +
                           FormatBytes(max) + "]");
    }
    *out = *parsed;
    return true;
  }

 private:
  const json& obj_;
  std::optional<FieldError> error_;
};

std::string Names(const auto& list) {
  std::string out;
  for (const auto& n : list) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

// One line -> job, or the message for a bad line.
std::optional<std::string> ParseLine(std::string_view line, const std::string& file,
                                     int64_t line_no, SimJob* job) {
  if (NestsTooDeep(line)) {
    return "invalid JSON: nested deeper than " + std::to_string(kMaxNesting) + " levels";
  }
  // Top-level keys seen twice: JSON parsers keep the last one silently; we refuse.
  std::set<std::string> keys;
  std::string duplicate;
  const json::parser_callback_t on_event = [&](int depth, json::parse_event_t event,
                                               json& parsed) {
    if (event == json::parse_event_t::key && depth == 1 && duplicate.empty() &&
        !keys.insert(parsed.get<std::string>()).second) {
      duplicate = parsed.get<std::string>();
    }
    return true;
  };
  json obj;
  try {
    obj = json::parse(line.begin(), line.end(), on_event, /*allow_exceptions=*/true,
                      /*ignore_comments=*/false);
  } catch (const json::exception& e) {
    std::string what = e.what();
    if (const size_t close = what.find("] "); what.starts_with("[json.") &&
                                              close != std::string::npos) {
      what = what.substr(close + 2);  // drop "[json.exception.parse_error.101] "
    }
    if (const size_t at = what.find("at line 1, column "); at != std::string::npos) {
      what.replace(at, 18, "at column ");  // the file's line is already in the message
    }
    return "invalid JSON: " + what;
  }
  if (!obj.is_object()) return "expected a JSON object, got " + Quoted(obj);
  if (!duplicate.empty()) return duplicate + ": duplicate key";
  std::vector<std::string> unknown;
  for (const auto& [key, value] : obj.items()) {
    if (std::find(std::begin(kFields), std::end(kFields), key) == std::end(kFields)) {
      unknown.push_back("'" + key + "'");
    }
  }
  if (!unknown.empty()) {
    return std::string(unknown.size() == 1 ? "unknown field " : "unknown fields ") +
           Names(unknown) + "; valid: " + Names(kFields);
  }

  Fields f(obj);
  JobSpec& spec = job->spec;
  spec.ref = SourceRef{file, static_cast<int>(std::min<int64_t>(line_no, INT32_MAX)), 1, ""};
  if (f.Require("id") && f.String("id", &job->id)) {
    if (auto why = IdError(job->id)) f.Fail("id", *why);
  }
  double arrival = 0;
  if (f.Require("arrival_s")) f.Number("arrival_s", 0, kMaxArrivalSeconds, &arrival);
  double duration = 0;
  if (f.Require("duration_s")) {
    if (f.Number("duration_s", 0, kMaxDurationSeconds, &duration) &&
        SecondsToDuration(duration).count() <= 0) {
      f.Fail("duration_s", "must be longer than zero (at least 1e-6)");
    }
  }
  double expected = duration;
  if (f.Number("expected_s", 0, kMaxDurationSeconds, &expected) &&
      SecondsToDuration(expected).count() <= 0) {
    f.Fail("expected_s", "must be longer than zero (at least 1e-6)");
  }
  double deadline = 0;
  const bool has_deadline = f.Has("deadline_s") && f.Number("deadline_s", 0, kMaxDurationSeconds, &deadline);
  if (has_deadline && SecondsToDuration(deadline).count() <= 0) {
    f.Fail("deadline_s", "must be longer than zero (seconds after arrival_s)");
  }
  if (f.error()) return f.error()->text;
  if (has_deadline) job->deadline_after = SecondsToDuration(deadline);
  job->arrival = SecondsToDuration(arrival);
  job->service = SecondsToDuration(duration);
  spec.name = job->id;
  spec.expected_duration = SecondsToDuration(expected);

  spec.tenant = "default";
  if (f.String("tenant", &spec.tenant)) {
    if (auto why = TenantPathError(spec.tenant)) f.Fail("tenant", *why);
  }
  std::string text;
  if (f.Has("kind") && f.String("kind", &text)) {
    if (auto k = ParseWorkloadKind(text)) {
      spec.kind = *k;
    } else {
      f.Fail("kind", "must be one of training, inference, batch, interactive, pipeline; got '" +
                         text + "'");
    }
  }
  if (f.Has("priority") && f.String("priority", &text)) {
    if (auto cls = FindPriorityClass(text)) {
      spec.priority_class = cls->name;
      spec.priority = cls->value;
    } else {
      std::vector<std::string> valid;
      for (const auto& p : PriorityClasses()) valid.push_back(p.name);
      f.Fail("priority", "unknown priority class '" + text + "'; valid: " + Names(valid));
    }
  }
  if (f.Has("latency") && f.String("latency", &text)) {
    if (auto l = ParseLatencySensitivity(text)) {
      spec.latency = *l;
    } else {
      f.Fail("latency", "must be one of low, medium, high; got '" + text + "'");
    }
  }
  f.Bool("preemptible", &spec.preemptible);
  f.Bool("interruptible", &spec.interruptible);

  TaskGroupSpec& group = spec.task_groups.emplace_back();
  group.name = "main";
  group.ref = spec.ref;
  int64_t replicas = 1;
  f.Int("replicas", 1, kMaxReplicas, &replicas);
  group.replicas = static_cast<int>(replicas);
  std::vector<std::string_view> given;
  for (std::string_view key : {"gpus_per_replica", "gpu_share", "mig"}) {
    if (f.Has(key)) given.push_back(key);
  }
  if (given.size() > 1) {
    f.Fail(given[1], "is exclusive with " + std::string(given[0]) +
                         ": give at most one of gpus_per_replica, gpu_share, mig");
  }
  int64_t gpus = 1;  // one whole GPU per replica unless told otherwise
  f.Int("gpus_per_replica", 1, kMaxGpusPerReplica, &gpus);
  int64_t share = 0;
  if (f.Int("gpu_share", 1, 999, &share) && share > 0) {
    group.gpu_share = MilliGpu{share};
    gpus = 0;
  }
  if (f.String("mig", &group.mig_profile) && !group.mig_profile.empty()) {
    if (!IsMigProfileName(group.mig_profile)) {
      f.Fail("mig", "must be a MIG profile such as 1g.10gb or 3g.40gb; got '" +
                        group.mig_profile + "'");
    }
    gpus = 0;
  } else if (f.Has("mig") && group.mig_profile.empty()) {
    f.Fail("mig", "must be a MIG profile such as 1g.10gb; got an empty string");
  }
  group.gpus_per_replica = static_cast<int>(gpus);

  f.StringList("models", &group.gpu.models);
  f.Size("min_memory", Bytes{0}, kMaxGpuMemory, &group.gpu.min_memory);
  if (f.Has("nvlink") && f.String("nvlink", &text)) {
    if (text == "required") {
      group.gpu.nvlink = NvlinkRequirement::kRequired;
    } else if (text == "preferred") {
      group.gpu.nvlink = NvlinkRequirement::kPreferred;
    } else if (text == "none") {
      group.gpu.nvlink = NvlinkRequirement::kNone;
    } else {
      f.Fail("nvlink", "must be one of required, preferred, none; got '" + text + "'");
    }
  }
  f.Bool("exclusive", &group.gpu.exclusive_node);
  std::vector<std::string> countries;
  if (f.Has("jurisdiction") && f.StringList("jurisdiction", &countries)) {
    if (countries.empty()) {
      f.Fail("jurisdiction", "must name at least one country (leave it out for anywhere)");
    }
    for (const std::string& c : countries) {
      if (!IsCountryCode(c)) {
        f.Fail("jurisdiction", "'" + c + "' is not an ISO 3166-1 alpha-2 code such as MA");
        break;
      }
    }
    DataObject& data = spec.data.emplace_back();
    data.name = "data";
    data.jurisdiction = countries;
    data.ref = spec.ref;
  }
  double cores = 1;
  if (f.Number("cpu", 0, kMaxCores, &cores)) {
    group.cpu_per_replica = MilliCpu{std::llround(cores * 1000)};
    if (group.cpu_per_replica.value <= 0) f.Fail("cpu", "must be at least 0.001 cores");
  }
  group.memory_per_replica = GiB(1);
  f.Size("memory", MiB(1), kMaxReplicaMemory, &group.memory_per_replica);
  job->qos = spec.priority_class;
  if (f.String("qos", &job->qos) && job->qos.empty()) f.Fail("qos", "must not be empty");
  if (f.error()) return f.error()->text;
  return std::nullopt;
}

}  // namespace

Status ReadJsonl(const std::string& path, std::string_view text, const WorkloadOptions& options,
                 Workload* out) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 byte order mark
  std::map<std::string, int64_t, std::less<>> first_line;  // id -> line
  LineReader lines(text);
  std::string_view line;
  while (lines.Next(&line)) {
    const int64_t line_no = lines.line_no();
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) {
      line.remove_prefix(1);
    }
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
      line.remove_suffix(1);
    }
    if (line.empty() || line.front() == '#') continue;

    ++out->lines_read;
    SimJob job;
    std::optional<std::string> why = ParseLine(line, path, line_no, &job);
    if (!why) {
      auto [it, inserted] = first_line.emplace(job.id, line_no);
      if (!inserted) {
        why = "id: '" + job.id + "' is already used on line " + std::to_string(it->second);
      }
    }
    if (why) {
      HARCH_RETURN_IF_ERROR(BadLine(options, out, path, line_no, *why));
      continue;
    }
    out->jobs.push_back(std::move(job));
  }
  out->notes["format"] = "one JSON object per line; blank lines and lines starting with # ignored";
  out->notes["expected-duration"] =
      "expected_s when given, else duration_s: an oracle estimate no real scheduler has";
  out->notes["defaults"] =
      "tenant default, kind batch, priority normal, latency low, preemptible, 1 replica of 1 "
      "whole GPU, 1 core and 1GiB per replica, qos = the priority class";
  return Status::Ok();
}

}  // namespace harch::workload_internal
