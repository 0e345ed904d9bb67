#include "server/dev.h"

#include <iostream>

#include "base/random.h"

namespace harch {

namespace {
struct DemoShape {
  const char* tenant;
  const char* kind;
  const char* priority;
  int replicas;
  int gpus;
};
constexpr DemoShape kShapes[] = {
    {"research/nlp", "training", "normal", 2, 8},  {"research/nlp", "training", "high", 1, 8},
    {"research/vision", "training", "normal", 1, 4}, {"product", "inference", "high", 2, 1},
    {"product", "inference", "critical", 1, 2},      {"data", "batch", "low", 4, 1},
    {"data", "batch", "best-effort", 2, 2},          {"research/vision", "interactive", "normal", 1, 1},
};
}  // namespace

std::string DemoJobSpec(uint64_t seed) {
  Random rng(seed);
  const DemoShape& s = kShapes[rng.Uniform(0, std::size(kShapes) - 1)];
  const int seconds = static_cast<int>(rng.Uniform(20, 180));
  return std::string("apiVersion: harchos.io/v1alpha1\nkind: Job\nmetadata:\n  name: demo-") +
         s.kind + "-" + std::to_string(seed % 100000) + "\nspec:\n  tenant: " + s.tenant +
         "\n  kind: " + s.kind + "\n  priorityClass: " + s.priority +
         "\n  maxRetries: 1\n  expectedDuration: " + std::to_string(seconds) +
         "s\n  taskGroups:\n    - name: main\n      replicas: " + std::to_string(s.replicas) +
         "\n      gpusPerReplica: " + std::to_string(s.gpus) +
         "\n      cpuPerReplica: 1\n      memoryPerReplica: 1GiB\n      command: [sleep, \"" +
         std::to_string(seconds) + "\"]\n";
}

Result<std::unique_ptr<DevCluster>> DevCluster::Start(DevOptions options) {
  std::unique_ptr<DevCluster> dev(new DevCluster());
  dev->options_ = options;
  HARCH_ASSIGN_OR_RETURN(dev->server_, Server::Start(options.server));
  auto channel = grpc::CreateChannel(dev->server_->grpc_address(), grpc::InsecureChannelCredentials());
  const Topology& topo = dev->server_->control().topology_for_tests();
  for (const Node& node : topo.nodes()) {
    if (node.state == NodeState::kRemoved) continue;
    AgentOptions a;
    a.node = node.id;
    HARCH_ASSIGN_OR_RETURN(a.inventory, InventoryFromFleet(topo, node.id));
    a.work_dir = options.server.control.data_dir + "/agents/" + node.id;
    a.token = options.server.token;
    a.simulated = true;
    dev->agents_.push_back(std::make_unique<Agent>(std::move(a), channel));
  }
  const size_t threads = std::max(1, options.agent_threads);
  for (size_t i = 0; i < threads; ++i) {
    dev->threads_.emplace_back([d = dev.get(), i, threads] { d->RunAgents(i, threads); });
  }
  if (options.demo_load) dev->threads_.emplace_back([d = dev.get()] { d->RunDemoLoad(); });
  return dev;
}

DevCluster::~DevCluster() { Stop(); }

void DevCluster::Stop() {
  stop_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  for (auto& a : agents_) a->StopAll(std::chrono::seconds(2));
  agents_.clear();
  if (server_) server_->Shutdown();
}

void DevCluster::RunAgents(size_t first, size_t step) {
  std::map<size_t, std::string> last_error;
  while (!stop_) {
    Duration wait = std::chrono::seconds(1);
    for (size_t i = first; i < agents_.size() && !stop_; i += step) {
      auto next = agents_[i]->Tick();
      if (next.ok()) {
        wait = std::min(wait, *next);
        last_error.erase(i);
      } else if (last_error[i] != next.status().message()) {
        last_error[i] = next.status().message();
        std::cerr << "agent " << agents_[i]->node() << ": " << next.status().message() << "\n";
      }
    }
    for (auto slept = Duration{0}; slept < wait && !stop_; slept += std::chrono::milliseconds(50)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

void DevCluster::RunDemoLoad() {
  uint64_t n = options_.seed * 1000003;
  while (!stop_) {
    auto summary = server_->control().Summary({});
    if (summary.ok() && summary->gpus().total() > 0) {
      const double allocated = double(summary->gpus().allocated()) / summary->gpus().total();
      // Keep a short queue: enough to show waiting jobs, never an ever-growing backlog.
      const int pending = summary->jobs_pending();
      if ((allocated < options_.demo_target && pending < 20) || pending < 3) {
        v1::SubmitJobRequest req;
        req.set_spec(DemoJobSpec(++n));
        auto job = server_->control().Submit(req);
        if (!job.ok()) std::cerr << "demo load: " << job.status().message() << "\n";
      }
    }
    for (int i = 0; i < 4 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace harch
