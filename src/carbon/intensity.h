// Grid carbon intensity: a time series per carbon zone, and the readers that load one from the
// shapes it comes in: Electricity Maps hourly CSV exports, "time, intensity" CSVs (the Let's Wait
// Awhile data), and the JSON responses of the Electricity Maps v3 and WattTime v3 APIs.
//
// Intensities are gCO2eq/kWh. A series is a step function: each point holds until the next. A
// time outside the series has no intensity (nullopt), never zero: callers decide between failing
// and a declared default (see CarbonConfig). Thread-safety: values; readers are stateless.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace harch {

struct IntensityPoint {
  Time time;
  double g_per_kwh = 0;
};

class IntensitySeries {
 public:
  IntensitySeries() = default;
  // REQUIRES: points sorted by strictly increasing time (the readers check and say where not).
  IntensitySeries(std::string zone, std::vector<IntensityPoint> points);

  const std::string& zone() const { return zone_; }
  const std::vector<IntensityPoint>& points() const { return points_; }
  bool empty() const { return points_.empty(); }
  // The usual spacing of points (the median), and the covered span [start, end): the last
  // point holds for one usual step.
  Duration step() const { return step_; }
  Time start() const;
  Time end() const;

  // The intensity in force at `t`; nullopt outside the covered span.
  std::optional<double> At(Time t) const;
  // The time-weighted mean over [from, to); nullopt unless the span covers all of it.
  std::optional<double> Mean(Time from, Time to) const;
  // Integral of intensity over [from, to) in g/kWh x hours; nullopt unless covered.
  std::optional<double> IntegralHours(Time from, Time to) const;

 private:
  size_t IndexAt(Time t) const;  // REQUIRES: start() <= t < end()
  std::string zone_;
  std::vector<IntensityPoint> points_;
  Duration step_{0};
};

// How readers treat holes in a series: a gap longer than max_gap between consecutive points is
// an error naming the lines, unless fill_gaps, which holds the last value across it.
struct ReadOptions {
  Duration max_gap = std::chrono::hours(3);
  bool fill_gaps = false;
  // Electricity Maps CSV: which intensity column ("LCA" life-cycle, or "direct").
  std::string electricitymaps_column = "Carbon Intensity gCO\u2082eq/kWh (LCA)";
};

// Electricity Maps hourly export ("Datetime (UTC)", "Zone Id", "Carbon Intensity gCO₂eq/kWh
// (LCA)" found by header name). Several files of one zone (years) may be concatenated with
// Concat.
Result<IntensitySeries> ReadElectricityMapsCsv(std::string_view text, const std::string& file,
                                               const ReadOptions& options = {});
// "Time,Carbon Intensity" (Let's Wait Awhile, and our own format); the zone is given.
Result<IntensitySeries> ReadTimeSeriesCsv(std::string_view text, const std::string& file,
                                          const std::string& zone, const ReadOptions& options = {});
// Electricity Maps v3 JSON: /carbon-intensity/history and /forecast ({"zone", "history" or
// "forecast": [{"carbonIntensity", "datetime"}]}) or /latest (one point at the top level).
Result<IntensitySeries> ParseElectricityMapsJson(std::string_view text, const std::string& source);
// WattTime v3 JSON: {"data": [{"point_time", "value"}], "meta": {"region", "units"}}; units
// "lbs_co2_per_mwh" are converted (1 lb/MWh = 0.453592 g/kWh), "g_co2_per_kwh" are kept, any
// other unit is refused.
Result<IntensitySeries> ParseWattTimeJson(std::string_view text, const std::string& source);

// Joins series of one zone that follow each other (e.g. 2021 and 2022 files).
Result<IntensitySeries> Concat(const std::vector<IntensitySeries>& parts);

// A forecast made at `now` for (now, now + horizon]: the true series with a relative error drawn
// per point from a normal distribution of standard deviation `error` (0.05 = 5%), seeded.
// Points at or before `now` are the truth (they are measurements by then).
IntensitySeries Forecast(const IntensitySeries& truth, Time now, Duration horizon, double error,
                         uint64_t seed);

// "2021-01-01 00:00:00", "2021-01-01T00:00:00Z", "...00.000Z", "...+01:00" (to UTC).
Result<Time> ParseTimestamp(std::string_view text);

}  // namespace harch
