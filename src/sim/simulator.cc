#include "sim/simulator.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <queue>
#include <set>

#include "base/files.h"
#include "base/random.h"
#include "base/time_text.h"
#include "resource/summary.h"
#include "resource/topology.h"
#include "carbon/accounting.h"
#include "carbon/signal.h"
#include "sched/scheduler.h"
#include "sim/metrics.h"
#include "sim/report.h"
#include "sim/sovereignty_check.h"

namespace harch {
namespace {

// Simulated time starts at a fixed instant, so that runs reproduce.
const Time kEpoch = Time(std::chrono::duration_cast<Duration>(std::chrono::hours(24 * 19358)));  // 2023-01-01

// Same instant: in this order. A wakeup only makes a cycle run (a job waits for that time).
enum class EventType { kFault = 0, kCompletion = 1, kArrival = 2, kWakeup = 3 };

struct Event {
  Time at;
  EventType type;
  uint64_t seq;  // ties: in the order they were queued
  size_t job = 0;       // workload index
  int attempt = 0;      // for completions: the attempt it ends
  NodeIdx node;         // for faults
  bool down = true;
  bool operator>(const Event& o) const {
    return std::tie(at, type, seq) > std::tie(o.at, o.type, o.seq);
  }
};

// One workload job's life in the simulation.
struct Track {
  std::optional<JobId> id;
  bool rejected = false;
  std::string reject_reason;
  int attempt = 0;  // increments on every start and every eviction
  std::optional<Time> first_start;
  std::optional<Time> completed;
  int64_t milli = 0;  // while running
  std::optional<Time> run_start;  // the current attempt's start, for carbon accounting
  Duration done{0};               // service time kept from runs that ended in a pause
  std::vector<GroupPlacement> placement;  // the current attempt's
  std::vector<SimRunRecord> runs;         // for the per-job record
};

// Energy, emissions and cost, summed per hub and overall (with --carbon).
struct CarbonTotals {
  Footprint all;
  std::map<std::string, Footprint> by_hub;
  std::map<std::string, Footprint> by_tenant;
  int64_t deadline_misses = 0;
  int64_t jobs_with_deadline = 0;
  std::set<std::string> defaulted_zones;
};

class Simulation {
 public:
  Simulation(const SimOptions& o, Time start, Topology topo, Workload workload, QueueConfig queues,
             std::optional<CarbonSignal> carbon)
      : o_(o), epoch_(start), topo_(std::move(topo)), workload_(std::move(workload)),
        rng_(o.seed), fault_rng_(o.seed ^ 0x5eedfa17ULL), clock_(epoch_), carbon_(std::move(carbon)),
        sovereignty_(SovereigntyChecker::ForFleet(topo_)) {
    tracks_.resize(workload_.jobs.size());
    sched_ = std::make_unique<Scheduler>(&topo_, PluginRegistry::Default().MakeProfile(o.policy).value(),
                                         queues, SchedulerConfig{}, &clock_, &rng_, &budget_);
    if (carbon_) sched_->SetCarbon(&*carbon_);
    for (size_t i = 0; i < workload_.jobs.size(); ++i) {
      Push({epoch_ + workload_.jobs[i].arrival, EventType::kArrival, 0, i});
    }
    for (const auto& f : o.faults) {
      Event e{epoch_ + f.at, EventType::kFault, 0};
      e.node = *topo_.FindNode(f.node);
      e.down = f.down;
      Push(e);
    }
    total_gpus_ = static_cast<int64_t>(topo_.gpus().size());
  }

  Status Run() {
    if (o_.node_failures_per_day > 0) ScheduleRandomFaults();
    while (!events_.empty()) {
      const Time now = events_.top().at;
      Advance(now);
      while (!events_.empty() && events_.top().at == now) {
        const Event e = events_.top();
        events_.pop();
        ++processed_;
        HARCH_RETURN_IF_ERROR(Handle(e));
      }
      const auto t0 = SystemClock::Get().Now();
      sched_->Schedule();
      const auto t1 = SystemClock::Get().Now();
      metrics_.latency_us.push_back(o_.timing ? static_cast<double>((t1 - t0).count()) : 0.0);
      for (const auto& ev : sched_->TakeEvents()) HARCH_RETURN_IF_ERROR(OnSchedulerEvent(ev, now));
      if (auto wake = sched_->NextWakeup(); wake && *wake > now && wakeups_.insert(*wake).second) {
        Push({*wake, EventType::kWakeup, 0});
      }
      Sample(now);
    }
    return Status::Ok();
  }

