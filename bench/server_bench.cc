// Durable submissions per second through the gRPC API, and submit-to-placement latency, on a
// server with 200 simulated nodes (1,600 GPUs). A driver rather than a Google Benchmark: it
// measures a whole system (server threads, store, scheduler loop) from real clients.
//
//   build/release/bench/server_bench [--jobs 1500] [--clients 16]
//
// Each run starts a fresh server on a fresh store in a temporary directory. The baseline is the
// same API with one client, which cannot share commits with anybody: the ratio shows what group
// commit buys. Placement latency is from Submit's acknowledgement to the placement being durable.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "base/files.h"
#include "harch/v1/harch.grpc.pb.h"
#include "server/server.h"

namespace harch {
namespace {

constexpr int kHubs = 4;
constexpr int kNodesPerHub = 50;

std::string FleetYaml() {
  std::string y = "apiVersion: harchos.io/v1alpha1\nkind: Fleet\nmetadata: {name: bench}\nspec:\n  hubs:\n";
  const char* countries[] = {"MA", "FR", "SN", "DE"};
  for (int h = 0; h < kHubs; ++h) {
    y += "    - id: hub" + std::to_string(h) + "\n      country: " + countries[h] +
         "\n      racks:\n        - id: r" + std::to_string(h) + "\n          nodes:\n";
    for (int n = 0; n < kNodesPerHub; ++n) {
      y += "            - {name: h" + std::to_string(h) + "-n" + std::to_string(n) +
           ", cpu: 128, memory: 2TiB, gpus: {model: H100-SXM, count: 8, nvlink: nvswitch}}\n";
    }
  }
  return y;
}

std::string JobYaml(int i) {
  return "apiVersion: harchos.io/v1alpha1\nkind: Job\nmetadata: {name: bench-" + std::to_string(i) +
         "}\nspec:\n  tenant: bench\n  kind: batch\n  taskGroups:\n    - {name: main, replicas: 1, gpusPerReplica: 1, "
         "cpuPerReplica: 1, memoryPerReplica: 1GiB, command: [sleep, '3600']}\n";
}

double Ms(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct RunResult {
  double per_second = 0;
  double p50_ms = 0, p99_ms = 0;
  size_t placed = 0;
};

RunResult Run(const std::string& dir, int jobs, int clients) {
  std::filesystem::remove_all(dir + "/data");
  ServerOptions o;
  o.control.data_dir = dir + "/data";
  o.control.fleet_path = dir + "/fleet.yaml";
  o.control.node_timeout = std::chrono::seconds(60);
  o.grpc_listen = "127.0.0.1:0";
  o.http_listen = "127.0.0.1:0";
  auto server = Server::Start(o);
  if (!server.ok()) {
    std::fprintf(stderr, "server: %s\n", server.status().ToString().c_str());
    std::exit(1);
  }
  auto channel = grpc::CreateChannel((*server)->grpc_address(), grpc::InsecureChannelCredentials());
  auto nodes = v1::Nodes::NewStub(channel);
  // 200 simulated nodes register (their agents are played by the driver).
  for (const Node& n : (*server)->control().topology_for_tests().nodes()) {
    grpc::ClientContext ctx;
    v1::RegisterRequest r;
    r.set_name(n.id);
    r.mutable_inventory()->set_gpu_count(static_cast<int32_t>(n.gpus.size()));
    r.set_simulated(true);
    v1::Node out;
    if (!nodes->Register(&ctx, r, &out).ok()) std::exit(1);
  }
  std::atomic<int> next{0};
  std::atomic<int> failed{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      auto stub = v1::Jobs::NewStub(channel);
      for (int i = next++; i < jobs; i = next++) {
        grpc::ClientContext ctx;
        v1::SubmitJobRequest req;
        req.set_spec(JobYaml(i));
        v1::Job job;
        if (!stub->Submit(&ctx, req, &job).ok()) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (failed) std::fprintf(stderr, "%d submissions failed\n", failed.load());
  // Every job fits (1 GPU each, 1,600 GPUs): wait for all placements.
  std::vector<Duration> lat;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (static_cast<int>(lat.size()) < jobs && std::chrono::steady_clock::now() < deadline) {
    auto more = (*server)->control().TakePlacementLatencies();
    lat.insert(lat.end(), more.begin(), more.end());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::sort(lat.begin(), lat.end());
  RunResult r;
  r.per_second = jobs / seconds;
  r.placed = lat.size();
  if (!lat.empty()) {
    r.p50_ms = Ms(lat[lat.size() / 2]);
    r.p99_ms = Ms(lat[std::min(lat.size() - 1, lat.size() * 99 / 100)]);
  }
  (*server)->Shutdown();
  return r;
}

}  // namespace
}  // namespace harch

int main(int argc, char** argv) {
  int jobs = 1500, clients = 16;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--jobs")) jobs = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--clients")) clients = std::atoi(argv[i + 1]);
  }
  if (jobs < 1 || jobs > 1600 || clients < 1) {
    std::fprintf(stderr, "usage: server_bench [--jobs 1..1600] [--clients N]\n");
    return 2;
  }
  std::string tmpl = (std::filesystem::temp_directory_path() / "harch-bench-XXXXXX").string();
  const std::string dir = mkdtemp(tmpl.data());
  if (!harch::WriteFileAtomic(dir + "/fleet.yaml", harch::FleetYaml()).ok()) return 1;
  const int baseline_jobs = std::min(jobs, 300);
  const auto base = harch::Run(dir, baseline_jobs, 1);
  const auto run = harch::Run(dir, jobs, clients);
  std::filesystem::remove_all(dir);
  std::printf("200 nodes, 1,600 GPUs; durable submissions through gRPC, 1-GPU jobs\n");
  std::printf("%-26s %8s %14s %14s %14s\n", "run", "jobs", "submissions/s", "placement p50", "placement p99");
  std::printf("%-26s %8d %14.0f %11.1f ms %11.1f ms\n", "baseline: 1 client", baseline_jobs,
              base.per_second, base.p50_ms, base.p99_ms);
  std::printf("%-26s %8d %14.0f %11.1f ms %11.1f ms\n", (std::to_string(clients) + " clients").c_str(),
              jobs, run.per_second, run.p50_ms, run.p99_ms);
  std::printf("ratio (%d clients / 1 client): %.1fx submissions/s; placed %zu of %d\n", clients,
              run.per_second / base.per_second, run.placed, jobs);
  return run.placed == static_cast<size_t>(jobs) ? 0 : 1;
}
