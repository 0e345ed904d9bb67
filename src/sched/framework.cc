#include "sched/framework.h"

#include "sched/plugins/plugins.h"

namespace harch {

const PluginRegistry& PluginRegistry::Default() {
  static const PluginRegistry* registry = [] {
    auto* r = new PluginRegistry;
    r->sorts_["priority-fair"] = [] { return MakePriorityFairSort(); };
    r->sorts_["priority"] = [] { return MakePrioritySort(); };
    r->sorts_["fifo"] = [] { return MakeFifoSort(); };
    r->filters_["resources"] = [] { return MakeResourcesFilter(); };
    r->filters_["sovereignty"] = [] { return MakeSovereigntyFilter(); };
    r->filters_["affinity"] = [] { return MakeAffinityFilter(); };
    r->filters_["carbon"] = [] { return MakeCarbonFilter(); };
    r->scores_["carbon"] = [] { return MakeCarbonScore(); };
    r->scores_["topology"] = [] { return MakeTopologyScore(); };
    r->scores_["fragmentation"] = [] { return MakeFragmentationScore(); };
    r->scores_["heterogeneity"] = [] { return MakeHeterogeneityScore(); };
    r->scores_["affinity"] = [] { return MakeAffinityScore(); };
    r->permits_["quota"] = [] { return MakeQuotaPermit(); };
    return r;
  }();
  return *registry;
}

template <typename Map>
static auto Make(const Map& map, std::string_view name) -> decltype(map.begin()->second()) {
  auto it = map.find(name);
  HARCH_CHECK(it != map.end());  // profiles name only registered plugins
  return it->second();
}

std::unique_ptr<QueueSortPlugin> PluginRegistry::MakeSort(std::string_view n) const { return Make(sorts_, n); }
std::unique_ptr<FilterPlugin> PluginRegistry::MakeFilter(std::string_view n) const { return Make(filters_, n); }
std::unique_ptr<ScorePlugin> PluginRegistry::MakeScore(std::string_view n) const { return Make(scores_, n); }
std::unique_ptr<PermitPlugin> PluginRegistry::MakePermit(std::string_view n) const { return Make(permits_, n); }

std::vector<std::string> PluginRegistry::ProfileNames() const {
  return {"harch", "harch-carbon", "fifo", "backfill", "binpack", "fair"};
}

Result<Profile> PluginRegistry::MakeProfile(std::string_view name) const {
  Profile p;
  p.name = std::string(name);
  // Every profile enforces the hard constraints: resources, sovereignty, required affinity, quota.
  for (const char* f : {"resources", "sovereignty", "affinity"}) p.filters.push_back(MakeFilter(f));
  p.permits.push_back(MakePermit("quota"));
  if (name == "harch" || name == "harch-carbon") {
    p.sort = MakeSort("priority-fair");
    for (const char* s : {"topology", "fragmentation", "heterogeneity", "affinity"}) {
      p.scores.emplace_back(MakeScore(s), 1.0);
    }
    // The carbon-aware variant: flexible work waits for cleaner hours (never past the time it
    // must start by) and every placement leans to cleaner hubs. Without carbon data (no
    // --carbon) both plugins do nothing and it is the harch profile.
    if (name == "harch-carbon") {
      p.filters.push_back(MakeFilter("carbon"));
      p.scores.emplace_back(MakeScore("carbon"), 1.0);
    }
  } else if (name == "fifo" || name == "backfill") {
    // First-come first-fit; "backfill" adds EASY backfill, as Slurm's default.
    p.sort = MakeSort("fifo");
    p.split_candidates = false;
    p.backfill = name == "backfill";
    p.skip_blocked = false;
    p.preemption = false;
    p.batch = false;
  } else if (name == "binpack") {
    // Bin-packing without fair queuing.
    p.sort = MakeSort("priority");
    p.scores.emplace_back(MakeScore("fragmentation"), 1.0);
    p.scores.emplace_back(MakeScore("topology"), 1.0);
    p.batch = false;
  } else if (name == "fair") {
    // Fair queuing without topology-aware packing: candidates are not compared.
    p.sort = MakeSort("priority-fair");
    p.split_candidates = false;
    p.batch = false;
  } else {
    std::string known;
    for (const auto& n : ProfileNames()) known += (known.empty() ? "" : ", ") + n;
    return InvalidArgument("unknown policy '" + std::string(name) + "' (known: " + known + ")");
  }
  return p;
}

}  // namespace harch
