// Carbon intensity over HTTP (http_source.cc, and the url fields of config.cc): a loopback
// server answers in the Electricity Maps and WattTime shapes; the fetch parses and converts,
// sends the token, names the zone and the URL in every error, falls back to a declared default,
// and a refresh merges (newer answer wins, sorted, two weeks kept) without ever losing data.
#include "carbon/http_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "base/files.h"
#include "base/time_text.h"
#include "carbon/config.h"
#include "carbon/signal.h"

namespace harch {
namespace {

using std::chrono::hours;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kTokenEnv[] = "HARCH_TEST_CARBON_TOKEN";

Time T(const char* text) { return *ParseTime(text); }

std::string EmHistory(const std::string& zone,
                      const std::vector<std::pair<std::string, double>>& points) {
  nlohmann::json h = nlohmann::json::array();
  for (const auto& [t, v] : points) h.push_back({{"carbonIntensity", v}, {"datetime", t}});
  return nlohmann::json{{"zone", zone}, {"history", h}}.dump();
}

constexpr char kWattTime[] = R"({"data": [
  {"point_time": "2026-12-01T01:00:00+00:00", "value": 500, "frequency": 3600},
  {"point_time": "2026-12-01T00:00:00+00:00", "value": 1000, "frequency": 3600}],
  "meta": {"region": "CAISO_NORTH", "units": "lbs_co2_per_mwh"}})";

// A loopback HTTP server on an ephemeral port with the answers the tests set.
class CarbonHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv(kTokenEnv, "secret-1", 1);
    dir_ = std::filesystem::temp_directory_path() /
           ("harch-carbon-http-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    server_.Get("/em", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lk(mu_);
      em_token_ = req.get_header_value("auth-token");
      res.set_content(em_body_, "application/json");
    });
    server_.Get("/wt", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lk(mu_);
      wt_auth_ = req.get_header_value("Authorization");
      res.set_content(kWattTime, "application/json");
    });
    server_.Get("/down", [](const httplib::Request&, httplib::Response& res) {
      res.status = 500;
      res.set_content("internal error:\n\n    the database is down\n", "text/plain");
    });
    server_.Get("/denied", [](const httplib::Request&, httplib::Response& res) {
      res.status = 401;
      res.set_content(R"({"message":"bad token"})", "application/json");
    });
    server_.Get("/moved", [this](const httplib::Request&, httplib::Response& res) {
      res.set_redirect(Url("/em"));
    });
    server_.Get("/badjson", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(
          R"({"zone":"DE","history":[{"datetime":"2026-12-01T00:00:00Z","carbonIntensity":"high"}]})",
          "application/json");
    });
    server_.Get("/truncated", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"zone":"DE","history":[{)", "application/json");
    });
    server_.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      res.set_content("{}", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 500 && !server_.is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ASSERT_TRUE(server_.is_running());
    SetEm(EmHistory("DE", {{"2026-12-01T00:00:00.000Z", 300},
                           {"2026-12-01T01:00:00.000Z", 200},
                           {"2026-12-01T02:00:00.000Z", 100}}));
  }
  void TearDown() override {
    server_.stop();
    if (thread_.joinable()) thread_.join();
    std::filesystem::remove_all(dir_);
    ::unsetenv(kTokenEnv);
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  void SetEm(std::string body) {
    std::lock_guard lk(mu_);
    em_body_ = std::move(body);
  }
  ZoneSource Source(const std::string& zone, const std::string& path,
                    const std::string& format) const {
    ZoneSource z;
    z.zone = zone;
    z.format = format;
    z.url = Url(path);
    z.timeout = std::chrono::seconds(5);
    return z;
  }
  std::string WriteConfig(const std::string& spec_body) {
    const std::string path = (dir_ / "carbon.yaml").string();
    EXPECT_TRUE(WriteFileAtomic(
                    path,
                    "apiVersion: harchos.io/v1alpha1\nkind: Carbon\nmetadata: {name: t}\nspec:\n"
                    "  embodied: {kgPerGpu: 150, lifetime: 1460d}\n" +
                        spec_body)
                    .ok());
    return path;
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::filesystem::path dir_;
  std::mutex mu_;
  std::string em_body_;
  std::string em_token_;
  std::string wt_auth_;
};

TEST_F(CarbonHttpTest, ElectricityMapsOverHttpWithItsTokenHeader) {
  ZoneSource z = Source("MA", "/em", "electricitymaps-json");
  z.token_env = kTokenEnv;
  auto s = FetchZone(z);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->zone(), "MA");  // the config's name, not the answer's
  ASSERT_EQ(s->points().size(), 3u);
  EXPECT_EQ(s->At(T("2026-12-01T01:30:00Z")), 200);
  std::lock_guard lk(mu_);
  EXPECT_EQ(em_token_, "secret-1");
}

