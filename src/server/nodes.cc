// ControlPlane: agents (register, heartbeat, GPU power readings), node timeouts and the node API.
#include <iostream>

#include "resource/gpu_model.h"
#include "server/control_plane.h"

namespace harch {

Result<NodeIdx> ControlPlane::FindNode(const std::string& name) const {
  if (name.empty()) return InvalidArgument("name: required");
  auto idx = topo_.FindNode(name);
  if (!idx) {
    return NotFound("name: node '" + name + "' is not in the fleet spec " + options_.fleet_path);
  }
  return *idx;
}

std::string ControlPlane::NodeDoc(const std::string& name) const {
  const NodeInfo& info = nodes_.at(name);
  return nlohmann::json{{"registered", info.registered},
                        {"simulated", info.simulated},
                        {"cordoned", info.cordoned},
                        {"address", info.address}}
      .dump();
}

v1::Node ControlPlane::NodeView(NodeIdx idx) const {
  const Node& node = topo_.node(idx);
  const NodeInfo& info = nodes_.at(node.id);
  v1::Node out;
  out.set_name(node.id);
  out.set_hub(topo_.hub(node.hub).id);
  out.set_state(!info.registered ? "unregistered"
                : info.down      ? "down"
                : info.cordoned  ? "cordoned"
                                 : "up");
  if (!node.gpus.empty()) out.set_gpu_model(topo_.model_of(node.gpus.front()).name);
  out.set_gpus(static_cast<int32_t>(node.gpus.size()));
  out.set_gpus_allocated(node.busy_gpus);
  out.set_address(info.address);
  out.set_simulated(info.simulated);
  if (info.registered) *out.mutable_last_heartbeat() = ToTimestamp(info.last_heartbeat);
  for (uint64_t id : active_) {
    const Entry& e = jobs_.at(id);
    for (const auto& t : e.rec.tasks) {
      if (t.node != node.id) continue;
      v1::Task* task = out.add_tasks();
      task->set_id(e.rec.TaskId(t.rank));
      task->set_rank(t.rank);
      task->set_group(t.group);
      task->set_node(t.node);
      for (const auto& g : t.gpus) task->add_gpus(g);
      task->set_state(std::string(TaskPhaseName(t.phase)));
    }
  }
  return out;
}

Result<v1::Node> ControlPlane::Register(const v1::RegisterRequest& req) {
  uint64_t ticket = 0;
  v1::Node out;
  {
    std::lock_guard lk(mu_);
    HARCH_ASSIGN_OR_RETURN(NodeIdx idx, FindNode(req.name()));
    const Node& node = topo_.node(idx);
    const v1::Inventory& inv = req.inventory();
    const int gpus = static_cast<int>(node.gpus.size());
    if (inv.gpu_count() != gpus) {
      return FailedPrecondition("inventory.gpu_count: the agent reports " +
                                std::to_string(inv.gpu_count()) + " GPUs; the fleet spec says " +
                                std::to_string(gpus) + " for node " + node.id);
    }
    if (gpus > 0 && !inv.gpu_model().empty() &&
        inv.gpu_model() != topo_.model_of(node.gpus.front()).name) {
      return FailedPrecondition("inventory.gpu_model: the agent reports " + inv.gpu_model() +
                                "; the fleet spec says " + topo_.model_of(node.gpus.front()).name);
    }
    if (!inv.hub().empty() && inv.hub() != topo_.hub(node.hub).id) {
      return FailedPrecondition("inventory.hub: the agent reports " + inv.hub() +
                                "; the fleet spec puts node " + node.id + " in " +
                                topo_.hub(node.hub).id);
    }
    NodeInfo& info = nodes_[node.id];
    const bool was_up = info.registered && !info.down;
    info.registered = true;
    info.down = false;
    info.simulated = req.simulated();
    info.address = req.address().empty() ? "127.0.0.1" : req.address();
    info.last_heartbeat = clock_.Now();
    if (info.cordoned) {
      (void)topo_.SetNodeState(idx, NodeState::kCordoned);
    } else if (!was_up || node.state != NodeState::kUp) {
      (void)sched_->NodeUp(idx);
    }
    WriteBatch batch;
    batch.PutNode(node.id, NodeDoc(node.id));
    ticket = store_->Enqueue(std::move(batch));
    out = NodeView(idx);
    dirty_ = true;
    wake_.notify_one();
  }
  HARCH_RETURN_IF_ERROR(store_->Wait(ticket));
  return out;
}

Result<v1::HeartbeatResponse> ControlPlane::Heartbeat(const v1::HeartbeatRequest& req) {
  v1::HeartbeatResponse out;
  out.set_grace_seconds(
      static_cast<int32_t>(std::chrono::duration_cast<std::chrono::seconds>(options_.grace).count()));
  out.set_heartbeat_ms(static_cast<int32_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.heartbeat_interval).count()));
  uint64_t ticket = 0;
  {
    std::lock_guard lk(mu_);
    HARCH_ASSIGN_OR_RETURN(NodeIdx idx, FindNode(req.name()));
    NodeInfo& info = nodes_[req.name()];
    if (!info.registered) {
      return FailedPrecondition("name: node " + req.name() + " has not registered");
    }
    HARCH_RETURN_IF_ERROR(CheckGpuPower(idx, req));
    const Time now = clock_.Now();
    info.last_heartbeat = now;
    if (info.down) {
      info.down = false;
      if (!info.cordoned) (void)sched_->NodeUp(idx);
      std::cerr << "harch server: node " << req.name() << " is back\n";
      dirty_ = true;
    }
    // Before the tasks' news: a job whose tasks ended in this heartbeat held its GPUs until now.
    ChargeGpuPower(idx, req);
    WriteBatch batch;
    std::set<std::string> reported;
    std::set<uint64_t> changed;
    for (const auto& r : req.running()) {
      reported.insert(r.id());
      auto key = ParseTaskId(r.id());
      if (!key) continue;
      auto it = jobs_.find(key->job);
      if (it == jobs_.end() || !active_.count(key->job) || it->second.rec.attempt != key->attempt) continue;
      for (auto& t : it->second.rec.tasks) {
        if (t.rank == key->rank && t.node == req.name() && t.phase == TaskPhase::kAssigned) {
          t.phase = TaskPhase::kRunning;
          t.pid = r.pid();
          changed.insert(key->job);
        }
      }
    }
    for (const auto& x : req.exited()) {
      reported.insert(x.id());
      auto key = ParseTaskId(x.id());
      if (!key) continue;
      auto it = jobs_.find(key->job);
      if (it == jobs_.end() || !active_.count(key->job) || it->second.rec.attempt != key->attempt) continue;
      Entry& e = it->second;
      for (auto& t : e.rec.tasks) {
        if (t.rank != key->rank || t.node != req.name() || t.phase == TaskPhase::kExited) continue;
        t.phase = TaskPhase::kExited;
        t.exit_code = x.exit_code();
        if (x.exit_code() != 0) {
          std::string why = "rank " + std::to_string(t.rank) + " on node " + t.node +
                            " exited with code " + std::to_string(x.exit_code());
          if (!x.message().empty()) why += " (" + x.message() + ")";
          EndAttempt(e, now, x.exit_code(), why, /*lost=*/false, &batch);
        } else {
          changed.insert(key->job);
        }
        break;
      }
    }
    // Tasks this node should be running that its agent no longer knows: lost with it.
    for (uint64_t id : std::vector<uint64_t>(active_.begin(), active_.end())) {
      Entry& e = jobs_.at(id);
      for (const auto& t : e.rec.tasks) {
        if (t.node == req.name() && t.phase == TaskPhase::kRunning &&
            !reported.count(e.rec.TaskId(t.rank))) {
          EndAttempt(e, now, -1,
                     "rank " + std::to_string(t.rank) + " vanished from node " + t.node +
                         " (its agent restarted)",
                     /*lost=*/true, &batch);
          break;
        }
      }
    }
    for (uint64_t id : changed) {
      if (!active_.count(id)) continue;
      Entry& e = jobs_.at(id);
      size_t running = 0, exited = 0;
      for (const auto& t : e.rec.tasks) {
        running += t.phase == TaskPhase::kRunning;
        exited += t.phase == TaskPhase::kExited;
      }
      if (!e.rec.started) e.rec.started = now;
      if (exited == e.rec.tasks.size()) {
        Succeed(e, now, &batch);
        continue;
      }
      if (e.rec.phase == Phase::kScheduled) {
        e.rec.phase = Phase::kStarting;
        e.rec.started = now;
        OpenRuns(e.rec, topo_, now);
        e.rec.reason = "tasks starting";
        Event(e, now, "Started", "first task started on node " + req.name(), &batch);
      }
      if (e.rec.phase == Phase::kStarting && running + exited == e.rec.tasks.size()) {
        e.rec.phase = Phase::kRunning;
        e.rec.reason = "all " + std::to_string(e.rec.tasks.size()) + " tasks running";
        Event(e, now, "Running", e.rec.reason, &batch);
      }
      Touch(e, now, &batch);
    }
    for (const auto& chunk : req.logs()) {
      auto key = ParseTaskId(chunk.task());
      if (!key || chunk.offset() < 0) {
        return InvalidArgument("logs.task: '" + chunk.task() + "' is not a task id (job/attempt/rank)");
      }
      batch.AppendLog(LogChunk{key->job, key->attempt, key->rank, chunk.offset(), chunk.data()});
    }
    if (!batch.empty()) ticket = Enqueue(std::move(batch));
    // What the node should run: tasks of jobs holding GPUs whose assignment is durable.
    const uint64_t durable = store_->committed();
    for (uint64_t id : active_) {
      const Entry& e = jobs_.at(id);
      if (e.rec.assign_ticket > durable && e.rec.assign_ticket != ticket) continue;
      const std::string master = nodes_.at(e.rec.tasks.empty() ? req.name() : e.rec.tasks.front().node).address;
      int local_rank = 0;
      for (const auto& t : e.rec.tasks) {
        if (t.node != req.name()) continue;
        const int local = local_rank++;
        if (t.phase == TaskPhase::kExited) continue;
        const auto group = std::find_if(e.spec.task_groups.begin(), e.spec.task_groups.end(),
                                        [&](const TaskGroupSpec& g) { return g.name == t.group; });
        v1::TaskAssignment* a = out.add_tasks();
        a->set_id(e.rec.TaskId(t.rank));
        a->set_job(e.rec.id);
        a->set_attempt(e.rec.attempt);
        a->set_rank(t.rank);
        for (const auto& arg : group->command) a->add_argv(arg);
        auto& env = *a->mutable_env();
        for (const auto& [k, v] : group->env) env[k] = v;
        std::string gpus;
        for (const auto& g : t.gpus) gpus += (gpus.empty() ? "" : ",") + g;
        const std::string world = std::to_string(e.rec.tasks.size());
        const std::string port = std::to_string(e.rec.master_port);
        env["HARCH_JOB_ID"] = std::to_string(e.rec.id);
        env["HARCH_JOB_NAME"] = e.rec.name;
        env["HARCH_ATTEMPT"] = std::to_string(e.rec.attempt);
        env["HARCH_TASK_GROUP"] = t.group;
        env["HARCH_NODE"] = t.node;
        env["HARCH_RANK"] = env["RANK"] = std::to_string(t.rank);
        env["HARCH_LOCAL_RANK"] = env["LOCAL_RANK"] = std::to_string(local);
        env["HARCH_WORLD_SIZE"] = env["WORLD_SIZE"] = world;
        env["HARCH_MASTER_ADDR"] = env["MASTER_ADDR"] = master;
        env["HARCH_MASTER_PORT"] = env["MASTER_PORT"] = port;
        env["CUDA_VISIBLE_DEVICES"] = gpus;
      }
    }
  }
  if (ticket) HARCH_RETURN_IF_ERROR(store_->Wait(ticket));
  return out;
}

