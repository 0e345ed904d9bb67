#include "carbon/intensity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "base/files.h"
#include "base/time_text.h"

namespace harch {
namespace {

using ::testing::HasSubstr;

Time T(const char* s) { return *ParseTimestamp(s); }

constexpr const char* kEmHeader =
    "Datetime (UTC),Country,Zone Name,Zone Id,Carbon Intensity gCO\u2082eq/kWh (direct),"
    "Carbon Intensity gCO\u2082eq/kWh (LCA),Low Carbon Percentage,Renewable Percentage,Data Source,"
    "Data Estimated,Data Estimation Method\n";

TEST(Intensity, ReadsElectricityMapsCsvByHeaderName) {
  const std::string text = std::string(kEmHeader) +
                           "2021-01-01 00:00:00,Spain,Spain,ES,100,140,77,51,entsoe.eu,false,\n"
                           "2021-01-01 01:00:00,Spain,Spain,ES,110,160,77,51,\"a, b\",false,\n"
                           "2021-01-01 02:00:00,Spain,Spain,ES,90,120,77,51,entsoe.eu,true,x\n";
  auto s = ReadElectricityMapsCsv(text, "es.csv");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->zone(), "ES");
  ASSERT_EQ(s->points().size(), 3u);
  EXPECT_EQ(s->step(), std::chrono::hours(1));
  EXPECT_EQ(*s->At(T("2021-01-01 01:30:00")), 160);
  EXPECT_FALSE(s->At(T("2020-12-31 23:59:59")));
  EXPECT_FALSE(s->At(T("2021-01-01 03:00:00")));  // the last point holds one step
  // (140 + 160) / 2 over 00:00-02:00; 30 min at 160 and 30 at 120 over 01:30-02:30.
  EXPECT_DOUBLE_EQ(*s->Mean(T("2021-01-01 00:00:00"), T("2021-01-01 02:00:00")), 150);
  EXPECT_DOUBLE_EQ(*s->Mean(T("2021-01-01 01:30:00"), T("2021-01-01 02:30:00")), 140);
  EXPECT_DOUBLE_EQ(*s->IntegralHours(T("2021-01-01 00:30:00"), T("2021-01-01 01:00:00")), 70);
  EXPECT_FALSE(s->Mean(T("2021-01-01 02:00:00"), T("2021-01-01 04:00:00")));  // never zero

  ReadOptions direct;
  direct.electricitymaps_column = "Carbon Intensity gCO\u2082eq/kWh (direct)";
  EXPECT_EQ(*ReadElectricityMapsCsv(text, "es.csv", direct)->At(T("2021-01-01 00:00:00")), 100);
}

TEST(Intensity, BadFilesNameTheLine) {
  const std::string h = kEmHeader;
  auto err = [](const Result<IntensitySeries>& r) { return r.ok() ? std::string("ok") : r.status().message(); };
  EXPECT_THAT(err(ReadElectricityMapsCsv(h + "2021-01-01 00:00:00,S,S,ES,1,abc,1,1,x,false,\n", "f.csv")),
              HasSubstr("f.csv:2: Carbon Intensity"));
  EXPECT_THAT(err(ReadElectricityMapsCsv(h + "2021-01-01 00:00:00,S,S,ES,1,2\n", "f.csv")),
              HasSubstr("f.csv:2: 6 fields"));
  EXPECT_THAT(err(ReadElectricityMapsCsv(h + "2021-01-01 00:00:00,S,S,ES,1,2,1,1,x,false,\n"
                                             "2021-01-01 09:00:00,S,S,ES,1,2,1,1,x,false,\n",
                                         "f.csv")),
              HasSubstr("f.csv:3: gap of 9 h after f.csv:2"));
  EXPECT_THAT(err(ReadElectricityMapsCsv(h + "2021-01-01 00:00:00,S,S,ES,1,2,1,1,x,false,\n"
                                             "2021-01-01 01:00:00,S,S,FR,1,2,1,1,x,false,\n",
                                         "f.csv")),
              HasSubstr("f.csv:3: Zone Id FR"));
  EXPECT_THAT(err(ReadElectricityMapsCsv(h + "2021-01-01 00:00:00,S,S,ES,1,-5,1,1,x,false,\n", "f.csv")),
              HasSubstr("not plausible"));
  EXPECT_THAT(err(ReadElectricityMapsCsv(h + "01/01/2021 00:00,S,S,ES,1,5,1,1,x,false,\n", "f.csv")),
              HasSubstr("f.csv:2: Datetime (UTC)"));
  EXPECT_THAT(err(ReadTimeSeriesCsv("Time,CI\n", "g.csv", "DE")), HasSubstr("no column 'Carbon Intensity'"));
  EXPECT_THAT(err(ReadTimeSeriesCsv("Time,Carbon Intensity\n", "g.csv", "DE")), HasSubstr("no data"));
  EXPECT_THAT(err(ReadTimeSeriesCsv("Time,Carbon Intensity\n2020-01-01 00:00:00,5\n2020-01-01 00:00:00,6\n",
                                    "g.csv", "DE")),
              HasSubstr("g.csv:3: time goes backwards"));
  ReadOptions fill;
  fill.fill_gaps = true;
  auto filled = ReadTimeSeriesCsv("Time,Carbon Intensity\n2020-01-01 00:00:00,5\n2020-01-02 00:00:00,6\n",
                                  "g.csv", "DE", fill);
  ASSERT_TRUE(filled.ok());
  EXPECT_EQ(*filled->At(T("2020-01-01 12:00:00")), 5);  // held across the gap
}

TEST(Intensity, ElectricityMapsAndWattTimeJson) {
  auto em = ParseElectricityMapsJson(
      R"({"zone":"DE","history":[{"carbonIntensity":302,"datetime":"2019-05-21T00:00:00.000Z","updatedAt":"x"},
                                 {"carbonIntensity":310,"datetime":"2019-05-21T01:00:00.000Z"}]})",
      "em");
  ASSERT_TRUE(em.ok()) << em.status().ToString();
  EXPECT_EQ(em->zone(), "DE");
  EXPECT_EQ(*em->At(T("2019-05-21T01:10:00Z")), 310);
  auto latest = ParseElectricityMapsJson(R"({"zone":"FR","carbonIntensity":55,"datetime":"2024-01-01T10:00:00Z"})", "em");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->points().size(), 1u);
  EXPECT_THAT(ParseElectricityMapsJson(R"({"zone":"DE","forecast":[{"datetime":"2019-05-21T00:00:00Z"}]})", "em")
                  .status()
                  .message(),
              HasSubstr("em: forecast[0].carbonIntensity"));

  auto wt = ParseWattTimeJson(
      R"({"data":[{"point_time":"2024-01-01T00:05:00+00:00","value":1000.0},
                  {"point_time":"2024-01-01T00:00:00+00:00","value":500.0}],
          "meta":{"region":"CAISO_NORTH","units":"lbs_co2_per_mwh","signal_type":"co2_moer"}})",
      "wt");
  ASSERT_TRUE(wt.ok()) << wt.status().ToString();
  EXPECT_EQ(wt->zone(), "CAISO_NORTH");
  EXPECT_NEAR(*wt->At(T("2024-01-01T00:00:00Z")), 226.796, 1e-3);  // 500 lbs/MWh
  EXPECT_NEAR(*wt->At(T("2024-01-01T00:06:00Z")), 453.592, 1e-3);
  EXPECT_THAT(ParseWattTimeJson(R"({"data":[],"meta":{"units":"percentile"}})", "wt").status().message(),
              HasSubstr("meta.units: 'percentile'"));
  EXPECT_FALSE(ParseWattTimeJson("[1,2", "wt").ok());
}