TEST_F(CarbonHttpTest, WattTimeOverHttpConvertedWithBearerToken) {
  ZoneSource z = Source("SN", "/wt", "watttime-json");
  z.token_env = kTokenEnv;
  auto s = FetchZone(z);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->points().size(), 2u);  // newest first in the answer, sorted here
  EXPECT_EQ(s->points()[0].time, T("2026-12-01T00:00:00Z"));
  EXPECT_NEAR(s->points()[0].g_per_kwh, 453.592, 1e-9);
  EXPECT_NEAR(s->points()[1].g_per_kwh, 226.796, 1e-9);
  std::lock_guard lk(mu_);
  EXPECT_EQ(wt_auth_, "Bearer secret-1");
}

TEST_F(CarbonHttpTest, NoTokenHeaderWithoutTokenEnvAndAnErrorWhenItIsUnset) {
  ASSERT_TRUE(FetchZone(Source("MA", "/em", "electricitymaps-json")).ok());
  {
    std::lock_guard lk(mu_);
    EXPECT_EQ(em_token_, "");
  }
  ZoneSource z = Source("MA", "/em", "electricitymaps-json");
  z.token_env = "HARCH_TEST_CARBON_TOKEN_UNSET";
  auto s = FetchZone(z);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("zone MA: GET " + Url("/em")));
  EXPECT_THAT(s.status().message(), HasSubstr("HARCH_TEST_CARBON_TOKEN_UNSET is not set"));
}

TEST_F(CarbonHttpTest, ErrorsNameZoneUrlAndWhatWentWrong) {
  auto down = FetchZone(Source("MA", "/down", "electricitymaps-json"));
  ASSERT_FALSE(down.ok());
  EXPECT_THAT(down.status().message(), HasSubstr("zone MA: GET " + Url("/down") + ": HTTP 500"));
  EXPECT_THAT(down.status().message(),
              HasSubstr("HTTP 500: internal error: the database is down"));  // on one line

  auto denied = FetchZone(Source("MA", "/denied", "electricitymaps-json"));
  ASSERT_FALSE(denied.ok());
  EXPECT_THAT(denied.status().message(),
              HasSubstr("HTTP 401 (the API may need a token: tokenEnv)"));

  auto moved = FetchZone(Source("MA", "/moved", "electricitymaps-json"));
  ASSERT_FALSE(moved.ok());
  EXPECT_THAT(moved.status().message(),
              HasSubstr("HTTP 302 (a redirect, not followed: give the url it points to, " +
                        Url("/em") + ")"));

  auto bad = FetchZone(Source("MA", "/badjson", "electricitymaps-json"));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(),
              HasSubstr("zone MA: GET " + Url("/badjson") +
                        ": history[0].carbonIntensity: missing or not a number"));

  auto truncated = FetchZone(Source("MA", "/truncated", "electricitymaps-json"));
  ASSERT_FALSE(truncated.ok());
  EXPECT_THAT(truncated.status().message(), HasSubstr(Url("/truncated") + ": not a JSON object"));

  // The right endpoint in the wrong format: WattTime's reader on Electricity Maps' answer.
  auto wrong = FetchZone(Source("MA", "/em", "watttime-json"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr(Url("/em") + ": data: missing"));
}

