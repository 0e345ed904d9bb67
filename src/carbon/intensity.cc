#include "carbon/intensity.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "base/time_text.h"
#include "carbon/csv.h"

namespace harch {

namespace {

constexpr double kGramsPerKwhPerLbPerMwh = 0.453592;

double Hours(Duration d) { return std::chrono::duration<double, std::ratio<3600>>(d).count(); }

Duration MedianStep(const std::vector<IntensityPoint>& p) {
  if (p.size() < 2) return std::chrono::hours(1);
  std::vector<Duration> steps;
  steps.reserve(p.size() - 1);
  for (size_t i = 1; i < p.size(); ++i) steps.push_back(p[i].time - p[i - 1].time);
  std::nth_element(steps.begin(), steps.begin() + steps.size() / 2, steps.end());
  return steps[steps.size() / 2];
}

// Checks order and gaps as points arrive; `where` names the point for messages.
class SeriesBuilder {
 public:
  SeriesBuilder(std::string file, const ReadOptions& o) : file_(std::move(file)), o_(o) {}
  Status Add(Time t, double value, const std::string& where) {
    if (!std::isfinite(value) || value < 0 || value > 5000) {
      return InvalidArgument(where + ": intensity " + std::to_string(value) +
                             " gCO2eq/kWh is not plausible (0-5000)");
    }
    if (!points_.empty()) {
      const Time last = points_.back().time;
      if (t <= last) return InvalidArgument(where + ": time goes backwards or repeats");
      if (t - last > o_.max_gap) {
        if (!o_.fill_gaps) {
          return InvalidArgument(where + ": gap of " + std::to_string(static_cast<int64_t>(Hours(t - last))) +
                                 " h after " + last_where_ + " (longer than the allowed " +
                                 std::to_string(static_cast<int64_t>(Hours(o_.max_gap))) + " h)");
        }
      }
    }
    points_.push_back({t, value});
    last_where_ = where;
    return Status::Ok();
  }
  Result<IntensitySeries> Build(const std::string& zone) {
    if (points_.empty()) return InvalidArgument(file_ + ": no data points");
    return IntensitySeries(zone, std::move(points_));
  }

 private:
  std::string file_;
  const ReadOptions& o_;
  std::vector<IntensityPoint> points_;
  std::string last_where_;
};

Result<double> Number(std::string_view s, const std::string& where, const std::string& column) {
  const std::string text(s);
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) {
    return InvalidArgument(where + ": " + column + ": '" + text + "' is not a number");
  }
  return v;
}

}  // namespace

IntensitySeries::IntensitySeries(std::string zone, std::vector<IntensityPoint> points)
    : zone_(std::move(zone)), points_(std::move(points)), step_(MedianStep(points_)) {}

Time IntensitySeries::start() const { return points_.empty() ? Time{} : points_.front().time; }
Time IntensitySeries::end() const { return points_.empty() ? Time{} : points_.back().time + step_; }

size_t IntensitySeries::IndexAt(Time t) const {
  auto it = std::upper_bound(points_.begin(), points_.end(), t,
                             [](Time v, const IntensityPoint& p) { return v < p.time; });
  return static_cast<size_t>(it - points_.begin()) - 1;
}

std::optional<double> IntensitySeries::At(Time t) const {
  if (points_.empty() || t < start() || t >= end()) return std::nullopt;
  return points_[IndexAt(t)].g_per_kwh;
}

std::optional<double> IntensitySeries::IntegralHours(Time from, Time to) const {
  if (to <= from) return 0.0;
  if (points_.empty() || from < start() || to > end()) return std::nullopt;
  double sum = 0;
  for (size_t i = IndexAt(from); i < points_.size() && points_[i].time < to; ++i) {
    const Time a = std::max(from, points_[i].time);
    const Time b = std::min(to, i + 1 < points_.size() ? points_[i + 1].time : end());
    if (b > a) sum += points_[i].g_per_kwh * Hours(b - a);
  }
  return sum;
}

