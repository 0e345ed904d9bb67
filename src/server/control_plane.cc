// ControlPlane: opening and recovery, the loop, and the job API. Nodes and heartbeats are in
// nodes.cc, fleet and queue reads in fleet_api.cc.
#include "server/control_plane.h"

#include <algorithm>
#include <iostream>

#include "base/files.h"
#include "sched/framework.h"
#include "server/footprint.h"

namespace harch {

namespace {
constexpr size_t kMaxSpecBytes = 1 << 20;
constexpr Duration kMaxBackoff = std::chrono::minutes(5);

int64_t Micros(Time t) { return t.time_since_epoch().count(); }

std::string Seconds(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + "s";
}

// A job run by agents needs a command in every task group.
Status CheckRunnable(const JobSpec& spec) {
  for (size_t i = 0; i < spec.task_groups.size(); ++i) {
    if (spec.task_groups[i].command.empty()) {
      return InvalidArgument("spec: spec.taskGroups[" + std::to_string(i) +
                             "].command: required when the job runs on a server");
    }
  }
  return Status::Ok();
}
}  // namespace

ControlPlane::ControlPlane(ControlPlaneOptions options, Topology topo, std::unique_ptr<Store> store)
    : options_(std::move(options)),
      clock_(SystemClock::Get()),
      store_(std::move(store)),
      topo_(std::move(topo)) {}

Result<std::unique_ptr<ControlPlane>> ControlPlane::Open(ControlPlaneOptions options) {
  HARCH_ASSIGN_OR_RETURN(Topology topo, LoadTopologyFile(options.fleet_path));
  QueueConfig queues;
  if (!options.queues_path.empty()) {
    HARCH_ASSIGN_OR_RETURN(queues, LoadQueueConfigFile(options.queues_path));
  }
  HARCH_ASSIGN_OR_RETURN(Profile profile, PluginRegistry::Default().MakeProfile(options.profile));
  std::unique_ptr<CarbonSignal> carbon;
  if (!options.carbon_path.empty()) {
    HARCH_ASSIGN_OR_RETURN(CarbonSignal signal, CarbonSignal::Load(options.carbon_path));
    carbon = std::make_unique<CarbonSignal>(std::move(signal));
  }
  HARCH_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(options.data_dir));
  std::unique_ptr<ControlPlane> cp(new ControlPlane(std::move(options), std::move(topo), std::move(store)));
  cp->carbon_ = std::move(carbon);
  cp->sched_ = std::make_unique<Scheduler>(&cp->topo_, std::move(profile), queues, SchedulerConfig{},
                                           &cp->clock_, &cp->rng_, &cp->clock_);
  if (cp->carbon_) cp->sched_->SetCarbon(cp->carbon_.get());
  HARCH_RETURN_IF_ERROR(cp->Recover());
  cp->loop_ = std::thread([p = cp.get()] { p->Loop(); });
  return cp;
}

ControlPlane::~ControlPlane() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  changed_.notify_all();
  if (loop_.joinable()) loop_.join();
}