TEST_F(CarbonHttpTest, RefusedConnectionAndTimeout) {
  // A loopback port that was free a moment ago, bound without listening and closed: nothing
  // answers there.
  int closed_port = 0;
  {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    closed_port = ntohs(addr.sin_port);
    ::close(fd);
  }
  ZoneSource z = Source("MA", "/em", "electricitymaps-json");
  z.url = "http://127.0.0.1:" + std::to_string(closed_port) + "/v3/carbon-intensity/history";
  auto refused = FetchZone(z);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("zone MA: GET " + z.url + ": cannot connect"));

  ZoneSource slow = Source("MA", "/slow", "electricitymaps-json");
  slow.timeout = std::chrono::milliseconds(200);
  auto timed_out = FetchZone(slow);
  ASSERT_FALSE(timed_out.ok());
  EXPECT_THAT(timed_out.status().message(),
              HasSubstr("zone MA: GET " + slow.url + ": no complete answer"));
  EXPECT_THAT(timed_out.status().message(), HasSubstr("200ms"));
}

#if defined(CPPHTTPLIB_OPENSSL_SUPPORT) && defined(HARCH_TEST_TLS)
// Debian's cpp-httplib speaks TLS: an https source is fetched with the system's CA certificates
// and a server they do not vouch for (here a self-signed certificate on loopback) is refused.
TEST(CarbonHttps, UntrustedCertificateIsRefused) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ASSERT_NE(key, nullptr);
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  ASSERT_GT(X509_sign(cert, key, EVP_sha256()), 0);
  {
    httplib::SSLServer server(cert, key);
    ASSERT_TRUE(server.is_valid());
    server.Get("/em", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"zone":"DE","carbonIntensity":300,"datetime":"2026-12-01T00:00:00Z"})",
                      "application/json");
    });
    const int port = server.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port, 0);
    std::thread t([&] { server.listen_after_bind(); });
    for (int i = 0; i < 500 && !server.is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ZoneSource z;
    z.zone = "DE";
    z.format = "electricitymaps-json";
    z.url = "https://127.0.0.1:" + std::to_string(port) + "/em";
    z.timeout = std::chrono::seconds(5);
    auto s = FetchZone(z);
    server.stop();
    t.join();
    ASSERT_FALSE(s.ok());
    EXPECT_THAT(s.status().message(), HasSubstr("zone DE: GET " + z.url +
                                                ": TLS: the server's certificate does not verify"));
  }
  X509_free(cert);
  EVP_PKEY_free(key);
}
#endif

TEST(CarbonHttpUrl, Parses) {
  auto u = ParseHttpUrl("http://127.0.0.1:8080/v3/carbon-intensity/history?zone=DE#x");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->scheme_host_port, "http://127.0.0.1:8080");
  EXPECT_EQ(u->target, "/v3/carbon-intensity/history?zone=DE");
  EXPECT_EQ(ParseHttpUrl("http://[::1]:9/").value().scheme_host_port, "http://[::1]:9");
  EXPECT_EQ(ParseHttpUrl("http://localhost").value().target, "/");
  EXPECT_THAT(ParseHttpUrl("ftp://x/").status().message(),
              HasSubstr("not an http:// or https:// URL"));
  EXPECT_THAT(ParseHttpUrl("http://h:99999/").status().message(),
              HasSubstr("port must be 1-65535"));
  EXPECT_THAT(ParseHttpUrl("http://user:pw@h/").status().message(), HasSubstr("tokenEnv"));
  EXPECT_THAT(ParseHttpUrl("http:///x").status().message(), HasSubstr("has no host"));
  // Debian's cpp-httplib is built with OpenSSL; a build without it says so.
  auto https = ParseHttpUrl("https://api.electricitymap.org/v3/carbon-intensity/latest?zone=ES");
  if (HttpsSupported()) {
    ASSERT_TRUE(https.ok());
    EXPECT_TRUE(https->https);
  } else {
    EXPECT_THAT(https.status().message(), HasSubstr("no TLS support"));
  }
}

