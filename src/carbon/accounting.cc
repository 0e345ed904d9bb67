#include "carbon/accounting.h"

namespace harch {

namespace {
double Hours(Duration d) { return std::chrono::duration<double, std::ratio<3600>>(d).count(); }

struct ModelPower {
  std::string_view model;
  double max_w;
};
// Board power (TDP) per GPU. GB200 counts one Blackwell GPU of the superchip with its share of
// the Grace CPU.
constexpr ModelPower kPower[] = {
    {"GB200", 1200}, {"H200", 700}, {"H100-SXM", 700}, {"H100-PCIe", 350}, {"A100-SXM", 400},
    {"A100-PCIe", 300}, {"L40S", 350}, {"L4", 72}, {"A10", 150}, {"V100", 300}, {"T4", 70},
};
}  // namespace

std::optional<GpuPower> DefaultGpuPower(std::string_view model) {
  for (const auto& m : kPower) {
    if (m.model == model) return GpuPower{0.12 * m.max_w, m.max_w};
  }
  return std::nullopt;
}

Footprint& Footprint::operator+=(const Footprint& o) {
  // The mean intensity of a sum is its emissions over its energy.
  const double op = operational_kg + o.operational_kg;
  const double e = energy_kwh + o.energy_kwh;
  energy_kwh = e;
  operational_kg = op;
  intensity_g_per_kwh = e > 0 ? op * 1000 / e : 0;
  intensity_defaulted = intensity_defaulted || o.intensity_defaulted;
  embodied_kg += o.embodied_kg;
  gpu_hours += o.gpu_hours;
  cost_usd += o.cost_usd;
  return *this;
}

Result<Footprint> Account(const GpuRun& run, const GpuPower& power, const Embodied& embodied,
                          const HubRates& rates, const IntensitySeries* intensity,
                          std::optional<double> default_g_per_kwh, std::string_view zone) {
  if (run.end < run.start) return InvalidArgument("run: ends before it starts");
  if (run.gpus < 0 || run.utilisation < 0 || run.utilisation > 1) {
    return InvalidArgument("run: gpus must be >= 0 and utilisation in [0, 1]");
  }
  Footprint f;
  const double hours = Hours(run.end - run.start);
  f.gpu_hours = run.gpus * hours;
  f.energy_kwh = run.gpus * power.At(run.utilisation) * hours / 1000.0 * rates.pue;
  std::optional<double> mean;
  if (intensity) mean = intensity->Mean(run.start, run.end);
  if (!mean) {
    if (!default_g_per_kwh) {
      return FailedPrecondition("zone " + std::string(zone) +
                                " has no carbon intensity for the whole run, and no default is declared");
    }
    mean = *default_g_per_kwh;
    f.intensity_defaulted = true;
  }
  f.intensity_g_per_kwh = *mean;
  f.operational_kg = f.energy_kwh * *mean / 1000.0;
  const double lifetime_h = Hours(embodied.lifetime);
  f.embodied_kg = lifetime_h > 0 ? embodied.kg_per_gpu * run.gpus * hours / lifetime_h : 0;
  const double rate = rates.gpu_hour_usd * (run.spot ? 1.0 - rates.spot_discount : 1.0);
  f.cost_usd = f.energy_kwh * rates.energy_usd_per_kwh + f.gpu_hours * rate;
  return f;
}

}  // namespace harch
