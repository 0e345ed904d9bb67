// Preemption: a blocked job of a higher priority class may evict preemptible jobs of lower
// classes; a tenant below its guarantee may reclaim GPUs that other tenants borrowed. The
// victims are a cheap set that lets the job fit: on one node when that is enough (as
// Kubernetes does), across nodes otherwise, found by what-if trials on the live topology, and
// then trimmed of victims it turns out not to need. They are requeued, never lost.
#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "sched/scheduler.h"

namespace harch {

std::vector<Scheduler::NodeVictims> Scheduler::VictimsByNode(
    const Job& job, const std::vector<Job*>& candidates) const {
  struct Freed {
    std::map<uint32_t, int64_t> gpu_milli;
    MilliCpu cpu;
    Bytes memory;
  };
  // What evicting `v` frees on node `n`.
  auto add = [&](Freed& f, const Job& v, uint32_t n) {
    for (const auto& gp : v.placement) {
      for (const auto& g : gp.grants) {
        if (topo_->gpu(g.gpu).node.value == n) f.gpu_milli[g.gpu.value] += g.mig_shape >= 0 ? 0 : g.milli.value;
      }
      for (const auto& share : gp.node_shares) {
        if (share.node.value != n) continue;
        f.cpu.value += share.cpu.value;
        f.memory.value += share.memory.value;
      }
    }
  };
  std::map<uint32_t, NodeVictims> by_node;
  for (Job* v : candidates) {  // in cost order, so each node's victims are too
    std::set<uint32_t> nodes;
    for (const auto& gp : v->placement) {
      for (const auto& g : gp.grants) nodes.insert(topo_->gpu(g.gpu).node.value);
    }
    for (uint32_t n : nodes) by_node[n].victims.push_back(v);
  }
  // A necessary condition: with `f` freed, could the node hold one replica of some group (GPUs,
  // CPU and memory)? MIG groups are not checked here.
  auto could_hold = [&](uint32_t n, const Freed& f) {
    const Node& node = topo_->node(NodeIdx(n));
    for (const auto& group : job.spec.task_groups) {
      if (node.cpu.value - (node.used_cpu.value - f.cpu.value) < group.cpu_per_replica.value ||
          node.memory.value - (node.used_memory.value - f.memory.value) < group.memory_per_replica.value) {
        continue;
      }
      if (!group.mig_profile.empty()) return true;
      int idle = 0;
      int64_t most_room = 0;
      for (GpuIdx g : node.gpus) {
        const Gpu& gpu = topo_->gpu(g);
        if (gpu.mig_enabled) continue;
        auto it = f.gpu_milli.find(g.value);
        const int64_t used = gpu.used_milli - (it == f.gpu_milli.end() ? 0 : it->second);
        idle += used == 0;
        most_room = std::max(most_room, kWholeGpu.value - used);
      }
      if (group.gpus_per_replica > 0 ? idle >= group.gpus_per_replica
                                     : most_room >= group.gpu_share.value) {
        return true;
      }
    }
    return false;
  };
  // Each node is judged by its cheapest victims that could make room (the shortest prefix in
  // cost order), not by all of them: a node whose best-effort job is enough beats one whose
  // only victim is of a higher class.
  std::vector<NodeVictims> out;
  for (auto& [n, on] : by_node) {
    Freed f;
    for (size_t k = 0; k < on.victims.size(); ++k) {
      const Job& v = *on.victims[k];
      add(f, v, n);
      on.max_priority = std::max(on.max_priority, v.spec.priority);
      on.milli += v.AllocatedMilli();
      if (could_hold(n, f)) {
        on.could_hold = true;
        on.enough = k + 1;
        break;
      }
    }
    out.push_back(std::move(on));
  }
  std::stable_sort(out.begin(), out.end(), [](const NodeVictims& a, const NodeVictims& b) {
    return std::make_tuple(!a.could_hold, a.max_priority, a.milli) <
           std::make_tuple(!b.could_hold, b.max_priority, b.milli);
  });
  return out;
}

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
  if (candidates.empty()) {
    job.preempt_failed_at = releases_;  // see below
    return false;
  }
  // Cheapest first: lowest priority, fewest GPUs, most recently started (least work lost).
  std::map<const Job*, int64_t> milli;
  for (const Job* v : candidates) milli[v] = v->AllocatedMilli();
  auto cheaper = [&](const Job* a, const Job* b) {
    if (a->spec.priority != b->spec.priority) return a->spec.priority < b->spec.priority;
    if (milli[a] != milli[b]) return milli[a] < milli[b];
    if (a->started != b->started) return a->started > b->started;
    return a->id < b->id;
  };
  std::sort(candidates.begin(), candidates.end(), cheaper);  // each node's victims in this order

  // Trials run in place on the live topology; every trial puts its victims back.
  auto fits_without = [&](const std::vector<Job*>& victims) {
    Trial trial(*this);
    for (Job* v : victims) trial.TakeOut(*v, v->placement);
    Attempt a = TryPlace(*topo_, job, {}, /*quick=*/true);
    if (a.placed) Unreserve(*topo_, a.groups);
    return a.placed;
  };
  // On one node when that is enough, as Kubernetes does: the cheapest nodes that could hold a
  // replica once their candidates are gone, at most kMaxNodeTrials of them.
  constexpr size_t kMaxNodeTrials = 32;
  const std::vector<NodeVictims> nodes = VictimsByNode(job, candidates);
  std::vector<Job*> needed;
  for (size_t i = 0; i < nodes.size() && i < kMaxNodeTrials && nodes[i].could_hold; ++i) {
    const std::vector<Job*> cheapest(nodes[i].victims.begin(), nodes[i].victims.begin() + static_cast<long>(nodes[i].enough));
    if (fits_without(cheapest)) {
      needed = cheapest;
      break;
    }
    if (cheapest.size() < nodes[i].victims.size() && fits_without(nodes[i].victims)) {
      needed = nodes[i].victims;
      break;
    }
  }
  if (needed.empty()) {
    // Across nodes: take whole nodes' candidates in the same order until the job fits (more
    // victims only free more). Only nodes that could hold a replica count: evicting elsewhere
    // makes room for none.
    std::vector<Job*> ordered;
    std::set<const Job*> seen;
    for (const auto& on : nodes) {
      if (!on.could_hold) break;
      for (Job* v : on.victims) {
        if (seen.insert(v).second) ordered.push_back(v);
      }
    }
    const auto k = SmallestPrefix(ordered.size(), [&](size_t n) {
      return fits_without({ordered.begin(), ordered.begin() + static_cast<long>(n)});
    });
    if (!k) {
      // Until something is released it would fail again: evicting every candidate frees the
      // same or less (jobs that started since were either candidates, taking capacity that
      // was free, or not, taking capacity away). Schedule() skips it until then.
      job.preempt_failed_at = releases_;
      return false;
    }
    needed.assign(ordered.begin(), ordered.begin() + static_cast<long>(*k));
    std::sort(needed.begin(), needed.end(), cheaper);
  }
  // Then drop victims that turn out not to be needed, most expensive first.
  // At most kMaxDropTrials trials, on the most expensive victims, where dropping one saves most.
  constexpr size_t kMaxDropTrials = 32;
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
