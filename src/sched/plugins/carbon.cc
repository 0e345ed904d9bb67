// "carbon" (filter): temporal and geographic shifting of flexible work. A job that may wait (see
// CarbonLatestStart) starts at the cleanest time its forecast offers, over every hub it may run
// in, and never later than it must start by; until then it is pending with constraint "carbon"
// and the time it waits for. Latency-sensitive work is never delayed.
// "carbon" (score): among the candidate hubs, the cleaner now scores higher.
#include <algorithm>
#include <cmath>

#include "base/time_text.h"
#include "sched/plugins/plugins.h"

namespace harch {

std::optional<Time> CarbonLatestStart(const Job& job) {
  const JobSpec& s = job.spec;
  if (!s.expected_duration || *s.expected_duration <= Duration{0}) return std::nullopt;
  if (s.latency == LatencySensitivity::kHigh || s.kind == WorkloadKind::kInference ||
      s.kind == WorkloadKind::kInteractive) {
    return std::nullopt;
  }
  std::optional<Time> latest;
  if (s.flexibility_window) latest = job.submitted + *s.flexibility_window;  // 0: may not move
  if (s.deadline) {
    const Time by = *s.deadline - *s.expected_duration;
    latest = latest ? std::min(*latest, by) : by;
  }
  return latest;
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

class CarbonFilter final : public FilterPlugin {
 public:
  std::string_view Name() const override { return "carbon"; }
  std::optional<NoFit> Filter(const SchedContext& ctx, const Job& job, const TaskGroupSpec&,
                              PlacementRequest* req) const override {
    if (!ctx.carbon) return std::nullopt;
    const auto latest = CarbonLatestStart(job);
    if (!latest || ctx.now >= *latest) return std::nullopt;
    if (auto capped = CapHubs(ctx, job, req)) return capped;
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
                         best_hub->id + (best_hub->carbon_zone_stand_in ? " (stand-in zone " + best_hub->carbon_zone + ")" : "") +
                         " from " + FormatTime(best->start);
    if (auto now = ctx.carbon->Intensity(best_hub->carbon_zone, ctx.now)) reason += " (" + Grams(*now) + " now)";
    reason += "; it starts by " + FormatTime(*latest) + " at the latest";
    NoFit why{"carbon", reason, false};
    why.retry_at = best->start;
    return why;
  }
};

class CarbonScore final : public ScorePlugin {
 public:
  std::string_view Name() const override { return "carbon"; }
  double Score(const SchedContext& ctx, const Job& job, const TaskGroupSpec&, const Plan& plan) const override {
    if (!ctx.carbon || plan.grants.empty() || job.spec.latency == LatencySensitivity::kHigh) return 1.0;
    const Hub& hub = ctx.topo.hub(ctx.topo.gpu(plan.grants.front().gpu).hub);
    const auto here = ctx.carbon->Intensity(hub.carbon_zone, ctx.now);
    if (!here || *here <= 0) return 0.5;
    double cleanest = *here;
    for (const Hub& h : ctx.topo.hubs()) {
      if (auto v = ctx.carbon->Intensity(h.carbon_zone, ctx.now)) cleanest = std::min(cleanest, *v);
    }
    return cleanest / *here;  // 1 for the cleanest hub, less the dirtier
  }
};

}  // namespace

std::unique_ptr<FilterPlugin> MakeCarbonFilter() { return std::make_unique<CarbonFilter>(); }
std::unique_ptr<ScorePlugin> MakeCarbonScore() { return std::make_unique<CarbonScore>(); }

}  // namespace harch
