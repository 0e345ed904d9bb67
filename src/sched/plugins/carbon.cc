// "carbon" (filter): temporal and geographic shifting of flexible work. A job that may wait (see
// CarbonLatestStart) starts at the cleanest time its forecast offers, over every hub it may run
// in, and never later than it must start by; until then it is pending with constraint "carbon"
// and the time it waits for. Interruptible work runs in the cleanest slots before its deadline
// instead (CarbonSlots): the scheduler pauses it when a slot ends and resumes it at the next.
// Latency-sensitive work is never delayed.
// The "carbon" score (geographic shifting) is in carbon_score.cc.
#include <algorithm>
#include <cmath>

#include "base/time_text.h"
#include "sched/plugins/plugins.h"

namespace harch {

namespace {

// The time by which a job the carbon filter may shift must have finished: the earlier of its
// deadline and submission + window + expected duration. nullopt for work that is never shifted.
std::optional<Time> CarbonEnd(const Job& job) {
  const JobSpec& s = job.spec;
  if (!s.expected_duration || *s.expected_duration <= Duration{0}) return std::nullopt;
  if (s.latency == LatencySensitivity::kHigh || s.kind == WorkloadKind::kInference ||
      s.kind == WorkloadKind::kInteractive) {
    return std::nullopt;
  }
  std::optional<Time> end;
  if (s.flexibility_window) end = job.submitted + *s.flexibility_window + *s.expected_duration;  // 0: may not move
  if (s.deadline) end = end ? std::min(*end, *s.deadline) : *s.deadline;
  return end;
}

}  // namespace

std::optional<Time> CarbonLatestStart(const Job& job) {
  const auto end = CarbonEnd(job);
  if (!end) return std::nullopt;
  const Duration left = *job.spec.expected_duration - job.progress;  // progress: kept by pauses
  if (left <= Duration{0}) return std::nullopt;
  return *end - left;
}

namespace {

bool Allowed(const Hub& hub, const PlacementRequest& req) {
  if (!req.hub.empty() && hub.id != req.hub) return false;
  return req.jurisdiction.empty() ||
         std::find(req.jurisdiction.begin(), req.jurisdiction.end(), hub.country) != req.jurisdiction.end();
}

std::string Grams(double g) { return std::to_string(static_cast<int64_t>(std::lround(g))) + " g/kWh"; }

// Capacity scaling: the allowed hubs above the threshold whose flexible work already holds its
// share are taken out of the request (their nodes excluded). When none is left, the job waits
// for the next hour, when intensities change.
std::optional<NoFit> CapHubs(const SchedContext& ctx, const Job& job, PlacementRequest* req) {
  const auto& scaling = ctx.carbon->config().capacity_scaling;
  if (!scaling || ctx.flexible_milli_by_hub.empty()) return std::nullopt;
  std::vector<HubIdx> capped;
  int allowed = 0;
  std::string why;
  for (size_t h = 0; h < ctx.topo.hubs().size(); ++h) {
    const Hub& hub = ctx.topo.hubs()[h];
    if (!Allowed(hub, *req)) continue;
    ++allowed;
    const auto now = ctx.carbon->Intensity(hub.carbon_zone, ctx.now);
    if (!now || *now <= scaling->threshold) continue;
    const double cap = scaling->flexible_share * static_cast<double>(ctx.gpu_milli_by_hub[h]);
    if (static_cast<double>(ctx.flexible_milli_by_hub[h] + job.spec.TotalGpuMilli()) <= cap) continue;
    capped.push_back(HubIdx{h});
    why += (why.empty() ? "" : "; ") + hub.id + " at " + Grams(*now) + " holds " +
           std::to_string(ctx.flexible_milli_by_hub[h] / 1000) + " of its " +
           std::to_string(static_cast<int64_t>(cap / 1000)) + " GPUs for flexible work";
  }
  if (capped.empty()) return std::nullopt;
  if (static_cast<int>(capped.size()) == allowed) {
    NoFit fit{"carbon", "capacity scaling above " + Grams(scaling->threshold) + ": " + why, false};
    const auto hour = std::chrono::duration_cast<std::chrono::hours>(ctx.now.time_since_epoch()) + std::chrono::hours(1);
    fit.retry_at = std::min(Time(hour), *CarbonLatestStart(job));
    return fit;
  }
  for (size_t i = 0; i < ctx.topo.nodes().size(); ++i) {
    const HubIdx hub = ctx.topo.nodes()[i].hub;
    if (std::find(capped.begin(), capped.end(), hub) != capped.end()) req->excluded_nodes.push_back(NodeIdx{i});
  }
  return std::nullopt;
}

// "2h", "1h30m", "45m", "6s": whole seconds, largest units first, zeros left out.
std::string DurationText(Duration d) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s == 0) return "0s";
  std::string out;
  if (s >= 3600) out += std::to_string(s / 3600) + "h";
  if (s % 3600 >= 60) out += std::to_string(s % 3600 / 60) + "m";
  if (s % 60) out += std::to_string(s % 60) + "s";
  return out;
}

