// What a piece of work cost the planet and the budget: energy, operational and embodied
// emissions, and money, the Green Software Foundation's SCI way: SCI = (E x I + M) per R.
//
//   E  energy (kWh)        = GPUs x power(utilisation) x time x the hub's PUE
//   I  intensity (g/kWh)   = the zone's series over the run (a zone without data is an error, or
//                            a declared default: never zero)
//   M  embodied (kgCO2e)   = embodied per GPU x GPUs x (time / lifetime)
//   cost (USD)             = E x energy price + GPU-hours x rate (the spot rate when on spot)
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/status.h"
#include "carbon/intensity.h"

namespace harch {

// One GPU's draw: idle + (max - idle) x utilisation, in watts.
struct GpuPower {
  double idle_w = 0;
  double max_w = 0;
  double At(double utilisation) const { return idle_w + (max_w - idle_w) * utilisation; }
};
// Board power limits of the models in our catalog (vendor data sheets), idle ~ 12% of it.
// nullopt for a model it does not know.
std::optional<GpuPower> DefaultGpuPower(std::string_view model);

struct Embodied {
  double kg_per_gpu = 0;  // manufacturing, the GPU and its share of the server
  Duration lifetime = std::chrono::hours(24 * 365 * 4);
};

struct HubRates {
  double pue = 1.0;
  double energy_usd_per_kwh = 0;
  double gpu_hour_usd = 0;     // dedicated rate; 0: energy only
  double spot_discount = 0;    // 0.6: spot costs 40% of dedicated
};

struct GpuRun {
  Time start;
  Time end;
  double gpus = 1;          // whole-GPU equivalents (a 250m share is 0.25)
  double utilisation = 1;   // 0..1, or measured
  bool spot = false;
};

struct Footprint {
  double energy_kwh = 0;
  double intensity_g_per_kwh = 0;  // the mean that was applied
  bool intensity_defaulted = false;  // the zone had no data; the declared default was used
  double operational_kg = 0;
  double embodied_kg = 0;
  double gpu_hours = 0;
  double cost_usd = 0;
  double total_kg() const { return operational_kg + embodied_kg; }
  // SCI per functional unit (e.g. per job: 1; per GPU-hour: gpu_hours).
  double sci_kg_per(double units) const { return units > 0 ? total_kg() / units : 0; }
  Footprint& operator+=(const Footprint& o);
};

// The footprint of one run. `intensity` may be null (a zone without a series); then
// `default_g_per_kwh` is used if declared, else it is an error naming the zone.
Result<Footprint> Account(const GpuRun& run, const GpuPower& power, const Embodied& embodied,
                          const HubRates& rates, const IntensitySeries* intensity,
                          std::optional<double> default_g_per_kwh, std::string_view zone);

}  // namespace harch
