// Preemption: a blocked job of a higher priority class may evict preemptible jobs of lower
// classes; a tenant below its guarantee may reclaim GPUs that other tenants borrowed. The
// victims are the cheapest set that lets the job fit, found on a copy of the topology, and are
// requeued, never lost.
#include <algorithm>

#include "sched/scheduler.h"

namespace harch {

bool Scheduler::TryPreempt(Job& job) {
  std::vector<Job*> candidates;
  for (JobId id : running_) {
    Job& v = jobs_.at(id);
    if (!v.spec.preemptible) continue;
    bool eligible = v.spec.priority < job.spec.priority;
    if (!eligible && v.spec.tenant != job.spec.tenant && v.spec.priority <= job.spec.priority) {
      for (const auto& [family, milli] : Usage(v.placement)) {
        eligible |= tenants_.BelowGuarantee(job.spec.tenant, family) &&
                    tenants_.Borrowed(v.spec.tenant, family) > 0;
      }
    }
    if (eligible) candidates.push_back(&v);
  }
  if (candidates.empty()) return false;
  // Cheapest first: lowest priority, fewest GPUs, most recently started (least work lost).
  std::stable_sort(candidates.begin(), candidates.end(), [](const Job* a, const Job* b) {
    if (a->spec.priority != b->spec.priority) return a->spec.priority < b->spec.priority;
    if (a->AllocatedMilli() != b->AllocatedMilli()) return a->AllocatedMilli() < b->AllocatedMilli();
    if (a->started != b->started) return a->started > b->started;
    return a->id < b->id;
  });

  Topology copy = *topo_;
  auto take_out = [&](Job* v) {
    Unreserve(copy, v->placement);
    tenants_.Remove(v->spec.tenant, Usage(v->placement));
  };
  auto fits = [&] {
    Attempt a = TryPlace(copy, job, {});
    if (a.placed) Unreserve(copy, a.groups);
    return a.placed;
  };
  std::vector<Job*> victims;
  bool placed = false;
  for (Job* v : candidates) {
    take_out(v);
    victims.push_back(v);
    if ((placed = fits())) break;
  }
  // Drop victims that turn out not to be needed, most expensive first. A victim put back gets
  // new allocation ids on the copy; the real ones are untouched.
  std::vector<Job*> needed;
  if (placed) {
    for (auto it = victims.rbegin(); it != victims.rend(); ++it) {
      Job* v = *it;
      std::vector<AllocationId> back;
      for (const auto& gp : v->placement) {
        const Allocation* real = topo_->FindAllocation(gp.allocation);
        auto id = copy.Allocate("trial", gp.grants, real && real->exclusive_nodes);
        HARCH_CHECK(id.ok());
        back.push_back(*id);
      }
      tenants_.Add(v->spec.tenant, Usage(v->placement));
      if (fits()) continue;  // not needed: it stays
      for (AllocationId id : back) HARCH_CHECK(copy.Release(id).ok());
      tenants_.Remove(v->spec.tenant, Usage(v->placement));
      needed.push_back(v);
    }
  }
  // Restore the accounting of every victim still taken out; Evict removes it for real.
  for (Job* v : placed ? needed : victims) tenants_.Add(v->spec.tenant, Usage(v->placement));
  if (!placed) return false;

  for (Job* v : needed) {
    Evict(*v, "Preempted",
          "preempted by job " + std::to_string(job.id.value) + " (" + job.spec.priority_class +
              ", priority " + std::to_string(job.spec.priority) + ")");
  }
  Attempt a = TryPlace(*topo_, job, {});
  if (!a.placed) return false;  // cannot happen with a deterministic planner; victims requeued
  Bind(job, std::move(a.groups));
  return true;
}

}  // namespace harch