TEST_F(CarbonHttpTest, LoadFetchesUrlZonesOnce) {
  const std::string path = WriteConfig(
      "  zones:\n    - {zone: MA, format: electricitymaps-json, url: '" + Url("/em") +
      "', tokenEnv: " + kTokenEnv + "}\n    - {zone: SN, format: watttime-json, url: '" +
      Url("/wt") + "', refresh: 15m, timeout: 3s}\n");
  auto c = LoadCarbonConfigFile(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->zones[0].refresh, std::chrono::minutes(5));
  EXPECT_EQ(c->zones[0].timeout, std::chrono::seconds(10));
  EXPECT_EQ(c->zones[1].refresh, std::chrono::minutes(15));
  EXPECT_EQ(c->zones[1].timeout, std::chrono::seconds(3));
  EXPECT_EQ(c->zones[0].token_env, kTokenEnv);
  auto signal = CarbonSignal::Load(path);
  ASSERT_TRUE(signal.ok()) << signal.status().ToString();
  EXPECT_EQ(signal->Intensity("MA", T("2026-12-01T00:10:00Z")), 300);
  EXPECT_NEAR(*signal->Intensity("SN", T("2026-12-01T00:10:00Z")), 453.592, 1e-9);
  EXPECT_TRUE(signal->url_failures().empty());
}

TEST_F(CarbonHttpTest, FailedFetchAtLoadIsAnErrorWithoutADefault) {
  const std::string path = WriteConfig(
      "  zones:\n    - {zone: MA, format: electricitymaps-json, url: '" + Url("/down") + "'}\n");
  auto signal = CarbonSignal::Load(path);
  ASSERT_FALSE(signal.ok());
  EXPECT_THAT(signal.status().message(), HasSubstr("carbon.yaml:7"));
  EXPECT_THAT(signal.status().message(), HasSubstr("zone MA: GET " + Url("/down") + ": HTTP 500"));
}

TEST_F(CarbonHttpTest, FailedFetchAtLoadFallsBackOnTheDeclaredDefault) {
  const std::string path = WriteConfig(
      "  defaultIntensity: 450\n  zones:\n"
      "    - {zone: MA, format: electricitymaps-json, url: '" +
      Url("/down") + "'}\n    - {zone: SN, format: watttime-json, url: '" + Url("/wt") + "'}\n");
  testing::internal::CaptureStderr();
  auto signal = CarbonSignal::Load(path);
  const std::string err = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(signal.ok()) << signal.status().ToString();
  EXPECT_THAT(err, HasSubstr("warning: "));
  EXPECT_THAT(err, HasSubstr("zone MA: GET " + Url("/down") + ": HTTP 500"));
  EXPECT_THAT(err, HasSubstr("defaultIntensity of 450 g/kWh"));
  EXPECT_EQ(signal->Zone("MA"), nullptr);  // no data, not zeros
  EXPECT_EQ(signal->Intensity("MA", T("2026-12-01T00:00:00Z")), 450);
  EXPECT_NEAR(*signal->Intensity("SN", T("2026-12-01T00:00:00Z")), 453.592, 1e-9);
  ASSERT_EQ(signal->url_failures().size(), 1u);
  EXPECT_THAT(signal->url_failures().at("MA"), HasSubstr("HTTP 500"));
}

