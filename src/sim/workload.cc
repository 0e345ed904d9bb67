// LoadWorkload: "KIND:PATH" -> the reader for KIND, then what every kind shares (arrival scaling,
// ordering, max_jobs, the input hash).
#include "sim/workload.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "base/files.h"
#include "sim/workload_readers.h"

namespace harch {
namespace {

constexpr size_t kMaxBadLineErrors = 20;
constexpr std::string_view kValidKinds = "alibaba-v2023, synthetic, jsonl";

using Reader = Status (*)(const std::string&, std::string_view, const WorkloadOptions&,
                          Workload*);

Reader FindReader(std::string_view kind) {
  if (kind == "alibaba-v2023") return workload_internal::ReadAlibabaV2023;
  if (kind == "synthetic") return workload_internal::ReadSynthetic;
  if (kind == "jsonl") return workload_internal::ReadJsonl;
  return nullptr;
}

}  // namespace

namespace workload_internal {

Status BadLine(const WorkloadOptions& options, Workload* out, const std::string& file,
               int64_t line, const std::string& message) {
  std::string text = file + ":" + std::to_string(line) + ": " + message;
  if (!options.skip_bad_lines) {
    return InvalidArgument(std::move(text) + " (skip bad lines to load the rest)");
  }
  ++out->bad_lines_skipped;
  if (out->bad_line_errors.size() < kMaxBadLineErrors) {
    out->bad_line_errors.push_back(std::move(text));
  }
  return Status::Ok();
}

Duration SecondsToDuration(double seconds) {
  return Duration{static_cast<int64_t>(std::llround(seconds * 1e6))};
}

}  // namespace workload_internal

std::string Fnv1a64Hex(std::string_view data) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

Result<Workload> LoadWorkload(const std::string& kind_and_path, const WorkloadOptions& options) {
  const size_t colon = kind_and_path.find(':');
  if (colon == std::string::npos) {
    return InvalidArgument("workload '" + kind_and_path +
                           "' must be KIND:PATH such as jsonl:jobs.jsonl; valid kinds: " +
                           std::string(kValidKinds));
  }
  const std::string kind = kind_and_path.substr(0, colon);
  const std::string path = kind_and_path.substr(colon + 1);
  const Reader reader = FindReader(kind);
  if (reader == nullptr) {
    return InvalidArgument("unknown workload kind '" + kind + "' in '" + kind_and_path +
                           "'; valid kinds: " + std::string(kValidKinds));
  }
  if (path.empty()) {
    return InvalidArgument("workload '" + kind_and_path + "' names no file after '" + kind + ":'");
  }
  if (!(options.arrival_scale > 0) || !std::isfinite(options.arrival_scale)) {
    return InvalidArgument("arrival scale must be a positive number; got " +
                           std::to_string(options.arrival_scale));
  }
  if (options.max_jobs < 0) {
    return InvalidArgument("max jobs must not be negative (0 means all); got " +
                           std::to_string(options.max_jobs));
  }
  auto text = ReadFile(path);
  if (!text.ok()) return text.status().WithContext("workload " + kind_and_path);

  Workload w;
  w.kind = kind;
  w.path = path;
  w.input_hash = Fnv1a64Hex(*text);
  HARCH_RETURN_IF_ERROR(reader(path, *text, options, &w));

  if (options.arrival_scale != 1.0) {
    for (SimJob& job : w.jobs) {
      const double scaled = static_cast<double>(job.arrival.count()) / options.arrival_scale;
      if (!(scaled < 9e18)) {
        return InvalidArgument("workload " + kind_and_path + ": job '" + job.id +
                               "': arrival overflows after dividing by arrival scale " +
                               std::to_string(options.arrival_scale));
      }
      job.arrival = Duration{static_cast<int64_t>(std::llround(scaled))};
    }
    w.notes["arrival-scale"] = "arrival times divided by " + std::to_string(options.arrival_scale) +
                               " (service times unchanged)";
  }
  std::sort(w.jobs.begin(), w.jobs.end(), [](const SimJob& a, const SimJob& b) {
    if (a.arrival != b.arrival) return a.arrival < b.arrival;
    return a.id < b.id;
  });
  if (options.max_jobs > 0 && static_cast<int64_t>(w.jobs.size()) > options.max_jobs) {
    w.dropped["beyond-max-jobs"] += static_cast<int64_t>(w.jobs.size()) - options.max_jobs;
    w.jobs.resize(static_cast<size_t>(options.max_jobs));
  }
  return w;
}

}  // namespace harch
