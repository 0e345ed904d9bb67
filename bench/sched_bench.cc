// Scheduler benchmarks on the reference fleet and on a generated 100,000-GPU fleet.
//
//   build/release/bench/sched_bench --benchmark_counters_tabular=true
//
// BM_Decision: one scheduling cycle that places one new critical job (1 GPU, 8 GPUs in one
//   NVLink domain, or a 64-GPU gang) on a fleet whose H100s are all busy, with 0 or 1,000 jobs
//   waiting. With 0 it is the decision latency; with 1,000 the cycle also orders the queue,
//   keeps the head-of-line reservation, checks preemption and records every waiting job's
//   reason. p50/p99 over iterations.
// BM_BatchStep: one cycle over 1,000 pending jobs of mixed sizes on an idle fleet: the batch
//   step tries several orders and commits the best.
// BM_Throughput: sustained placements per second with jobs arriving and finishing.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "base/random.h"
#include "resource/fleet_generator.h"
#include "sched/scheduler.h"

namespace harch {
namespace {

Topology LoadFleet(int which) {
  Result<Topology> t = [&]() -> Result<Topology> {
    if (which == 0) {
      const char* src = std::getenv("HARCH_SOURCE_DIR");
      return LoadTopologyFile(std::string(src ? src : ".") + "/examples/fleets/reference.yaml");
    }
    auto spec = GenerateFleet({100'000, 4, 7});
    return BuildTopology(*spec);
  }();
  if (!t.ok()) {
    std::cerr << t.status().ToString() << "\n";
    std::abort();
  }
  return std::move(t).value();
}

const char* FleetName(int which) { return which == 0 ? "reference-1798" : "generated-100k"; }

JobSpec MakeJob(const std::string& name, int replicas, int gpus, std::vector<std::string> models,
                const std::string& tenant, const std::string& priority, bool nvlink) {
  JobSpec spec;
  spec.name = name;
  spec.tenant = tenant;
  spec.kind = WorkloadKind::kTraining;
  auto p = FindPriorityClass(priority);
  spec.priority_class = p->name;
  spec.priority = p->value;
  spec.expected_duration = std::chrono::hours(1);
  TaskGroupSpec g;
  g.name = "main";
  g.replicas = replicas;
  g.gpus_per_replica = gpus;
  g.gpu.models = std::move(models);
  g.gpu.nvlink = nvlink ? NvlinkRequirement::kRequired : NvlinkRequirement::kPreferred;
  spec.task_groups.push_back(g);
  return spec;
}

// The batch step's budget runs on the real clock, as in production.
struct World {
  Topology topo;
  ManualClock clock{Time(std::chrono::hours(1))};
  Random rng{1};
  std::unique_ptr<Scheduler> sched;

  explicit World(int which) : topo(LoadFleet(which)) {
    sched = std::make_unique<Scheduler>(&topo, PluginRegistry::Default().MakeProfile("harch").value(),
                                        QueueConfig{}, SchedulerConfig{}, &clock, &rng,
                                        &SystemClock::Get());
  }
};

void ReportPercentiles(benchmark::State& state, std::vector<double>& us) {
  if (us.empty()) return;
  std::sort(us.begin(), us.end());
  auto at = [&](double q) { return us[std::min(us.size() - 1, static_cast<size_t>(q * us.size()))]; };
  state.counters["p50_us"] = at(0.50);
  state.counters["p99_us"] = at(0.99);
}

// args: fleet, probe shape (0: 1 GPU, 1: 8 GPUs in one NVLink domain, 2: 64-GPU gang), jobs
// waiting in the queue (0 or 1,000).
void BM_Decision(benchmark::State& state) {
  const int which = static_cast<int>(state.range(0));
  const int waiting = static_cast<int>(state.range(2));
  World w(which);
  // Fill every H100 and keep 1,000 H100 jobs waiting behind them.
  for (int i = 0; i < 100000; ++i) {
    auto id = w.sched->Submit(MakeJob("fill", 1, 8, {"H100"}, "fill", "normal", false));
    if (!id.ok()) break;
    if (w.sched->Schedule().placed == 0) {
      (void)w.sched->Cancel(*id);  // the H100s are full
      break;
    }
  }
  for (int i = 0; i < waiting; ++i) {
    const int gpus = 1 << (i % 4);
    (void)w.sched->Submit(MakeJob("wait", 1, gpus, {"H100"}, "t" + std::to_string(i % 4), "normal", false));
  }
  w.sched->Schedule();
  JobSpec probe;
  switch (state.range(1)) {
    case 0: probe = MakeJob("probe", 1, 1, {"A100"}, "probe", "critical", false); break;
    case 1: probe = MakeJob("probe", 1, 8, {"A100"}, "probe", "critical", true); break;
    default: probe = MakeJob("probe", 16, 4, {"GB200"}, "probe", "critical", true); break;
  }
  std::vector<double> us;
  int64_t pending = 0;
  for (auto _ : state) {
    auto id = w.sched->Submit(probe);
    const auto t0 = std::chrono::steady_clock::now();
    const CycleStats stats = w.sched->Schedule();
    const auto t1 = std::chrono::steady_clock::now();
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    pending = stats.pending;
    if (!id.ok() || w.sched->Find(*id)->state != JobState::kRunning) {
      state.SkipWithError("probe not placed");
      break;
    }
    state.PauseTiming();
    (void)w.sched->Finish(*id, true);
    w.sched->TakeEvents();
    state.ResumeTiming();
  }
  state.counters["pending"] = static_cast<double>(pending);
  state.SetLabel(FleetName(which));
  ReportPercentiles(state, us);
}
BENCHMARK(BM_Decision)
    ->ArgsProduct({{0, 1}, {0, 1, 2}, {0, 1000}})
    ->ArgNames({"fleet", "shape", "waiting"})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(30);

// One cycle over 1,000 pending jobs of mixed sizes on an idle fleet.
void BM_BatchStep(benchmark::State& state) {
  const int which = static_cast<int>(state.range(0));
  double placed = 0, tried = 0, gain = 0;
  for (auto _ : state) {
    state.PauseTiming();
    World w(which);
    Random mix(7);
    for (int i = 0; i < 1000; ++i) {
      const int shape = static_cast<int>(mix.Uniform(0, 9));
      const int gpus = shape < 5 ? 1 : shape < 7 ? 2 : shape < 9 ? 8 : 4;
      const int replicas = shape == 9 ? 8 : 1;
      (void)w.sched->Submit(MakeJob("j", replicas, gpus, {}, "t" + std::to_string(i % 8),
                                    i % 10 == 0 ? "high" : "normal", false));
    }
    state.ResumeTiming();
    const CycleStats stats = w.sched->Schedule();
    placed = stats.placed;
    tried = stats.orders_tried;
    gain = stats.greedy_objective > 0 ? stats.objective / stats.greedy_objective : 1.0;
  }
  state.counters["placed"] = placed;
  state.counters["orders"] = tried;
  state.counters["vs_greedy"] = gain;
  state.SetLabel(FleetName(which));
}
BENCHMARK(BM_BatchStep)->Arg(0)->ArgName("fleet")->Unit(benchmark::kMillisecond)->Iterations(5);

// Jobs arrive (100 per cycle) and the oldest running ones finish: placements per second.
void BM_Throughput(benchmark::State& state) {
  const int which = static_cast<int>(state.range(0));
  World w(which);
  Random mix(3);
  std::vector<JobId> running;
  int64_t placed = 0;
  for (auto _ : state) {
    for (int i = 0; i < 100; ++i) {
      const int gpus = mix.Bernoulli(0.8) ? 1 : 8;
      (void)w.sched->Submit(MakeJob("j", 1, gpus, {}, "t" + std::to_string(i % 4), "normal", false));
    }
    w.clock.Advance(std::chrono::seconds(1));
    placed += w.sched->Schedule().placed;
    for (const auto& e : w.sched->TakeEvents()) {
      if (e.type == "Scheduled") running.push_back(e.job);
    }
    // Finish the oldest half of the running jobs.
    const size_t done = running.size() / 2;
    for (size_t i = 0; i < done; ++i) (void)w.sched->Finish(running[i], true);
    running.erase(running.begin(), running.begin() + static_cast<long>(done));
  }
  state.counters["placements_per_s"] = benchmark::Counter(static_cast<double>(placed), benchmark::Counter::kIsRate);
  state.SetLabel(FleetName(which));
}
BENCHMARK(BM_Throughput)->Arg(0)->ArgName("fleet")->Unit(benchmark::kMillisecond)->Iterations(50);

}  // namespace
}  // namespace harch

BENCHMARK_MAIN();