TEST(Intensity, ConcatAndForecast) {
  auto a = ReadTimeSeriesCsv("Time,Carbon Intensity\n2020-01-01 00:00:00,100\n2020-01-01 01:00:00,200\n", "a", "Z");
  auto b = ReadTimeSeriesCsv("Time,Carbon Intensity\n2020-01-01 02:00:00,300\n2020-01-01 03:00:00,400\n", "b", "Z");
  auto joined = Concat({*a, *b});
  ASSERT_TRUE(joined.ok());
  EXPECT_EQ(joined->points().size(), 4u);
  EXPECT_FALSE(Concat({*b, *a}).ok());

  const Time now = T("2020-01-01 01:00:00");
  const IntensitySeries exact = Forecast(*joined, now, std::chrono::hours(2), 0.0, 1);
  EXPECT_EQ(exact.points().size(), 4u);
  EXPECT_EQ(*exact.At(T("2020-01-01 03:00:00")), 400);
  const IntensitySeries noisy = Forecast(*joined, now, std::chrono::hours(1), 0.05, 7);
  ASSERT_EQ(noisy.points().size(), 3u);  // nothing past the horizon
  EXPECT_EQ(noisy.points()[1].g_per_kwh, 200);  // now: a measurement
  EXPECT_NE(noisy.points()[2].g_per_kwh, 300);
  EXPECT_NEAR(noisy.points()[2].g_per_kwh, 300, 300 * 0.3);
  EXPECT_EQ(Forecast(*joined, now, std::chrono::hours(1), 0.05, 7).points()[2].g_per_kwh,
            noisy.points()[2].g_per_kwh);  // seeded
}

// The real data in ../shared/data/carbon, when it is there.
std::string CarbonDir() {
  const char* src = std::getenv("HARCH_SOURCE_DIR");
  return std::string(src ? src : ".") + "/../shared/data/carbon";
}

TEST(IntensityData, ReadsEveryShippedSeries) {
  if (!std::filesystem::exists(CarbonDir())) GTEST_SKIP() << "no ../shared/data/carbon: real series not checked";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(CarbonDir() + "/electricitymaps-hourly")) {
    auto text = ReadFile(entry.path().string());
    ASSERT_TRUE(text.ok());
    auto s = ReadElectricityMapsCsv(*text, entry.path().filename().string());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_GE(s->points().size(), 8700u) << entry.path();
    EXPECT_EQ(s->step(), std::chrono::hours(1));
    ++files;
  }
  EXPECT_EQ(files, 12);
  struct Expect {
    const char* file;
    double mean;
  };
  // Means the data's README gives for 2019-12-20 .. 2021-01-09.
  for (const Expect& e : {Expect{"de_ci.csv", 315}, Expect{"gb_ci.csv", 218}, Expect{"fr_ci.csv", 57}}) {
    auto text = ReadFile(CarbonDir() + "/lets-wait-awhile-2020/" + e.file);
    ASSERT_TRUE(text.ok());
    auto s = ReadTimeSeriesCsv(*text, e.file, e.file);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    double sum = 0;  // the README's mean is over rows, not time-weighted
    for (const auto& p : s->points()) sum += p.g_per_kwh;
    EXPECT_NEAR(sum / s->points().size(), e.mean, 1) << e.file;
    EXPECT_TRUE(s->Mean(s->start(), s->points().back().time).has_value());
  }
}

}  // namespace
}  // namespace harch
