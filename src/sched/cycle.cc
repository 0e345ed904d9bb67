// The scheduling cycle: queue order, the batch step, the placement pass with EASY backfill.
#include <algorithm>
#include <cmath>
#include <limits>

#include "sched/plugins/plugins.h"
#include "sched/scheduler.h"

namespace harch {
namespace {

bool CapacityLike(const NoFit& why) {
  return !why.permanent && (why.constraint == "capacity" || why.constraint == "nvlink" ||
                            why.constraint == "hub" || why.constraint == "health");
}

int64_t Milli(const std::vector<GroupPlacement>& groups) {
  int64_t total = 0;
  for (const auto& gp : groups) {
    for (const auto& g : gp.grants) total += g.mig_shape >= 0 ? kWholeGpu.value : g.milli.value;
  }
  return total;
}

}  // namespace

// Jobs with the same shape ask for the same thing: within one pass capacity only shrinks, so
// once one of them is blocked, the others are too.
std::string Scheduler::Shape(const Job& job) {
  if (!job.spec.affinity.empty() || !job.spec.anti_affinity.empty()) return "";  // job-specific
  // A flexible job may wait for its own cleanest hour (the carbon filter): job-specific too.
  if (CarbonLatestStart(job)) return "";
  std::string sig = job.spec.tenant + "|";
  for (const auto& d : job.spec.data) {
    for (const auto& c : d.jurisdiction) sig += c + ",";
    sig += ";";
  }
  for (const auto& g : job.spec.task_groups) {
    sig += "|" + std::to_string(g.replicas) + "x" + std::to_string(g.gpus_per_replica) + "/" +
           std::to_string(g.gpu_share.value) + "/" + g.mig_profile + "/" +
           std::to_string(g.gpu.min_memory.value) + "/" + std::to_string(g.gpu.min_compute_capability) +
           "/" + std::to_string(static_cast<int>(g.gpu.nvlink)) + std::to_string(g.gpu.exclusive_node) +
           "/" + std::to_string(g.cpu_per_replica.value) + "/" + std::to_string(g.memory_per_replica.value);
    for (const auto& m : g.gpu.models) sig += "," + m;
  }
  return sig;
}

std::vector<JobId> Scheduler::QueueOrder() const {
  const SchedContext ctx = Context(*topo_);
  std::vector<std::pair<SortKey, JobId>> keyed;
  keyed.reserve(pending_.size());
  for (JobId id : pending_) keyed.emplace_back(profile_.sort->Key(ctx, jobs_.at(id)), id);
  std::sort(keyed.begin(), keyed.end());
  std::vector<JobId> order;
  order.reserve(keyed.size());
  for (const auto& [key, id] : keyed) order.push_back(id);
  return order;
}

// The queue order first, then reorderings inside bands of similar aged priority (so no job
// overtakes one of a clearly higher priority): largest first (fewer holes), smallest first
// (more jobs), and seeded shuffles.
std::vector<std::vector<JobId>> Scheduler::AlternativeOrders(const std::vector<JobId>& order) {
  std::vector<std::vector<JobId>> out{order};
  const size_t window = std::min(order.size(), static_cast<size_t>(std::max(1, config_.batch_window)));
  const Time now = clock_->Now();
  std::vector<std::pair<size_t, size_t>> bands;  // [begin, end) in order
  auto band_of = [&](JobId id) {
    return std::floor(AgedPriority(jobs_.at(id), now, std::chrono::hours(1)) / 50.0);
  };
  for (size_t i = 0; i < window;) {
    size_t j = i + 1;
    while (j < window && band_of(order[j]) == band_of(order[i])) ++j;
    bands.emplace_back(i, j);
    i = j;
  }
  auto reorder = [&](auto&& arrange) {
    std::vector<JobId> alt = order;
    for (auto [b, e] : bands) arrange(alt.begin() + static_cast<long>(b), alt.begin() + static_cast<long>(e));
    if (std::find(out.begin(), out.end(), alt) == out.end()) out.push_back(std::move(alt));
  };
  auto size_of = [&](JobId id) { return jobs_.at(id).spec.TotalGpuMilli(); };
  reorder([&](auto b, auto e) {
    std::stable_sort(b, e, [&](JobId x, JobId y) { return size_of(x) > size_of(y); });
  });
  reorder([&](auto b, auto e) {
    std::stable_sort(b, e, [&](JobId x, JobId y) { return size_of(x) < size_of(y); });
  });
  for (int k = 2; k < config_.batch_alternatives; ++k) {
    reorder([&](auto b, auto e) {
      for (auto n = e - b; n > 1; --n) std::iter_swap(b + (n - 1), b + rng_->Uniform(0, n - 1));
    });
  }
  return out;
}

CycleStats Scheduler::Schedule() {
  CycleStats stats;
  const Time now = clock_->Now();
  tenants_.Advance(now);
  PauseForCarbon();
  std::vector<JobId> order = QueueOrder();
  cycle_reservation_.reset();
  PassResult result;
  const Time started = budget_clock_->Now();  // the batch step's budget covers all of it
  std::map<JobId, NoFit> known_blocked;
  if (profile_.batch && order.size() > 1 && Viable(order, &known_blocked).size() > 1) {
    const std::vector<std::vector<JobId>> orders = AlternativeOrders(order);
    std::optional<PassResult> best;
    size_t best_index = 0;
    int64_t work = config_.batch_work_budget;
    for (size_t i = 0; i < orders.size(); ++i) {
      // The queue order always runs to the end; the alternatives only within the budgets.
      PassResult r = i == 0 ? RunPass(orders[i], /*commit=*/false, known_blocked)
                            : RunPass(orders[i], /*commit=*/false, known_blocked,
                                      started + config_.batch_budget, &work);
      if (r.aborted) break;
      ++stats.orders_tried;
      if (i == 0) stats.greedy_objective = r.objective;
      // Strictly better objective, or equal with less fragmentation; ties keep the queue order.
      if (!best || r.objective > best->objective + 1e-9 ||
          (r.objective > best->objective - 1e-9 && r.stranded < best->stranded)) {
        best = std::move(r);
        best_index = i;
      }
    }
    order = orders[best_index];
    result = std::move(*best);
    ApplyPass(result);
  } else {
    result = RunPass(order, /*commit=*/true, known_blocked);
    stats.greedy_objective = result.objective;
  }
  stats.placed = static_cast<int>(result.placed.size());
  stats.objective = result.objective;

  if (profile_.preemption) {
    int tries = 0;
    std::set<std::pair<std::string, int>> failed;  // (shape, priority) that could not preempt
    for (JobId id : order) {
      if (tries >= config_.max_preemptions_per_cycle) break;
      auto blocked = result.blocked.find(id);
      if (blocked == result.blocked.end() || !CapacityLike(blocked->second)) continue;
      Job& job = jobs_.at(id);
      if (job.state != JobState::kPending || job.preempt_failed_at == releases_) continue;
      const auto key = std::make_pair(job.shape, job.spec.priority);
      if (!job.shape.empty() && failed.count(key)) continue;
      ++tries;
      const size_t before = events_.size();
      if (!TryPreempt(job)) {
        failed.insert(key);
      } else {
        ++stats.placed;
        for (size_t e = before; e < events_.size(); ++e) stats.preemptions += events_[e].type == "Preempted";
      }
    }
  }
  stats.pending = static_cast<int>(pending_.size());
  return stats;
}

std::vector<JobId> Scheduler::Viable(const std::vector<JobId>& order,
                                      std::map<JobId, NoFit>* blocked) const {
  std::vector<JobId> viable;
  std::map<std::string, std::optional<NoFit>> by_shape;  // nullopt: fits
  for (JobId id : order) {
    const Job& job = jobs_.at(id);
    const std::string& sig = job.shape;
    auto known = by_shape.find(sig);
    std::optional<NoFit> why;
    if (!sig.empty() && known != by_shape.end()) {
      why = known->second;
    } else {
      // Not quick: the reason must be the one the pass itself would find.
      Attempt a = TryPlace(*topo_, job, {});
      if (a.placed) {
        Unreserve(*topo_, a.groups);
      } else {
        why = a.why;
      }
      if (!sig.empty()) by_shape[sig] = why;
    }
    if (!why) {
      viable.push_back(id);
    } else if (!sig.empty()) {
      blocked->emplace(id, *why);
    }
  }
  return viable;
}

void Scheduler::ApplyPass(const PassResult& pass) {
  for (const auto& [id, groups] : pass.placed) {
    std::vector<GroupPlacement> committed = groups;
    for (auto& gp : committed) {
      auto alloc = topo_->Allocate("job/" + std::to_string(id.value) + "/" + gp.group, gp.grants,
                                   gp.exclusive, gp.node_shares);
      HARCH_CHECK(alloc.ok());  // the same grants on the same state as the dry run
      gp.allocation = *alloc;
    }
    Bind(jobs_.at(id), std::move(committed));
  }
  if (pass.reservation) {
    Job& head = jobs_.at(pass.reservation->job);
    if (head.reserved_start != pass.reservation->start) {
      head.reserved_start = pass.reservation->start;
      Emit(head, "Reserved", ReservationText(*pass.reservation));
    }
  }
  for (const auto& [id, why] : pass.blocked) SetPending(jobs_.at(id), why);
}

std::string Scheduler::ReservationText(const Reservation& r) const {
  return "head of line: " + std::to_string(r.gpus.size()) + " GPUs reserved from " +
         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(r.start - clock_->Now()).count()) +
         " s from now";
}