std::string ZoneText(const Hub& hub) {
  return hub.id + (hub.carbon_zone_stand_in ? " (stand-in zone " + hub.carbon_zone + ")" : "");
}

class CarbonFilter final : public FilterPlugin {
 public:
  std::string_view Name() const override { return "carbon"; }
  std::optional<NoFit> Filter(const SchedContext& ctx, const Job& job, const TaskGroupSpec&,
                              PlacementRequest* req) const override {
    if (!ctx.carbon) return std::nullopt;
    const auto latest = CarbonLatestStart(job);
    if (!latest || ctx.now >= *latest) return std::nullopt;
    if (auto capped = CapHubs(ctx, job, req)) return capped;
    if (auto slots = CarbonSlots(ctx, job)) {
      if (slots->run) return std::nullopt;
      NoFit why{"carbon", slots->reason, false};
      why.retry_at = slots->change;
      return why;
    }
    const Duration run = *job.spec.expected_duration;
    std::optional<CarbonSignal::Plan> best;
    const Hub* best_hub = nullptr;
    for (const Hub& hub : ctx.topo.hubs()) {
      if (!Allowed(hub, *req)) continue;
      // Decided once, on the forecast of the job's submission: the same answer every cycle.
      const auto plan = ctx.carbon->BestStart(hub.carbon_zone, job.id.value, job.submitted, *latest, run);
      if (plan && (!best || plan->forecast_mean < best->forecast_mean)) {
        best = plan;
        best_hub = &hub;
      }
    }
    if (!best || best->start <= ctx.now) return std::nullopt;
    std::string reason = "waiting for a cleaner window: about " + Grams(best->forecast_mean) + " in " +
                         ZoneText(*best_hub) + " from " + FormatTime(best->start);
    if (auto now = ctx.carbon->Intensity(best_hub->carbon_zone, ctx.now)) reason += " (" + Grams(*now) + " now)";
    reason += "; it starts by " + FormatTime(*latest) + " at the latest";
    NoFit why{"carbon", reason, false};
    why.retry_at = best->start;
    return why;
  }
};

}  // namespace

std::optional<CarbonSlotDecision> CarbonSlots(const SchedContext& ctx, const Job& job) {
  if (!ctx.carbon || !job.spec.interruptible) return std::nullopt;
  const auto end = CarbonEnd(job);
  if (!end) return std::nullopt;
  const Duration run = *job.spec.expected_duration;
  // The plan is decided once, on the forecast of the job's submission, over the hubs its data
  // allows (the same set the sovereignty filter enforces): the same answer every cycle.
  const auto allowed = AllowedJurisdiction(job.spec);
  std::optional<CarbonSignal::SlotPlan> best;
  const Hub* best_hub = nullptr;
  for (const Hub& hub : ctx.topo.hubs()) {
    if (allowed && std::find(allowed->begin(), allowed->end(), hub.country) == allowed->end()) continue;
    auto plan = ctx.carbon->BestSlots(hub.carbon_zone, job.id.value, job.submitted, *end, run);
    if (plan && (!best || plan->forecast_mean < best->forecast_mean)) {
      best = std::move(plan);
      best_hub = &hub;
    }
  }
  if (!best) return std::nullopt;
  const Time now = ctx.now;
  Duration left = run - job.progress;
  if (job.state == JobState::kRunning && job.started) left -= now - *job.started;
  CarbonSlotDecision d;
  if (left <= Duration{0}) return d;  // ran as long as expected: never paused
  Duration planned{0};                // planned running time from now on
  const Window* current = nullptr;
  const Window* next = nullptr;
  for (const Window& w : best->windows) {
    if (w.end <= now) continue;
    planned += w.end - std::max(w.start, now);
    if (w.start <= now) {
      current = &w;
    } else if (!next) {
      next = &w;
    }
  }
  // Behind the plan by this much: it runs on until it has caught up.
  const Duration behind = left - planned;
  if (current) {
    d.change = current->end + std::max(behind, Duration{0});
    return d;
  }
  if (behind > Duration{0} || !next) {
    d.change = now + std::max(behind, Duration{0});
    return d;
  }
  d.run = false;
  d.change = next->start;
  d.reason = "interruptible; waiting for its next clean slot: about " + Grams(best->forecast_mean) +
             " planned in " + ZoneText(*best_hub) + ", next from " + FormatTime(next->start) + "; " +
             DurationText(run - left) + " of " + DurationText(run) + " done; it finishes by " + FormatTime(*end) +
             " at the latest";
  return d;
}

std::unique_ptr<FilterPlugin> MakeCarbonFilter() { return std::make_unique<CarbonFilter>(); }

}  // namespace harch
