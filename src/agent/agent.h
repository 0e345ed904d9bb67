// `harch agent`: one node's agent. It registers the node's inventory, heartbeats, and makes the
// node run exactly the tasks the server lists: it starts each as an OS process with its
// environment (HARCH_*, CUDA_VISIBLE_DEVICES), streams its output, reports how it ended, and
// stops tasks the server no longer lists (SIGTERM, then SIGKILL after the grace period).
//
// Reports are resent until a heartbeat succeeds (the server makes them durable before it
// answers), so a server restart loses no exit status and no log line. A real node's heartbeat
// also carries each GPU's energy counter and power (gpu_power.h), when NVML is there.
// Thread-safety: one thread calls Tick(); `harch dev` runs many agents over a few threads.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include <grpcpp/grpcpp.h>

#include "agent/gpu_power.h"
#include "agent/process.h"
#include "base/status.h"
#include "harch/v1/harch.grpc.pb.h"
#include "resource/topology.h"

namespace harch {

struct AgentOptions {
  std::string node;
  v1::Inventory inventory;
  std::string address = "127.0.0.1";  // where other ranks reach this node
  std::string work_dir;               // task logs go under it
  std::string token;
  bool simulated = false;
  // NVML for GPU power readings (a name or a path). Simulated agents never read power; an
  // agent on a machine without the library reports none (the server's power model is used).
  std::string nvml_library = kNvmlLibrary;
  size_t max_log_chunk = 64 << 10;    // bytes per task per heartbeat
};

// The inventory of `node` as the fleet spec describes it (for simulated agents and checks).
Result<v1::Inventory> InventoryFromFleet(const Topology& topo, const std::string& node);

class Agent {
 public:
  Agent(AgentOptions options, std::shared_ptr<grpc::Channel> channel);
  ~Agent();  // kills what still runs (see Process)

  // One round: register if needed, report, start and stop tasks. Returns when to call again
  // (the server's heartbeat interval), or the error of the round (the server is unreachable:
  // tasks keep running and everything is reported on a later round).
  Result<Duration> Tick();
  // Asks every task to stop and waits up to `grace` (then kills): the agent is shutting down.
  void StopAll(Duration grace);
  size_t task_count() const { return tasks_.size(); }
  // Why there are no power readings ("" when there are, or the node is simulated).
  const std::string& no_power_reason() const { return no_power_; }
  const std::string& node() const { return options_.node; }

 private:
  struct Task {
    std::unique_ptr<Process> process;
    std::string log_path;
    int64_t sent = 0;  // log bytes the server has durably
    std::optional<int> exit_code;
    std::string message;  // why it could not start
    bool reported = false;
  };

  Status Register();
  void Start(const v1::TaskAssignment& a, int grace_seconds);
  std::unique_ptr<grpc::ClientContext> Context() const;
  // The process groups of running tasks, in a file, so that an agent restarted after a crash
  // can stop what its predecessor left running.
  std::string PidFile() const;
  void WritePids() const;

  AgentOptions options_;
  std::unique_ptr<v1::Nodes::Stub> stub_;
  bool registered_ = false;
  std::map<std::string, Task> tasks_;  // by task id
  std::unique_ptr<GpuPowerReader> power_;  // null: no readings
  std::string no_power_;
};

}  // namespace harch
