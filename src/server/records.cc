#include "server/records.h"

#include <algorithm>
#include <charconv>
#include <map>

namespace harch {

namespace {
constexpr std::string_view kPhaseNames[] = {"pending",   "scheduled", "starting", "running",
                                            "succeeded", "failed",    "cancelled"};

int64_t Micros(Time t) { return t.time_since_epoch().count(); }
Time FromMicros(int64_t us) { return Time{Duration{us}}; }

nlohmann::json OptTime(const std::optional<Time>& t) {
  return t ? nlohmann::json(Micros(*t)) : nlohmann::json(nullptr);
}
std::optional<Time> ReadOptTime(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  return FromMicros(j[key].get<int64_t>());
}
}  // namespace

std::string_view PhaseName(Phase p) { return kPhaseNames[static_cast<int>(p)]; }

std::optional<Phase> ParsePhase(std::string_view s) {
  for (size_t i = 0; i < std::size(kPhaseNames); ++i) {
    if (kPhaseNames[i] == s) return static_cast<Phase>(i);
  }
  return std::nullopt;
}

std::string_view TaskPhaseName(TaskPhase p) {
  switch (p) {
    case TaskPhase::kAssigned: return "assigned";
    case TaskPhase::kRunning: return "running";
    case TaskPhase::kExited: return "exited";
  }
  return "?";
}

std::optional<TaskKey> ParseTaskId(std::string_view id) {
  TaskKey k;
  const auto a = id.find('/');
  if (a == std::string_view::npos) return std::nullopt;
  const auto b = id.find('/', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  auto num = [](std::string_view s, auto* out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return ec == std::errc() && p == s.data() + s.size() && !s.empty();
  };
  if (!num(id.substr(0, a), &k.job) || !num(id.substr(a + 1, b - a - 1), &k.attempt) ||
      !num(id.substr(b + 1), &k.rank)) {
    return std::nullopt;
  }
  return k;
}

nlohmann::json RecordToJson(const JobRecord& r, const Topology& topo) {
  nlohmann::json tasks = nlohmann::json::array();
  for (const auto& t : r.tasks) {
    tasks.push_back({{"rank", t.rank}, {"group", t.group}, {"node", t.node}, {"gpus", t.gpus},
                     {"phase", TaskPhaseName(t.phase)}, {"exit_code", t.exit_code}});
  }
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& run : r.runs) {
    runs.push_back({{"hub", run.hub}, {"model", run.model}, {"gpus", run.gpus},
                    {"start", Micros(run.start)}, {"end", OptTime(run.end)}});
  }
  nlohmann::json placement = nlohmann::json::array();
  for (const auto& gp : r.placement) {
    nlohmann::json grants = nlohmann::json::array();
    for (const auto& g : gp.grants) {
      grants.push_back({topo.gpu(g.gpu).id, g.milli.value, g.mig_shape, g.mig_start});
    }
    nlohmann::json shares = nlohmann::json::array();
    for (const auto& s : gp.node_shares) {
      shares.push_back({topo.node(s.node).id, s.cpu.value, s.memory.value});
    }
    placement.push_back({{"group", gp.group}, {"exclusive", gp.exclusive}, {"grants", grants},
                         {"node_shares", shares}});
  }
  return {{"id", r.id},
          {"request_id", r.request_id},
          {"spec", r.spec_text},
          {"name", r.name},
          {"tenant", r.tenant},
          {"phase", PhaseName(r.phase)},
          {"reason", r.reason},
          {"attempt", r.attempt},
          {"retries", r.retries},
          {"max_retries", r.max_retries},
          {"exit_code", r.exit_code},
          {"created", Micros(r.created)},
          {"updated", Micros(r.updated)},
          {"started", OptTime(r.started)},
          {"finished", OptTime(r.finished)},
          {"not_before", OptTime(r.not_before)},
          {"progress_us", r.progress.count()},
          {"master_port", r.master_port},
          {"tasks", tasks},
          {"placement", placement},
          {"runs", runs}};
}

Result<JobRecord> RecordFromJson(const std::string& doc, const Topology& topo) {
  const auto j = nlohmann::json::parse(doc, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("job document is not JSON");
  try {
    JobRecord r;
    r.id = j.at("id").get<uint64_t>();
    r.request_id = j.at("request_id").get<std::string>();
    r.spec_text = j.at("spec").get<std::string>();
    r.name = j.at("name").get<std::string>();
    r.tenant = j.at("tenant").get<std::string>();
    auto phase = ParsePhase(j.at("phase").get<std::string>());
    if (!phase) return InvalidArgument("job " + std::to_string(r.id) + ": unknown phase");
    r.phase = *phase;
    r.reason = j.at("reason").get<std::string>();
    r.attempt = j.at("attempt").get<int>();
    r.retries = j.at("retries").get<int>();
    r.max_retries = j.at("max_retries").get<int>();
    r.exit_code = j.at("exit_code").get<int>();
    r.created = FromMicros(j.at("created").get<int64_t>());
    r.updated = FromMicros(j.at("updated").get<int64_t>());
    r.started = ReadOptTime(j, "started");
    r.finished = ReadOptTime(j, "finished");
    r.not_before = ReadOptTime(j, "not_before");
    r.progress = Duration{j.value("progress_us", int64_t{0})};  // absent in older documents
    r.master_port = j.at("master_port").get<int>();
    for (const auto& t : j.at("tasks")) {
      TaskRecord task;
      task.rank = t.at("rank").get<int>();
      task.group = t.at("group").get<std::string>();
      task.node = t.at("node").get<std::string>();
      task.gpus = t.at("gpus").get<std::vector<std::string>>();
      const std::string phase_name = t.at("phase").get<std::string>();
      task.phase = phase_name == "running"  ? TaskPhase::kRunning
                   : phase_name == "exited" ? TaskPhase::kExited
                                            : TaskPhase::kAssigned;
      task.exit_code = t.at("exit_code").get<int>();
      r.tasks.push_back(std::move(task));
    }
    for (const auto& p : j.at("placement")) {
      GroupPlacement gp;
      gp.group = p.at("group").get<std::string>();
      gp.exclusive = p.at("exclusive").get<bool>();
      for (const auto& g : p.at("grants")) {
        const auto gpu = topo.FindGpu(g.at(0).get<std::string>());
        if (!gpu) return NotFound("job " + std::to_string(r.id) + ": GPU " + g.at(0).dump() + " is not in the fleet");
        gp.grants.push_back(GpuGrant{*gpu, MilliGpu{g.at(1).get<int64_t>()}, g.at(2).get<int>(),
                                     g.at(3).get<int>()});
      }
      for (const auto& s : p.at("node_shares")) {
        const auto node = topo.FindNode(s.at(0).get<std::string>());
        if (!node) return NotFound("job " + std::to_string(r.id) + ": node " + s.at(0).dump() + " is not in the fleet");
        gp.node_shares.push_back(NodeShare{*node, MilliCpu{s.at(1).get<int64_t>()},
                                           Bytes{s.at(2).get<int64_t>()}});
      }
      r.placement.push_back(std::move(gp));
    }
    if (j.contains("runs")) {  // documents written before accounting have none
      for (const auto& run : j.at("runs")) {
        r.runs.push_back(GpuRunRecord{run.at("hub").get<std::string>(), run.at("model").get<std::string>(),
                                      run.at("gpus").get<double>(), FromMicros(run.at("start").get<int64_t>()),
                                      ReadOptTime(run, "end")});
      }
    }
    return r;
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(std::string("job document: ") + e.what());
  }
}

void OpenRuns(JobRecord& r, const Topology& topo, Time now) {
  CloseRuns(r, now);
  std::map<std::pair<std::string, std::string>, double> gpus;
  for (const auto& gp : r.placement) {
    for (const auto& g : gp.grants) {
      const Gpu& gpu = topo.gpu(g.gpu);
      gpus[{topo.hub(gpu.hub).id, topo.model_of(g.gpu).name}] += g.mig_shape >= 0 ? 1.0 : g.milli.value / 1000.0;
    }
  }
  for (const auto& [key, count] : gpus) r.runs.push_back(GpuRunRecord{key.first, key.second, count, now, std::nullopt});
}

void CloseRuns(JobRecord& r, Time now) {
  for (auto& run : r.runs) {
    if (!run.end) run.end = std::max(now, run.start);
  }
}

google::protobuf::Timestamp ToTimestamp(Time t) {
  google::protobuf::Timestamp ts;
  const int64_t us = Micros(t);
  ts.set_seconds(us / 1000000);
  ts.set_nanos(static_cast<int32_t>(us % 1000000) * 1000);
  return ts;
}

void ToProto(const JobRecord& r, const JobSpec* spec, v1::Job* out) {
  out->set_id(r.id);
  out->set_name(r.name);
  out->set_tenant(r.tenant);
  out->set_state(std::string(PhaseName(r.phase)));
  out->set_reason(r.reason);
  out->set_attempt(r.attempt);
  out->set_max_retries(r.max_retries);
  out->set_retries(r.retries);
  out->set_exit_code(r.exit_code);
  *out->mutable_created() = ToTimestamp(r.created);
  *out->mutable_updated() = ToTimestamp(r.updated);
  if (r.started) *out->mutable_started() = ToTimestamp(*r.started);
  if (r.finished) *out->mutable_finished() = ToTimestamp(*r.finished);
  if (r.not_before) *out->mutable_not_before() = ToTimestamp(*r.not_before);
  out->set_spec(r.spec_text);
  out->set_request_id(r.request_id);
  if (spec) {
    out->set_kind(std::string(WorkloadKindName(spec->kind)));
    out->set_priority_class(spec->priority_class);
    out->set_gpus(static_cast<int32_t>((spec->TotalGpuMilli() + 999) / 1000));
    int replicas = 0;
    for (const auto& g : spec->task_groups) replicas += g.replicas;
    out->set_replicas(replicas);
  }
  for (const auto& t : r.tasks) {
    v1::Task* task = out->add_tasks();
    task->set_id(r.TaskId(t.rank));
    task->set_rank(t.rank);
    task->set_group(t.group);
    task->set_node(t.node);
    for (const auto& g : t.gpus) task->add_gpus(g);
    task->set_state(std::string(TaskPhaseName(t.phase)));
    task->set_exit_code(t.exit_code);
  }
}

}  // namespace harch
