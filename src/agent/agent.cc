#include "agent/agent.h"

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "base/files.h"

namespace harch {

namespace {
constexpr auto kRpcDeadline = std::chrono::seconds(10);

Status FromGrpc(const grpc::Status& st, const std::string& what) {
  if (st.ok()) return Status::Ok();
  const Code code = st.error_code() == grpc::StatusCode::NOT_FOUND             ? Code::kNotFound
                    : st.error_code() == grpc::StatusCode::FAILED_PRECONDITION ? Code::kFailedPrecondition
                    : st.error_code() == grpc::StatusCode::INVALID_ARGUMENT    ? Code::kInvalidArgument
                                                                               : Code::kUnavailable;
  return Status(code, what + ": " + st.error_message());
}
}  // namespace

Result<v1::Inventory> InventoryFromFleet(const Topology& topo, const std::string& name) {
  auto idx = topo.FindNode(name);
  if (!idx) return NotFound("node '" + name + "' is not in the fleet spec");
  const Node& node = topo.node(*idx);
  v1::Inventory inv;
  inv.set_hub(topo.hub(node.hub).id);
  inv.set_rack(topo.rack(node.rack).id);
  inv.set_gpu_count(static_cast<int32_t>(node.gpus.size()));
  if (!node.gpus.empty()) {
    inv.set_gpu_model(topo.model_of(node.gpus.front()).name);
    inv.set_gpu_memory_bytes(topo.gpu(node.gpus.front()).memory.value);
  }
  inv.set_cpu_milli(node.cpu.value);
  inv.set_memory_bytes(node.memory.value);
  for (const auto& [k, v] : node.labels) (*inv.mutable_labels())[k] = v;
  return inv;
}

Agent::Agent(AgentOptions options, std::shared_ptr<grpc::Channel> channel)
    : options_(std::move(options)), stub_(v1::Nodes::NewStub(std::move(channel))) {
  std::filesystem::create_directories(options_.work_dir);
  // Tasks a previous agent of this node left behind (it was killed): the server has counted
  // them as lost and runs them elsewhere, so they must not go on here.
  std::ifstream in(PidFile());
  for (pid_t group; in >> group;) {
    if (group > 1) ::kill(-group, SIGKILL);
  }
  in.close();
  WritePids();
  if (!options_.simulated) {
    power_ = GpuPowerReader::Open(options_.nvml_library, &no_power_);
    if (!power_) {
      std::cerr << "harch agent: no GPU power readings (" << no_power_
                << "); the server estimates energy with its power model\n";
    }
  }
}

std::string Agent::PidFile() const { return options_.work_dir + "/tasks.pids"; }

void Agent::WritePids() const {
  std::string pids;
  for (const auto& [id, t] : tasks_) {
    if (t.process && !t.exit_code) pids += std::to_string(t.process->pid()) + "\n";
  }
  (void)WriteFileAtomic(PidFile(), pids);
}

Agent::~Agent() = default;

std::unique_ptr<grpc::ClientContext> Agent::Context() const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + kRpcDeadline);
  if (!options_.token.empty()) ctx->AddMetadata("authorization", "Bearer " + options_.token);
  return ctx;
}

Status Agent::Register() {
  v1::RegisterRequest req;
  req.set_name(options_.node);
  *req.mutable_inventory() = options_.inventory;
  req.set_address(options_.address);
  req.set_simulated(options_.simulated);
  v1::Node resp;
  auto ctx = Context();
  HARCH_RETURN_IF_ERROR(FromGrpc(stub_->Register(ctx.get(), req, &resp), "register " + options_.node));
  registered_ = true;
  return Status::Ok();
}

void Agent::Start(const v1::TaskAssignment& a, int /*grace_seconds*/) {
  Task& t = tasks_[a.id()];
  std::string safe = a.id();
  std::replace(safe.begin(), safe.end(), '/', '-');
  t.log_path = options_.work_dir + "/task-" + safe + ".log";
  ProcessSpec spec;
  spec.argv.assign(a.argv().begin(), a.argv().end());
  for (const auto& [k, v] : a.env()) spec.env[k] = v;
  spec.log_path = t.log_path;
  auto p = Process::Start(spec);
  if (p.ok()) {
    t.process = std::move(*p);
    WritePids();
  } else {
    t.exit_code = 127;
    t.message = p.status().message();
  }
}

