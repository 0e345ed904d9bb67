// The Green Software Foundation Carbon Aware SDK's WebAPI, answered from the server's carbon
// config (docs/api.md, "Carbon Aware SDK endpoints"), so tools written for that SDK work against
// HarchOS:
//
//   GET /emissions/bylocation?location=X&time=T&toTime=T2
//   GET /emissions/bylocations?location=a&location=b&time=T&toTime=T2
//   GET /emissions/bylocations/best?location=a&location=b&time=T&toTime=T2
//   GET /emissions/forecasts/current?location=a&dataStartAt=T&dataEndAt=T2&windowSize=MINUTES
//
// Pure logic: query parameters in, a status and a JSON body out; http_service.cc only routes.
// A location is a carbon zone of the config (ES) or a hub id of the fleet (tangier -> its
// carbonZone). The SDK's shapes: EmissionsData {location, time, rating (gCO2e/kWh), duration
// ("HH:MM:SS", .NET TimeSpan)}; EmissionsForecast {generatedAt, requestedAt, location,
// dataStartAt, dataEndAt, windowSize (minutes), optimalDataPoints, forecastData} whose points are
// {location, timestamp, duration (minutes), value}. Items of stand-in zones carry the extra fields
// "standIn": true and "note" (SDK clients ignore unknown fields); items asked for by hub id carry
// "zone". Errors are ValidationProblemDetails: {"type", "title", "status": 400, "errors":
// {"<parameter>": ["why"]}}.
//
// Thread-safety: pure functions over const data. CarbonSignal is only read (config, Zone), never
// asked for plans (CarbonSignal::BestStart mutates its cache and belongs to the scheduler).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "carbon/signal.h"

namespace harch {

// A hub of the fleet and its carbon zone, copied from the Topology once (hubs do not change).
struct CarbonAwareHub {
  std::string id;
  std::string zone;  // empty: the hub has no carbonZone
  bool stand_in = false;
};

struct CarbonAwareContext {
  const CarbonSignal* carbon = nullptr;  // null: the server has no --carbon (501)
  std::vector<CarbonAwareHub> hubs;
  Time now{};  // the server's clock: requestedAt and the default time / dataStartAt
};

// httplib::Params is this type: repeated keys (location=a&location=b) keep their order.
using CarbonAwareParams = std::multimap<std::string, std::string>;

struct CarbonAwareReply {
  int status = 200;  // 200, 204 (no data in range: empty body, as the SDK), 400, 501
  nlohmann::json body;  // null for 204
};

// /emissions/bylocation (`single`: exactly one location) and /emissions/bylocations: every point
// of each location's series in force during [time, toTime] (time alone: the point in force at
// it). time defaults to now, toTime to time.
CarbonAwareReply EmissionsByLocations(const CarbonAwareContext& ctx, const CarbonAwareParams& params,
                                      bool single);
// /emissions/bylocations/best: of those, the items with the lowest rating (ties all kept).
CarbonAwareReply BestEmissionsByLocations(const CarbonAwareContext& ctx, const CarbonAwareParams& params);
// /emissions/forecasts/current: per location, a forecast issued at dataStartAt (default now) for
// (dataStartAt, dataEndAt] (default dataStartAt + the config's horizon, cut at the series' end):
// the real series with the config's forecast error (Forecast(), seeded by zone and dataStartAt,
// so a request repeats). forecastData: the mean of every windowSize-long window starting on the
// series' step from dataStartAt; optimalDataPoints: the cleanest of them by BestStart().
CarbonAwareReply CurrentForecast(const CarbonAwareContext& ctx, const CarbonAwareParams& params);

// "01:00:00"; a day or more as .NET writes a TimeSpan: "1.02:00:00".
std::string FormatTimeSpan(Duration d);

}  // namespace harch
