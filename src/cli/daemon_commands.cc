#include "cli/daemon_commands.h"

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include "agent/agent.h"
#include "cli/cli.h"
#include "resource/summary.h"
#include "server/dev.h"

namespace harch {
namespace {

constexpr const char* kReferenceFleet = "examples/fleets/reference.yaml";

struct ServerFlags {
  std::string fleet;
  std::string data_dir;
  std::string listen = "127.0.0.1:7443";
  std::string http = "127.0.0.1:7080";
  std::string token;
  std::string profile = "harch";
  std::string queues;
  std::string carbon;
  double heartbeat_s = 1;
  double node_timeout_s = 10;
  double grace_s = 10;
  double retry_backoff_s = 2;
};

Duration Secs(double s) { return Duration(static_cast<int64_t>(s * 1e6)); }

void AddServerFlags(CLI::App* cmd, ServerFlags* f, bool dev) {
  auto* fleet = cmd->add_option("--fleet", f->fleet, "Fleet spec (YAML)")->check(CLI::ExistingFile);
  if (dev) {
    fleet->description(std::string("Fleet spec (YAML); default ") + kReferenceFleet);
  } else {
    fleet->required();
  }
  cmd->add_option("--data-dir", f->data_dir, "Directory of the embedded store")
      ->default_str(dev ? ".harch/dev" : ".harch/server");
  cmd->add_option("--listen", f->listen, "gRPC API address (port 0: any free port)")->capture_default_str();
  cmd->add_option("--http", f->http, "HTTP/JSON API and dashboard address")->capture_default_str();
  cmd->add_option("--token", f->token, "Token required for writes (env HARCH_TOKEN); required beyond loopback");
  cmd->add_option("--profile", f->profile, "Scheduling profile: harch, harch-carbon (with --carbon), fifo, backfill, binpack, fair")
      ->capture_default_str();
  cmd->add_option("--queues", f->queues, "Tenant and quota config (YAML)")->check(CLI::ExistingFile);
  cmd->add_option("--carbon", f->carbon,
                  "Carbon config (kind: Carbon): the harch-carbon profile and the Carbon Aware SDK "
                  "endpoints (/emissions/...)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--heartbeat", f->heartbeat_s, "Agent heartbeat interval, seconds")->capture_default_str()
      ->check(CLI::Range(0.05, 60.0));
  cmd->add_option("--node-timeout", f->node_timeout_s, "Seconds without heartbeat before a node is down")
      ->capture_default_str()->check(CLI::Range(0.2, 3600.0));
  cmd->add_option("--grace", f->grace_s, "Seconds between SIGTERM and SIGKILL when a task is stopped")
      ->capture_default_str()->check(CLI::Range(0.0, 3600.0));
  cmd->add_option("--retry-backoff", f->retry_backoff_s, "First retry backoff, seconds (doubles)")
      ->capture_default_str()->check(CLI::Range(0.0, 3600.0));
}

ServerOptions ToOptions(const ServerFlags& f, bool dev) {
  ServerOptions o;
  o.control.fleet_path = f.fleet.empty() ? kReferenceFleet : f.fleet;
  o.control.data_dir = f.data_dir.empty() ? (dev ? ".harch/dev" : ".harch/server") : f.data_dir;
  o.control.queues_path = f.queues;
  o.control.carbon_path = f.carbon;
  o.control.profile = f.profile;
  o.control.heartbeat_interval = Secs(f.heartbeat_s);
  o.control.node_timeout = Secs(f.node_timeout_s);
  o.control.grace = Secs(f.grace_s);
  o.control.retry_backoff = Secs(f.retry_backoff_s);
  o.grpc_listen = f.listen;
  o.http_listen = f.http;
  o.token = f.token;
  if (o.token.empty()) {
    if (const char* env = std::getenv("HARCH_TOKEN")) o.token = env;
  }
  return o;
}

// Blocks SIGINT and SIGTERM in every thread started after it, so that WaitForSignal() alone
// receives them.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int WaitForSignal(const sigset_t& set) {
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

int Fail(const Status& st) {
  std::cerr << "error: " << st.message() << "\n";
  return kExitError;
}

void PrintEndpoints(Server& s, const ServerOptions& o) {
  std::cout << "  API (gRPC)    " << s.grpc_address() << "    (harch --addr, or HARCH_ADDR)\n"
            << "  API (HTTP)    http://" << s.http_address() << "/v1/jobs\n"
            << "  Dashboard     http://" << s.http_address() << "/\n"
            << "  Data          " << o.control.data_dir << "\n"
            << "  Writes        " << (o.token.empty() ? "open (loopback only)" : "need the token") << "\n";
  if (!o.control.carbon_path.empty()) {
    std::cout << "  Carbon Aware  http://" << s.http_address() << "/emissions/bylocations?location=ZONE_OR_HUB"
              << "    (Carbon Aware SDK WebAPI; " << o.control.carbon_path << ")\n";
  }
}

int RunServer(const ServerFlags& f) {
  const sigset_t signals = BlockStopSignals();
  const ServerOptions o = ToOptions(f, false);
  auto server = Server::Start(o);
  if (!server.ok()) return Fail(server.status());
  std::cout << "harch server ready: fleet " << o.control.fleet_path << "\n";
  PrintEndpoints(**server, o);
  std::cout.flush();
  const int sig = WaitForSignal(signals);
  std::cerr << "harch server: signal " << sig << ", shutting down\n";
  (*server)->Shutdown();
  return kExitOk;
}

int RunDev(const ServerFlags& f, bool demo_load) {
  const sigset_t signals = BlockStopSignals();
  DevOptions o;
  o.server = ToOptions(f, true);
  o.demo_load = demo_load;
  if (f.fleet.empty() && !std::filesystem::exists(kReferenceFleet)) {
    return Fail(InvalidArgument(std::string("--fleet: ") + kReferenceFleet +
                                " is not here; run from the repository root or pass --fleet"));
  }
  auto dev = DevCluster::Start(o);
  if (!dev.ok()) return Fail(dev.status());
  const FleetSummary s = Summarize((*dev)->server().control().topology_for_tests());
  std::cout << "harch dev ready: " << (*dev)->agents() << " simulated agents, " << s.gpus.total
            << " GPUs in " << s.hubs.size() << " hubs (" << o.server.control.fleet_path << ")"
            << (demo_load ? ", demo load on" : "") << "\n";
  PrintEndpoints((*dev)->server(), o.server);
  std::cout << "  Try           harch job run examples/jobs/hello.yaml --wait\n"
            << "Ctrl-C stops everything; the store keeps the jobs for the next start.\n";
  std::cout.flush();
  WaitForSignal(signals);
  std::cerr << "harch dev: stopping agents and server\n";
  (*dev)->Stop();
  return kExitOk;
}

struct AgentFlags {
  std::string server = "127.0.0.1:7443";
  std::string node;
  std::string fleet;
  std::string address = "127.0.0.1";
  std::string work_dir;
  std::string token;
  bool simulated = false;
};

int RunAgent(const AgentFlags& f) {
  const sigset_t signals = BlockStopSignals();
  auto topo = LoadTopologyFile(f.fleet);
  if (!topo.ok()) return Fail(topo.status());
  AgentOptions o;
  o.node = f.node;
  auto inv = InventoryFromFleet(*topo, f.node);
  if (!inv.ok()) return Fail(inv.status());
  o.inventory = *inv;
  o.address = f.address;
  o.work_dir = f.work_dir.empty() ? ".harch/agent-" + f.node : f.work_dir;
  o.token = f.token;
  if (o.token.empty()) {
    if (const char* env = std::getenv("HARCH_TOKEN")) o.token = env;
  }
  o.simulated = f.simulated;
  std::string addr = f.server;
  if (const char* env = std::getenv("HARCH_ADDR"); env && f.server == "127.0.0.1:7443") addr = env;
  Agent agent(o, grpc::CreateChannel(addr, grpc::InsecureChannelCredentials()));
  std::cout << "harch agent: node " << f.node << " (" << o.inventory.gpu_count() << " x "
            << o.inventory.gpu_model() << "), server " << addr << "\n";
  std::cout.flush();
  std::atomic<bool> stop{false};
  std::thread waiter([&] {
    WaitForSignal(signals);
    stop = true;
  });
  std::string last_error;
  while (!stop) {
    auto next = agent.Tick();
    Duration wait = std::chrono::seconds(1);
    if (next.ok()) {
      wait = *next;
      last_error.clear();
    } else if (next.status().message() != last_error) {
      last_error = next.status().message();
      std::cerr << "harch agent: " << last_error << " (retrying)\n";
    }
    for (auto slept = Duration{0}; slept < wait && !stop; slept += std::chrono::milliseconds(20)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  waiter.join();
  std::cerr << "harch agent: stopping " << agent.task_count() << " tasks\n";
  agent.StopAll(std::chrono::seconds(10));
  return kExitOk;
}

}  // namespace

void AddDaemonCommands(CLI::App& app, int* exit_code) {
  auto server = std::make_shared<ServerFlags>();
  CLI::App* s = app.add_subcommand("server", "Run the control plane (API, scheduler, store)");
  AddServerFlags(s, server.get(), false);
  s->callback([server, exit_code] { *exit_code = RunServer(*server); });

  auto dev = std::make_shared<ServerFlags>();
  auto demo = std::make_shared<bool>(false);
  CLI::App* d = app.add_subcommand(
      "dev", "Run the whole system in one process: server, a simulated agent per node, dashboard");
  AddServerFlags(d, dev.get(), true);
  d->add_flag("--demo-load", *demo, "Submit a stream of small jobs so the fleet is visibly busy");
  d->callback([dev, demo, exit_code] { *exit_code = RunDev(*dev, *demo); });

  auto agent = std::make_shared<AgentFlags>();
  CLI::App* a = app.add_subcommand("agent", "Run one node's agent: register, heartbeat, run tasks");
  a->add_option("--server", agent->server, "The server's gRPC address (env HARCH_ADDR)")->capture_default_str();
  a->add_option("--node", agent->node, "This node's name in the fleet spec")->required();
  a->add_option("--fleet", agent->fleet, "Fleet spec describing this node's inventory")
      ->required()->check(CLI::ExistingFile);
  a->add_option("--address", agent->address, "Address other ranks reach this node at")->capture_default_str();
  a->add_option("--work-dir", agent->work_dir, "Where task logs go (default .harch/agent-NODE)");
  a->add_option("--token", agent->token, "Token for writes (env HARCH_TOKEN)");
  a->add_flag("--simulated", agent->simulated, "Mark the node as simulated (its GPUs are not real)");
  a->callback([agent, exit_code] { *exit_code = RunAgent(*agent); });
}

}  // namespace harch