Result<Duration> Agent::Tick() {
  if (!registered_) HARCH_RETURN_IF_ERROR(Register());
  bool ended = false;
  for (auto& [id, t] : tasks_) {
    if (t.process && !t.exit_code) {
      t.exit_code = t.process->Poll();
      ended |= t.exit_code.has_value();
    }
  }
  if (ended) WritePids();
  v1::HeartbeatRequest req;
  req.set_name(options_.node);
  std::map<std::string, int64_t> offsets;  // what this round sends, per task
  for (auto& [id, t] : tasks_) {
    if (!t.log_path.empty()) {
      // Everything once it has ended (the last words matter), else a bounded chunk.
      FileTail tail(t.log_path, t.sent);
      auto data = tail.ReadNew(t.exit_code ? (16 << 20) : options_.max_log_chunk);
      if (data.ok() && !data->empty()) {
        v1::LogChunk* c = req.add_logs();
        c->set_task(id);
        c->set_offset(t.sent);
        c->set_data(*data);
        offsets[id] = t.sent + static_cast<int64_t>(data->size());
      }
    }
    if (t.exit_code && !t.reported) {
      v1::TaskExit* x = req.add_exited();
      x->set_id(id);
      x->set_exit_code(*t.exit_code);
      x->set_message(t.message);
    } else if (!t.exit_code) {
      v1::RunningTask* r = req.add_running();
      r->set_id(id);
      r->set_pid(t.process->pid());
    }
  }
  if (power_) {
    // GPUs beyond the inventory (NVML sees more than the spec declares) are not reported.
    for (const GpuPowerReading& r : power_->Read()) {
      if (r.index >= options_.inventory.gpu_count() || !r.error.empty()) continue;
      v1::GpuPowerSample* p = req.add_gpu_power();
      p->set_index(r.index);
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(r.time.time_since_epoch()).count();
      p->mutable_time()->set_seconds(us / 1000000);
      p->mutable_time()->set_nanos(static_cast<int32_t>(us % 1000000) * 1000);
      if (r.energy_mj) p->set_energy_mj(*r.energy_mj);
      if (r.power_mw) p->set_power_mw(*r.power_mw);
    }
  }
  v1::HeartbeatResponse resp;
  auto ctx = Context();
  const grpc::Status st = stub_->Heartbeat(ctx.get(), req, &resp);
  if (st.error_code() == grpc::StatusCode::FAILED_PRECONDITION ||
      st.error_code() == grpc::StatusCode::NOT_FOUND) {
    registered_ = false;  // the server does not know this node (any more): register again
  }
  HARCH_RETURN_IF_ERROR(FromGrpc(st, "heartbeat " + options_.node));

  // The server has it all durably now.
  for (const auto& [id, offset] : offsets) tasks_[id].sent = offset;
  for (const auto& x : req.exited()) tasks_[x.id()].reported = true;

  std::set<std::string> wanted;
  for (const auto& a : resp.tasks()) {
    wanted.insert(a.id());
    if (!tasks_.count(a.id())) Start(a, resp.grace_seconds());
  }
  const Duration grace = std::chrono::seconds(resp.grace_seconds());
  for (auto it = tasks_.begin(); it != tasks_.end();) {
    Task& t = it->second;
    if (!wanted.count(it->first)) {
      if (!t.exit_code && t.process) t.process->Terminate(grace);
      // Gone from the server's list, reported and fully sent: forget it.
      if (t.exit_code && t.reported && !offsets.count(it->first)) {
        it = tasks_.erase(it);
        continue;
      }
    }
    ++it;
  }
  return Duration(std::chrono::milliseconds(resp.heartbeat_ms() > 0 ? resp.heartbeat_ms() : 1000));
}

void Agent::StopAll(Duration grace) {
  for (auto& [id, t] : tasks_) {
    if (t.process && !t.exit_code) t.process->Terminate(grace);
  }
  const auto deadline = std::chrono::steady_clock::now() + grace + std::chrono::seconds(1);
  while (std::chrono::steady_clock::now() < deadline) {
    bool running = false;
    for (auto& [id, t] : tasks_) {
      if (t.process && !t.exit_code) {
        t.exit_code = t.process->Poll();
        running |= !t.exit_code;
      }
    }
    if (!running) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace harch
