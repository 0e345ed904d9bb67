// The Carbon Aware SDK endpoints: each reply checked field by field against the SDK's shapes on a
// hand-made series, and once through a real server over HTTP.
#include "server/carbon_aware.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "base/time_text.h"
#include "server/server.h"
#include "server/test_util.h"

namespace harch {
namespace {

using ::testing::HasSubstr;
using std::chrono::hours;
using std::chrono::minutes;

Time At(const char* text) {
  auto t = ParseTime(text);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return *t;
}

IntensitySeries Hourly(const std::string& zone, Time start, const std::vector<double>& values) {
  std::vector<IntensityPoint> points;
  for (size_t i = 0; i < values.size(); ++i) points.push_back({start + hours(i), values[i]});
  return IntensitySeries(zone, std::move(points));
}

// ES (a stand-in, as in examples/carbon) and FR, 12 hourly points from 2022-01-01T00:00Z.
const std::vector<double> kEs = {300, 250, 200, 100, 120, 90, 90, 200, 300, 310, 320, 330};
const std::vector<double> kFr = {50, 60, 40, 80, 70, 60, 40, 55, 65, 75, 85, 95};

class CarbonAwareTest : public ::testing::Test {
 protected:
  void SetUp() override { Make(0.0); }

  void Make(double forecast_error) {
    CarbonConfig config;
    config.name = "test";
    config.forecast_error = forecast_error;
    config.forecast_horizon = hours(72);
    ZoneSource es;
    es.zone = "ES";
    es.stand_in = true;
    es.note = "Spain's grid standing in for Morocco";
    ZoneSource fr;
    fr.zone = "FR";
    config.zones = {es, fr};
    std::map<std::string, IntensitySeries> zones;
    zones["ES"] = Hourly("ES", start_, kEs);
    zones["FR"] = Hourly("FR", start_, kFr);
    carbon_ = std::make_unique<CarbonSignal>(std::move(config), std::move(zones));
    ctx_.carbon = carbon_.get();
    ctx_.hubs = {{"tangier", "ES", true}, {"paris", "FR", false}, {"nowhere", "", false}};
    ctx_.now = At("2022-01-01T03:30:00Z");
  }

