// The scheduler core: jobs and events in, decisions out. It owns the pending queue, tenant
// accounting and the jobs' state, and drives the plugins of a Profile over the Topology.
//
// Deterministic: time comes from the injected clock, randomness from the injected Random; the
// only other input is `budget_clock`, which caps the batch step's wall time (pass a clock that
// does not move to make runs reproducible). The simulator (harch sim) and the control plane
// (harch server) drive this same class.
//
// A cycle (Schedule()):
//   1. orders the pending jobs (QueueSort), with aging;
//   2. batch step: when two or more pending jobs could start, tries several orders of the
//      pending window on the live topology, rolling each back, and commits the one with the best
//      total weighted objective exactly as evaluated; the queue order itself is always among
//      them, so the result is never worse than one-at-a-time greedy;
//   3. places jobs in that order: filters -> candidate plans -> scores -> reserve (every task
//      group or none) -> permit (quota) -> bind; the first job blocked by capacity gets an EASY
//      reservation, and later jobs start only if they end before it or avoid its GPUs;
//   0. pauses interruptible jobs whose clean slot has ended (carbon shifting);
//   4. preemption for blocked jobs of a higher priority class (or tenants reclaiming their
//      guarantee): the cheapest set of preemptible victims, which are requeued, never lost.
// Every pending job carries the blocking constraint and a reason; every placement records the
// scores that decided it.
//
// Thread-safety: none. One owner calls it; it never blocks.
#pragma once

#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/random.h"
#include "resource/topology.h"
#include "sched/framework.h"
#include "sched/job.h"
#include "sched/queues.h"

namespace harch {

struct SchedulerConfig {
  int batch_window = 1000;       // pending jobs the batch step orders together
  int batch_alternatives = 6;    // orders tried besides the queue order
  Duration batch_budget = std::chrono::milliseconds(50);  // on budget_clock
  // Job placements the alternatives may try in one cycle: a budget in work rather than time,
  // so that it holds (and runs reproduce) where budget_clock does not move, as in simulation.
  int64_t batch_work_budget = 4000;
  int max_preemptions_per_cycle = 8;  // jobs that may preempt in one cycle
};

struct SchedEvent {
  Time time;
  JobId job;
  std::string type;  // Submitted, Scheduled, Pending, Reserved, Preempted, Lost, Finished, ...
  std::string message;
};

struct CycleStats {
  int placed = 0;
  int preemptions = 0;   // victims evicted
  int pending = 0;       // after the cycle
  int orders_tried = 0;  // by the batch step
  double objective = 0;  // total weighted objective of the chosen order
  double greedy_objective = 0;
};

class Scheduler final : public JobDirectory {
 public:
  Scheduler(Topology* topo, Profile profile, const QueueConfig& queues, SchedulerConfig config,
            const Clock* clock, Random* rng, const Clock* budget_clock);

  // Queues a job. A job that can never fit on this fleet (jurisdictions that do not intersect,
  // 16 GPUs in one NVLink domain when the largest has 8, a jurisdiction no hub is in) is refused
  // with FailedPrecondition and the reason, not left pending forever.
  Result<JobId> Submit(JobSpec spec);
  Status Cancel(JobId id);
  // The job's processes ended. REQUIRES: running.
  Status Finish(JobId id, bool succeeded);
  // Hardware events: the affected running jobs are lost and requeued. Returns them.
  std::vector<JobId> NodeDown(NodeIdx node);
  std::vector<JobId> GpuFailed(GpuIdx gpu);
  // A node is back (or was added): capacity that blocked jobs may now use.
  Status NodeUp(NodeIdx node);
  // Cordons a node (no new work) and requeues the jobs running there. Returns them.
  std::vector<JobId> Drain(NodeIdx node);

  // --- For a control plane that keeps jobs durably and restarts ---
  // Re-admits a job accepted earlier, under its old id: running on `placement` (its
  // allocations are taken again, as they were) or, without one, pending. Later Submits get
  // ids above every restored one. `progress`: run time it kept across pauses (Job::progress).
  Status Restore(JobId id, JobSpec spec, Time submitted, int attempts,
                 const std::vector<GroupPlacement>* placement, Duration progress = Duration{0});
  // Later Submits get ids >= next.
  void SkipIds(uint64_t next) { next_id_ = std::max(next_id_, next); }
  // Drops an ended job (it is kept durably elsewhere); Restore may bring it back, as a retry.
  Status Forget(JobId id);