  SimOutput Output(double wall_seconds) const;
  std::vector<SimJobRecord> JobRecords() const;
  void SetFleetHash(std::string hash) { fleet_hash_ = std::move(hash); }

 private:
  void Push(Event e) {
    e.seq = next_seq_++;
    events_.push(e);
  }

  // Poisson node failures over the span of the arrivals plus a day, repaired after repair_time.
  void ScheduleRandomFaults() {
    Duration horizon{0};
    for (const auto& j : workload_.jobs) horizon = std::max(horizon, j.arrival + j.service);
    const double days = std::chrono::duration<double>(horizon).count() / 86400.0 + 1.0;
    for (size_t n = 0; n < topo_.nodes().size(); ++n) {
      double t = 0;
      while (true) {
        t += -std::log(1.0 - fault_rng_.UniformDouble()) / o_.node_failures_per_day;  // days
        if (t >= days) break;
        const Time at = epoch_ + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(t * 86400.0));
        Event down{at, EventType::kFault, 0};
        down.node = NodeIdx(n);
        Push(down);
        Event up{at + o_.repair_time, EventType::kFault, 0};
        up.node = NodeIdx(n);
        up.down = false;
        Push(up);
      }
    }
  }

  void Advance(Time now) {
    if (last_ && now > *last_) {
      const double dt = std::chrono::duration<double>(now - *last_).count();
      metrics_.allocated_gpu_seconds += static_cast<double>(allocated_milli_) / 1000.0 * dt;
      metrics_.fragmentation_seconds += last_fragmentation_ * dt;
    }
    last_ = now;
    clock_.Set(now);
  }

  Status Handle(const Event& e) {
    switch (e.type) {
      case EventType::kArrival: {
        Track& t = tracks_[e.job];
        const SimJob& job = workload_.jobs[e.job];
        JobSpec spec = job.spec;
        if (job.deadline_after) spec.deadline = e.at + *job.deadline_after;
        auto id = sched_->Submit(std::move(spec));
        if (!id.ok()) {
          t.rejected = true;
          t.reject_reason = id.status().message();
          return Status::Ok();
        }
        t.id = *id;
        by_id_[id->value] = e.job;
        return Status::Ok();
      }
      case EventType::kCompletion: {
        Track& t = tracks_[e.job];
        if (e.attempt != t.attempt || t.completed) return Status::Ok();  // preempted or lost since
        HARCH_CHECK(sched_->Finish(*t.id, true).ok());
        t.completed = e.at;
        CloseRun(t, e.at, RunEnd::kFinished);
        HARCH_RETURN_IF_ERROR(EndRun(t, workload_.jobs[e.job], e.at));
        if (const auto& after = workload_.jobs[e.job].deadline_after) {
          ++carbon_totals_.jobs_with_deadline;
          if (e.at > epoch_ + workload_.jobs[e.job].arrival + *after) ++carbon_totals_.deadline_misses;
        }
        allocated_milli_ -= t.milli;
        t.milli = 0;
        return Status::Ok();
      }
      case EventType::kWakeup:
        return Status::Ok();
      case EventType::kFault: {
        if (e.down) {
          ++metrics_.node_failures;
          sched_->NodeDown(e.node);
        } else {
          HARCH_CHECK(sched_->NodeUp(e.node).ok());
        }
        return Status::Ok();
      }
    }
    return Status::Ok();
  }

