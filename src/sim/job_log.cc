#include "sim/job_log.h"

#include <algorithm>
#include <cstdio>

namespace harch {
namespace {

std::string Joined(const std::vector<std::string>& parts, char sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

// RFC 4180: quoted when it holds a comma, a quote or a line break; quotes doubled.
std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string Number(std::optional<double> v) {
  if (!v) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", *v);
  std::string s = buf;
  s.erase(s.find_last_not_of('0') + 1);  // 12.500000 -> 12.5, 12.000000 -> 12.
  if (s.back() == '.') s.pop_back();
  return s;
}

nlohmann::json Optional(std::optional<double> v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

}  // namespace

std::string_view RunEndName(RunEnd e) {
  switch (e) {
    case RunEnd::kFinished: return "finished";
    case RunEnd::kPreempted: return "preempted";
    case RunEnd::kLost: return "lost";
    case RunEnd::kPaused: return "paused";
    case RunEnd::kUnfinished: return "unfinished";
  }
  return "unfinished";
}

std::string_view SimJobRecord::Outcome() const {
  if (rejected) return "rejected";
  if (completed_s) return "completed";
  return runs.empty() ? "never-started" : "unfinished";
}

std::optional<double> SimJobRecord::FirstStart() const {
  return runs.empty() ? std::nullopt : std::optional(runs.front().start_s);
}

std::optional<double> SimJobRecord::QueueDelay() const {
  const auto first = FirstStart();
  return first ? std::optional(*first - arrival_s) : std::nullopt;
}

std::optional<double> SimJobRecord::Jct() const {
  return completed_s ? std::optional(*completed_s - arrival_s) : std::nullopt;
}

int SimJobRecord::Ends(RunEnd how) const {
  return static_cast<int>(std::count_if(runs.begin(), runs.end(), [&](const SimRunRecord& r) { return r.end == how; }));
}

Result<JobLogFormat> ParseJobLogFormat(std::string_view text) {
  if (text == "jsonl") return JobLogFormat::kJsonl;
  if (text == "csv") return JobLogFormat::kCsv;
  if (text == "none") return JobLogFormat::kNone;
  return InvalidArgument("--jobs: '" + std::string(text) + "' is not a format: jsonl, csv or none");
}

nlohmann::json SimJobRecordJson(const SimJobRecord& r) {
  nlohmann::json runs = nlohmann::json::array();
  for (const SimRunRecord& run : r.runs) {
    runs.push_back({{"start_s", run.start_s},
                    {"end_s", Optional(run.end_s)},
                    {"end", RunEndName(run.end)},
                    {"hubs", run.hubs},
                    {"nodes", run.nodes},
                    {"models", run.models},
                    {"gpu_milli", run.gpu_milli}});
  }
  nlohmann::json j{{"id", r.id},
                   {"tenant", r.tenant},
                   {"qos", r.qos},
                   {"gpu_milli", r.gpu_milli},
                   {"arrival_s", r.arrival_s},
                   {"deadline_s", Optional(r.deadline_s)},
                   {"outcome", r.Outcome()},
                   {"first_start_s", Optional(r.FirstStart())},
                   {"completed_s", Optional(r.completed_s)},
                   {"queue_delay_s", Optional(r.QueueDelay())},
                   {"jct_s", Optional(r.Jct())},
                   {"preemptions", r.Ends(RunEnd::kPreempted)},
                   {"losses", r.Ends(RunEnd::kLost)},
                   {"pauses", r.Ends(RunEnd::kPaused)},
                   {"runs", runs}};
  if (r.rejected) j["reject_reason"] = r.reject_reason;
  return j;
}

std::string JobLogJsonl(const std::vector<SimJobRecord>& records) {
  std::string out;
  for (const SimJobRecord& r : records) out += SimJobRecordJson(r).dump() + "\n";
  return out;
}

std::string JobLogCsv(const std::vector<SimJobRecord>& records) {
  std::string out =
      "id,tenant,qos,gpu_milli,arrival_s,deadline_s,outcome,first_start_s,completed_s,queue_delay_s,jct_s,"
      "runs,preemptions,losses,pauses,last_hubs,last_nodes,last_models,reject_reason\n";
  for (const SimJobRecord& r : records) {
    const SimRunRecord* last = r.runs.empty() ? nullptr : &r.runs.back();
    const std::vector<std::string> fields = {
        CsvField(r.id), CsvField(r.tenant), CsvField(r.qos), std::to_string(r.gpu_milli), Number(r.arrival_s),
        Number(r.deadline_s), std::string(r.Outcome()), Number(r.FirstStart()), Number(r.completed_s),
        Number(r.QueueDelay()), Number(r.Jct()), std::to_string(r.runs.size()),
        std::to_string(r.Ends(RunEnd::kPreempted)), std::to_string(r.Ends(RunEnd::kLost)),
        std::to_string(r.Ends(RunEnd::kPaused)), CsvField(last ? Joined(last->hubs, ';') : ""),
        CsvField(last ? Joined(last->nodes, ';') : ""), CsvField(last ? Joined(last->models, ';') : ""),
        CsvField(r.reject_reason)};
    out += Joined(fields, ',') + "\n";
  }
  return out;
}

}  // namespace harch