  CycleStats Schedule();
  // The earliest time a pending job waits for (a cleaner hour), or a running interruptible job's
  // clean slot ends, for drivers that run cycles on events only (the simulator): a cycle then is
  // due, though nothing else happens.
  std::optional<Time> NextWakeup() const;
  // Carbon data for the carbon plugins; null (the default) turns them off.
  void SetCarbon(const CarbonSignal* carbon) { carbon_ = carbon; }

  const Job* Find(JobId id) const;
  std::vector<const Job*> JobsIn(JobState state) const;
  std::vector<const Job*> RunningByName(const std::string& name) const override;
  size_t pending_count() const { return pending_.size(); }
  size_t running_count() const { return running_.size(); }
  std::vector<SchedEvent> TakeEvents();
  const TenantTree& tenants() const { return tenants_; }
  const Profile& profile() const { return profile_; }
  const Topology& topology() const { return *topo_; }

  // The weight of a job in the objective: priority class and latency sensitivity.
  static double Weight(const JobSpec& spec);
  // Job::shape; empty for jobs with (anti-)affinity, whose fit depends on other jobs.
  static std::string Shape(const Job& job);

 private:
  struct Attempt {
    bool placed = false;
    std::vector<GroupPlacement> groups;
    NoFit why;
  };
  struct Reservation {
    JobId job;
    Time start;
    std::set<uint32_t> gpus;
    std::vector<NodeIdx> nodes;
  };
  struct PassResult {
    std::vector<std::pair<JobId, std::vector<GroupPlacement>>> placed;
    std::map<JobId, NoFit> blocked;
    std::optional<Reservation> reservation;
    double objective = 0;
    int stranded = 0;
    bool aborted = false;  // a dry run that ran out of budget: rolled back, not to be used
  };

  // A what-if on the live topology: jobs taken out for the trial are put back (same allocation
  // ids, same tenant usage) when it ends.
  class Trial {
   public:
    explicit Trial(Scheduler& s) : s_(s) {}
    ~Trial();
    Trial(const Trial&) = delete;
    Trial& operator=(const Trial&) = delete;
    void TakeOut(const Job& job, const std::vector<GroupPlacement>& groups);

   private:
    struct Out {
      Allocation allocation;
      std::string tenant;
      FamilyMilli usage;
    };
    Scheduler& s_;
    std::vector<Out> out_;
  };

  SchedContext Context(const Topology& topo) const;
  // Filters, candidates, scores, reserve and permit on `topo`; on success the groups stay
  // allocated there. `avoid` are nodes the plans must not use (a backfill reservation).
  // `quick`: one candidate plan per group (the planner's own best) instead of one per hub and
  // family for the scores to compare: for what-if trials, where only "does it fit" matters.
  Attempt TryPlace(Topology& topo, const Job& job, const std::vector<NodeIdx>& avoid,
                   bool quick = false) const;
  // Runs the filters. With `past_transient`, a filter's refusal that may pass later (an
  // affinity partner not running yet) does not stop the others: what Submit needs to tell
  // "never" from "not now".
  std::optional<NoFit> BuildRequest(const SchedContext& ctx, const Job& job,
                                    const TaskGroupSpec& group, PlacementRequest* req,
                                    bool past_transient = false) const;
  std::vector<Plan> Candidates(const Topology& topo, const PlacementRequest& req, bool split,
                               NoFit* why) const;
  void Unreserve(Topology& topo, const std::vector<GroupPlacement>& groups) const;
  // GPU families present in each hub; recomputed only when the fleet's shape changes.
  const std::vector<std::set<std::string>>& HubFamilies(const Topology& topo) const;

