// The carbon signal the scheduler reads: each zone's intensity now, and for a flexible job the
// cleanest start its forecast offers. Built from a CarbonConfig and its zones' series.
//
// A job's shifting plan is decided on the forecast known when it was submitted (seeded by the job,
// so the same job gets the same forecast every cycle) and cached: the decision does not chase
// the noise of a fresh forecast each cycle. Thread-safety: not thread-safe (the plan cache); one
// owner, like the Scheduler that reads it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "carbon/config.h"
#include "carbon/intensity.h"
#include "carbon/shifting.h"

namespace harch {

class CarbonSignal {
 public:
  CarbonSignal(CarbonConfig config, std::map<std::string, IntensitySeries> zones)
      : config_(std::move(config)), zones_(std::move(zones)) {}
  // Reads the config and its zones' files, and fetches the zones with a url once. A url that
  // cannot be fetched is an error unless the config declares defaultIntensity: then the zone
  // starts without data, a warning goes to stderr and url_failures() names it.
  static Result<CarbonSignal> Load(const std::string& config_path);

  const CarbonConfig& config() const { return config_; }
  const IntensitySeries* Zone(std::string_view zone) const;
  // The intensity in force in `zone` at `t`: the series, else the declared default, else none.
  std::optional<double> Intensity(std::string_view zone, Time t) const;
  const std::map<std::string, IntensitySeries>& zones() const { return zones_; }
  // Zones whose url failed at Load (zone -> error), which started without data.
  const std::map<std::string, std::string>& url_failures() const { return url_failures_; }

  // A refreshed answer for `zone` (carbon/http_source.h MergeSeries): its points join the
  // zone's, the fresher value wins at a time in both, points older than kCarbonHistoryKept
  // before `now` (or before the newest point, if that is earlier) are dropped. Plans cached for
  // the zone are forgotten when its data changed. Returns the number of points the zone now
  // holds. Not thread-safe: under the owner's lock; pointers from Zone() stay valid (they see
  // the new data).
  size_t MergeZone(const std::string& zone, const IntensitySeries& fresh, Time now);

  struct Plan {
    Time start;
    double forecast_mean = 0;  // over the run, by the forecast
  };
  // The start in [earliest, latest_start] with the cleanest forecast run of `duration` in `zone`,
  // on a forecast issued at `earliest` (with the configured error, seeded by `job`). nullopt
  // when the zone has no series covering the window.
  std::optional<Plan> BestStart(std::string_view zone, uint64_t job, Time earliest, Time latest_start,
                                Duration duration) const;

  // For interruptible work: the cleanest slots of [earliest, deadline) in `zone` that together
  // give `duration` of running time, on the same per-job forecast, merged into windows in time
  // order. nullopt when the zone has no series covering the window or it is too short.
  struct SlotPlan {
    std::vector<Window> windows;
    double forecast_mean = 0;  // over the slots, by the forecast
  };
  std::optional<SlotPlan> BestSlots(std::string_view zone, uint64_t job, Time earliest, Time deadline,
                                    Duration duration) const;

 private:
  IntensitySeries JobForecast(const IntensitySeries& truth, std::string_view zone, uint64_t job, Time earliest,
                              Duration horizon) const;
  CarbonConfig config_;
  std::map<std::string, IntensitySeries> zones_;
  std::map<std::string, std::string> url_failures_;
  mutable std::map<std::tuple<std::string, uint64_t, Time, Time, Duration>, std::optional<Plan>> plans_;
  mutable std::map<std::tuple<std::string, uint64_t, Time, Time, Duration>, std::optional<SlotPlan>> slot_plans_;
};

}  // namespace harch
