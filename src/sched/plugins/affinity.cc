// Filter "affinity" (required terms) and Score "affinity" (preferred terms).
//   labels:  the nodes must (not) carry the labels
//   job:     the same (or not the same) node or hub as a running job of that name
#include <set>

#include "sched/plugins/plugins.h"

namespace harch {
namespace {

bool HasLabels(const Node& node, const std::map<std::string, std::string>& labels) {
  for (const auto& [k, v] : labels) {
    auto it = node.labels.find(k);
    if (it == node.labels.end() || it->second != v) return false;
  }
  return true;
}

// Nodes (or, with hub scope, every node of the hubs) that the named job runs on.
std::set<uint32_t> NodesOf(const SchedContext& ctx, const AffinityTerm& term) {
  std::set<uint32_t> nodes, hubs;
  for (const Job* other : ctx.jobs.RunningByName(term.job)) {
    for (const auto& gp : other->placement) {
      for (const auto& grant : gp.grants) {
        const Gpu& gpu = ctx.topo.gpu(grant.gpu);
        nodes.insert(gpu.node.value);
        hubs.insert(gpu.hub.value);
      }
    }
  }
  if (term.scope == AffinityScope::kNode) return nodes;
  std::set<uint32_t> out;
  for (size_t n = 0; n < ctx.topo.nodes().size(); ++n) {
    if (hubs.count(ctx.topo.nodes()[n].hub.value)) out.insert(static_cast<uint32_t>(n));
  }
  return out;
}

class AffinityFilter final : public FilterPlugin {
 public:
  std::string_view Name() const override { return "affinity"; }
  std::optional<NoFit> Filter(const SchedContext& ctx, const Job& job, const TaskGroupSpec&,
                              PlacementRequest* req) const override {
    std::set<uint32_t> excluded;
    for (NodeIdx n : req->excluded_nodes) excluded.insert(n.value);
    const auto& nodes = ctx.topo.nodes();
    for (const auto& term : job.spec.affinity) {
      if (!term.required) continue;
      if (term.target == AffinityTarget::kLabels) {
        for (const auto& [k, v] : term.labels) req->node_labels[k] = v;
        continue;
      }
      const std::set<uint32_t> with = NodesOf(ctx, term);
      if (with.empty()) {
        return NoFit{"affinity", "needs to run beside job '" + term.job + "', which is not running",
                     false};
      }
      for (size_t n = 0; n < nodes.size(); ++n) {
        if (!with.count(static_cast<uint32_t>(n))) excluded.insert(static_cast<uint32_t>(n));
      }
    }
    for (const auto& term : job.spec.anti_affinity) {
      if (!term.required) continue;
      if (term.target == AffinityTarget::kLabels) {
        for (size_t n = 0; n < nodes.size(); ++n) {
          if (HasLabels(nodes[n], term.labels)) excluded.insert(static_cast<uint32_t>(n));
        }
      } else {
        for (uint32_t n : NodesOf(ctx, term)) excluded.insert(n);
      }
    }
    req->excluded_nodes.clear();
    for (uint32_t n : excluded) req->excluded_nodes.push_back(NodeIdx(n));
    return std::nullopt;
  }
};

class AffinityScore final : public ScorePlugin {
 public:
  std::string_view Name() const override { return "affinity"; }
  double Score(const SchedContext& ctx, const Job& job, const TaskGroupSpec&,
               const Plan& plan) const override {
    int terms = 0;
    double met = 0;
    auto fraction = [&](const AffinityTerm& term, bool anti) {
      std::set<uint32_t> with;
      if (term.target == AffinityTarget::kJob) with = NodesOf(ctx, term);
      int on = 0;
      for (const auto& g : plan.grants) {
        const NodeIdx n = ctx.topo.gpu(g.gpu).node;
        const bool hit = term.target == AffinityTarget::kLabels ? HasLabels(ctx.topo.node(n), term.labels)
                                                                : with.count(n.value) > 0;
        on += hit ? 1 : 0;
      }
      const double f = plan.grants.empty() ? 0.0 : static_cast<double>(on) / plan.grants.size();
      return anti ? 1.0 - f : f;
    };
    for (const auto& t : job.spec.affinity) {
      if (!t.required) ++terms, met += fraction(t, false);
    }
    for (const auto& t : job.spec.anti_affinity) {
      if (!t.required) ++terms, met += fraction(t, true);
    }
    return terms == 0 ? 1.0 : met / terms;
  }
};

}  // namespace

std::unique_ptr<FilterPlugin> MakeAffinityFilter() { return std::make_unique<AffinityFilter>(); }
std::unique_ptr<ScorePlugin> MakeAffinityScore() { return std::make_unique<AffinityScore>(); }

}  // namespace harch