namespace {
std::chrono::system_clock::time_point FromTimestamp(const google::protobuf::Timestamp& ts) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(ts.seconds()) + std::chrono::nanoseconds(ts.nanos())));
}

// The share of a GPU's energy that a grant takes: its milli-GPUs, or a MIG instance's compute
// slices out of the GPU's.
double EnergyShare(const GpuGrant& g) {
  if (g.mig_shape < 0) return g.milli.value / 1000.0;
  int most = 1;
  for (const MigShape& s : MigShapes()) most = std::max(most, s.compute_slices);
  return static_cast<double>(MigShapes()[g.mig_shape].compute_slices) / most;
}
}  // namespace

Status ControlPlane::CheckGpuPower(NodeIdx idx, const v1::HeartbeatRequest& req) const {
  const Node& node = topo_.node(idx);
  for (int i = 0; i < req.gpu_power_size(); ++i) {
    const v1::GpuPowerSample& p = req.gpu_power(i);
    const std::string at = "gpu_power[" + std::to_string(i) + "]";
    if (p.index() < 0 || p.index() >= static_cast<int>(node.gpus.size())) {
      return InvalidArgument(at + ".index: " + std::to_string(p.index()) + " is not a GPU of node " +
                             node.id + " (it has " + std::to_string(node.gpus.size()) + ")");
    }
    if (!p.has_time() || p.time().nanos() < 0 || p.time().nanos() > 999'999'999) {
      return InvalidArgument(at + ".time: required (when the GPU was read)");
    }
    if (!p.has_energy_mj() && !p.has_power_mw()) {
      return InvalidArgument(at + ": needs energy_mj or power_mw");
    }
  }
  return Status::Ok();
}

