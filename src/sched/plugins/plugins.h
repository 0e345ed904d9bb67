// The built-in plugins. Each file in this folder holds one plugin or a few tiny ones; the
// registry (sched/framework.cc) maps their names to these factories.
#pragma once

#include <memory>

#include "sched/framework.h"

namespace harch {

// QueueSort. `aging_bound`: a job waiting this long has gained the priority of the critical
// class, so nothing waits forever behind newer, higher-priority work.
std::unique_ptr<QueueSortPlugin> MakePriorityFairSort(Duration aging_bound = std::chrono::hours(1));
std::unique_ptr<QueueSortPlugin> MakePrioritySort(Duration aging_bound = std::chrono::hours(1));
std::unique_ptr<QueueSortPlugin> MakeFifoSort();

// Filter.
std::unique_ptr<FilterPlugin> MakeResourcesFilter();    // "resources": the group's GPU needs
std::unique_ptr<FilterPlugin> MakeSovereigntyFilter();  // "sovereignty": data jurisdiction
std::unique_ptr<FilterPlugin> MakeAffinityFilter();     // "affinity": required (anti-)affinity
std::unique_ptr<FilterPlugin> MakeCarbonFilter();       // "carbon": flexible work waits for clean hours

// Score.
std::unique_ptr<ScorePlugin> MakeTopologyScore();       // "topology": narrow span, few domains
std::unique_ptr<ScorePlugin> MakeFragmentationScore();  // "fragmentation": strand no GPUs
std::unique_ptr<ScorePlugin> MakeHeterogeneityScore();  // "heterogeneity": fastest model
std::unique_ptr<ScorePlugin> MakeAffinityScore();       // "affinity": preferred terms
std::unique_ptr<ScorePlugin> MakeCarbonScore();         // "carbon": cleaner hubs now

// When a job the carbon filter may delay must start at the latest: it gives its expected
// duration and a flexibility window or deadline, and is not latency-sensitive (inference,
// interactive or latency: high work is never delayed). nullopt for every other job.
std::optional<Time> CarbonLatestStart(const Job& job);

// Interruptible work (spec.interruptible, with an expected duration and a deadline or window,
// not latency-sensitive) runs in the cleanest slots before its deadline, planned once on the
// forecast of its submission over every hub its jurisdiction allows. At `ctx.now`, whether it
// should be running, and when that answer next changes (a slot's start or end). A job behind its
// plan (it started late, or ran longer) runs until it has caught up: the slots left after now
// always cover the work left, so shifting never makes it miss its deadline. nullopt for every
// other job, without carbon data, or when no zone it may use has data.
struct CarbonSlotDecision {
  bool run = true;
  std::optional<Time> change;  // when to look again
  std::string reason;          // why it waits (run == false)
};
std::optional<CarbonSlotDecision> CarbonSlots(const SchedContext& ctx, const Job& job);

// Permit.
std::unique_ptr<PermitPlugin> MakeQuotaPermit();        // "quota": tenant quotas

// Relative throughput of a GPU family for a workload kind (A100 = 1.0); 1.0 when unknown.
double RelativeThroughput(std::string_view family, WorkloadKind kind);

// The effective priority of a pending job at `now`: its class value plus aging, which ramps
// linearly to +1000 (the critical class) over `aging_bound`.
double AgedPriority(const Job& job, Time now, Duration aging_bound);

}  // namespace harch