TEST(CarbonUrlConfig, Errors) {
  auto parse = [](const std::string& zone) {
    return ParseCarbonConfig(
        "apiVersion: harchos.io/v1alpha1\nkind: Carbon\nmetadata: {name: t}\nspec:\n"
        "  embodied: {kgPerGpu: 150, lifetime: 1460d}\n  zones:\n    - " +
            zone + "\n",
        "c.yaml");
  };
  auto message = [&](const std::string& zone) {
    auto c = parse(zone);
    return c.ok() ? std::string("parsed") : c.status().message();
  };
  EXPECT_TRUE(parse("{zone: ES, format: electricitymaps-json, url: 'http://127.0.0.1:1/x'}").ok());
  EXPECT_THAT(
      message("{zone: ES, format: electricitymaps-json, url: 'http://h/x', files: [a.json]}"),
      HasSubstr("c.yaml:7:"));
  EXPECT_THAT(
      message("{zone: ES, format: electricitymaps-json, url: 'http://h/x', files: [a.json]}"),
      HasSubstr("spec.zones[0].url: give files or url, not both"));
  EXPECT_THAT(message("{zone: ES, format: electricitymaps-json}"),
              HasSubstr("spec.zones[0].files: at least one file (or a url)"));
  EXPECT_THAT(
      message("{zone: ES, format: electricitymaps-csv, url: 'http://h/x'}"),
      HasSubstr("spec.zones[0].url: a url needs format electricitymaps-json or watttime-json, not "
                "electricitymaps-csv"));
  EXPECT_THAT(message("{zone: ES, format: time-series-csv, url: 'http://h/x'}"),
              HasSubstr("not time-series-csv"));
  EXPECT_THAT(message("{zone: ES, format: watttime-json, url: 'http://h/x', refresh: soon}"),
              HasSubstr("spec.zones[0].refresh"));
  EXPECT_THAT(message("{zone: ES, format: watttime-json, url: 'http://h/x', refresh: 0s}"),
              HasSubstr("spec.zones[0].refresh: must be positive"));
  EXPECT_THAT(message("{zone: ES, format: watttime-json, url: 'http://h/x', refresh: 5s}"),
              HasSubstr("spec.zones[0].refresh: must be at least 10s"));
  EXPECT_THAT(message("{zone: ES, format: watttime-json, url: 'http://h/x', timeout: 1h}"),
              HasSubstr("spec.zones[0].timeout: must be at most 5m"));
  EXPECT_THAT(message("{zone: ES, format: watttime-json, url: 'ftp://h/x'}"),
              HasSubstr("spec.zones[0].url: 'ftp://h/x' is not an http:// or https:// URL"));
  EXPECT_THAT(message("{zone: ES, format: watttime-json, url: ''}"),
              HasSubstr("spec.zones[0].url: must not be empty"));
  EXPECT_THAT(message("{zone: ES, format: watttime-json, url: 'http://h/x', tokenEnv: 'my token'}"),
              HasSubstr("spec.zones[0].tokenEnv: 'my token' is not an environment variable name"));
  EXPECT_THAT(message("{zone: ES, format: electricitymaps-csv, files: [a.csv], refresh: 5m}"),
              HasSubstr("spec.zones[0].refresh: only with url"));
  EXPECT_THAT(message("{zone: ES, format: electricitymaps-csv, files: [a.csv], tokenEnv: T}"),
              HasSubstr("spec.zones[0].tokenEnv: only with url"));
  EXPECT_THAT(
      message("{zone: ES, format: watttime-json, url: 'http://h/x', refresh: 1m, timeout: 30s}"),
      Not(HasSubstr("refresh")));
}