  Status OnSchedulerEvent(const SchedEvent& ev, Time now) {
    auto it = by_id_.find(ev.job.value);
    if (it == by_id_.end()) return Status::Ok();
    Track& t = tracks_[it->second];
    if (ev.type == "Scheduled") {
      const Job* job = sched_->Find(ev.job);
      ++t.attempt;
      if (!t.first_start) t.first_start = now;
      t.milli = job->AllocatedMilli();
      t.run_start = now;
      t.placement = job->placement;
      allocated_milli_ += t.milli;
      metrics_.max_allocated_milli = std::max(metrics_.max_allocated_milli, allocated_milli_);
      OpenRun(t, it->second, now);
      Push({now + workload_.jobs[it->second].service - t.done, EventType::kCompletion, 0, it->second, t.attempt});
    } else if (ev.type == "Paused") {  // an interruptible job between clean slots: work kept
      ++metrics_.carbon_pauses;
      CloseRun(t, now, RunEnd::kPaused);
      ++t.attempt;  // its pending completion no longer applies
      t.done += now - *t.run_start;
      HARCH_RETURN_IF_ERROR(EndRun(t, workload_.jobs[it->second], now));
      allocated_milli_ -= t.milli;
      t.milli = 0;
    } else if (ev.type == "Preempted" || ev.type == "Lost") {
      const bool preempted = ev.type == "Preempted";
      (preempted ? metrics_.preemptions : metrics_.jobs_lost) += 1;
      CloseRun(t, now, preempted ? RunEnd::kPreempted : RunEnd::kLost);
      ++metrics_.jobs_requeued;
      ++t.attempt;  // its pending completion no longer applies
      // The run since its last start is lost; work kept by pauses (its checkpoints) is not, as
      // the scheduler counts it (Job::progress).
      HARCH_RETURN_IF_ERROR(EndRun(t, workload_.jobs[it->second], now));
      allocated_milli_ -= t.milli;
      t.milli = 0;
    }
    return Status::Ok();
  }

  // The attempt that ran since t.run_start ended at `end` (finished, preempted or lost): its
  // energy, emissions and cost count, per hub and per tenant.
  Status EndRun(Track& t, const SimJob& job, Time end) {
    if (!carbon_ || !t.run_start) return Status::Ok();
    const CarbonConfig& cfg = carbon_->config();
    for (const auto& gp : t.placement) {
      std::map<std::pair<HubIdx, ModelIdx>, double> gpus;  // whole-GPU equivalents
      for (const auto& g : gp.grants) {
        const Gpu& gpu = topo_.gpu(g.gpu);
        gpus[{gpu.hub, gpu.model}] += g.mig_shape >= 0 ? 1.0 : g.milli.value / 1000.0;
      }
      for (const auto& [key, count] : gpus) {
        const Hub& hub = topo_.hub(key.first);
        const std::string& model = topo_.catalog().at(key.second).name;
        const auto power = cfg.GpuPowerOf(model);
        if (!power) return InvalidArgument("--carbon: no power figures for GPU model " + model + " (add it under spec.power)");
        const HubRates rates{hub.pue, hub.energy_price_usd_per_kwh, cfg.gpu_hour_usd, cfg.spot_discount};
        GpuRun run{*t.run_start, end, count, cfg.utilisation, job.spec.spot_tolerant};
        auto f = Account(run, *power, cfg.embodied, rates, carbon_->Zone(hub.carbon_zone), cfg.default_intensity,
                         hub.carbon_zone);
        if (!f.ok()) return f.status().WithContext("hub " + hub.id);
        if (f->intensity_defaulted) carbon_totals_.defaulted_zones.insert(hub.carbon_zone);
        carbon_totals_.all += *f;
        carbon_totals_.by_hub[hub.id] += *f;
        carbon_totals_.by_tenant[job.spec.tenant] += *f;
      }
    }
    t.run_start.reset();
    t.placement.clear();
    return Status::Ok();
  }