Status ControlPlane::Recover() {
  std::lock_guard lk(mu_);
  const Time now = clock_.Now();
  HARCH_ASSIGN_OR_RETURN(auto stored_nodes, store_->Nodes());
  for (const auto& n : stored_nodes) {
    const auto doc = nlohmann::json::parse(n.doc, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return Internal("node " + n.name + ": bad document");
    NodeInfo info;
    info.registered = doc.value("registered", false);
    info.simulated = doc.value("simulated", false);
    info.cordoned = doc.value("cordoned", false);
    info.address = doc.value("address", "");
    info.last_heartbeat = now;  // its agent gets a full timeout to come back
    nodes_[n.name] = info;
  }
  // Nodes come up when their agents register; registered ones keep their state.
  for (size_t i = 0; i < topo_.nodes().size(); ++i) {
    const NodeIdx idx{static_cast<uint32_t>(i)};
    NodeInfo& info = nodes_[topo_.node(idx).id];
    if (!info.registered) {
      (void)topo_.SetNodeState(idx, NodeState::kDown);
    } else if (info.cordoned) {
      (void)topo_.SetNodeState(idx, NodeState::kCordoned);
    }
  }

  HARCH_ASSIGN_OR_RETURN(auto stored_jobs, store_->Jobs());
  WriteBatch batch;
  uint64_t max_id = 0;
  for (const auto& sj : stored_jobs) {
    HARCH_ASSIGN_OR_RETURN(JobRecord rec, RecordFromJson(sj.doc, topo_));
    auto spec = ParseJobSpec(rec.spec_text, "spec");
    if (!spec.ok()) return spec.status().WithContext("recovering job " + std::to_string(rec.id));
    max_id = std::max(max_id, rec.id);
    Entry& e = jobs_[rec.id];
    e.rec = std::move(rec);
    e.spec = *spec;
    e.rec.version = 1;
    if (!e.rec.request_id.empty()) by_request_[e.rec.request_id] = e.rec.id;
    if (IsFinal(e.rec.phase)) continue;
    const JobId id{e.rec.id};
    if (HoldsGpus(e.rec.phase)) {
      Status st = sched_->Restore(id, e.spec, e.rec.created, e.rec.attempt, &e.rec.placement,
                                     e.rec.progress);
      if (st.ok()) {
        e.rec.placement = sched_->Find(id)->placement;  // the new allocation ids
        active_.insert(e.rec.id);
        continue;
      }
      // Its GPUs are no longer there as they were (the fleet spec changed): run it again.
      e.rec.phase = Phase::kPending;
      e.rec.reason = "placement could not be restored: " + st.message() + "; requeued";
      e.rec.placement.clear();
      e.rec.tasks.clear();
      Event(e, now, "Lost", e.rec.reason, &batch);
      Touch(e, now, &batch);
    }
    if (e.rec.not_before) {
      backoff_.insert(e.rec.id);
    } else {
      HARCH_RETURN_IF_ERROR(sched_->Restore(id, e.spec, e.rec.created, e.rec.attempt, nullptr, e.rec.progress));
    }
  }
  sched_->SkipIds(max_id + 1);
  (void)sched_->TakeEvents();
  if (!batch.empty()) {
    const uint64_t ticket = Enqueue(std::move(batch));
    HARCH_RETURN_IF_ERROR(store_->Wait(ticket));
  }
  return Status::Ok();
}

void ControlPlane::Loop() {
  std::unique_lock lk(mu_);
  while (!stop_) {
    wake_.wait_for(lk, options_.cycle_interval, [&] { return stop_ || dirty_; });
    if (stop_) break;
    dirty_ = false;
    const Time now = clock_.Now();
    WriteBatch batch;
    CheckNodes(now, &batch);
    StartDueRetries(now, &batch);
    std::vector<uint64_t> placed;
    // A cycle when work waits, or when a running job's time is up (an interruptible job's clean
    // slot ended: the cycle pauses it). A job already due answers with NextWakeup's own "now",
    // later than `now` here: compare with the clock read after it.
    const auto wake = sched_->pending_count() > 0 ? std::nullopt : sched_->NextWakeup();
    if (sched_->pending_count() > 0 || (wake && *wake <= clock_.Now())) {
      sched_->Schedule();
      ApplySchedulerEvents(now, &batch, &placed);
    }
    if (batch.empty()) continue;
    const uint64_t ticket = Enqueue(std::move(batch));
    lk.unlock();
    const Status st = store_->Wait(ticket);
    const Time done = clock_.Now();
    lk.lock();
    if (!st.ok()) {
      std::cerr << "harch server: store write failed: " << st.message() << "\n";
      continue;
    }
    for (uint64_t id : placed) {
      auto it = jobs_.find(id);
      if (it != jobs_.end() && it->second.rec.attempt == 1) {
        placement_latencies_.push_back(done - it->second.rec.created);
      }
    }
    changed_.notify_all();
  }
}

uint64_t ControlPlane::Enqueue(WriteBatch batch) {
  const uint64_t ticket = store_->Enqueue(std::move(batch));
  for (uint64_t id : touched_) {
    auto it = jobs_.find(id);
    if (it != jobs_.end()) it->second.rec.assign_ticket = ticket;
  }
  touched_.clear();
  changed_.notify_all();
  return ticket;
}

void ControlPlane::Touch(Entry& e, Time now, WriteBatch* batch) {
  e.rec.updated = now;
  ++e.rec.version;
  batch->PutJob(e.rec.id, e.rec.request_id, RecordToJson(e.rec, topo_).dump());
  touched_.push_back(e.rec.id);
}

void ControlPlane::Event(const Entry& e, Time now, const std::string& type,
                         const std::string& message, WriteBatch* batch) {
  batch->AddEvent(e.rec.id, Micros(now), type, message);
}

void ControlPlane::ApplySchedulerEvents(Time now, WriteBatch* batch, std::vector<uint64_t>* placed) {
  for (const SchedEvent& ev : sched_->TakeEvents()) {
    auto it = jobs_.find(ev.job.value);
    if (it == jobs_.end()) continue;
    Entry& e = it->second;
    if (ev.type == "Scheduled") {
      const Job* job = sched_->Find(ev.job);
      if (!job || job->state != JobState::kRunning) continue;
      e.rec.placement = job->placement;
      ++e.rec.attempt;
      e.rec.phase = Phase::kScheduled;
      e.rec.reason = ev.message;
      e.rec.exit_code = 0;
      AssignTasks(e);
      active_.insert(e.rec.id);
      if (placed) placed->push_back(e.rec.id);
    } else if (ev.type == "Preempted" || ev.type == "Lost" || ev.type == "Drained" || ev.type == "Paused") {
      CloseRuns(e.rec, now);  // its GPUs stop counting towards its footprint now
      if (const Job* job = sched_->Find(ev.job)) e.rec.progress = job->progress;  // kept by a pause
      e.rec.phase = Phase::kPending;
      e.rec.reason = ev.message;
      e.rec.placement.clear();
      e.rec.tasks.clear();
      active_.erase(e.rec.id);
    } else if (ev.type == "Pending" || ev.type == "Reserved") {
      if (e.rec.phase != Phase::kPending) continue;
      e.rec.reason = ev.message;
    } else {
      continue;  // Submitted, Cancelled, Finished: recorded where they happen
    }
    Event(e, now, ev.type, ev.message, batch);
    Touch(e, now, batch);
  }
}

void ControlPlane::AssignTasks(Entry& e) {
  e.rec.tasks.clear();
  e.rec.master_port = 20000 + static_cast<int>(e.rec.id % 20000);
  int rank = 0;
  for (const GroupPlacement& gp : e.rec.placement) {
    const auto group = std::find_if(e.spec.task_groups.begin(), e.spec.task_groups.end(),
                                    [&](const TaskGroupSpec& g) { return g.name == gp.group; });
    HARCH_CHECK(group != e.spec.task_groups.end());
    const size_t per = group->gpus_per_replica > 0 ? group->gpus_per_replica : 1;
    for (size_t first = 0; first < gp.grants.size(); first += per) {
      TaskRecord t;
      t.rank = rank++;
      t.group = gp.group;
      const Gpu& gpu0 = topo_.gpu(gp.grants[first].gpu);
      t.node = topo_.node(gpu0.node).id;
      for (size_t k = first; k < std::min(first + per, gp.grants.size()); ++k) {
        const GpuGrant& g = gp.grants[k];
        const Gpu& gpu = topo_.gpu(g.gpu);
        t.gpus.push_back(g.mig_shape >= 0 ? "MIG-" + gpu.id + "-" + std::to_string(g.mig_start)
                                          : std::to_string(gpu.index));
      }
      e.rec.tasks.push_back(std::move(t));
    }
  }
}

void ControlPlane::JobToProto(const Entry& e, v1::Job* out) const {
  ToProto(e.rec, &e.spec, out);
  *out->mutable_footprint() = FootprintOf(e);
}

void ControlPlane::Release(Entry& e) {
  CloseRuns(e.rec, clock_.Now());
  (void)sched_->Forget(JobId{e.rec.id});
  e.rec.placement.clear();
  active_.erase(e.rec.id);
}

void ControlPlane::Succeed(Entry& e, Time now, WriteBatch* batch) {
  (void)sched_->Finish(JobId{e.rec.id}, true);
  Release(e);
  e.rec.phase = Phase::kSucceeded;
  e.rec.reason = "all " + std::to_string(e.rec.tasks.size()) + " tasks exited with code 0";
  e.rec.finished = now;
  Event(e, now, "Succeeded", e.rec.reason, batch);
  Touch(e, now, batch);
  dirty_ = true;
}

void ControlPlane::EndAttempt(Entry& e, Time now, int exit_code, const std::string& why, bool lost,
                              WriteBatch* batch) {
  (void)sched_->Finish(JobId{e.rec.id}, false);
  Release(e);
  dirty_ = true;
  if (lost) {
    e.rec.phase = Phase::kPending;
    e.rec.reason = why + "; requeued";
    Event(e, now, "Lost", e.rec.reason, batch);
    HARCH_CHECK(sched_->Restore(JobId{e.rec.id}, e.spec, e.rec.created, e.rec.attempt, nullptr, e.rec.progress).ok());
  } else if (e.rec.retries < e.rec.max_retries) {
    ++e.rec.retries;
    Duration backoff = options_.retry_backoff * (1 << std::min(e.rec.retries - 1, 16));
    backoff = std::min(backoff, kMaxBackoff);
    e.rec.phase = Phase::kPending;
    e.rec.exit_code = exit_code;
    e.rec.not_before = now + backoff;
    e.rec.reason = why + "; retry " + std::to_string(e.rec.retries) + "/" +
                   std::to_string(e.rec.max_retries) + " in " + Seconds(backoff);
    Event(e, now, "Failed", why, batch);
    Event(e, now, "BackOff", "retry " + std::to_string(e.rec.retries) + " in " + Seconds(backoff), batch);
    backoff_.insert(e.rec.id);
  } else {
    e.rec.phase = Phase::kFailed;
    e.rec.exit_code = exit_code;
    e.rec.finished = now;
    e.rec.reason = why + (e.rec.max_retries > 0 ? "; no retries left" : "");
    Event(e, now, "Failed", e.rec.reason, batch);
  }
  Touch(e, now, batch);
}

void ControlPlane::StartDueRetries(Time now, WriteBatch* batch) {
  for (auto it = backoff_.begin(); it != backoff_.end();) {
    Entry& e = jobs_.at(*it);
    if (e.rec.not_before && *e.rec.not_before > now) {
      ++it;
      continue;
    }
    it = backoff_.erase(it);
    e.rec.not_before.reset();
    e.rec.reason = "queued for attempt " + std::to_string(e.rec.attempt + 1);
    HARCH_CHECK(sched_->Restore(JobId{e.rec.id}, e.spec, e.rec.created, e.rec.attempt, nullptr, e.rec.progress).ok());
    Event(e, now, "Requeued", e.rec.reason, batch);
    Touch(e, now, batch);
  }
}

std::vector<Duration> ControlPlane::TakePlacementLatencies() {
  std::lock_guard lk(mu_);
  return std::exchange(placement_latencies_, {});
}

// ---------------------------------------------------------------- the job API

Result<v1::Job> ControlPlane::Submit(const v1::SubmitJobRequest& req) {
  if (req.spec().empty()) return InvalidArgument("spec: required (a Job manifest, YAML or JSON)");
  if (req.spec().size() > kMaxSpecBytes) {
    return InvalidArgument("spec: " + std::to_string(req.spec().size()) + " bytes; the limit is " +
                           std::to_string(kMaxSpecBytes));
  }
  if (req.request_id().size() > 256) return InvalidArgument("request_id: longer than 256 bytes");
  HARCH_ASSIGN_OR_RETURN(JobSpec spec, ParseJobSpec(req.spec(), "spec"));
  HARCH_RETURN_IF_ERROR(CheckRunnable(spec));
  v1::Job out;
  uint64_t ticket = 0;
  uint64_t id = 0;
  {
    std::lock_guard lk(mu_);
    if (!req.request_id().empty()) {
      auto seen = by_request_.find(req.request_id());
      if (seen != by_request_.end()) {
        const Entry& e = jobs_.at(seen->second);
        JobToProto(e, &out);
        ticket = e.rec.assign_ticket;
      }
    }
    if (ticket == 0 && out.id() == 0) {
      HARCH_ASSIGN_OR_RETURN(JobId jid, sched_->Submit(spec));
      (void)sched_->TakeEvents();  // "Submitted": recorded below
      id = jid.value;
      const Time now = clock_.Now();
      Entry& e = jobs_[id];
      e.spec = std::move(spec);
      e.rec.id = id;
      e.rec.request_id = req.request_id();
      e.rec.spec_text = req.spec();
      e.rec.name = e.spec.name;
      e.rec.tenant = e.spec.tenant;
      e.rec.max_retries = e.spec.max_retries;
      e.rec.created = now;
      e.rec.reason = "queued";
      if (!e.rec.request_id.empty()) by_request_[e.rec.request_id] = id;
      WriteBatch batch;
      Event(e, now, "Submitted", "queued for tenant " + e.rec.tenant, &batch);
      Touch(e, now, &batch);
      ticket = Enqueue(std::move(batch));
      JobToProto(e, &out);
      dirty_ = true;
      wake_.notify_one();
    }
  }
  Status st = ticket ? store_->Wait(ticket) : Status::Ok();
  if (!st.ok() && id != 0) {
    std::lock_guard lk(mu_);
    (void)sched_->Cancel(JobId{id});
    (void)sched_->Forget(JobId{id});
    (void)sched_->TakeEvents();
    by_request_.erase(req.request_id());
    jobs_.erase(id);
    return Internal("the job could not be stored: " + st.message());
  }
  return out;
}

Result<v1::Job> ControlPlane::GetJob(const v1::JobRef& req) {
  uint64_t version = 0;
  return WaitJob(req.id(), &version, Duration{0});
}

Result<v1::Job> ControlPlane::WaitJob(uint64_t id, uint64_t* version, Duration timeout) {
  std::unique_lock lk(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return NotFound("id: no job " + std::to_string(id));
  if (*version != 0) {
    changed_.wait_for(lk, timeout, [&] {
      auto j = jobs_.find(id);
      return stop_ || j == jobs_.end() || j->second.rec.version > *version;
    });
    it = jobs_.find(id);
    if (it == jobs_.end()) return NotFound("id: no job " + std::to_string(id));
  }
  const uint64_t ticket = it->second.rec.assign_ticket;
  v1::Job out;
  JobToProto(it->second, &out);
  *version = it->second.rec.version;
  lk.unlock();
  // Never show a state that is not durable yet.
  if (ticket) HARCH_RETURN_IF_ERROR(store_->Wait(ticket));
  return out;
}

Result<v1::ListJobsResponse> ControlPlane::ListJobs(const v1::ListJobsRequest& req) {
  if (!req.state().empty() && !ParsePhase(req.state())) {
    return InvalidArgument("state: unknown state '" + req.state() +
                           "' (pending, scheduled, starting, running, succeeded, failed, cancelled)");
  }
  std::lock_guard lk(mu_);
  v1::ListJobsResponse out;
  for (auto it = jobs_.rbegin(); it != jobs_.rend(); ++it) {
    const Entry& e = it->second;
    if (!req.state().empty() && PhaseName(e.rec.phase) != req.state()) continue;
    if (!req.tenant().empty() && e.rec.tenant != req.tenant() &&
        e.rec.tenant.rfind(req.tenant() + "/", 0) != 0) {
      continue;
    }
    JobToProto(e, out.add_jobs());
    if (req.limit() && static_cast<uint32_t>(out.jobs_size()) >= req.limit()) break;
  }
  return out;
}

Result<v1::Job> ControlPlane::CancelJob(const v1::JobRef& req) {
  v1::Job out;
  uint64_t ticket = 0;
  {
    std::lock_guard lk(mu_);
    auto it = jobs_.find(req.id());
    if (it == jobs_.end()) return NotFound("id: no job " + std::to_string(req.id()));
    Entry& e = it->second;
    if (IsFinal(e.rec.phase)) {
      return FailedPrecondition("id: job " + std::to_string(e.rec.id) + " has already ended (" +
                                std::string(PhaseName(e.rec.phase)) + ")");
    }
    const Time now = clock_.Now();
    if (backoff_.erase(e.rec.id) == 0) {
      HARCH_RETURN_IF_ERROR(sched_->Cancel(JobId{e.rec.id}));
      (void)sched_->TakeEvents();
      Release(e);
    }
    e.rec.phase = Phase::kCancelled;
    e.rec.reason = "cancelled by request";
    e.rec.finished = now;
    e.rec.not_before.reset();
    WriteBatch batch;
    Event(e, now, "Cancelled", e.rec.tasks.empty() ? "cancelled by request"
                                                   : "cancelled by request; stopping its tasks",
          &batch);
    Touch(e, now, &batch);
    ticket = Enqueue(std::move(batch));
    JobToProto(e, &out);
    dirty_ = true;
    wake_.notify_one();
  }
  HARCH_RETURN_IF_ERROR(store_->Wait(ticket));
  return out;
}

Result<v1::JobEvents> ControlPlane::JobEvents(const v1::JobRef& req) {
  {
    std::lock_guard lk(mu_);
    if (!jobs_.count(req.id())) return NotFound("id: no job " + std::to_string(req.id()));
  }
  HARCH_ASSIGN_OR_RETURN(auto events, store_->Events(req.id()));
  v1::JobEvents out;
  for (const auto& ev : events) {
    v1::JobEvent* e = out.add_events();
    *e->mutable_time() = ToTimestamp(Time{Duration{ev.time_us}});
    e->set_type(ev.type);
    e->set_message(ev.message);
  }
  return out;
}

Result<v1::JobLogs> ControlPlane::JobLogs(const v1::LogsRequest& req) {
  std::map<int, std::string> nodes;  // rank -> node, for the current attempt
  int current = 0;
  {
    std::lock_guard lk(mu_);
    auto it = jobs_.find(req.id());
    if (it == jobs_.end()) return NotFound("id: no job " + std::to_string(req.id()));
    current = it->second.rec.attempt;
    for (const auto& t : it->second.rec.tasks) nodes[t.rank] = t.node;
  }
  if (req.attempt() < 0) return InvalidArgument("attempt: must be >= 0");
  HARCH_ASSIGN_OR_RETURN(auto chunks, store_->Logs(req.id()));
  int attempt = req.attempt();
  if (attempt == 0) {
    for (const auto& c : chunks) attempt = std::max(attempt, c.attempt);
    if (attempt == 0) attempt = current;
  }
  v1::JobLogs out;
  out.set_attempt(attempt);
  std::map<int, v1::JobLogs::Stream*> streams;
  for (const auto& c : chunks) {
    if (c.attempt != attempt) continue;
    auto& s = streams[c.rank];
    if (!s) {
      s = out.add_streams();
      s->set_rank(c.rank);
      if (attempt == current && nodes.count(c.rank)) s->set_node(nodes[c.rank]);
    }
    s->mutable_text()->append(c.data);
  }
  return out;
}

// URL carbon zones: the refresh thread fetches outside mu_ and swaps each answer in under it.

void ControlPlane::StartCarbonRefresh() {
  if (!carbon_ || carbon_refresher_) return;
  std::vector<ZoneSource> sources;
  for (const ZoneSource& z : carbon_->config().zones) {
    if (!z.url.empty()) sources.push_back(z);
  }
  if (sources.empty()) return;
  std::vector<CarbonSourceState> loaded;
  {
    std::lock_guard lk(mu_);
    const Time now = clock_.Now();
    for (const ZoneSource& z : sources) {
      CarbonSourceState s;
      s.zone = z.zone;
      s.last_attempt = now;  // CarbonSignal::Load fetched it
      auto failed = carbon_->url_failures().find(z.zone);
      if (failed != carbon_->url_failures().end()) {
        s.failures = s.consecutive_failures = 1;
        s.last_error = failed->second;
      } else {
        s.last_success = now;
        s.successes = 1;
        s.points = carbon_->Zone(z.zone) ? carbon_->Zone(z.zone)->points().size() : 0;
      }
      loaded.push_back(std::move(s));
    }
    auto view = std::make_shared<const CarbonSignal>(carbon_->config(), carbon_->zones());
    std::lock_guard vk(carbon_view_mu_);
    carbon_view_ = std::move(view);
  }
  carbon_refresher_ = std::make_unique<CarbonRefresher>(
      std::move(sources), std::move(loaded), clock_,
      [this](const std::string& zone, const IntensitySeries& fresh) { return ApplyCarbon(zone, fresh); },
      [](const std::string& line) { std::cerr << "harch server: " << line << "\n"; });
  carbon_refresher_->WriteStatusTo(options_.data_dir + "/carbon-sources.json");
  carbon_refresher_->Start();
}

size_t ControlPlane::ApplyCarbon(const std::string& zone, const IntensitySeries& fresh) {
  size_t points = 0;
  {
    std::lock_guard lk(mu_);
    points = carbon_->MergeZone(zone, fresh, clock_.Now());
    auto view = std::make_shared<const CarbonSignal>(carbon_->config(), carbon_->zones());
    {
      std::lock_guard vk(carbon_view_mu_);
      carbon_view_ = std::move(view);
    }
    dirty_ = true;  // plans may change: run a cycle
  }
  wake_.notify_all();
  return points;
}

std::shared_ptr<const CarbonSignal> ControlPlane::CarbonSnapshot() const {
  {
    std::lock_guard vk(carbon_view_mu_);
    if (carbon_view_) return carbon_view_;
  }
  // No url zone refreshes: carbon_ never changes after Open and can be shared as it is.
  return std::shared_ptr<const CarbonSignal>(std::shared_ptr<const CarbonSignal>(), carbon_.get());
}

nlohmann::json ControlPlane::CarbonSources() const {
  return CarbonSourcesJson(carbon_refresher_ ? carbon_refresher_->States() : std::vector<CarbonSourceState>{});
}

Status ControlPlane::RefreshCarbonZone(const std::string& zone) {
  if (!carbon_refresher_) return FailedPrecondition("no carbon zone with a url is being refreshed");
  return carbon_refresher_->RefreshZone(zone);
}

}  // namespace harch
