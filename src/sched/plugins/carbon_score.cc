// "carbon" (score): geographic shifting. A placement in hub h is worth the emissions of running
// the job in h plus those of moving its data to h, against the best hub's:
//
//   run(h)      = the accounting model (carbon/accounting.h): GPUs x power(utilisation) x
//                 expected duration (kDefaultRun without one) x PUE(h) x intensity(h) now
//   transfer(h) = for every data object stored in another hub L:
//                 size (GB) x energy per GB of the WAN route L->h
//                 x the mean of intensity(L) and intensity(h)
//   score(h)    = min over the eligible hubs of (run + transfer) / (run(h) + transfer(h))
//
// The eligible hubs are those the job's jurisdiction allows (the sovereignty filter has already
// taken the others out of the candidates: jurisdiction is a filter and is never traded for carbon)
// that are not held back by the job's latency promise or deadline:
//   - latencySensitivity high: never moved away from its data. When all its located data is in
//     one hub, that hub scores 1 and every other 0; otherwise it is not carbon-scored (1).
//   - latencySensitivity medium: a hub whose WAN route to any of its data is slower than
//     kMediumLatencyBoundMs scores 0.
//   - with a deadline: a hub where moving the data (size / bandwidth of the route, objects one
//     after the other) takes longer than the slack (deadline - now - run) scores 0.
//   - a hub that no chain of WAN links joins to the data scores 0.
// Data objects without a location (or with a hub the fleet no longer has) are not weighed.
// The same GPU power (the candidate's model) is used for every hub, so the score compares
// places, not GPU models (the heterogeneity score does that). A job of several task groups
// charges each group its share of the transfer, by GPUs.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

#include "carbon/accounting.h"
#include "sched/plugins/plugins.h"

namespace harch {
namespace {

// The run assumed for a job without expectedDuration.
constexpr Duration kDefaultRun = std::chrono::hours(1);
// One-way WAN latency beyond which latency-medium work is not moved away from its data: about
// the span of one region (the reference fleet's Dakhla-Tangier link is 18 ms, Dakhla-Dakar 30 ms).
constexpr double kMediumLatencyBoundMs = 25.0;
constexpr double kBytesPerGB = 1e9;

struct LocatedData {
  HubIdx hub;
  double gb = 0;
};

std::vector<LocatedData> Located(const Topology& topo, const JobSpec& spec) {
  std::vector<LocatedData> out;
  for (const DataObject& d : spec.data) {
    if (d.location.empty()) continue;
    if (auto hub = topo.FindHub(d.location)) {
      out.push_back({*hub, static_cast<double>(d.size.value) / kBytesPerGB});
    }
  }
  return out;
}

GpuPower PowerOf(const CarbonConfig& config, const GpuModel& model) {
  if (auto power = config.GpuPowerOf(model.name)) return *power;
  // As docs/carbon.md says: the model's board power, idle 12% of it.
  return GpuPower{0.12 * model.tdp_watts, static_cast<double>(model.tdp_watts)};
}

double Seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

class CarbonScore final : public ScorePlugin {
 public:
  std::string_view Name() const override { return "carbon"; }

  double Score(const SchedContext& ctx, const Job& job, const TaskGroupSpec& group,
               const Plan& plan) const override {
    if (!ctx.carbon || plan.grants.empty()) return 1.0;
    const Topology& topo = ctx.topo;
    const HubIdx here = topo.gpu(plan.grants.front().gpu).hub;
    const std::vector<LocatedData> data = Located(topo, job.spec);

    if (job.spec.latency == LatencySensitivity::kHigh) {
      const bool one_hub =
          !data.empty() && std::all_of(data.begin(), data.end(), [&](const LocatedData& d) {
            return d.hub == data.front().hub;
          });
      if (one_hub) return here == data.front().hub ? 1.0 : 0.0;
      return 1.0;
    }

    const auto intensity = [&](HubIdx h) {
      return ctx.carbon->Intensity(topo.hub(h).carbon_zone, ctx.now);
    };
    const auto here_intensity = intensity(here);
    if (!here_intensity) return 0.5;  // nothing known here: neither preferred nor avoided

    const Duration run = job.spec.expected_duration.value_or(kDefaultRun);
    const GpuPower power = PowerOf(ctx.carbon->config(), topo.model_of(plan.grants.front().gpu));
    const double total_milli = static_cast<double>(std::max<int64_t>(1, job.spec.TotalGpuMilli()));
    const double group_milli = static_cast<double>(group.GpuMilli());
    const double group_gpus = group_milli / 1000.0;
    const double transfer_share = group_milli / total_milli;
    std::optional<double> slack_s;
    if (job.spec.deadline) slack_s = Seconds(*job.spec.deadline - ctx.now - run);

    // Routes from every hub that holds data, once.
    std::map<uint32_t, std::vector<std::optional<WanRoute>>> routes;
    for (const LocatedData& d : data) {
      if (!routes.count(d.hub.value)) routes.emplace(d.hub.value, topo.WanRoutesFrom(d.hub));
    }

    // Emissions (kg) of the job in hub h, or nullopt when h is not eligible.
    const auto total = [&](HubIdx h) -> std::optional<double> {
      const auto i_h = intensity(h);
      if (!i_h) return std::nullopt;
      const Hub& hub = topo.hub(h);
      const GpuRun r{ctx.now, ctx.now + run, group_gpus, ctx.carbon->config().utilisation, false};
      auto f = Account(r, power, Embodied{}, HubRates{hub.pue}, nullptr, *i_h, hub.carbon_zone);
      if (!f.ok()) return std::nullopt;
      double kg = f->operational_kg;
      double move_s = 0;
      for (const LocatedData& d : data) {
        if (d.hub == h) continue;
        const auto& route = routes.at(d.hub.value)[h.value];
        if (!route) return std::nullopt;  // no WAN path to the data
        if (job.spec.latency == LatencySensitivity::kMedium &&
            route->latency_ms > kMediumLatencyBoundMs) {
          return std::nullopt;
        }
        const double i_mean = (intensity(d.hub).value_or(*i_h) + *i_h) / 2;
        kg += transfer_share * d.gb * route->energy_kwh_per_gb * i_mean / 1000.0;
        move_s += d.gb * 8 / route->bandwidth_gbps;
      }
      if (slack_s && move_s > 0 && move_s > *slack_s) return std::nullopt;
      return kg;
    };

    const auto mine = total(here);
    if (!mine) return 0.0;
    if (*mine <= 0) return 1.0;
    double best = *mine;
    const auto allowed = AllowedJurisdiction(job.spec);
    for (size_t i = 0; i < topo.hubs().size(); ++i) {
      const Hub& hub = topo.hubs()[i];
      const bool outside =
          allowed && std::find(allowed->begin(), allowed->end(), hub.country) == allowed->end();
      if (outside) continue;  // never the yardstick: the job may not run there
      if (auto kg = total(HubIdx(i))) best = std::min(best, *kg);
    }
    return best / *mine;  // 1 for the best hub, less the worse
  }
};

}  // namespace

std::unique_ptr<ScorePlugin> MakeCarbonScore() { return std::make_unique<CarbonScore>(); }

}  // namespace harch
