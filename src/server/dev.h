// `harch dev`: the whole system in one process — the server, a simulated agent for every node
// of the fleet spec (their tasks are real processes; their GPUs are the spec's), and an
// optional load generator that keeps the fleet visibly busy.
// Thread-safety: Start and Stop from one thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "agent/agent.h"
#include "server/server.h"

namespace harch {

struct DevOptions {
  ServerOptions server;
  bool demo_load = false;
  double demo_target = 0.6;  // share of GPUs the load generator aims to keep allocated
  int agent_threads = 4;
  uint64_t seed = 1;
};

class DevCluster {
 public:
  static Result<std::unique_ptr<DevCluster>> Start(DevOptions options);
  ~DevCluster();
  void Stop();
  Server& server() { return *server_; }
  size_t agents() const { return agents_.size(); }

 private:
  DevCluster() = default;
  void RunAgents(size_t first, size_t step);
  void RunDemoLoad();

  DevOptions options_;
  std::unique_ptr<Server> server_;
  std::vector<std::unique_ptr<Agent>> agents_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
};

// A job manifest for the load generator: a small gang that sleeps, drawn from `seed`.
std::string DemoJobSpec(uint64_t seed);

}  // namespace harch