void ControlPlane::ChargeGpuPower(NodeIdx idx, const v1::HeartbeatRequest& req) {
  if (req.gpu_power().empty()) return;
  const Node& node = topo_.node(idx);
  // The grants on this node of jobs whose runs are open (their tasks have started), found once
  // for all of the heartbeat's readings.
  struct Holder {
    uint64_t job;
    Time run_start;
    const GpuGrant* grant;
  };
  std::vector<Holder> holders;
  for (uint64_t id : active_) {
    const Entry& e = jobs_.at(id);
    if (e.rec.runs.empty() || e.rec.runs.back().end) continue;
    for (const GroupPlacement& gp : e.rec.placement) {
      for (const GpuGrant& g : gp.grants) {
        if (topo_.gpu(g.gpu).node == idx) holders.push_back({id, e.rec.runs.back().start, &g});
      }
    }
  }
  for (const v1::GpuPowerSample& p : req.gpu_power()) {
    GpuPowerReading cur;
    cur.index = p.index();
    cur.time = FromTimestamp(p.time());
    if (p.has_energy_mj()) cur.energy_mj = p.energy_mj();
    if (p.has_power_mw()) cur.power_mw = p.power_mw();
    auto [it, first] = last_power_.try_emplace({node.id, p.index()}, cur);
    if (first) continue;
    const GpuPowerReading prev = std::exchange(it->second, cur);
    // Over a longer gap (the node was down) it is not known who held the GPU when.
    if (cur.time - prev.time > options_.node_timeout) continue;
    const auto joules = EnergyBetween(prev, cur);
    if (!joules) continue;
    const Time t0 = std::chrono::time_point_cast<Duration>(prev.time);
    const Time t1 = std::chrono::time_point_cast<Duration>(cur.time);
    GpuIdx gpu{};
    bool found = false;
    for (GpuIdx g : node.gpus) {
      if (topo_.gpu(g).index == p.index()) {
        gpu = g;
        found = true;
      }
    }
    if (!found) continue;
    const std::string& hub = topo_.hub(node.hub).id;
    const std::string& model = topo_.model_of(gpu).name;
    // Each job holding the GPU gets its share of the interval since its run began.
    for (const Holder& h : holders) {
      if (h.grant->gpu != gpu) continue;
      const Time from = std::max(t0, h.run_start);
      if (t1 <= from) continue;
      const double part = std::chrono::duration<double>(t1 - from).count() /
                          std::chrono::duration<double>(t1 - t0).count();
      measured_[h.job].Add(hub, model, from, t1, *joules * part * EnergyShare(*h.grant),
                           h.grant->mig_shape >= 0 ? 1.0 : h.grant->milli.value / 1000.0);
    }
  }
}