  // A run starts: where it went is recorded, and checked against the data's tags as the
  // workload gave them (the independent check, not the scheduler's filter).
  void OpenRun(Track& t, size_t index, Time now) {
    SimRunRecord run;
    run.start_s = Seconds(now);
    for (const auto& gp : t.placement) {
      for (const auto& g : gp.grants) {
        const Gpu& gpu = topo_.gpu(g.gpu);
        run.hubs.push_back(topo_.hub(gpu.hub).id);
        run.nodes.push_back(topo_.node(gpu.node).id);
        run.models.push_back(topo_.model_of(g.gpu).name);
      }
    }
    for (auto* v : {&run.hubs, &run.nodes, &run.models}) {
      std::sort(v->begin(), v->end());
      v->erase(std::unique(v->begin(), v->end()), v->end());
    }
    run.gpu_milli = t.milli;
    const SimJob& job = workload_.jobs[index];
    sovereignty_.Check(job.id, job.spec.data, run.nodes);
    t.runs.push_back(std::move(run));
  }

  void CloseRun(Track& t, Time now, RunEnd how) {
    if (t.runs.empty() || t.runs.back().end_s) return;
    t.runs.back().end_s = Seconds(now);
    t.runs.back().end = how;
  }

  double Seconds(Time at) const { return std::chrono::duration<double>(at - epoch_).count(); }

  void Sample(Time now) {
    last_fragmentation_ = Summarize(topo_).fragmentation;
    metrics_.series.push_back({std::chrono::duration<double>(now - epoch_).count(),
                               static_cast<double>(allocated_milli_) / 1000.0 / static_cast<double>(total_gpus_),
                               static_cast<int64_t>(sched_->pending_count()),
                               static_cast<int64_t>(sched_->running_count()),
                               last_fragmentation_});
  }