Scheduler::PassResult Scheduler::RunPass(const std::vector<JobId>& order, bool commit,
                                         const std::map<JobId, NoFit>& known_blocked,
                                         std::optional<Time> deadline, int64_t* work) {
  PassResult r;
  std::vector<std::pair<JobId, std::vector<GroupPlacement>>> made;  // dry run: to roll back
  std::map<std::string, NoFit> blocked_shapes;
  std::optional<JobId> fifo_head;
  const Time now = clock_->Now();
  for (size_t n = 0; n < order.size(); ++n) {
    const JobId id = order[n];
    Job& job = jobs_.at(id);
    if ((deadline && n % 8 == 0 && budget_clock_->Now() > *deadline) || (work && *work <= 0)) {
      r.aborted = true;
      break;
    }
    if (fifo_head) {
      r.blocked[id] = NoFit{"queue",
                            "waiting behind job " + std::to_string(fifo_head->value) +
                                " (first come, first served)",
                            false};
      continue;
    }
    const std::string& sig = job.shape;
    if (auto cached = blocked_shapes.find(sig); !sig.empty() && cached != blocked_shapes.end()) {
      r.blocked[id] = cached->second;
      continue;
    }
    Attempt a;
    if (auto known = known_blocked.find(id); known != known_blocked.end()) {
      a.why = known->second;  // capacity only shrinks within a pass: it still does not fit
    } else {
      if (work) --*work;
      a = TryPlace(*topo_, job, {});
    }
    if (a.placed && r.reservation) {
      // EASY backfill: start now only if it ends before the reservation or avoids its GPUs.
      const Reservation& res = *r.reservation;
      const bool ends_in_time =
          job.spec.expected_duration && now + *job.spec.expected_duration <= res.start;
      bool overlaps = false;
      for (const auto& gp : a.groups) {
        for (const auto& g : gp.grants) overlaps |= res.gpus.count(g.gpu.value) > 0;
      }
      if (!ends_in_time && overlaps) {
        Unreserve(*topo_, a.groups);
        a = TryPlace(*topo_, job, res.nodes);
        if (!a.placed) {
          a.why = NoFit{"backfill",
                        "would delay job " + std::to_string(res.job.value) +
                            ", which holds a reservation to start in " +
                            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(res.start - now).count()) +
                            " s",
                        false};
        }
      }
    }
    if (a.placed) {
      r.objective += Weight(job.spec) * static_cast<double>(Milli(a.groups)) / 1000.0;
      for (const auto& gp : a.groups) r.stranded += gp.cost.stranded_delta;
      r.placed.emplace_back(id, a.groups);
      if (commit) {
        Bind(job, std::move(a.groups));
      } else {
        tenants_.Add(job.spec.tenant, Usage(a.groups));
        made.emplace_back(id, std::move(a.groups));
      }
      continue;
    }
    r.blocked[id] = a.why;
    if (!sig.empty() && !a.why.permanent && a.why.constraint != "backfill") blocked_shapes[sig] = a.why;
    if (!profile_.backfill && !profile_.skip_blocked) {
      fifo_head = id;
    } else if (profile_.backfill && !r.reservation && CapacityLike(a.why)) {
      // Nothing placed yet in this pass: the state is the cycle's own, so is the reservation.
      const bool initial_state = r.placed.empty();
      if (initial_state && cycle_reservation_ && cycle_reservation_->first == id) {
        r.reservation = cycle_reservation_->second;
      } else {
        r.reservation = Reserve(job, made);
        if (initial_state) cycle_reservation_.emplace(id, r.reservation);
      }
      if (commit && r.reservation && job.reserved_start != r.reservation->start) {
        job.reserved_start = r.reservation->start;
        Emit(job, "Reserved", ReservationText(*r.reservation));
      }
    }
  }
  if (!commit) {
    for (auto it = made.rbegin(); it != made.rend(); ++it) {
      Unreserve(*topo_, it->second);
      tenants_.Remove(jobs_.at(it->first).spec.tenant, Usage(it->second));
    }
  } else {
    for (const auto& [id, why] : r.blocked) SetPending(jobs_.at(id), why);
  }
  return r;
}