void ControlPlane::CheckNodes(Time now, WriteBatch* batch) {
  (void)batch;
  for (auto& [name, info] : nodes_) {
    if (!info.registered || info.down || now - info.last_heartbeat <= options_.node_timeout) continue;
    info.down = true;
    const NodeIdx idx = *topo_.FindNode(name);
    const auto lost = sched_->NodeDown(idx);
    std::cerr << "harch server: node " << name << " is down (no heartbeat for "
              << std::chrono::duration_cast<std::chrono::seconds>(now - info.last_heartbeat).count()
              << "s); " << lost.size() << " jobs requeued\n";
  }
}

Result<v1::ListNodesResponse> ControlPlane::ListNodes(const v1::ListNodesRequest& req) {
  std::lock_guard lk(mu_);
  if (!req.hub().empty() && !topo_.FindHub(req.hub())) {
    return NotFound("hub: no hub '" + req.hub() + "' in the fleet");
  }
  v1::ListNodesResponse out;
  for (size_t i = 0; i < topo_.nodes().size(); ++i) {
    const NodeIdx idx{static_cast<uint32_t>(i)};
    if (topo_.node(idx).state == NodeState::kRemoved) continue;
    if (!req.hub().empty() && topo_.hub(topo_.node(idx).hub).id != req.hub()) continue;
    *out.add_nodes() = NodeView(idx);
  }
  return out;
}