  // The smallest k in [1, n] with pred(k), for a pred that stays true once it is true;
  // nullopt when pred(n) is false. Gallops (1, 2, 4, ...) and then bisects, so the small,
  // cheap prefixes are tried first: O(log k) calls.
  template <typename Pred>
  static std::optional<size_t> SmallestPrefix(size_t n, Pred&& pred) {
    if (n == 0) return std::nullopt;
    size_t lo = 1, hi = 1;
    while (true) {
      if (hi >= n) {
        hi = n;
        if (!pred(n)) return std::nullopt;
        break;
      }
      if (pred(hi)) break;
      lo = hi + 1;
      hi *= 2;
    }
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      if (pred(mid)) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return hi;
  }

  std::vector<JobId> QueueOrder() const;
  std::vector<std::vector<JobId>> AlternativeOrders(const std::vector<JobId>& order);
  // Places jobs in `order`. A dry run (commit false) rolls everything back at the end; with a
  // deadline on budget_clock, or a work budget (placements tried, counted down in *work), it
  // gives up (aborted) once either is spent.
  // `known_blocked`: jobs already found not to fit on the cycle's initial state (Viable).
  PassResult RunPass(const std::vector<JobId>& order, bool commit,
                     const std::map<JobId, NoFit>& known_blocked,
                     std::optional<Time> deadline = std::nullopt, int64_t* work = nullptr);
  // Commits what a dry-run pass found, on the same (rolled back) state: same grants, same order.
  void ApplyPass(const PassResult& pass);
  std::string ReservationText(const Reservation& r) const;
  // Pending jobs that fit on the current state one at a time (their order cannot matter for
  // the others: nothing can place them later in a cycle, as capacity only shrinks).
  // The others go into *blocked with the reason, when they have a shape: nothing in the cycle
  // can make them fit (a job with affinity may fit once its partner starts, so it has none).
  std::vector<JobId> Viable(const std::vector<JobId>& order, std::map<JobId, NoFit>* blocked) const;
  // The head-of-line job's reservation; `made` are placements of the current dry-run pass.
  std::optional<Reservation> Reserve(
      const Job& head, const std::vector<std::pair<JobId, std::vector<GroupPlacement>>>& made);
  bool TryPreempt(Job& job);
  // Interruptible jobs outside their clean slots (CarbonSlots) are paused: evicted with type
  // "Paused", their run time kept as progress, pending until their next slot.
  void PauseForCarbon();
  bool CarbonShifting() const;  // carbon data and a profile with the carbon filter
  struct NodeVictims {
    bool could_hold = false;  // a replica might fit there once victims[0, enough) are gone
    size_t enough = 0;
    int max_priority = std::numeric_limits<int>::min();  // of victims[0, enough)
    int64_t milli = 0;                                   // of victims[0, enough)
    std::vector<Job*> victims;  // in cost order
  };
  // Preemption candidates grouped by node: nodes that could hold a replica first, then by the
  // highest priority and the GPUs of the cheapest victims that could make room there.
  std::vector<NodeVictims> VictimsByNode(const Job& job, const std::vector<Job*>& candidates) const;

  void Bind(Job& job, std::vector<GroupPlacement> groups);
  void Evict(Job& job, const std::string& type, const std::string& reason);
  void SetPending(Job& job, const NoFit& why);
  void Emit(const Job& job, std::string type, std::string message);
  FamilyMilli Usage(const std::vector<GroupPlacement>& groups) const;

  Topology* topo_;
  const CarbonSignal* carbon_ = nullptr;
  Profile profile_;
  TenantTree tenants_;
  SchedulerConfig config_;
  const Clock* clock_;
  Random* rng_;
  const Clock* budget_clock_;
  std::map<JobId, Job> jobs_;
  std::set<JobId> pending_;
  std::set<JobId> running_;
  std::unordered_map<AllocationId, JobId> by_allocation_;
  std::vector<SchedEvent> events_;
  uint64_t next_id_ = 1;
  uint64_t releases_ = 0;  // GPUs given back: jobs ended or evicted, nodes up
  // The reservation of a head-of-line job computed on the cycle's initial state, for the batch
  // step's other passes.
  std::optional<std::pair<JobId, std::optional<Reservation>>> cycle_reservation_;
  mutable std::vector<std::set<std::string>> hub_families_;
  mutable std::pair<size_t, size_t> hub_families_shape_{SIZE_MAX, SIZE_MAX};
};

}  // namespace harch