// The earliest time the head-of-line job fits, assuming running jobs end when expected: take
// them out in order of expected end (in place, then put back) and find the shortest prefix after
// which the job fits (fitting only gets easier as more is released).
std::optional<Scheduler::Reservation> Scheduler::Reserve(
    const Job& head, const std::vector<std::pair<JobId, std::vector<GroupPlacement>>>& made) {
  const Time now = clock_->Now();
  struct Ending {
    Time end;
    const Job* job;
    const std::vector<GroupPlacement>* groups;
  };
  std::vector<Ending> ends;
  for (JobId id : running_) {
    const Job& job = jobs_.at(id);
    if (job.spec.expected_duration && job.started) {
      ends.push_back({*job.started + *job.spec.expected_duration, &job, &job.placement});
    }
  }
  for (const auto& [id, groups] : made) {
    const Job& job = jobs_.at(id);
    if (job.spec.expected_duration) ends.push_back({now + *job.spec.expected_duration, &job, &groups});
  }
  std::stable_sort(ends.begin(), ends.end(),
                   [](const Ending& a, const Ending& b) { return a.end < b.end; });
  auto fits_after = [&](size_t k, Reservation* out) {
    Trial trial(*this);
    for (size_t i = 0; i < k; ++i) trial.TakeOut(*ends[i].job, *ends[i].groups);
    Attempt a = TryPlace(*topo_, head, {}, /*quick=*/true);
    if (a.placed && out) {
      out->job = head.id;
      out->start = k == 0 ? now : std::max(now, ends[k - 1].end);
      std::set<uint32_t> nodes;
      for (const auto& gp : a.groups) {
        for (const auto& g : gp.grants) {
          out->gpus.insert(g.gpu.value);
          nodes.insert(topo_->gpu(g.gpu).node.value);
        }
      }
      for (uint32_t n : nodes) out->nodes.push_back(NodeIdx(n));
    }
    if (a.placed) Unreserve(*topo_, a.groups);
    return a.placed;
  };
  // The pass just saw it not fit after 0.
  const auto k = SmallestPrefix(ends.size(), [&](size_t n) { return fits_after(n, nullptr); });
  if (!k) return std::nullopt;
  Reservation res;
  HARCH_CHECK(fits_after(*k, &res));
  return res;
}

Scheduler::Trial::~Trial() {
  for (auto it = out_.rbegin(); it != out_.rend(); ++it) {
    HARCH_CHECK(s_.topo_->Reinstate(it->allocation).ok());
    s_.tenants_.Add(it->tenant, it->usage);
  }
}

void Scheduler::Trial::TakeOut(const Job& job, const std::vector<GroupPlacement>& groups) {
  const FamilyMilli usage = s_.Usage(groups);
  s_.tenants_.Remove(job.spec.tenant, usage);
  for (size_t i = 0; i < groups.size(); ++i) {
    const Allocation* a = s_.topo_->FindAllocation(groups[i].allocation);
    HARCH_CHECK(a != nullptr);
    out_.push_back({*a, job.spec.tenant, i == 0 ? usage : FamilyMilli{}});
    HARCH_CHECK(s_.topo_->Release(groups[i].allocation).ok());
  }
}

}  // namespace harch