Result<v1::Node> ControlPlane::GetNode(const v1::NodeRef& req) {
  std::lock_guard lk(mu_);
  HARCH_ASSIGN_OR_RETURN(NodeIdx idx, FindNode(req.name()));
  return NodeView(idx);
}

Result<v1::Node> ControlPlane::Cordon(const v1::CordonRequest& req) {
  uint64_t ticket = 0;
  v1::Node out;
  {
    std::lock_guard lk(mu_);
    HARCH_ASSIGN_OR_RETURN(NodeIdx idx, FindNode(req.name()));
    NodeInfo& info = nodes_[req.name()];
    info.cordoned = !req.uncordon();
    if (info.cordoned) {
      (void)topo_.SetNodeState(idx, NodeState::kCordoned);
    } else if (info.registered && !info.down) {
      (void)sched_->NodeUp(idx);
    }
    WriteBatch batch;
    batch.PutNode(req.name(), NodeDoc(req.name()));
    ticket = store_->Enqueue(std::move(batch));
    out = NodeView(idx);
    dirty_ = true;
    wake_.notify_one();
  }
  HARCH_RETURN_IF_ERROR(store_->Wait(ticket));
  return out;
}

Result<v1::Node> ControlPlane::Drain(const v1::NodeRef& req) {
  uint64_t ticket = 0;
  v1::Node out;
  {
    std::lock_guard lk(mu_);
    HARCH_ASSIGN_OR_RETURN(NodeIdx idx, FindNode(req.name()));
    nodes_[req.name()].cordoned = true;
    (void)sched_->Drain(idx);
    WriteBatch batch;
    ApplySchedulerEvents(clock_.Now(), &batch);
    batch.PutNode(req.name(), NodeDoc(req.name()));
    ticket = Enqueue(std::move(batch));
    out = NodeView(idx);
    dirty_ = true;
    wake_.notify_one();
  }
  HARCH_RETURN_IF_ERROR(store_->Wait(ticket));
  return out;
}

}  // namespace harch
