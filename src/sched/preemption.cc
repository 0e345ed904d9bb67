// Preemption: a blocked job of a higher priority class may evict preemptible jobs of lower
// classes; a tenant below its guarantee may reclaim GPUs that other tenants borrowed. The
// victims are the cheapest set that lets the job fit, found on a copy of the topology, and are
// requeued, never lost.
#include <algorithm>
#include <set>

#include "sched/scheduler.h"

namespace harch {

bool Scheduler::TryPreempt(Job& job) {
  // Jobs this one must run beside are never victims: evicting them would block it.
  std::set<std::string> partners;
  for (const auto& term : job.spec.affinity) {
    if (term.required && term.target == AffinityTarget::kJob) partners.insert(term.job);
  }
  std::vector<Job*> candidates;
  for (JobId id : running_) {
    Job& v = jobs_.at(id);
    if (!v.spec.preemptible || partners.count(v.spec.name)) continue;
    bool eligible = v.spec.priority < job.spec.priority;
    // Reclaim: only while the preemptor stays within its own guarantee once placed, so two
    // tenants cannot take the same GPUs back from each other forever.
    if (!eligible && tenants_.HasQuotas() && v.spec.tenant != job.spec.tenant &&
        v.spec.priority <= job.spec.priority) {
      for (const auto& [family, milli] : Usage(v.placement)) {
        eligible |= tenants_.WithinGuarantee(job.spec.tenant, family, job.spec.TotalGpuMilli()) &&
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

  // Trials run in place on the live topology; every trial puts its victims back.
  auto fits_without = [&](const std::vector<Job*>& victims) {
    Trial trial(*this);
    for (Job* v : victims) trial.TakeOut(*v, v->placement);
    Attempt a = TryPlace(*topo_, job, {}, /*quick=*/true);
    if (a.placed) Unreserve(*topo_, a.groups);
    return a.placed;
  };
  // Grow the victim set in order of cost until the job fits (binary search on the prefix: more
  // victims only free more), then drop victims that turn out not to be needed, most expensive
  // first.
  if (!fits_without(candidates)) return false;
  size_t lo = 1, hi = candidates.size();
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (fits_without({candidates.begin(), candidates.begin() + static_cast<long>(mid)})) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  std::vector<Job*> needed(candidates.begin(), candidates.begin() + static_cast<long>(hi));
  // At most kMaxDropTrials trials, on the most expensive victims, where dropping one saves most.
  constexpr size_t kMaxDropTrials = 16;
  const size_t stop = needed.size() > kMaxDropTrials ? needed.size() - kMaxDropTrials : 0;
  for (size_t i = needed.size(); i-- > stop;) {
    std::vector<Job*> without = needed;
    without.erase(without.begin() + static_cast<long>(i));
    if (fits_without(without)) needed = std::move(without);
  }

  for (Job* v : needed) {
    Evict(*v, "Preempted",
          "preempted by job " + std::to_string(job.id.value) + " (" + job.spec.priority_class +
              ", priority " + std::to_string(job.spec.priority) + ")");
  }
  // The same (quick) placement as the trials, so that what was tested is what starts.
  Attempt a = TryPlace(*topo_, job, {}, /*quick=*/true);
  if (!a.placed) {  // the trials ran on the same state, so this is a bug; the victims are requeued
    SetPending(job, a.why);
    return false;
  }
  Bind(job, std::move(a.groups));
  return true;
}

}  // namespace harch