  const Time start_ = At("2022-01-01T00:00:00Z");
  std::unique_ptr<CarbonSignal> carbon_;
  CarbonAwareContext ctx_;
};

TEST_F(CarbonAwareTest, ByLocationGivesEmissionsDataInTheSdkShape) {
  const auto r = EmissionsByLocations(
      ctx_, {{"location", "FR"}, {"time", "2022-01-01T01:00:00Z"}, {"toTime", "2022-01-01T03:00:00Z"}}, true);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  ASSERT_TRUE(r.body.is_array());
  ASSERT_EQ(r.body.size(), 2u);  // the points of 01:00 and 02:00; 03:00 starts at toTime
  const auto& a = r.body[0];
  EXPECT_EQ(a["location"], "FR");
  EXPECT_EQ(a["time"], "2022-01-01T01:00:00Z");
  EXPECT_DOUBLE_EQ(a["rating"].get<double>(), 60);
  EXPECT_EQ(a["duration"], "01:00:00");
  EXPECT_FALSE(a.contains("standIn"));
  EXPECT_FALSE(a.contains("zone"));
  EXPECT_EQ(r.body[1]["time"], "2022-01-01T02:00:00Z");
  EXPECT_DOUBLE_EQ(r.body[1]["rating"].get<double>(), 40);

  // time alone: the point in force then; no time: now (03:30, the 03:00 point).
  const auto one = EmissionsByLocations(ctx_, {{"location", "FR"}, {"time", "2022-01-01T02:15:00Z"}}, true);
  ASSERT_EQ(one.status, 200);
  ASSERT_EQ(one.body.size(), 1u);
  EXPECT_EQ(one.body[0]["time"], "2022-01-01T02:00:00Z");
  const auto now = EmissionsByLocations(ctx_, {{"location", "FR"}}, true);
  ASSERT_EQ(now.status, 200);
  EXPECT_EQ(now.body[0]["time"], "2022-01-01T03:00:00Z");
}

TEST_F(CarbonAwareTest, HubIdsMapToTheirZoneAndStandInsAreFlagged) {
  const auto r = EmissionsByLocations(
      ctx_, {{"location", "tangier"}, {"location", "paris"}, {"time", "2022-01-01T05:00:00Z"}}, false);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  ASSERT_EQ(r.body.size(), 2u);
  EXPECT_EQ(r.body[0]["location"], "tangier");
  EXPECT_EQ(r.body[0]["zone"], "ES");
  EXPECT_DOUBLE_EQ(r.body[0]["rating"].get<double>(), 90);
  EXPECT_EQ(r.body[0]["standIn"], true);
  EXPECT_EQ(r.body[0]["note"], "Spain's grid standing in for Morocco");
  EXPECT_EQ(r.body[1]["location"], "paris");
  EXPECT_EQ(r.body[1]["zone"], "FR");
  EXPECT_FALSE(r.body[1].contains("standIn"));

  // A zone asked for by name is flagged too.
  const auto es = EmissionsByLocations(ctx_, {{"location", "ES"}, {"time", "2022-01-01T05:00:00Z"}}, true);
  ASSERT_EQ(es.status, 200);
  EXPECT_EQ(es.body[0]["standIn"], true);
  EXPECT_FALSE(es.body[0].contains("zone"));
}

TEST_F(CarbonAwareTest, BestKeepsTheLowestRatingItems) {
  const auto r = BestEmissionsByLocations(ctx_, {{"location", "tangier"},
                                                 {"location", "FR"},
                                                 {"time", "2022-01-01T00:00:00Z"},
                                                 {"toTime", "2022-01-01T08:00:00Z"}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  // FR has 40 at 02:00 and 06:00; ES never goes below 90.
  ASSERT_EQ(r.body.size(), 2u);
  for (const auto& item : r.body) {
    EXPECT_EQ(item["location"], "FR");
    EXPECT_DOUBLE_EQ(item["rating"].get<double>(), 40);
    EXPECT_EQ(item["duration"], "01:00:00");
  }
  EXPECT_EQ(r.body[0]["time"], "2022-01-01T02:00:00Z");
  EXPECT_EQ(r.body[1]["time"], "2022-01-01T06:00:00Z");

  const auto es = BestEmissionsByLocations(ctx_, {{"location", "tangier"},
                                                  {"time", "2022-01-01T00:00:00Z"},
                                                  {"toTime", "2022-01-01T12:00:00Z"}});
  ASSERT_EQ(es.status, 200);
  ASSERT_EQ(es.body.size(), 2u);  // 90 at 05:00 and 06:00
  EXPECT_EQ(es.body[0]["time"], "2022-01-01T05:00:00Z");
  EXPECT_EQ(es.body[0]["standIn"], true);
}

TEST_F(CarbonAwareTest, NoDataInRangeIsNoContent) {
  const auto r = EmissionsByLocations(
      ctx_, {{"location", "FR"}, {"time", "2023-06-01"}, {"toTime", "2023-06-02"}}, true);
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.body.is_null());
  EXPECT_EQ(BestEmissionsByLocations(ctx_, {{"location", "FR"}, {"time", "2020-01-01T00:00:00Z"}}).status, 204);
}

TEST_F(CarbonAwareTest, BadInputIsAValidationProblemNamingTheParameter) {
  auto expect_problem = [](const CarbonAwareReply& r, const std::string& param, const std::string& text) {
    ASSERT_EQ(r.status, 400) << r.body.dump();
    EXPECT_EQ(r.body["status"], 400);
    EXPECT_TRUE(r.body["title"].is_string());
    ASSERT_TRUE(r.body["errors"].contains(param)) << r.body.dump();
    ASSERT_TRUE(r.body["errors"][param].is_array());
    EXPECT_THAT(r.body["errors"][param][0].get<std::string>(), HasSubstr(text));
  };
  expect_problem(EmissionsByLocations(ctx_, {{"location", "atlantis"}}, true), "location", "atlantis");
  expect_problem(EmissionsByLocations(ctx_, {{"location", "nowhere"}}, true), "location", "no carbonZone");
  expect_problem(EmissionsByLocations(ctx_, {}, true), "location", "required");
  expect_problem(EmissionsByLocations(ctx_, {{"location", "FR"}, {"time", "yesterday"}}, true), "time", "yesterday");
  expect_problem(EmissionsByLocations(ctx_, {{"location", "FR"}, {"toTime", "2022-01-01T01:00:00Z"}}, true),
                 "time", "required when toTime");
  expect_problem(EmissionsByLocations(ctx_, {{"location", "FR"}, {"time", "2022-01-01T05:00:00Z"},
                                             {"toTime", "2022-01-01T01:00:00Z"}}, true),
                 "toTime", "before time");
  expect_problem(BestEmissionsByLocations(ctx_, {{"location", "FR"}, {"location", "mars"}}), "location", "mars");
  expect_problem(CurrentForecast(ctx_, {{"location", "atlantis"}}), "location", "atlantis");
  expect_problem(CurrentForecast(ctx_, {{"location", "FR"}, {"dataStartAt", "2022-13-01T00:00:00Z"}}),
                 "dataStartAt", "month");
  expect_problem(CurrentForecast(ctx_, {{"location", "FR"}, {"windowSize", "ten"}}), "windowSize", "ten");
  expect_problem(CurrentForecast(ctx_, {{"location", "FR"}, {"dataStartAt", "2023-01-01T00:00:00Z"}}),
                 "dataStartAt", "outside");
  expect_problem(CurrentForecast(ctx_, {{"location", "FR"}, {"dataStartAt", "2022-01-01T02:00:00Z"},
                                        {"dataEndAt", "2022-01-01T01:00:00Z"}}),
                 "dataEndAt", "not after");
}

TEST_F(CarbonAwareTest, WithoutCarbonConfigTheEndpointsSayNotImplemented) {
  CarbonAwareContext none;
  for (const auto& r : {EmissionsByLocations(none, {{"location", "ES"}}, true),
                        BestEmissionsByLocations(none, {{"location", "ES"}}),
                        CurrentForecast(none, {{"location", "ES"}})}) {
    EXPECT_EQ(r.status, 501);
    EXPECT_THAT(r.body["detail"].get<std::string>(), HasSubstr("--carbon"));
  }
}

TEST_F(CarbonAwareTest, ForecastHasTheSdkShapeAndTheLowestMeanWindowIsOptimal) {
  const auto r = CurrentForecast(ctx_, {{"location", "tangier"},
                                        {"dataStartAt", "2022-01-01T00:00:00Z"},
                                        {"dataEndAt", "2022-01-01T12:00:00Z"},
                                        {"windowSize", "120"}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  ASSERT_EQ(r.body.size(), 1u);
  const auto& f = r.body[0];
  EXPECT_EQ(f["location"], "tangier");
  EXPECT_EQ(f["generatedAt"], "2022-01-01T00:00:00Z");
  EXPECT_EQ(f["requestedAt"], "2022-01-01T03:30:00Z");
  EXPECT_EQ(f["dataStartAt"], "2022-01-01T00:00:00Z");
  EXPECT_EQ(f["dataEndAt"], "2022-01-01T12:00:00Z");
  EXPECT_EQ(f["windowSize"], 120);
  EXPECT_EQ(f["standIn"], true);
  EXPECT_EQ(f["zone"], "ES");
  // No forecast error here: the 2-hour means of the real series, one per hourly start that fits.
  const auto& data = f["forecastData"];
  ASSERT_EQ(data.size(), 11u);  // 00:00 .. 10:00
  EXPECT_EQ(data[0]["location"], "tangier");
  EXPECT_EQ(data[0]["timestamp"], "2022-01-01T00:00:00Z");
  EXPECT_EQ(data[0]["duration"], 120);
  EXPECT_DOUBLE_EQ(data[0]["value"].get<double>(), 275);
  EXPECT_EQ(data[10]["timestamp"], "2022-01-01T10:00:00Z");
  EXPECT_DOUBLE_EQ(data[10]["value"].get<double>(), 325);
  const auto& opt = f["optimalDataPoints"];
  ASSERT_EQ(opt.size(), 1u);
  EXPECT_EQ(opt[0]["timestamp"], "2022-01-01T05:00:00Z");  // (90 + 90) / 2
  EXPECT_DOUBLE_EQ(opt[0]["value"].get<double>(), 90);
  EXPECT_EQ(opt[0]["duration"], 120);
  EXPECT_EQ(opt[0]["location"], "tangier");
  EXPECT_EQ(opt[0]["standIn"], true);

  // Defaults: windowSize one step (60), dataEndAt the end of the series (within the horizon).
  const auto d = CurrentForecast(ctx_, {{"location", "FR"}, {"dataStartAt", "2022-01-01T00:00:00Z"}});
  ASSERT_EQ(d.status, 200) << d.body.dump();
  EXPECT_EQ(d.body[0]["windowSize"], 60);
  EXPECT_EQ(d.body[0]["dataEndAt"], "2022-01-01T12:00:00Z");
  EXPECT_EQ(d.body[0]["forecastData"].size(), 12u);
  EXPECT_EQ(d.body[0]["optimalDataPoints"][0]["timestamp"], "2022-01-01T02:00:00Z");  // 40, the first
  EXPECT_FALSE(d.body[0].contains("standIn"));

  // A window longer than the data: empty arrays, as the SDK.
  const auto w = CurrentForecast(ctx_, {{"location", "FR"}, {"dataStartAt", "2022-01-01T06:00:00Z"},
                                        {"windowSize", "1440"}});
  ASSERT_EQ(w.status, 200);
  EXPECT_TRUE(w.body[0]["forecastData"].empty());
  EXPECT_TRUE(w.body[0]["optimalDataPoints"].empty());
}

TEST_F(CarbonAwareTest, ForecastWithErrorIsSeededAndItsOptimumIsTheLowestWindow) {
  Make(0.2);
  const CarbonAwareParams q = {{"location", "ES"}, {"dataStartAt", "2022-01-01T00:30:00Z"}, {"windowSize", "90"}};
  const auto r = CurrentForecast(ctx_, q);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(CurrentForecast(ctx_, q).body, r.body);  // the same request, the same forecast
  const auto& data = r.body[0]["forecastData"];
  ASSERT_FALSE(data.empty());
  EXPECT_EQ(data[0]["timestamp"], "2022-01-01T00:30:00Z");
  bool noisy = false;  // the forecast differs from the truth somewhere
  double lowest = data[0]["value"].get<double>();
  std::string lowest_at = data[0]["timestamp"];
  for (const auto& p : data) {
    const Time t = At(p["timestamp"].get<std::string>().c_str());
    const double truth = *carbon_->Zone("ES")->Mean(t, t + minutes(90));
    if (std::abs(p["value"].get<double>() - truth) > 1e-6) noisy = true;
    if (p["value"].get<double>() < lowest - 1e-9) {
      lowest = p["value"].get<double>();
      lowest_at = p["timestamp"];
    }
  }
  EXPECT_TRUE(noisy);
  const auto& opt = r.body[0]["optimalDataPoints"];
  ASSERT_EQ(opt.size(), 1u);
  EXPECT_EQ(opt[0]["timestamp"], lowest_at);
  EXPECT_DOUBLE_EQ(opt[0]["value"].get<double>(), lowest);
}

TEST(CarbonAwareTimeSpan, FormatsLikeDotNet) {
  EXPECT_EQ(FormatTimeSpan(hours(1)), "01:00:00");
  EXPECT_EQ(FormatTimeSpan(minutes(90) + std::chrono::seconds(5)), "01:30:05");
  EXPECT_EQ(FormatTimeSpan(hours(26)), "1.02:00:00");
}

// Through a real server: --carbon with a tiny CSV, a fleet whose hub maps to a stand-in zone.
TEST(CarbonAwareHttpTest, ServerAnswersTheSdkRoutes) {
  TempDir dir;
  std::string csv = "Time,Carbon Intensity\n";
  for (int h = 0; h < 6; ++h) {
    csv += "2022-01-01T0" + std::to_string(h) + ":00:00Z," + std::to_string(100 + 10 * (h % 3)) + "\n";
  }
  ASSERT_TRUE(WriteFileAtomic(dir.path() + "/es.csv", csv).ok());
  ASSERT_TRUE(WriteFileAtomic(dir.path() + "/carbon.yaml",
                              "apiVersion: harchos.io/v1alpha1\nkind: Carbon\nmetadata: {name: t}\nspec:\n"
                              "  forecast: {error: 0}\n  embodied: {kgPerGpu: 350, lifetime: 1460d}\n"
                              "  zones:\n    - zone: ES\n      format: time-series-csv\n      files: [es.csv]\n"
                              "      standIn: true\n      note: Spain standing in for Morocco\n")
                  .ok());
  ASSERT_TRUE(WriteFileAtomic(dir.path() + "/fleet.yaml",
                              "apiVersion: harchos.io/v1alpha1\nkind: Fleet\nmetadata: {name: f}\nspec:\n  hubs:\n"
                              "    - id: tangier\n      country: MA\n      carbonZone: ES\n"
                              "      carbonZoneStandIn: true\n      racks:\n        - id: r\n          nodes:\n"
                              "            - {name: \"0\", cpu: 32, memory: 256GiB, gpus: {model: H100-SXM, "
                              "count: 2, nvlink: nvswitch}}\n")
                  .ok());
  const ServerOptions o = LoopbackServerOptions(dir.path(), dir.path() + "/fleet.yaml", dir.path() + "/carbon.yaml");
  auto server = Server::Start(o);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto hp = SplitHostPort((*server)->http_address());
  ASSERT_TRUE(hp.ok());
  httplib::Client client(hp->first, hp->second);

  auto get = [&](const std::string& path) {
    auto res = client.Get(path);
    EXPECT_TRUE(res) << path;
    return res;
  };
  auto res = get("/emissions/bylocation?location=tangier&time=2022-01-01T01:00:00Z&toTime=2022-01-01T03:00:00Z");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto body = nlohmann::json::parse(res->body);
  ASSERT_EQ(body.size(), 2u);
  EXPECT_EQ(body[0]["location"], "tangier");
  EXPECT_EQ(body[0]["time"], "2022-01-01T01:00:00Z");
  EXPECT_DOUBLE_EQ(body[0]["rating"].get<double>(), 110);
  EXPECT_EQ(body[0]["duration"], "01:00:00");
  EXPECT_EQ(body[0]["standIn"], true);

  res = get("/emissions/bylocations/best?location=ES&location=tangier&time=2022-01-01T00:00:00Z"
            "&toTime=2022-01-01T06:00:00Z");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  body = nlohmann::json::parse(res->body);
  ASSERT_EQ(body.size(), 4u);  // 100 at 00:00 and 03:00, for each name
  for (const auto& item : body) EXPECT_DOUBLE_EQ(item["rating"].get<double>(), 100);

  res = get("/emissions/forecasts/current?location=ES&dataStartAt=2022-01-01T00:00:00Z&windowSize=120");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  body = nlohmann::json::parse(res->body);
  EXPECT_EQ(body[0]["windowSize"], 120);
  EXPECT_EQ(body[0]["optimalDataPoints"][0]["timestamp"], "2022-01-01T00:00:00Z");  // (100+110)/2 first
  EXPECT_EQ(body[0]["forecastData"].size(), 5u);

  res = get("/emissions/bylocations?location=tangier&time=2024-01-01");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 204);
  EXPECT_TRUE(res->body.empty());

  res = get("/emissions/bylocation?location=atlantis");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  body = nlohmann::json::parse(res->body);
  EXPECT_THAT(body["errors"]["location"][0].get<std::string>(), HasSubstr("atlantis"));
}

}  // namespace
}  // namespace harch
