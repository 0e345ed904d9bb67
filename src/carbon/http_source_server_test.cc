// A carbon zone with a url in a real `harch server` (Server::Start): fetched at start, refreshed
// into the control plane's signal under its lock, snapshots for readers outside it that never
// change under them, failures that keep the data and are counted in CarbonSources() and in
// DATA_DIR/carbon-sources.json.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <mutex>
#include <thread>

#include "base/files.h"
#include "base/time_text.h"
#include "server/server.h"
#include "server/test_util.h"

namespace harch {
namespace {

using std::chrono::hours;
using ::testing::HasSubstr;

class CarbonUrlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The refresh keeps two weeks before the real clock: the answers are about now.
    hour_ = std::chrono::floor<hours>(SystemClock::Get().Now());
    http_.Get("/em", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard lk(mu_);
      res.status = status_;
      res.set_content(body_, "application/json");
    });
    port_ = http_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { http_.listen_after_bind(); });
    for (int i = 0; i < 500 && !http_.is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    Answer(200, {{-2, 300}, {-1, 200}, {0, 100}});
  }
  void TearDown() override {
    http_.stop();
    if (thread_.joinable()) thread_.join();
  }
  // Electricity Maps history: {hours from this hour, g/kWh}.
  void Answer(int status, const std::vector<std::pair<int, double>>& points) {
    nlohmann::json h = nlohmann::json::array();
    for (const auto& [dh, v] : points)
      h.push_back({{"carbonIntensity", v}, {"datetime", FormatTime(hour_ + hours(dh))}});
    std::lock_guard lk(mu_);
    status_ = status;
    body_ =
        status == 200 ? nlohmann::json{{"zone", "ES"}, {"history", h}}.dump() : "upstream timeout";
  }
  Time At(int dh) const { return hour_ + hours(dh) + std::chrono::minutes(10); }

  Time hour_;
  httplib::Server http_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  int status_ = 200;
  std::string body_;
};

TEST_F(CarbonUrlServerTest, RefreshesIntoTheControlPlane) {
  TempDir dir;
  ASSERT_TRUE(
      WriteFileAtomic(dir.path() + "/carbon.yaml",
                      "apiVersion: harchos.io/v1alpha1\nkind: Carbon\nmetadata: {name: t}\nspec:\n"
                      "  embodied: {kgPerGpu: 150, lifetime: 1460d}\n  zones:\n"
                      "    - {zone: ES, format: electricitymaps-json, url: 'http://127.0.0.1:" +
                          std::to_string(port_) + "/em', refresh: 10m}\n")
          .ok());
  const ServerOptions o = LoopbackServerOptions(dir.path(), WriteSmallFleet(dir.path()), dir.path() + "/carbon.yaml");
  auto server = Server::Start(o);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  ControlPlane& cp = (*server)->control();

  const auto first = cp.CarbonSnapshot();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->Intensity("ES", At(-1)), 200);
  nlohmann::json sources = cp.CarbonSources();
  ASSERT_EQ(sources["sources"].size(), 1u);
  EXPECT_EQ(sources["sources"][0]["successes"], 1);
  EXPECT_EQ(sources["sources"][0]["points"], 3);

  // A newer answer: the last hour revised, the next one added.
  Answer(200, {{0, 90}, {1, 80}});
  ASSERT_TRUE(cp.RefreshCarbonZone("ES").ok());
  EXPECT_EQ(cp.carbon()->Intensity("ES", At(0)), 90);  // what the scheduler reads (under mu_)
  const auto second = cp.CarbonSnapshot();
  EXPECT_EQ(second->Intensity("ES", At(-2)), 300);
  EXPECT_EQ(second->Intensity("ES", At(0)), 90);
  EXPECT_EQ(second->Intensity("ES", At(1)), 80);
  EXPECT_EQ(first->Intensity("ES", At(0)), 100);  // a snapshot handed out never changes

  // Over HTTP: the Carbon Aware SDK endpoints answer from the refreshed data.
  httplib::Client api("http://" + (*server)->http_address());
  auto by_location = api.Get("/emissions/bylocation?location=ES&time=" + FormatTime(At(1)));
  ASSERT_TRUE(by_location);
  ASSERT_EQ(by_location->status, 200) << by_location->body;
  EXPECT_EQ(nlohmann::json::parse(by_location->body)[0]["rating"], 80);

  // A failure keeps the data, is counted, and shows in the status file.
  Answer(502, {});
  testing::internal::CaptureStderr();
  const Status failed = cp.RefreshCarbonZone("ES");
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_THAT(failed.message(), HasSubstr("zone ES: GET http://127.0.0.1:" + std::to_string(port_) +
                                          "/em: HTTP 502: upstream timeout"));
  EXPECT_THAT(err, HasSubstr("harch server: warning: zone ES"));
  EXPECT_EQ(cp.CarbonSnapshot()->Intensity("ES", At(1)), 80);
  sources = cp.CarbonSources();
  EXPECT_EQ(sources["sources"][0]["successes"], 2);
  EXPECT_EQ(sources["sources"][0]["failures"], 1);
  EXPECT_EQ(sources["sources"][0]["points"], 4);
  EXPECT_FALSE(sources["sources"][0]["lastSuccess"].is_null());
  auto http_sources = api.Get("/v1/carbon/sources");
  ASSERT_TRUE(http_sources);
  EXPECT_EQ(http_sources->status, 200);
  EXPECT_EQ(nlohmann::json::parse(http_sources->body), sources);
  auto file = ReadFile(o.control.data_dir + "/carbon-sources.json");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(nlohmann::json::parse(*file), sources);
}

TEST_F(CarbonUrlServerTest, WithoutUrlZonesNothingRefreshes) {
  TempDir dir;
  const ServerOptions o = LoopbackServerOptions(dir.path(), WriteSmallFleet(dir.path()));
  auto server = Server::Start(o);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  EXPECT_EQ((*server)->control().CarbonSnapshot(), nullptr);
  EXPECT_EQ((*server)->control().CarbonSources(),
            nlohmann::json({{"sources", nlohmann::json::array()}}));
  EXPECT_EQ((*server)->control().RefreshCarbonZone("ES").code(), Code::kFailedPrecondition);
}

}  // namespace
}  // namespace harch