TEST(CarbonUrlConfig, LiveExampleParses) {
  const char* root = std::getenv("HARCH_SOURCE_DIR");
  if (root == nullptr) GTEST_SKIP() << "HARCH_SOURCE_DIR is not set (ctest sets it)";
  auto c = LoadCarbonConfigFile(std::string(root) + "/examples/carbon/live.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->zones.size(), 2u);
  EXPECT_EQ(c->zones[0].token_env, "ELECTRICITYMAPS_TOKEN");
  EXPECT_EQ(c->zones[0].refresh, std::chrono::minutes(15));
  EXPECT_EQ(c->zones[1].format, "watttime-json");
  EXPECT_TRUE(c->zones[1].files.empty());
}

TEST(CarbonMerge, NewerAnswerWinsSortedAndTwoWeeksKept) {
  const Time t0 = T("2026-12-01T00:00:00Z");
  IntensitySeries old(
      "MA", {{t0 - hours(24 * 20), 999}, {t0, 300}, {t0 + hours(1), 200}, {t0 + hours(2), 100}});
  // A fresh answer: one time overwritten, one earlier (inside the history kept), one later.
  IntensitySeries fresh("whatever",
                        {{t0 - hours(3), 50}, {t0 + hours(1), 250}, {t0 + hours(5), 80}});
  const Time now = t0 + hours(4);
  IntensitySeries merged = MergeSeries("MA", old, fresh, now - kCarbonHistoryKept);
  EXPECT_EQ(merged.zone(), "MA");
  std::vector<std::pair<Time, double>> got;
  for (const auto& p : merged.points()) got.emplace_back(p.time, p.g_per_kwh);
  const std::vector<std::pair<Time, double>> want = {{t0 - hours(3), 50},
                                                     {t0, 300},
                                                     {t0 + hours(1), 250},
                                                     {t0 + hours(2), 100},
                                                     {t0 + hours(5), 80}};
  EXPECT_EQ(got, want);  // the point of 20 days ago is gone; the rest is sorted
}

TEST(CarbonMerge, SignalMergeZoneForgetsPlansOfThatZoneOnly) {
  CarbonConfig cfg;
  cfg.forecast_error = 0;
  const Time t0 = T("2026-12-01T00:00:00Z");
  std::vector<IntensityPoint> flat;
  for (int h = 0; h < 12; ++h) flat.push_back({t0 + hours(h), h == 6 ? 50.0 : 300.0});
  std::map<std::string, IntensitySeries> zones;
  zones["MA"] = IntensitySeries("MA", flat);
  zones["SN"] = IntensitySeries("SN", flat);
  CarbonSignal signal(cfg, zones);
  const IntensitySeries* ma = signal.Zone("MA");
  auto before = signal.BestStart("MA", 1, t0, t0 + hours(8), hours(1));
  ASSERT_TRUE(before);
  EXPECT_EQ(before->start, t0 + hours(6));
  auto sn_before = signal.BestStart("SN", 1, t0, t0 + hours(8), hours(1));

  // Hour 3 turns out cleanest; the same answer twice changes nothing the second time.
  IntensitySeries fresh("MA", {{t0 + hours(3), 10}});
  EXPECT_EQ(signal.MergeZone("MA", fresh, t0), 12u);
  EXPECT_EQ(signal.Zone("MA"), ma);  // the same series object, with the new data
  EXPECT_EQ(ma->At(t0 + hours(3)), 10);
  auto after = signal.BestStart("MA", 1, t0, t0 + hours(8), hours(1));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->start, t0 + hours(3));
  EXPECT_EQ(signal.MergeZone("MA", fresh, t0), 12u);
  EXPECT_EQ(signal.BestStart("SN", 1, t0, t0 + hours(8), hours(1))->start, sn_before->start);

  // A feed of past data keeps two weeks before its newest point, whatever the clock says.
  EXPECT_EQ(
      signal.MergeZone("SN", IntensitySeries("SN", {{t0 + hours(12), 70}}), t0 + hours(24 * 365)),
      13u);
  std::vector<IntensityPoint> month;
  for (int d = 0; d < 30; ++d) month.push_back({t0 + hours(24 * d), 100.0 + d});
  EXPECT_EQ(signal.MergeZone("SN", IntensitySeries("SN", month), t0 + hours(24 * 365)), 15u);
  EXPECT_EQ(signal.Zone("SN")->points().front().time, t0 + hours(24 * 15));

  // A zone that had no data (its url failed at load) gets its first points.
  EXPECT_EQ(signal.MergeZone("XX", IntensitySeries(), t0), 0u);
  EXPECT_EQ(signal.Zone("XX"), nullptr);
  EXPECT_EQ(signal.MergeZone("XX", fresh, t0), 1u);
  ASSERT_NE(signal.Zone("XX"), nullptr);
  EXPECT_EQ(signal.Zone("XX")->zone(), "XX");
}

