// The scheduling framework: named extension points that policies plug into, after the
// Kubernetes scheduler framework.
//
//   QueueSort  orders the pending queue (one per profile)
//   Filter     narrows a task group's placement request, or blocks it with a reason
//   Score      rates each candidate plan in [0, 1]; the profile weighs the plugins
//   Permit     approves or refuses a job once all its groups have a plan (e.g. quota)
// Reserve and Bind are the scheduler's own: Reserve allocates the plans in the topology (all
// groups or none), Bind records the decision and emits an event.
//
// Plugins are stateless and deterministic: everything they read comes in the SchedContext.
// Thread-safety: plugins are immutable after construction.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "carbon/signal.h"
#include "resource/placement.h"
#include "resource/topology.h"
#include "sched/job.h"
#include "sched/queues.h"

namespace harch {

// Read-only views the plugins may use.
class JobDirectory {
 public:
  virtual ~JobDirectory() = default;
  // Running jobs with this metadata.name.
  virtual std::vector<const Job*> RunningByName(const std::string& name) const = 0;
};

struct SchedContext {
  const Topology& topo;
  const TenantTree& tenants;
  const JobDirectory& jobs;
  Time now;
  const CarbonSignal* carbon = nullptr;  // null: no carbon data, carbon plugins do nothing
  // With carbon capacity scaling: per hub, GPU milli held by running flexible jobs and in all,
  // as at the start of the cycle.
  std::vector<int64_t> flexible_milli_by_hub;
  std::vector<int64_t> gpu_milli_by_hub;
};

// Queue order as a key per job, compared lexicographically (smaller first), then by job id.
// A key instead of a comparison so that each job's key is computed once per cycle.
using SortKey = std::array<double, 4>;

class QueueSortPlugin {
 public:
  virtual ~QueueSortPlugin() = default;
  virtual std::string_view Name() const = 0;
  virtual SortKey Key(const SchedContext& ctx, const Job& job) const = 0;
  // Strict weak order: true when `a` should be considered before `b`.
  bool Less(const SchedContext& ctx, const Job& a, const Job& b) const {
    const SortKey ka = Key(ctx, a), kb = Key(ctx, b);
    return ka != kb ? ka < kb : a.id < b.id;
  }
};

class FilterPlugin {
 public:
  virtual ~FilterPlugin() = default;
  virtual std::string_view Name() const = 0;
  // Narrows `req` for `group` of `job`. Returns a NoFit to block the group.
  virtual std::optional<NoFit> Filter(const SchedContext& ctx, const Job& job,
                                      const TaskGroupSpec& group, PlacementRequest* req) const = 0;
};

class ScorePlugin {
 public:
  virtual ~ScorePlugin() = default;
  virtual std::string_view Name() const = 0;
  // Higher is better, in [0, 1].
  virtual double Score(const SchedContext& ctx, const Job& job, const TaskGroupSpec& group,
                       const Plan& plan) const = 0;
};

class PermitPlugin {
 public:
  virtual ~PermitPlugin() = default;
  virtual std::string_view Name() const = 0;
  // `placement` holds every group's plan. Returns a NoFit to refuse the job for now.
  virtual std::optional<NoFit> Permit(const SchedContext& ctx, const Job& job,
                                      const std::vector<GroupPlacement>& placement) const = 0;
};

// A named set of plugins and switches: what `--policy NAME` selects.
struct Profile {
  std::string name;
  std::unique_ptr<QueueSortPlugin> sort;
  std::vector<std::unique_ptr<FilterPlugin>> filters;
  std::vector<std::pair<std::unique_ptr<ScorePlugin>, double>> scores;  // plugin, weight
  std::vector<std::unique_ptr<PermitPlugin>> permits;
  bool split_candidates = true;  // one candidate per (hub, GPU family) for the scores to choose
  bool backfill = true;          // EASY backfill; false: strict order, stop at the first blocked
  bool skip_blocked = true;      // with backfill false: false means FIFO, nothing passes the head
  bool preemption = true;
  bool batch = true;             // the batch step over the pending window
};

// Plugin factories by name, and the built-in profiles.
class PluginRegistry {
 public:
  static const PluginRegistry& Default();

  std::unique_ptr<QueueSortPlugin> MakeSort(std::string_view name) const;
  std::unique_ptr<FilterPlugin> MakeFilter(std::string_view name) const;
  std::unique_ptr<ScorePlugin> MakeScore(std::string_view name) const;
  std::unique_ptr<PermitPlugin> MakePermit(std::string_view name) const;

  // "harch" (everything), "fifo", "backfill", "binpack", "fair".
  Result<Profile> MakeProfile(std::string_view name) const;
  std::vector<std::string> ProfileNames() const;

 private:
  std::map<std::string, std::function<std::unique_ptr<QueueSortPlugin>()>, std::less<>> sorts_;
  std::map<std::string, std::function<std::unique_ptr<FilterPlugin>()>, std::less<>> filters_;
  std::map<std::string, std::function<std::unique_ptr<ScorePlugin>()>, std::less<>> scores_;
  std::map<std::string, std::function<std::unique_ptr<PermitPlugin>()>, std::less<>> permits_;
};

}  // namespace harch
