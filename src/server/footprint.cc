#include "server/footprint.h"

#include <algorithm>
#include <set>

#include "carbon/accounting.h"

namespace harch {

v1::Footprint JobFootprint(const JobRecord& r, const JobSpec& spec, const Topology& topo,
                           const CarbonSignal* carbon, Time now) {
  v1::Footprint out;
  if (r.runs.empty()) {
    out.set_note("it has not run yet");
    return out;
  }
  if (!carbon) {
    out.set_note("the server has no carbon config (--carbon)");
    return out;
  }
  const CarbonConfig& cfg = carbon->config();
  Footprint total;
  std::set<std::string> stand_ins;
  for (const GpuRunRecord& run : r.runs) {
    const Hub* hub = nullptr;
    for (const Hub& h : topo.hubs()) {
      if (h.id == run.hub) hub = &h;
    }
    if (!hub) {
      out.set_note("hub " + run.hub + " is no longer in the fleet");
      return out;
    }
    auto power = cfg.power.count(run.model) ? std::optional<GpuPower>(cfg.power.at(run.model))
                                            : DefaultGpuPower(run.model);
    if (!power) {
      out.set_note("no power figures for GPU model " + run.model + " (add it under spec.power)");
      return out;
    }
    const HubRates rates{hub->pue, hub->energy_price_usd_per_kwh, cfg.gpu_hour_usd, cfg.spot_discount};
    const GpuRun g{run.start, run.end.value_or(std::max(now, run.start)), run.gpus, cfg.utilisation,
                   spec.spot_tolerant};
    auto f = Account(g, *power, cfg.embodied, rates, carbon->Zone(hub->carbon_zone), cfg.default_intensity,
                     hub->carbon_zone);
    if (!f.ok()) {
      out.set_note(std::string(f.status().message()));
      return out;
    }
    total += *f;
    if (hub->carbon_zone_stand_in) stand_ins.insert(hub->carbon_zone);
  }
  out.set_known(true);
  out.set_energy_kwh(total.energy_kwh);
  out.set_emissions_kgco2e(total.total_kg());
  out.set_operational_kgco2e(total.operational_kg);
  out.set_embodied_kgco2e(total.embodied_kg);
  out.set_mean_intensity_g_per_kwh(total.intensity_g_per_kwh);
  out.set_gpu_hours(total.gpu_hours);
  out.set_cost_usd(total.cost_usd);
  for (const auto& z : stand_ins) out.add_stand_in_zones(z);
  if (total.intensity_defaulted) out.set_note("a zone had no data for part of the run: the declared defaultIntensity was used");
  return out;
}

}  // namespace harch
