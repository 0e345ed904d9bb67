#include "server/carbon_aware.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <functional>
#include <optional>

#include "base/time_text.h"
#include "carbon/shifting.h"

namespace harch {

namespace {

// ValidationProblemDetails, as ASP.NET writes it for the SDK: one list of messages per parameter.
class Problems {
 public:
  void Add(const std::string& param, const std::string& why) { errors_[param].push_back(why); }
  bool any() const { return !errors_.empty(); }
  CarbonAwareReply Reply() const {
    nlohmann::json errors = nlohmann::json::object();
    for (const auto& [param, list] : errors_) errors[param] = list;
    return {400,
            {{"type", "https://tools.ietf.org/html/rfc7231#section-6.5.1"},
             {"title", "One or more validation errors occurred."},
             {"status", 400},
             {"errors", errors}}};
  }

 private:
  std::map<std::string, std::vector<std::string>> errors_;
};

CarbonAwareReply NoCarbon() {
  return {501,
          {{"type", "https://tools.ietf.org/html/rfc7231#section-6.6.2"},
           {"title", "This server has no carbon config"},
           {"status", 501},
           {"detail",
            "the Carbon Aware SDK endpoints need carbon intensity data: start harch server (or harch "
            "dev) with --carbon FILE (a kind: Carbon config, e.g. examples/carbon/reference.yaml)"}}};
}

std::vector<std::string> Values(const CarbonAwareParams& params, const std::string& key) {
  std::vector<std::string> out;
  auto [a, b] = params.equal_range(key);
  for (auto it = a; it != b; ++it) out.push_back(it->second);
  return out;
}

std::optional<std::string> Value(const CarbonAwareParams& params, const std::string& key) {
  auto it = params.find(key);
  if (it == params.end()) return std::nullopt;
  return it->second;
}

// The SDK binds DateTimeOffset: RFC 3339 ("2022-07-19T14:00:00Z", "...+01:00"), a bare date
// ("2022-01-01", midnight UTC) or no zone (UTC). A '+' of an offset that a client forgot to
// escape arrives as a space; it is read back as '+'.
Result<Time> ParseQueryTime(std::string text) {
  if (text.size() == 10 && text[4] == '-' && text[7] == '-') text += "T00:00:00Z";
  if (text.size() > 19) {
    const size_t space = text.find(' ', 19);
    if (space != std::string::npos) text[space] = '+';
  }
  return ParseTimestamp(text);
}

std::optional<Time> OptionalTime(const CarbonAwareParams& params, const std::string& key, Problems* problems) {
  const auto text = Value(params, key);
  if (!text || text->empty()) return std::nullopt;
  auto t = ParseQueryTime(*text);
  if (!t.ok()) {
    problems->Add(key, "The value '" + *text + "' is not valid for " + key + ": " + t.status().message());
    return std::nullopt;
  }
  return *t;
}

// A requested location, resolved to its zone's series.
struct Location {
  std::string name;  // as asked
  std::string zone;
  const IntensitySeries* series = nullptr;
  bool stand_in = false;
  std::string note;
};

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

std::optional<Location> Resolve(const CarbonAwareContext& ctx, const std::string& name, Problems* problems) {
  const CarbonConfig& config = ctx.carbon->config();
  auto source_of = [&](const std::string& zone) -> const ZoneSource* {
    for (const ZoneSource& z : config.zones) {
      if (z.zone == zone) return &z;
    }
    return nullptr;
  };
  Location loc;
  loc.name = name;
  const CarbonAwareHub* hub = nullptr;
  if (source_of(name) != nullptr) {
    loc.zone = name;
  } else {
    for (const CarbonAwareHub& h : ctx.hubs) {
      if (h.id == name) hub = &h;
    }
    if (hub == nullptr) {
      std::vector<std::string> zones, hubs;
      for (const ZoneSource& z : config.zones) zones.push_back(z.zone);
      for (const CarbonAwareHub& h : ctx.hubs) hubs.push_back(h.id);
      problems->Add("location", "unknown location '" + name + "': not a carbon zone of the carbon config (" +
                                    Join(zones) + ") nor a hub of the fleet (" + Join(hubs) + ")");
      return std::nullopt;
    }
    if (hub->zone.empty()) {
      problems->Add("location", "hub '" + name + "' has no carbonZone in the fleet spec");
      return std::nullopt;
    }
    loc.zone = hub->zone;
  }
  const ZoneSource* source = source_of(loc.zone);
  loc.series = ctx.carbon->Zone(loc.zone);
  if (source == nullptr || loc.series == nullptr || loc.series->empty()) {
    problems->Add("location", "location '" + name + "' is in carbon zone " + loc.zone +
                                  ", which the carbon config has no intensity series for");
    return std::nullopt;
  }
  loc.stand_in = source->stand_in || (hub != nullptr && hub->stand_in);
  loc.note = source->note;
  if (loc.stand_in && loc.note.empty()) {
    loc.note = "zone " + loc.zone + " is a stand-in: another place's real series";
  }
  return loc;
}

std::vector<Location> ResolveAll(const CarbonAwareContext& ctx, const CarbonAwareParams& params, bool single,
                                 Problems* problems) {
  std::vector<std::string> names = Values(params, "location");
  if (!single) {
    for (auto& n : Values(params, "locations")) names.push_back(std::move(n));  // older SDK docs
  }
  if (names.empty()) {
    problems->Add("location", "The location field is required.");
    return {};
  }
  if (single && names.size() > 1) {
    problems->Add("location", "one location only; use /emissions/bylocations for several");
    return {};
  }
  std::vector<Location> out;
  for (const std::string& name : names) {
    if (name.empty()) {
      problems->Add("location", "The location field is required.");
    } else if (auto loc = Resolve(ctx, name, problems)) {
      out.push_back(std::move(*loc));
    }
  }
  return out;
}

// The non-standard fields HarchOS adds; SDK clients ignore them.
void AddExtras(const Location& loc, nlohmann::json* item) {
  if (loc.zone != loc.name) (*item)["zone"] = loc.zone;
  if (loc.stand_in) {
    (*item)["standIn"] = true;
    (*item)["note"] = loc.note;
  }
}

// time, toTime and the locations of the emissions endpoints; nullopt after adding problems.
struct EmissionsQuery {
  std::vector<Location> locations;
  Time from;
  Time to;
};

std::optional<EmissionsQuery> ParseEmissionsQuery(const CarbonAwareContext& ctx, const CarbonAwareParams& params,
                                                  bool single, Problems* problems) {
  EmissionsQuery q;
  q.locations = ResolveAll(ctx, params, single, problems);
  const auto time = OptionalTime(params, "time", problems);
  const auto to_time = OptionalTime(params, "toTime", problems);
  if (to_time && !time && !problems->any()) {
    problems->Add("time", "time is required when toTime is given");
  }
  if (problems->any()) return std::nullopt;
  q.from = time.value_or(ctx.now);
  q.to = to_time.value_or(q.from);
  if (q.to < q.from) {
    problems->Add("toTime", "toTime (" + FormatTime(q.to) + ") is before time (" + FormatTime(q.from) + ")");
    return std::nullopt;
  }
  return q;
}

// Each point of the location's series in force during [from, to] (from == to: the one point in
// force then), as EmissionsData.
void AppendEmissions(const Location& loc, Time from, Time to, nlohmann::json* out) {
  const auto& points = loc.series->points();
  for (size_t i = 0; i < points.size(); ++i) {
    const Time start = points[i].time;
    const Time end = i + 1 < points.size() ? points[i + 1].time : loc.series->end();
    const bool in = from == to ? (start <= from && from < end) : (start < to && end > from);
    if (!in) continue;
    nlohmann::json item = {{"location", loc.name},
                           {"time", FormatTime(start)},
                           {"rating", points[i].g_per_kwh},
                           {"duration", FormatTimeSpan(end - start)}};
    AddExtras(loc, &item);
    out->push_back(std::move(item));
  }
}

nlohmann::json ForecastPoint(const Location& loc, Time start, Duration window, double value) {
  return {{"location", loc.name},
          {"timestamp", FormatTime(start)},
          {"duration", std::chrono::duration_cast<std::chrono::minutes>(window).count()},
          {"value", value}};
}

}  // namespace

std::string FormatTimeSpan(Duration d) {
  using namespace std::chrono;
  if (d < Duration{0}) d = Duration{0};
  const auto s = duration_cast<seconds>(d).count();
  const long long days = s / 86400, h = (s % 86400) / 3600, m = (s % 3600) / 60, sec = s % 60;
  char buf[48];
  if (days > 0) {
    std::snprintf(buf, sizeof(buf), "%lld.%02lld:%02lld:%02lld", days, h, m, sec);
  } else {
    std::snprintf(buf, sizeof(buf), "%02lld:%02lld:%02lld", h, m, sec);
  }
  return buf;
}

CarbonAwareReply EmissionsByLocations(const CarbonAwareContext& ctx, const CarbonAwareParams& params,
                                      bool single) {
  if (ctx.carbon == nullptr) return NoCarbon();
  Problems problems;
  const auto q = ParseEmissionsQuery(ctx, params, single, &problems);
  if (!q) return problems.Reply();
  nlohmann::json items = nlohmann::json::array();
  for (const Location& loc : q->locations) AppendEmissions(loc, q->from, q->to, &items);
  if (items.empty()) return {204, nullptr};  // the SDK answers No Content
  return {200, std::move(items)};
}

CarbonAwareReply BestEmissionsByLocations(const CarbonAwareContext& ctx, const CarbonAwareParams& params) {
  if (ctx.carbon == nullptr) return NoCarbon();
  Problems problems;
  const auto q = ParseEmissionsQuery(ctx, params, false, &problems);
  if (!q) return problems.Reply();
  nlohmann::json items = nlohmann::json::array();
  for (const Location& loc : q->locations) AppendEmissions(loc, q->from, q->to, &items);
  if (items.empty()) return {204, nullptr};
  double best = items[0]["rating"].get<double>();
  for (const auto& item : items) best = std::min(best, item["rating"].get<double>());
  nlohmann::json out = nlohmann::json::array();
  for (auto& item : items) {
    if (item["rating"].get<double>() == best) out.push_back(std::move(item));
  }
  return {200, std::move(out)};
}

CarbonAwareReply CurrentForecast(const CarbonAwareContext& ctx, const CarbonAwareParams& params) {
  if (ctx.carbon == nullptr) return NoCarbon();
  const CarbonConfig& config = ctx.carbon->config();
  Problems problems;
  const std::vector<Location> locations = ResolveAll(ctx, params, false, &problems);
  const auto data_start = OptionalTime(params, "dataStartAt", &problems);
  const auto data_end = OptionalTime(params, "dataEndAt", &problems);
  std::optional<Duration> window;
  if (const auto text = Value(params, "windowSize"); text && !text->empty()) {
    int minutes = 0;
    auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), minutes);
    if (ec != std::errc() || p != text->data() + text->size() || minutes <= 0) {
      problems.Add("windowSize", "The value '" + *text + "' is not valid for windowSize: a whole number of minutes > 0");
    } else {
      window = std::chrono::minutes(minutes);
    }
  }
  if (problems.any()) return problems.Reply();

  nlohmann::json out = nlohmann::json::array();
  for (const Location& loc : locations) {
    const IntensitySeries& truth = *loc.series;
    const std::string covers = "zone " + loc.zone + "'s series covers " + FormatTime(truth.start()) + " to " +
                               FormatTime(truth.end());
    const Time start = data_start.value_or(ctx.now);
    if (!truth.At(start)) {
      if (data_start) {
        problems.Add("dataStartAt", "dataStartAt " + FormatTime(start) + " is outside the data of '" + loc.name +
                                        "': " + covers);
      } else {
        problems.Add("dataStartAt", "now (" + FormatTime(start) + ") is outside the data of '" + loc.name + "': " +
                                        covers + "; pass dataStartAt");
      }
      continue;
    }
    Time end = std::min(start + config.forecast_horizon, truth.end());
    if (data_end) {
      if (*data_end <= start) {
        problems.Add("dataEndAt", "dataEndAt " + FormatTime(*data_end) + " is not after dataStartAt " + FormatTime(start));
        continue;
      }
      if (*data_end - start > config.forecast_horizon) {
        problems.Add("dataEndAt", "dataEndAt " + FormatTime(*data_end) + " is beyond the forecast horizon (" +
                                      FormatTimeSpan(config.forecast_horizon) + ") from dataStartAt " +
                                      FormatTime(start));
        continue;
      }
      if (*data_end > truth.end()) {
        problems.Add("dataEndAt", "dataEndAt " + FormatTime(*data_end) + " is after the data of '" + loc.name +
                                      "': " + covers);
        continue;
      }
      end = *data_end;
    }
    const Duration step = truth.step() > Duration{0} ? truth.step() : std::chrono::hours(1);
    const Duration win = window.value_or(step);
    // Seeded by zone and issue time: the same request gets the same forecast.
    const uint64_t seed = std::hash<std::string>{}(loc.zone) ^
                          static_cast<uint64_t>(start.time_since_epoch().count()) * 0x9e3779b97f4a7c15ULL;
    const IntensitySeries forecast = Forecast(truth, start, end - start, config.forecast_error, seed);

    nlohmann::json data = nlohmann::json::array();
    std::optional<Time> last;  // the last window start the forecast covers
    for (Time t = start; t + win <= end; t += step) {
      const auto mean = forecast.Mean(t, t + win);
      if (!mean) break;
      data.push_back(ForecastPoint(loc, t, win, *mean));
      last = t;
    }
    nlohmann::json optimal = nlohmann::json::array();
    if (last) {
      if (auto best = BestStart(forecast, start, *last, win, step)) {
        nlohmann::json point = ForecastPoint(loc, *best, win, *forecast.Mean(*best, *best + win));
        AddExtras(loc, &point);
        optimal.push_back(std::move(point));
      }
    }
    nlohmann::json f = {{"generatedAt", FormatTime(start)},
                        {"requestedAt", FormatTime(ctx.now)},
                        {"location", loc.name},
                        {"dataStartAt", FormatTime(start)},
                        {"dataEndAt", FormatTime(end)},
                        {"windowSize", std::chrono::duration_cast<std::chrono::minutes>(win).count()},
                        {"optimalDataPoints", std::move(optimal)},
                        {"forecastData", std::move(data)}};
    AddExtras(loc, &f);
    out.push_back(std::move(f));
  }
  if (problems.any()) return problems.Reply();
  return {200, std::move(out)};
}

}  // namespace harch