std::optional<double> IntensitySeries::Mean(Time from, Time to) const {
  if (to <= from) return At(from);
  auto integral = IntegralHours(from, to);
  if (!integral) return std::nullopt;
  return *integral / Hours(to - from);
}

Result<IntensitySeries> ReadElectricityMapsCsv(std::string_view text, const std::string& file,
                                               const ReadOptions& options) {
  CsvReader csv(text, file);
  HARCH_RETURN_IF_ERROR(csv.ReadHeader());
  HARCH_ASSIGN_OR_RETURN(size_t time_col, csv.Column("Datetime (UTC)"));
  HARCH_ASSIGN_OR_RETURN(size_t zone_col, csv.Column("Zone Id"));
  HARCH_ASSIGN_OR_RETURN(size_t value_col, csv.Column(options.electricitymaps_column));
  SeriesBuilder b(file, options);
  std::string zone;
  std::vector<std::string_view> row;
  while (true) {
    HARCH_ASSIGN_OR_RETURN(bool more, csv.Next(&row));
    if (!more) break;
    const std::string where = csv.Where();
    if (zone.empty()) zone = std::string(row[zone_col]);
    if (row[zone_col] != zone) {
      return InvalidArgument(where + ": Zone Id " + std::string(row[zone_col]) + " in a file of zone " + zone);
    }
    if (row[value_col].empty()) {
      if (options.fill_gaps) continue;
      return InvalidArgument(where + ": " + options.electricitymaps_column + ": missing value");
    }
    auto t = ParseTimestamp(row[time_col]);
    if (!t.ok()) return t.status().WithContext(where + ": Datetime (UTC)");
    HARCH_ASSIGN_OR_RETURN(double v, Number(row[value_col], where, options.electricitymaps_column));
    HARCH_RETURN_IF_ERROR(b.Add(*t, v, where));
  }
  return b.Build(zone);
}

Result<IntensitySeries> ReadTimeSeriesCsv(std::string_view text, const std::string& file,
                                          const std::string& zone, const ReadOptions& options) {
  CsvReader csv(text, file);
  HARCH_RETURN_IF_ERROR(csv.ReadHeader());
  HARCH_ASSIGN_OR_RETURN(size_t time_col, csv.Column("Time"));
  HARCH_ASSIGN_OR_RETURN(size_t value_col, csv.Column("Carbon Intensity"));
  SeriesBuilder b(file, options);
  std::vector<std::string_view> row;
  while (true) {
    HARCH_ASSIGN_OR_RETURN(bool more, csv.Next(&row));
    if (!more) break;
    const std::string where = csv.Where();
    auto t = ParseTimestamp(row[time_col]);
    if (!t.ok()) return t.status().WithContext(where + ": Time");
    HARCH_ASSIGN_OR_RETURN(double v, Number(row[value_col], where, "Carbon Intensity"));
    HARCH_RETURN_IF_ERROR(b.Add(*t, v, where));
  }
  return b.Build(zone);
}

Result<IntensitySeries> ParseElectricityMapsJson(std::string_view text, const std::string& source) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument(source + ": not a JSON object");
  if (!j.contains("zone") || !j["zone"].is_string()) return InvalidArgument(source + ": zone: missing");
  nlohmann::json points = nlohmann::json::array();
  std::string key = "history";
  if (j.contains("history")) {
    points = j["history"];
  } else if (j.contains("forecast")) {
    key = "forecast";
    points = j["forecast"];
  } else if (j.contains("carbonIntensity")) {
    key = "";
    points.push_back(j);
  } else {
    return InvalidArgument(source + ": expected history, forecast or carbonIntensity");
  }
  if (!points.is_array()) return InvalidArgument(source + ": " + key + ": not an array");
  ReadOptions o;
  o.max_gap = std::chrono::hours(24 * 366);
  SeriesBuilder b(source, o);
  for (size_t i = 0; i < points.size(); ++i) {
    const std::string where = source + ": " + (key.empty() ? "" : key + "[" + std::to_string(i) + "]");
    const auto& p = points[i];
    if (!p.is_object() || !p.contains("datetime") || !p["datetime"].is_string()) {
      return InvalidArgument(where + ".datetime: missing");
    }
    if (!p.contains("carbonIntensity") || !p["carbonIntensity"].is_number()) {
      return InvalidArgument(where + ".carbonIntensity: missing or not a number");
    }
    auto t = ParseTimestamp(p["datetime"].get<std::string>());
    if (!t.ok()) return t.status().WithContext(where + ".datetime");
    HARCH_RETURN_IF_ERROR(b.Add(*t, p["carbonIntensity"].get<double>(), where));
  }
  return b.Build(j["zone"].get<std::string>());
}