  const SimOptions& o_;
  const Time epoch_;
  Topology topo_;
  Workload workload_;
  Random rng_;
  Random fault_rng_;
  ManualClock clock_;
  ManualClock budget_;  // never moves: the batch step always tries all its orders
  std::optional<CarbonSignal> carbon_;
  CarbonTotals carbon_totals_;
  SovereigntyChecker sovereignty_;
  std::set<Time> wakeups_;
  std::unique_ptr<Scheduler> sched_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  uint64_t next_seq_ = 0;
  std::vector<Track> tracks_;
  std::map<uint64_t, size_t> by_id_;
  int64_t total_gpus_ = 0;
  int64_t allocated_milli_ = 0;
  double last_fragmentation_ = 0;
  std::optional<Time> last_;
  int64_t processed_ = 0;
  RunMetrics metrics_;
  std::string fleet_hash_;
};

SimOutput Simulation::Output(double wall_seconds) const {
  std::vector<JobOutcome> outcomes;
  outcomes.reserve(tracks_.size());
  for (size_t i = 0; i < tracks_.size(); ++i) {
    const Track& t = tracks_[i];
    const SimJob& job = workload_.jobs[i];
    JobOutcome o;
    o.qos = job.qos;
    o.gpu_milli = job.spec.TotalGpuMilli();
    o.rejected = t.rejected;
    const Time arrival = epoch_ + job.arrival;
    if (t.first_start) o.queue_delay_s = std::chrono::duration<double>(*t.first_start - arrival).count();
    if (t.completed) o.jct_s = std::chrono::duration<double>(*t.completed - arrival).count();
    outcomes.push_back(o);
  }
  const double makespan = last_ ? std::chrono::duration<double>(*last_ - epoch_).count() : 0.0;
  RunMetrics metrics = metrics_;
  metrics.sovereignty_violations = sovereignty_.violations();
  nlohmann::json summary = SummaryJson(outcomes, metrics, makespan, total_gpus_);
  summary["sovereignty"] = {{"placements_checked", sovereignty_.placements_checked()},
                            {"violating_placements", sovereignty_.violations()},
                            {"examples", sovereignty_.examples()}};
  summary["policy"] = o_.policy;
  summary["seed"] = o_.seed;
  summary["inputs"] = {
      {"fleet", {{"path", o_.fleet_path}, {"hash", fleet_hash_}, {"gpus", total_gpus_}}},
      {"workload",
       {{"kind", workload_.kind},
        {"path", workload_.path},
        {"hash", workload_.input_hash},
        {"lines_read", workload_.lines_read},
        {"bad_lines_skipped", workload_.bad_lines_skipped},
        {"bad_line_errors", workload_.bad_line_errors},
        {"dropped", workload_.dropped},
        {"notes", workload_.notes},
        {"options",
         {{"arrival_scale", o_.workload_options.arrival_scale},
          {"keep_unscheduled", o_.workload_options.keep_unscheduled},
          {"skip_bad_lines", o_.workload_options.skip_bad_lines},
          {"max_jobs", o_.workload_options.max_jobs},
          {"seed", o_.workload_options.seed}}}}},
      {"queues", o_.queues_path}};
  summary["policy_parameters"] = PolicyParameters(*sched_);
  summary["faults"] = {{"node_failures", metrics_.node_failures},
                       {"node_failures_per_day", o_.node_failures_per_day},
                       {"scripted", o_.faults.size()},
                       {"jobs_requeued", metrics_.jobs_requeued}};
  std::vector<std::string> stand_ins;
  for (const auto& hub : topo_.hubs()) {
    if (hub.carbon_zone_stand_in) {
      stand_ins.push_back("hub " + hub.id + ": carbon zone " + hub.carbon_zone + " is a stand-in (no public hourly series for " + hub.country + ")");
    }
  }
  if (!stand_ins.empty()) summary["stand_in_notes"] = stand_ins;
  if (carbon_) {
    auto footprint = [](const Footprint& f) {
      return nlohmann::json{{"energy_kwh", f.energy_kwh},
                            {"emissions_kgco2e", f.total_kg()},
                            {"operational_kgco2e", f.operational_kg},
                            {"embodied_kgco2e", f.embodied_kg},
                            {"mean_intensity_g_per_kwh", f.intensity_g_per_kwh},
                            {"gpu_hours", f.gpu_hours},
                            {"cost_usd", f.cost_usd}};
    };
    const Footprint& all = carbon_totals_.all;
    summary["energy_kwh"] = all.energy_kwh;
    summary["emissions_kgco2e"] = all.total_kg();
    summary["cost_usd"] = all.cost_usd;
    summary["deadline_misses"] = carbon_totals_.deadline_misses;
    nlohmann::json carbon = footprint(all);
    carbon["jobs_with_deadline"] = carbon_totals_.jobs_with_deadline;
    carbon["sci_kgco2e_per_gpu_hour"] = all.sci_kg_per(all.gpu_hours);
    for (const auto& [hub, f] : carbon_totals_.by_hub) carbon["by_hub"][hub] = footprint(f);
    for (const auto& [tenant, f] : carbon_totals_.by_tenant) carbon["by_tenant"][tenant] = footprint(f);
    carbon["zones_on_default_intensity"] = carbon_totals_.defaulted_zones;
    carbon["config"] = {{"path", o_.carbon_path},
                        {"forecast_error", carbon_->config().forecast_error},
                        {"utilisation", carbon_->config().utilisation},
                        {"start", FormatTime(epoch_)}};
    summary["carbon"] = carbon;
  }
  summary["timing"] = {{"wall_seconds", o_.timing ? wall_seconds : 0.0},
                       {"simulated_events", processed_},
                       {"events_per_second", o_.timing && wall_seconds > 0 ? static_cast<double>(processed_) / wall_seconds : 0.0}};
  return {summary, TimeseriesJson(metrics_, outcomes), JobRecords(), o_.job_log};
}

std::vector<SimJobRecord> Simulation::JobRecords() const {
  std::vector<SimJobRecord> out;
  out.reserve(tracks_.size());
  for (size_t i = 0; i < tracks_.size(); ++i) {
    const Track& t = tracks_[i];
    const SimJob& job = workload_.jobs[i];
    SimJobRecord r;
    r.id = job.id;
    r.tenant = job.spec.tenant;
    r.qos = job.qos;
    r.gpu_milli = job.spec.TotalGpuMilli();
    r.arrival_s = std::chrono::duration<double>(job.arrival).count();
    if (job.deadline_after) r.deadline_s = std::chrono::duration<double>(job.arrival + *job.deadline_after).count();
    r.rejected = t.rejected;
    r.reject_reason = t.reject_reason;
    r.runs = t.runs;
    if (t.completed) r.completed_s = Seconds(*t.completed);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

Result<ScriptedFault> ParseFault(std::string_view text) {
  const auto a = text.find(':');
  const auto b = text.rfind(':');
  if (a == std::string_view::npos || a == b) {
    return InvalidArgument("--fault: expected TIME:NODE:down|up, got '" + std::string(text) + "'");
  }
  ScriptedFault f;
  auto at = ParseDuration(text.substr(0, a));
  if (!at.ok()) return at.status().WithContext("--fault time");
  f.at = *at;
  f.node = std::string(text.substr(a + 1, b - a - 1));
  const std::string_view what = text.substr(b + 1);
  if (what != "down" && what != "up") return InvalidArgument("--fault: the last part must be down or up");
  f.down = what == "down";
  return f;
}

Result<SimOutput> RunSimulation(const SimOptions& o) {
  HARCH_ASSIGN_OR_RETURN(std::string fleet_text, ReadFile(o.fleet_path));
  HARCH_ASSIGN_OR_RETURN(FleetSpec fleet_spec, ParseFleetSpec(fleet_text, o.fleet_path));
  HARCH_ASSIGN_OR_RETURN(Topology topo, BuildTopology(fleet_spec));
  auto profile = PluginRegistry::Default().MakeProfile(o.policy);
  if (!profile.ok()) return profile.status();
  for (const auto& f : o.faults) {
    if (!topo.FindNode(f.node)) return InvalidArgument("--fault: no node '" + f.node + "' in the fleet");
  }
  QueueConfig queues;
  if (!o.queues_path.empty()) {
    HARCH_ASSIGN_OR_RETURN(queues, LoadQueueConfigFile(o.queues_path));
  }
  HARCH_ASSIGN_OR_RETURN(Workload workload, LoadWorkload(o.workload, o.workload_options));
  std::optional<CarbonSignal> carbon;
  Time start = o.start.value_or(Time{});
  if (!o.carbon_path.empty()) {
    HARCH_ASSIGN_OR_RETURN(CarbonSignal signal, CarbonSignal::Load(o.carbon_path));
    if (!o.start) {
      // The first instant every hub's zone has data for.
      for (const auto& hub : topo.hubs()) {
        if (const IntensitySeries* s = signal.Zone(hub.carbon_zone); s && !s->points().empty()) {
          start = std::max(start, s->start());
        }
      }
    }
    for (const auto& hub : topo.hubs()) {
      if (!signal.Intensity(hub.carbon_zone, start)) {
        return InvalidArgument("--carbon: hub " + hub.id + "'s zone " + hub.carbon_zone + " has no intensity at " +
                               FormatTime(start) + " (the start; see --start) and " + o.carbon_path +
                               " declares no defaultIntensity");
      }
    }
    carbon = std::move(signal);
  }
  const auto t0 = SystemClock::Get().Now();
  if (start == Time{}) start = kEpoch;
  Simulation sim(o, start, std::move(topo), std::move(workload), queues, std::move(carbon));
  sim.SetFleetHash(Fnv1a64Hex(fleet_text));
  HARCH_RETURN_IF_ERROR(sim.Run());
  const double wall = std::chrono::duration<double>(SystemClock::Get().Now() - t0).count();
  return sim.Output(wall);
}

Status WriteSimOutput(const SimOutput& out, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status(Code::kUnavailable, dir + ": cannot create: " + ec.message());
  HARCH_RETURN_IF_ERROR(WriteFileAtomic(dir + "/summary.json", out.summary.dump(2) + "\n"));
  HARCH_RETURN_IF_ERROR(WriteFileAtomic(dir + "/timeseries.json", out.timeseries.dump() + "\n"));
  HARCH_RETURN_IF_ERROR(WriteFileAtomic(dir + "/report.html", RenderReport(out.summary, out.timeseries)));
  switch (out.job_log) {
    case JobLogFormat::kJsonl: return WriteFileAtomic(dir + "/jobs.jsonl", JobLogJsonl(out.jobs));
    case JobLogFormat::kCsv: return WriteFileAtomic(dir + "/jobs.csv", JobLogCsv(out.jobs));
    case JobLogFormat::kNone: return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace harch
