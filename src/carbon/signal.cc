#include "carbon/signal.h"

#include <iostream>

#include "carbon/http_source.h"
#include "carbon/shifting.h"

namespace harch {

Result<CarbonSignal> CarbonSignal::Load(const std::string& config_path) {
  HARCH_ASSIGN_OR_RETURN(CarbonConfig config, LoadCarbonConfigFile(config_path));
  std::map<std::string, std::string> url_failures;
  HARCH_ASSIGN_OR_RETURN(auto zones, LoadZones(config, &url_failures));
  for (const auto& [zone, error] : url_failures) {
    std::cerr << "warning: " << config_path << ": " << error << " (zone " << zone
              << " starts without data: its intensity is the defaultIntensity of " << *config.default_intensity
              << " g/kWh until a refresh succeeds)\n";
  }
  CarbonSignal signal(std::move(config), std::move(zones));
  signal.url_failures_ = std::move(url_failures);
  return signal;
}

const IntensitySeries* CarbonSignal::Zone(std::string_view zone) const {
  auto it = zones_.find(std::string(zone));
  return it == zones_.end() ? nullptr : &it->second;
}

std::optional<double> CarbonSignal::Intensity(std::string_view zone, Time t) const {
  if (const IntensitySeries* s = Zone(zone)) {
    if (auto v = s->At(t)) return v;
  }
  return config_.default_intensity;
}

std::optional<CarbonSignal::Plan> CarbonSignal::BestStart(std::string_view zone, uint64_t job,
                                                          Time earliest, Time latest_start,
                                                          Duration duration) const {
  const auto key = std::make_tuple(std::string(zone), job, earliest, latest_start, duration);
  auto it = plans_.find(key);
  if (it != plans_.end()) return it->second;
  std::optional<Plan> plan;
  if (const IntensitySeries* truth = Zone(zone)) {
    const Duration horizon = std::min(config_.forecast_horizon, latest_start + duration - earliest);
    const IntensitySeries forecast = JobForecast(*truth, zone, job, earliest, horizon);
    // Only starts whose whole run the forecast covers are candidates.
    const Time last = std::min(latest_start, earliest + horizon - duration);
    if (auto start = harch::BestStart(forecast, earliest, last, duration, config_.shift_step)) {
      plan = Plan{*start, *forecast.Mean(*start, *start + duration)};
    }
  }
  plans_.emplace(key, plan);
  return plan;
}

std::optional<CarbonSignal::SlotPlan> CarbonSignal::BestSlots(std::string_view zone, uint64_t job, Time earliest,
                                                              Time deadline, Duration duration) const {
  const auto key = std::make_tuple(std::string(zone), job, earliest, deadline, duration);
  auto it = slot_plans_.find(key);
  if (it != slot_plans_.end()) return it->second;
  std::optional<SlotPlan> plan;
  if (const IntensitySeries* truth = Zone(zone)) {
    const Duration horizon = std::min(config_.forecast_horizon, deadline - earliest);
    const IntensitySeries forecast = JobForecast(*truth, zone, job, earliest, horizon);
    if (auto windows = harch::BestSlots(forecast, earliest, earliest + horizon, duration, config_.shift_step)) {
      double integral = 0;
      for (const Window& w : *windows) integral += forecast.IntegralHours(w.start, w.end).value_or(0);
      const double hours = std::chrono::duration<double, std::ratio<3600>>(duration).count();
      plan = SlotPlan{std::move(*windows), hours > 0 ? integral / hours : 0};
    }
  }
  slot_plans_.emplace(key, plan);
  return plan;
}

IntensitySeries CarbonSignal::JobForecast(const IntensitySeries& truth, std::string_view zone, uint64_t job,
                                          Time earliest, Duration horizon) const {
  return Forecast(truth, earliest, horizon, config_.forecast_error,
                  job * 0x9e3779b97f4a7c15ULL ^ std::hash<std::string_view>{}(zone));
}

size_t CarbonSignal::MergeZone(const std::string& zone, const IntensitySeries& fresh, Time now) {
  auto it = zones_.find(zone);
  if (it == zones_.end()) {
    if (fresh.empty()) return 0;
    it = zones_.emplace(zone, IntensitySeries(zone, {})).first;
  }
  IntensitySeries& held = it->second;
  // History is kept for two weeks before now, or before the newest point when the data lags
  // behind the clock (a feed of past data is never emptied by its own refresh).
  Time newest = Time::min();
  for (const IntensitySeries* s : {static_cast<const IntensitySeries*>(&held), &fresh}) {
    if (!s->empty()) newest = std::max(newest, s->points().back().time);
  }
  if (newest == Time::min()) return 0;
  IntensitySeries merged = MergeSeries(zone, held, fresh, std::min(now, newest) - kCarbonHistoryKept);
  const auto same = [](const IntensityPoint& a, const IntensityPoint& b) {
    return a.time == b.time && a.g_per_kwh == b.g_per_kwh;
  };
  const bool changed = !std::equal(merged.points().begin(), merged.points().end(), held.points().begin(),
                                   held.points().end(), same);
  if (!changed) return held.points().size();
  held = std::move(merged);
  // Plans were made on the old data: forget this zone's.
  std::erase_if(plans_, [&](const auto& kv) { return std::get<0>(kv.first) == zone; });
  std::erase_if(slot_plans_, [&](const auto& kv) { return std::get<0>(kv.first) == zone; });
  return held.points().size();
}

}  // namespace harch
