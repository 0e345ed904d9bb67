// Scheduler: construction, the job lifecycle and events. The cycle is in cycle.cc, placement of
// one job in placer.cc, preemption in preemption.cc.
#include "sched/scheduler.h"

#include <algorithm>

#include "sched/plugins/plugins.h"

namespace harch {

std::string_view JobStateName(JobState s) {
  switch (s) {
    case JobState::kPending: return "pending";
    case JobState::kRunning: return "running";
    case JobState::kSucceeded: return "succeeded";
    case JobState::kFailed: return "failed";
    case JobState::kCancelled: return "cancelled";
  }
  return "?";
}

int64_t Job::AllocatedMilli() const {
  int64_t total = 0;
  for (const auto& gp : placement) {
    for (const auto& g : gp.grants) total += g.mig_shape >= 0 ? kWholeGpu.value : g.milli.value;
  }
  return total;
}

Scheduler::Scheduler(Topology* topo, Profile profile, const QueueConfig& queues,
                     SchedulerConfig config, const Clock* clock, Random* rng,
                     const Clock* budget_clock)
    : topo_(topo),
      profile_(std::move(profile)),
      tenants_(queues),
      config_(config),
      clock_(clock),
      rng_(rng),
      budget_clock_(budget_clock) {
  HARCH_CHECK(topo_ && clock_ && rng_ && budget_clock_ && profile_.sort);
}

double Scheduler::Weight(const JobSpec& spec) {
  const double latency = spec.latency == LatencySensitivity::kHigh     ? 2.0
                         : spec.latency == LatencySensitivity::kMedium ? 1.5
                                                                       : 1.0;
  return (1.0 + spec.priority / 50.0) * latency;
}

SchedContext Scheduler::Context(const Topology& topo) const {
  SchedContext ctx{topo, tenants_, *this, clock_->Now(), carbon_};
  if (carbon_ && carbon_->config().capacity_scaling) {
    ctx.flexible_milli_by_hub.assign(topo.hubs().size(), 0);
    ctx.gpu_milli_by_hub.assign(topo.hubs().size(), 0);
    for (const Gpu& g : topo.gpus()) ctx.gpu_milli_by_hub[g.hub.value] += kWholeGpu.value;
    for (JobId id : running_) {
      const Job& job = jobs_.at(id);
      if (!CarbonLatestStart(job)) continue;
      for (const auto& gp : job.placement) {
        for (const auto& g : gp.grants) {
          ctx.flexible_milli_by_hub[topo.gpu(g.gpu).hub.value] += g.mig_shape >= 0 ? kWholeGpu.value : g.milli.value;
        }
      }
    }
  }
  return ctx;
}

namespace {

// A data object's `location` must be a hub of this fleet, in a country of the object's own
// jurisdiction: data stored outside it is already out of bounds, and no placement can mend that.
Status CheckDataLocations(const Topology& topo, const JobSpec& spec) {
  for (const DataObject& d : spec.data) {
    if (d.location.empty()) continue;
    SourceRef at = d.location_ref;
    if (at.path.empty()) {
      at = d.ref;
      at.path += ".location";
    }
    const auto hub = topo.FindHub(d.location);
    if (!hub) {
      std::string hubs;
      for (const Hub& h : topo.hubs()) hubs += (hubs.empty() ? "" : ", ") + h.id;
      return at.Error("names no hub of the fleet: '" + d.location + "' (hubs: " + hubs + ")");
    }
    const std::string& country = topo.hub(*hub).country;
    if (std::find(d.jurisdiction.begin(), d.jurisdiction.end(), country) == d.jurisdiction.end()) {
      std::string set;
      for (const auto& c : d.jurisdiction) set += (set.empty() ? "" : ", ") + c;
      return at.Error("data object '" + d.name + "' is stored in hub " + d.location + " in " + country +
                      ", outside its own jurisdiction [" + set + "]: the data is already out of bounds");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<JobId> Scheduler::Submit(JobSpec spec) {
  if (spec.task_groups.empty()) return InvalidArgument("a job needs at least one task group");
  HARCH_RETURN_IF_ERROR(CheckDataLocations(*topo_, spec));
  Job job;
  job.id = JobId{next_id_};
  job.spec = std::move(spec);
  job.submitted = job.queued_since = clock_->Now();
  job.shape = Shape(job);
  // Can it ever fit? Each group on its own, against the fleet as configured.
  const SchedContext ctx = Context(*topo_);
  for (const auto& group : job.spec.task_groups) {
    PlacementRequest req;
    std::optional<NoFit> why = BuildRequest(ctx, job, group, &req, /*past_transient=*/true);
    if (!why) {
      auto outcome = FindPlacement(*topo_, req);
      if (!outcome.ok()) return outcome.status().WithContext("task group " + group.name);
      if (!outcome->fits()) why = outcome->no_fit;
    }
    if (why && why->permanent) {
      return FailedPrecondition("job '" + job.spec.name + "' can never fit: task group " +
                                group.name + ": " + why->constraint + ": " + why->reason);
    }
  }
  ++next_id_;
  const JobId id = job.id;
  auto [it, inserted] = jobs_.emplace(id, std::move(job));
  HARCH_CHECK(inserted);
  pending_.insert(id);
  it->second.pending_constraint = "queued";
  it->second.pending_reason = "not yet considered by a scheduling cycle";
  Emit(it->second, "Submitted", "queued for tenant " + it->second.spec.tenant);
  return id;
}

Status Scheduler::Cancel(JobId id) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return NotFound("no job " + std::to_string(id.value));
  Job& job = it->second;
  if (IsFinal(job.state)) return FailedPrecondition("job has already ended");
  if (job.state == JobState::kRunning) {
    Unreserve(*topo_, job.placement);
    tenants_.Remove(job.spec.tenant, Usage(job.placement));
    for (const auto& gp : job.placement) by_allocation_.erase(gp.allocation);
    job.placement.clear();
    running_.erase(id);
    ++releases_;
  }
  pending_.erase(id);
  job.state = JobState::kCancelled;
  job.finished = clock_->Now();
  Emit(job, "Cancelled", "cancelled by request");
  return Status::Ok();
}

Status Scheduler::Finish(JobId id, bool succeeded) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return NotFound("no job " + std::to_string(id.value));
  Job& job = it->second;
  if (job.state != JobState::kRunning) return FailedPrecondition("job is not running");
  tenants_.Advance(clock_->Now());
  Unreserve(*topo_, job.placement);
  tenants_.Remove(job.spec.tenant, Usage(job.placement));
  for (const auto& gp : job.placement) by_allocation_.erase(gp.allocation);
  job.placement.clear();
  running_.erase(id);
  ++releases_;
  job.state = succeeded ? JobState::kSucceeded : JobState::kFailed;
  job.finished = clock_->Now();
  Emit(job, "Finished", succeeded ? "succeeded" : "failed");
  return Status::Ok();
}

std::vector<JobId> Scheduler::NodeDown(NodeIdx node) {
  std::vector<JobId> lost;
  for (AllocationId a : topo_->SetNodeState(node, NodeState::kDown)) {
    auto it = by_allocation_.find(a);
    if (it == by_allocation_.end()) continue;
    const JobId id = it->second;
    if (std::find(lost.begin(), lost.end(), id) == lost.end()) lost.push_back(id);
  }
  for (JobId id : lost) Evict(jobs_.at(id), "Lost", "node " + topo_->node(node).id + " went down");
  return lost;
}

Status Scheduler::NodeUp(NodeIdx node) {
  if (node.value >= topo_->nodes().size()) return NotFound("no node " + std::to_string(node.value));
  (void)topo_->SetNodeState(node, NodeState::kUp);
  ++releases_;
  return Status::Ok();
}

std::vector<JobId> Scheduler::Drain(NodeIdx node) {
  (void)topo_->SetNodeState(node, NodeState::kCordoned);
  std::vector<JobId> drained;
  for (AllocationId a : topo_->node(node).allocations) {
    auto it = by_allocation_.find(a);
    if (it == by_allocation_.end()) continue;
    if (std::find(drained.begin(), drained.end(), it->second) == drained.end()) {
      drained.push_back(it->second);
    }
  }
  for (JobId id : drained) Evict(jobs_.at(id), "Drained", "node " + topo_->node(node).id + " drained");
  return drained;
}

Status Scheduler::Restore(JobId id, JobSpec spec, Time submitted, int attempts,
                          const std::vector<GroupPlacement>* placement, Duration progress) {
  if (jobs_.count(id)) return AlreadyExists("job " + std::to_string(id.value) + " exists");
  if (spec.task_groups.empty()) return InvalidArgument("a job needs at least one task group");
  Job job;
  job.id = id;
  job.spec = std::move(spec);
  job.submitted = submitted;
  job.queued_since = clock_->Now();
  job.shape = Shape(job);
  job.attempts = attempts;
  job.progress = progress;
  if (placement) {
    std::vector<GroupPlacement> groups = *placement;
    for (size_t i = 0; i < groups.size(); ++i) {
      auto& gp = groups[i];
      auto alloc = topo_->Allocate("job/" + std::to_string(id.value) + "/" + gp.group, gp.grants,
                                   gp.exclusive, gp.node_shares);
      if (!alloc.ok()) {
        for (size_t j = 0; j < i; ++j) (void)topo_->Release(groups[j].allocation);
        return alloc.status().WithContext("restoring job " + std::to_string(id.value));
      }
      gp.allocation = *alloc;
    }
    tenants_.Add(job.spec.tenant, Usage(groups));
    for (const auto& gp : groups) by_allocation_[gp.allocation] = id;
    job.placement = std::move(groups);
    job.state = JobState::kRunning;
    job.started = clock_->Now();
    running_.insert(id);
  } else {
    pending_.insert(id);
    job.pending_constraint = "queued";
    job.pending_reason = "restored; not yet considered by a scheduling cycle";
  }
  next_id_ = std::max(next_id_, id.value + 1);
  jobs_.emplace(id, std::move(job));
  return Status::Ok();
}

Status Scheduler::Forget(JobId id) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return NotFound("no job " + std::to_string(id.value));
  if (!IsFinal(it->second.state)) return FailedPrecondition("job has not ended");
  jobs_.erase(it);
  return Status::Ok();
}

std::vector<JobId> Scheduler::GpuFailed(GpuIdx gpu) {
  std::vector<JobId> lost;
  for (AllocationId a : topo_->SetGpuHealth(gpu, Health::kFailed)) {
    auto it = by_allocation_.find(a);
    if (it != by_allocation_.end() && std::find(lost.begin(), lost.end(), it->second) == lost.end()) {
      lost.push_back(it->second);
    }
  }
  for (JobId id : lost) Evict(jobs_.at(id), "Lost", "GPU " + topo_->gpu(gpu).id + " failed");
  return lost;
}

void Scheduler::Bind(Job& job, std::vector<GroupPlacement> groups) {
  tenants_.Add(job.spec.tenant, Usage(groups));
  for (const auto& gp : groups) by_allocation_[gp.allocation] = job.id;
  job.placement = std::move(groups);
  job.state = JobState::kRunning;
  job.started = clock_->Now();
  job.reserved_start.reset();
  job.pending_constraint.clear();
  job.pending_reason.clear();
  ++job.attempts;
  pending_.erase(job.id);
  running_.insert(job.id);
  std::string where;
  for (const auto& gp : job.placement) {
    const Gpu& first = topo_->gpu(gp.grants.front().gpu);
    where += (where.empty() ? "" : "; ") + gp.group + ": " + std::to_string(gp.grants.size()) +
             " x " + topo_->model_of(gp.grants.front().gpu).name + " in " +
             topo_->hub(first.hub).id + " (span " + std::string(LinkClassName(gp.cost.span)) +
             ", score " + std::to_string(gp.total_score).substr(0, 4) + ")";
  }
  Emit(job, "Scheduled", where);
}

void Scheduler::Evict(Job& job, const std::string& type, const std::string& reason) {
  HARCH_CHECK(job.state == JobState::kRunning);
  Unreserve(*topo_, job.placement);
  tenants_.Remove(job.spec.tenant, Usage(job.placement));
  for (const auto& gp : job.placement) by_allocation_.erase(gp.allocation);
  job.placement.clear();
  job.state = JobState::kPending;
  job.queued_since = clock_->Now();
  job.started.reset();
  if (type == "Preempted") ++job.preemptions;
  if (type == "Lost") ++job.losses;
  if (type == "Paused") ++job.pauses;
  running_.erase(job.id);
  ++releases_;
  pending_.insert(job.id);
  // Its reason until the next cycle looks at it again.
  job.pending_constraint = type == "Preempted" ? "preempted"
                           : type == "Drained" ? "drained"
                           : type == "Paused"  ? "carbon"
                                               : "lost";
  job.pending_reason = type == "Paused" ? reason : reason + "; requeued";
  Emit(job, type, job.pending_reason);
}

void Scheduler::SetPending(Job& job, const NoFit& why) {
  job.retry_at = why.retry_at;
  if (job.pending_constraint == why.constraint && job.pending_reason == why.reason) return;
  job.pending_constraint = why.constraint;
  job.pending_reason = why.reason;
  Emit(job, "Pending", why.constraint + ": " + why.reason);
}

void Scheduler::Emit(const Job& job, std::string type, std::string message) {
  events_.push_back({clock_->Now(), job.id, std::move(type), std::move(message)});
}

std::optional<Time> Scheduler::NextWakeup() const {
  std::optional<Time> next;
  for (JobId id : pending_) {
    const auto& at = jobs_.at(id).retry_at;
    if (at && (!next || *at < *next)) next = at;
  }
  if (CarbonShifting()) {
    const SchedContext ctx{*topo_, tenants_, *this, clock_->Now(), carbon_};
    for (JobId id : running_) {
      const auto slots = CarbonSlots(ctx, jobs_.at(id));
      if (!slots) continue;
      // A job to pause is due now (its slot has ended); a running one when its slot ends.
      const std::optional<Time> due = slots->run ? slots->change : ctx.now;
      if (due && (!next || *due < *next)) next = due;
    }
  }
  return next;
}

bool Scheduler::CarbonShifting() const {
  if (!carbon_) return false;
  return std::any_of(profile_.filters.begin(), profile_.filters.end(),
                     [](const auto& f) { return f->Name() == "carbon"; });
}

void Scheduler::PauseForCarbon() {
  if (!CarbonShifting()) return;
  const Time now = clock_->Now();
  const SchedContext ctx{*topo_, tenants_, *this, now, carbon_};
  std::vector<std::pair<JobId, std::string>> pause;
  for (JobId id : running_) {
    const auto slots = CarbonSlots(ctx, jobs_.at(id));
    if (slots && !slots->run) pause.emplace_back(id, slots->reason);
  }
  for (const auto& [id, reason] : pause) {
    Job& job = jobs_.at(id);
    job.progress += now - *job.started;
    Evict(job, "Paused", reason);
  }
}

std::vector<SchedEvent> Scheduler::TakeEvents() { return std::exchange(events_, {}); }

const Job* Scheduler::Find(JobId id) const {
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : &it->second;
}

std::vector<const Job*> Scheduler::JobsIn(JobState state) const {
  std::vector<const Job*> out;
  for (const auto& [id, job] : jobs_) {
    if (job.state == state) out.push_back(&job);
  }
  return out;
}

std::vector<const Job*> Scheduler::RunningByName(const std::string& name) const {
  std::vector<const Job*> out;
  for (JobId id : running_) {
    const Job& job = jobs_.at(id);
    if (job.spec.name == name) out.push_back(&job);
  }
  return out;
}

FamilyMilli Scheduler::Usage(const std::vector<GroupPlacement>& groups) const {
  FamilyMilli usage;
  for (const auto& gp : groups) {
    for (const auto& g : gp.grants) {
      usage[topo_->model_of(g.gpu).family] += g.mig_shape >= 0 ? kWholeGpu.value : g.milli.value;
    }
  }
  return usage;
}

}  // namespace harch