TEST_F(CarbonHttpTest, RefreshMergesOrKeepsOldDataAndCounts) {
  ManualClock clock(T("2026-12-01T03:00:00Z"));
  CarbonConfig cfg;
  auto loaded = FetchZone(Source("MA", "/em", "electricitymaps-json"));
  ASSERT_TRUE(loaded.ok());
  CarbonSignal signal(cfg, {{"MA", *loaded}});
  std::vector<std::string> logged;
  ZoneSource ma = Source("MA", "/em", "electricitymaps-json");
  ZoneSource sn = Source("SN", "/down", "watttime-json");
  CarbonSourceState sn_loaded;
  sn_loaded.zone = "SN";
  sn_loaded.failures = 1;
  sn_loaded.consecutive_failures = 1;
  sn_loaded.last_error = "at load";
  CarbonRefresher refresher(
      {ma, sn}, {sn_loaded}, clock,
      [&](const std::string& zone, const IntensitySeries& fresh) {
        return signal.MergeZone(zone, fresh, clock.Now());
      },
      [&](const std::string& line) { logged.push_back(line); });

  // The next answer overwrites 02:00 and adds 03:00.
  SetEm(EmHistory("DE", {{"2026-12-01T02:00:00Z", 120}, {"2026-12-01T03:00:00Z", 90}}));
  ASSERT_TRUE(refresher.RefreshZone("MA").ok());
  const IntensitySeries* s = signal.Zone("MA");
  ASSERT_EQ(s->points().size(), 4u);
  EXPECT_EQ(s->At(T("2026-12-01T00:30:00Z")), 300);
  EXPECT_EQ(s->At(T("2026-12-01T02:30:00Z")), 120);
  EXPECT_EQ(s->At(T("2026-12-01T03:30:00Z")), 90);

  // A failing refresh keeps the old data, is logged and counted.
  SetEm("<html>gateway</html>");
  const Status failed = refresher.RefreshZone("MA");
  EXPECT_THAT(failed.message(), HasSubstr("zone MA: GET " + Url("/em") + ": not a JSON object"));
  EXPECT_EQ(signal.Zone("MA")->points().size(), 4u);
  EXPECT_EQ(signal.Intensity("MA", T("2026-12-01T03:30:00Z")), 90);
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_THAT(logged[0], HasSubstr("warning: zone MA: GET"));
  EXPECT_THAT(
      logged[0],
      HasSubstr("1 in a row; the zone keeps its 4 points, last fetched 2026-12-01T03:00:00Z"));

  clock.Advance(std::chrono::minutes(5));
  EXPECT_FALSE(refresher.RefreshZone("SN").ok());
  EXPECT_EQ(refresher.RefreshZone("XX").code(), Code::kNotFound);

  const auto states = refresher.States();
  ASSERT_EQ(states.size(), 2u);
  EXPECT_EQ(states[0].successes, 1u);
  EXPECT_EQ(states[0].failures, 1u);
  EXPECT_EQ(states[0].consecutive_failures, 1u);
  EXPECT_EQ(states[0].points, 4u);
  EXPECT_EQ(states[0].last_success, T("2026-12-01T03:00:00Z"));
  EXPECT_EQ(states[1].failures, 2u);  // the load's and this one
  EXPECT_EQ(states[1].consecutive_failures, 2u);
  EXPECT_FALSE(states[1].last_success);

  const nlohmann::json j = CarbonSourcesJson(states);
  ASSERT_EQ(j["sources"].size(), 2u);
  EXPECT_EQ(j["sources"][0]["zone"], "MA");
  EXPECT_EQ(j["sources"][0]["url"], Url("/em"));
  EXPECT_EQ(j["sources"][0]["lastSuccess"], "2026-12-01T03:00:00Z");
  EXPECT_EQ(j["sources"][0]["failures"], 1);
  EXPECT_EQ(j["sources"][0]["refreshSeconds"], 300);
  EXPECT_TRUE(j["sources"][1]["lastSuccess"].is_null());
  EXPECT_EQ(j["sources"][1]["lastAttempt"], "2026-12-01T03:05:00Z");
  EXPECT_THAT(j["sources"][1]["lastError"].get<std::string>(), HasSubstr("HTTP 500"));
}

TEST_F(CarbonHttpTest, RefresherThreadFetchesDueZonesAndStopsPromptly) {
  ManualClock clock(T("2026-12-01T03:00:00Z"));
  std::mutex mu;
  int applied = 0;
  ZoneSource slow = Source("SN", "/slow", "electricitymaps-json");
  slow.timeout = std::chrono::seconds(30);
  CarbonRefresher refresher(
      {Source("MA", "/em", "electricitymaps-json"), slow}, {}, clock,
      [&](const std::string&, const IntensitySeries& fresh) {
        std::lock_guard lk(mu);
        ++applied;
        return fresh.points().size();
      },
      nullptr);
  refresher.Start();
  // Never fetched: both are due at once. MA answers; SN hangs until Stop() cuts it.
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard lk(mu);
      if (applied > 0) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  {
    std::lock_guard lk(mu);
    EXPECT_EQ(applied, 1);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // SN's fetch is in flight
  refresher.Stop();
  const auto states = refresher.States();
  EXPECT_EQ(states[0].successes, 1u);
  EXPECT_EQ(states[1].failures, 0u);  // stopped, not failed
}

}  // namespace
}  // namespace harch
