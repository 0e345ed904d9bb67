// Placing one job: filters -> candidate plans -> scores -> reserve -> permit.
#include <algorithm>
#include <set>

#include "sched/scheduler.h"

namespace harch {

std::optional<NoFit> Scheduler::BuildRequest(const SchedContext& ctx, const Job& job,
                                             const TaskGroupSpec& group, PlacementRequest* req,
                                             bool past_transient) const {
  for (const auto& filter : profile_.filters) {
    auto why = filter->Filter(ctx, job, group, req);
    if (why && (why->permanent || !past_transient)) return why;
  }
  return std::nullopt;
}

// One candidate per (hub, GPU family) that the request allows, so the score plugins choose
// between real alternatives; or the planner's own single best when the profile says so.
std::vector<Plan> Scheduler::Candidates(const Topology& topo, const PlacementRequest& req,
                                        bool split, NoFit* why) const {
  std::vector<Plan> out;
  if (split) {
    std::vector<std::string> families;
    for (const auto& model : topo.catalog().models()) {
      const bool allowed =
          req.models.empty() || std::any_of(req.models.begin(), req.models.end(), [&](const auto& q) {
            return GpuCatalog::Matches(model, q);
          });
      if (allowed && std::find(families.begin(), families.end(), model.family) == families.end()) {
        families.push_back(model.family);
      }
    }
    const auto& present = HubFamilies(topo);
    for (size_t h = 0; h < topo.hubs().size(); ++h) {
      const Hub& hub = topo.hubs()[h];
      if (!req.hub.empty() && req.hub != hub.id) continue;
      if (!req.jurisdiction.empty() &&
          std::find(req.jurisdiction.begin(), req.jurisdiction.end(), hub.country) ==
              req.jurisdiction.end()) {
        continue;
      }
      for (const auto& family : families) {
        if (!present[h].count(family)) continue;
        PlacementRequest r = req;
        r.hub = hub.id;
        r.models = {family};
        auto outcome = FindPlacement(topo, r);
        if (outcome.ok() && outcome->fits()) out.push_back(std::move(*outcome->plan));
      }
    }
    if (!out.empty()) return out;
  }
  auto outcome = FindPlacement(topo, req);
  if (!outcome.ok()) {
    *why = NoFit{"request", outcome.status().message(), true};
  } else if (outcome->fits()) {
    out.push_back(std::move(*outcome->plan));
  } else {
    *why = outcome->no_fit;
  }
  return out;
}

const std::vector<std::set<std::string>>& Scheduler::HubFamilies(const Topology& topo) const {
  const auto shape = std::make_pair(topo.gpus().size(), topo.hubs().size());
  if (shape != hub_families_shape_) {
    hub_families_.assign(topo.hubs().size(), {});
    for (size_t g = 0; g < topo.gpus().size(); ++g) {
      hub_families_[topo.gpus()[g].hub.value].insert(topo.model_of(GpuIdx(g)).family);
    }
    hub_families_shape_ = shape;
  }
  return hub_families_;
}

Scheduler::Attempt Scheduler::TryPlace(Topology& topo, const Job& job,
                                       const std::vector<NodeIdx>& avoid, bool quick) const {
  Attempt attempt;
  const SchedContext ctx = Context(topo);
  std::string hub;  // all groups of a job in one hub
  for (const auto& group : job.spec.task_groups) {
    PlacementRequest req;
    if (auto why = BuildRequest(ctx, job, group, &req)) {
      attempt.why = *why;
      Unreserve(topo, attempt.groups);
      attempt.groups.clear();
      return attempt;
    }
    req.excluded_nodes.insert(req.excluded_nodes.end(), avoid.begin(), avoid.end());
    if (!hub.empty()) req.hub = hub;
    NoFit why;
    std::vector<Plan> plans = Candidates(topo, req, profile_.split_candidates && !quick, &why);
    if (plans.empty()) {
      attempt.why = why;
      Unreserve(topo, attempt.groups);
      attempt.groups.clear();
      return attempt;
    }
    // Score: the weighted sum of the profile's plugins; ties keep the earlier candidate.
    size_t best = 0;
    double best_total = -1;
    std::vector<std::map<std::string, double>> scores(plans.size());
    for (size_t i = 0; i < plans.size(); ++i) {
      double total = 0;
      for (const auto& [plugin, weight] : profile_.scores) {
        const double s = plugin->Score(ctx, job, group, plans[i]);
        scores[i][std::string(plugin->Name())] = s;
        total += weight * s;
      }
      if (total > best_total) {
        best_total = total;
        best = i;
      }
    }
    Plan& plan = plans[best];
    // Sovereignty, checked again on the chosen plan: a violation here is a bug, not an input.
    for (const auto& g : plan.grants) {
      const std::string& country = topo.hub(topo.gpu(g.gpu).hub).country;
      HARCH_CHECK(req.jurisdiction.empty() ||
                  std::find(req.jurisdiction.begin(), req.jurisdiction.end(), country) !=
                      req.jurisdiction.end());
    }
    auto id = topo.Allocate("job/" + std::to_string(job.id.value) + "/" + group.name, plan.grants,
                            req.exclusive_node, plan.node_shares);
    HARCH_CHECK(id.ok());  // the planner only offers free GPUs
    hub = topo.hub(topo.gpu(plan.grants.front().gpu).hub).id;
    attempt.groups.push_back({group.name, *id, std::move(plan.grants), req.exclusive_node,
                              std::move(plan.node_shares), plan.cost, std::move(scores[best]),
                              best_total});
  }
  for (const auto& permit : profile_.permits) {
    if (auto why = permit->Permit(ctx, job, attempt.groups)) {
      attempt.why = *why;
      Unreserve(topo, attempt.groups);
      attempt.groups.clear();
      return attempt;
    }
  }
  attempt.placed = true;
  return attempt;
}

void Scheduler::Unreserve(Topology& topo, const std::vector<GroupPlacement>& groups) const {
  for (const auto& gp : groups) HARCH_CHECK(topo.Release(gp.allocation).ok());
}

}  // namespace harch
