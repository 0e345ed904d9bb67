// Resource-layer benchmarks: placement query latency (p50/p99) and topology update cost, on the
// reference fleet and on a generated 100,000-GPU fleet.
//
//   build/release/bench/resource_bench --benchmark_counters_tabular=true
//
// Each fleet is first loaded to about 40% with random 1- and 8-GPU allocations, so queries see
// a realistic mix of free and busy domains. BM_BaselineScan is the floor for comparison: one pass
// over every GPU asking only "is it free?"; query cost is best read as a ratio against it, since
// this machine is shared and absolute times drift.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <vector>

#include "base/random.h"
#include "resource/fleet_generator.h"
#include "resource/placement.h"
#include "resource/topology.h"

namespace harch {
namespace {

Topology MustOk(Result<Topology> t) {
  if (!t.ok()) {
    std::cerr << t.status().ToString() << "\n";
    std::abort();
  }
  return std::move(t).value();
}

// Allocates random 1- and 8-GPU requests until about `fill` of the GPUs are busy.
void Fill(Topology& topo, double fill, uint64_t seed) {
  Random rng(seed);
  const auto target = static_cast<int64_t>(fill * static_cast<double>(topo.gpus().size()));
  int64_t busy = 0;
  for (int misses = 0; busy < target && misses < 100;) {
    PlacementRequest req;
    req.count = rng.Bernoulli(0.7) ? 1 : 8;
    req.nvlink = NvlinkPolicy::kPreferred;
    // Spread load: pin each allocation to a random hub.
    req.hub = topo.hubs()[static_cast<size_t>(rng.Uniform(0, static_cast<int64_t>(topo.hubs().size()) - 1))].id;
    auto out = FindPlacement(topo, req);
    if (!out.ok() || !out->fits()) {
      ++misses;
      continue;
    }
    if (topo.Allocate("fill", out->plan->grants, false).ok()) busy += req.count;
  }
}

Topology& Fleet(int which) {
  static std::unique_ptr<Topology> ref, big;
  if (which == 0) {
    if (!ref) {
      const char* src = std::getenv("HARCH_SOURCE_DIR");
      const std::string path = std::string(src ? src : ".") + "/examples/fleets/reference.yaml";
      ref = std::make_unique<Topology>(MustOk(LoadTopologyFile(path)));
      Fill(*ref, 0.4, 1);
    }
    return *ref;
  }
  if (!big) {
    auto spec = GenerateFleet({100'000, 4, 7});
    big = std::make_unique<Topology>(MustOk(BuildTopology(*spec)));
    Fill(*big, 0.4, 2);
  }
  return *big;
}

const char* FleetName(int which) { return which == 0 ? "reference-1798" : "generated-100k"; }

PlacementRequest RequestFor(int gpus) {
  PlacementRequest req;
  req.count = gpus;
  if (gpus == 8) {
    req.nvlink = NvlinkPolicy::kRequired;
    req.min_memory = GiB(40);
    req.jurisdiction = {"MA"};
  }
  return req;
}

void ReportPercentiles(benchmark::State& state, std::vector<double>& us) {
  if (us.empty()) return;
  std::sort(us.begin(), us.end());
  auto at = [&](double q) { return us[std::min(us.size() - 1, static_cast<size_t>(q * us.size()))]; };
  state.counters["p50_us"] = at(0.50);
  state.counters["p99_us"] = at(0.99);
}

// args: fleet (0 reference, 1 generated 100k), GPUs per request.
void BM_Query(benchmark::State& state) {
  Topology& topo = Fleet(static_cast<int>(state.range(0)));
  const PlacementRequest req = RequestFor(static_cast<int>(state.range(1)));
  std::vector<double> us;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    auto out = FindPlacement(topo, req);
    const auto t1 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(out);
    if (!out.ok() || !out->fits()) state.SkipWithError("request did not fit");
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  state.SetLabel(FleetName(static_cast<int>(state.range(0))));
  ReportPercentiles(state, us);
}
BENCHMARK(BM_Query)
    ->ArgsProduct({{0, 1}, {1, 8, 64}})
    ->ArgNames({"fleet", "gpus"})
    ->Unit(benchmark::kMicrosecond);

// The floor: one pass over every GPU checking only whether it is free.
void BM_BaselineScan(benchmark::State& state) {
  Topology& topo = Fleet(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    int64_t free = 0;
    for (size_t g = 0; g < topo.gpus().size(); ++g) {
      free += topo.Idle(GpuIdx(g)) && topo.Schedulable(GpuIdx(g), false) ? 1 : 0;
    }
    benchmark::DoNotOptimize(free);
  }
  state.SetLabel(FleetName(static_cast<int>(state.range(0))));
}
BENCHMARK(BM_BaselineScan)->Arg(0)->Arg(1)->ArgName("fleet")->Unit(benchmark::kMicrosecond);

// Graph update events: allocate + release an 8-GPU gang (two events per iteration).
void BM_AllocateRelease(benchmark::State& state) {
  Topology& topo = Fleet(static_cast<int>(state.range(0)));
  auto out = FindPlacement(topo, RequestFor(8));
  if (!out.ok() || !out->fits()) {
    state.SkipWithError("no 8-GPU domain free");
    return;
  }
  const auto grants = out->plan->grants;
  for (auto _ : state) {
    auto id = topo.Allocate("bench", grants, false);
    benchmark::DoNotOptimize(topo.Release(*id));
  }
  state.SetItemsProcessed(2 * state.iterations());
  state.SetLabel(FleetName(static_cast<int>(state.range(0))));
}
BENCHMARK(BM_AllocateRelease)->Arg(0)->Arg(1)->ArgName("fleet");

// Graph update events: a GPU degrades and recovers, a node goes down and comes back (four
// events per iteration). Node-down scans the live allocations to report the affected ones.
void BM_HealthEvents(benchmark::State& state) {
  Topology& topo = Fleet(static_cast<int>(state.range(0)));
  const GpuIdx g(topo.gpus().size() / 2);
  const NodeIdx n = topo.gpu(g).node;
  for (auto _ : state) {
    benchmark::DoNotOptimize(topo.SetGpuHealth(g, Health::kDegraded));
    benchmark::DoNotOptimize(topo.SetGpuHealth(g, Health::kHealthy));
    benchmark::DoNotOptimize(topo.SetNodeState(n, NodeState::kDown));
    benchmark::DoNotOptimize(topo.SetNodeState(n, NodeState::kUp));
  }
  state.SetItemsProcessed(4 * state.iterations());
  state.SetLabel(FleetName(static_cast<int>(state.range(0))));
}
BENCHMARK(BM_HealthEvents)->Arg(0)->Arg(1)->ArgName("fleet");

}  // namespace
}  // namespace harch

BENCHMARK_MAIN();