Result<IntensitySeries> ParseWattTimeJson(std::string_view text, const std::string& source) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument(source + ": not a JSON object");
  if (!j.contains("data") || !j["data"].is_array()) return InvalidArgument(source + ": data: missing");
  if (!j.contains("meta") || !j["meta"].is_object()) return InvalidArgument(source + ": meta: missing");
  const auto& meta = j["meta"];
  const std::string units = meta.value("units", "");
  double factor = 0;
  if (units == "lbs_co2_per_mwh") {
    factor = kGramsPerKwhPerLbPerMwh;
  } else if (units == "g_co2_per_kwh") {
    factor = 1;
  } else {
    return InvalidArgument(source + ": meta.units: '" + units +
                           "' is not an intensity unit (lbs_co2_per_mwh or g_co2_per_kwh); a "
                           "percentile signal cannot be used as emissions");
  }
  ReadOptions o;
  o.max_gap = std::chrono::hours(24 * 366);
  SeriesBuilder b(source, o);
  // WattTime lists points newest first in some endpoints: sort by time, keeping the checks.
  std::vector<std::pair<Time, double>> raw;
  const auto& data = j["data"];
  for (size_t i = 0; i < data.size(); ++i) {
    const std::string where = source + ": data[" + std::to_string(i) + "]";
    const auto& p = data[i];
    if (!p.is_object() || !p.contains("point_time") || !p["point_time"].is_string()) {
      return InvalidArgument(where + ".point_time: missing");
    }
    if (!p.contains("value") || !p["value"].is_number()) return InvalidArgument(where + ".value: missing");
    auto t = ParseTimestamp(p["point_time"].get<std::string>());
    if (!t.ok()) return t.status().WithContext(where + ".point_time");
    raw.push_back({*t, p["value"].get<double>() * factor});
  }
  std::sort(raw.begin(), raw.end());
  for (size_t i = 0; i < raw.size(); ++i) {
    HARCH_RETURN_IF_ERROR(b.Add(raw[i].first, raw[i].second, source + ": point " + std::to_string(i)));
  }
  return b.Build(meta.value("region", ""));
}

Result<IntensitySeries> Concat(const std::vector<IntensitySeries>& parts) {
  std::vector<IntensityPoint> all;
  std::string zone;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    if (!zone.empty() && p.zone() != zone) {
      return InvalidArgument("cannot join zone " + p.zone() + " to zone " + zone);
    }
    zone = p.zone();
    if (!all.empty() && p.start() <= all.back().time) {
      return InvalidArgument("zone " + zone + ": the parts overlap or are out of order");
    }
    all.insert(all.end(), p.points().begin(), p.points().end());
  }
  if (all.empty()) return InvalidArgument("nothing to join");
  return IntensitySeries(zone, std::move(all));
}

IntensitySeries Forecast(const IntensitySeries& truth, Time now, Duration horizon, double error,
                         uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, error);
  std::vector<IntensityPoint> out;
  for (const auto& p : truth.points()) {
    if (p.time > now + horizon) break;
    double v = p.g_per_kwh;
    if (p.time > now && error > 0) v = std::max(0.0, v * (1.0 + noise(rng)));
    out.push_back({p.time, v});
  }
  return IntensitySeries(truth.zone(), std::move(out));
}

}  // namespace harch
