// GET /v1/footprint through a real server, with a job whose agent (played by the test) sends
// GPU power readings, and the parameter errors.
#include "server/http_service.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "server/server.h"
#include "server/test_util.h"

namespace harch {
namespace {

class FootprintHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/es.csv",
                                "Time,Carbon Intensity\n2022-01-01T00:00:00Z,100\n"
                                "2022-01-01T01:00:00Z,100\n")
                    .ok());
    ASSERT_TRUE(
        WriteFileAtomic(
            dir_.path() + "/carbon.yaml",
            "apiVersion: harchos.io/v1alpha1\nkind: Carbon\nmetadata: {name: t}\nspec:\n"
            "  defaultIntensity: 300\n  utilisation: 0.5\n  embodied: {kgPerGpu: 350, lifetime: "
            "1460d}\n"
            "  power: {H100-SXM: {idleWatts: 100, maxWatts: 500}}\n"
            "  zones:\n    - zone: ES\n      format: time-series-csv\n      files: [es.csv]\n"
            "      standIn: true\n")
            .ok());
    ASSERT_TRUE(
        WriteFileAtomic(
            dir_.path() + "/fleet.yaml",
            "apiVersion: harchos.io/v1alpha1\nkind: Fleet\nmetadata: {name: f}\nspec:\n  hubs:\n"
            "    - id: tangier\n      country: MA\n      carbonZone: ES\n      carbonZoneStandIn: "
            "true\n"
            "      pue: 1.5\n      racks:\n        - id: r\n          nodes:\n"
            "            - {name: \"0\", cpu: 32, memory: 256GiB, gpus: {model: H100-SXM, "
            "count: 2, nvlink: nvswitch}}\n"
            "    - id: dakar\n      country: SN\n      carbonZone: ES\n      carbonZoneStandIn: "
            "true\n"
            "      racks:\n        - id: s\n          nodes:\n"
            "            - {name: \"1\", cpu: 32, memory: 256GiB, gpus: {model: H100-SXM, "
            "count: 2, nvlink: nvswitch}}\n")
            .ok());
    ServerOptions o = LoopbackServerOptions(dir_.path(), dir_.path() + "/fleet.yaml", dir_.path() + "/carbon.yaml");
    o.control.cycle_interval = std::chrono::milliseconds(20);
    auto server = Server::Start(o);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    auto hp = SplitHostPort(server_->http_address());
    ASSERT_TRUE(hp.ok());
    client_ = std::make_unique<httplib::Client>(hp->first, hp->second);
  }

  nlohmann::json Get(const std::string& path, int want) {
    auto res = client_->Get(path);
    EXPECT_TRUE(res) << path;
    if (!res) return {};
    EXPECT_EQ(res->status, want) << path << ": " << res->body;
    return nlohmann::json::parse(res->body, nullptr, false);
  }

  v1::HeartbeatRequest Beat(const std::string& task, std::optional<uint64_t> energy_mj) {
    v1::HeartbeatRequest hb;
    hb.set_name("r-0");
    if (!task.empty()) hb.add_running()->set_id(task);
    // Both GPUs read the same: only the one the job holds is charged to it.
    for (int gpu = 0; energy_mj && gpu < 2; ++gpu) {
      v1::GpuPowerSample* p = hb.add_gpu_power();
      p->set_index(gpu);
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
      p->mutable_time()->set_seconds(us / 1000000);
      p->mutable_time()->set_nanos(static_cast<int32_t>(us % 1000000) * 1000);
      p->set_energy_mj(*energy_mj);
      p->set_power_mw(300'000);
    }
    return hb;
  }

  TempDir dir_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(FootprintHttpTest, TotalsWithMeasuredEnergy) {
  ControlPlane& cp = server_->control();
  v1::RegisterRequest reg;
  reg.set_name("r-0");
  reg.mutable_inventory()->set_gpu_count(2);
  reg.mutable_inventory()->set_gpu_model("H100-SXM");
  ASSERT_TRUE(cp.Register(reg).ok());
  v1::SubmitJobRequest sub;
  sub.set_spec(JobYaml("train", 1, 1, "true"));
  auto job = cp.Submit(sub);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  std::string task;
  ASSERT_TRUE(WaitUntil([&] {
    auto r = cp.Heartbeat(Beat("", std::nullopt));
    if (r.ok() && r->tasks_size() > 0) task = r->tasks(0).id();
    return !task.empty();
  }));
  ASSERT_TRUE(cp.Heartbeat(Beat(task, std::nullopt)).ok());  // running: its run opens
  // The counters move 60 J between two readings.
  ASSERT_TRUE(cp.Heartbeat(Beat(task, 1'000'000)).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(cp.Heartbeat(Beat(task, 1'060'000)).ok());

  const double measured_kwh = 60.0 / 3.6e6 * 1.5;  // x PUE
  nlohmann::json j = Get("/v1/jobs/" + std::to_string(job->id()), 200);
  const auto& f = j["footprint"];
  ASSERT_TRUE(f["known"].get<bool>()) << f.dump();
  EXPECT_NEAR(f["measured_energy_kwh"].get<double>(), measured_kwh, 1e-12);
  EXPECT_TRUE(f["energy_source"] == "mixed" || f["energy_source"] == "measured") << f.dump();
  EXPECT_GT(f["measured_share"].get<double>(), 0);

  j = Get("/v1/footprint", 200);
  EXPECT_EQ(j["total"]["jobs"], 1);
  EXPECT_EQ(j["total"]["jobs_unknown"], 0);
  EXPECT_NEAR(j["total"]["measured_energy_kwh"].get<double>(), measured_kwh, 1e-12);
  EXPECT_GT(j["total"]["energy_kwh"].get<double>(), 0);
  ASSERT_EQ(j["hubs"].size(), 2u);
  EXPECT_EQ(j["hubs"][0]["hub"], "tangier");
  EXPECT_EQ(j["hubs"][0]["stand_in"], true);
  EXPECT_EQ(j["hubs"][0]["sum"]["jobs"], 1);
  EXPECT_EQ(j["hubs"][1]["sum"]["jobs"], 0);
  ASSERT_EQ(j["tenants"].size(), 1u);
  EXPECT_EQ(j["tenants"][0]["tenant"], "team");
  EXPECT_EQ(j["stand_in_zones"][0], "ES");

  j = Get("/v1/footprint?hub=dakar&tenant=team", 200);
  EXPECT_EQ(j["total"]["jobs"], 0);
  ASSERT_EQ(j["hubs"].size(), 1u);
  j = Get("/v1/footprint?tenant=other", 200);
  EXPECT_EQ(j["total"]["jobs"], 0);
  j = Get("/v1/footprint?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z", 200);
  EXPECT_EQ(j["total"]["jobs"], 0);
  EXPECT_EQ(j["from"], "2020-01-01T00:00:00Z");

  // Bad readings are refused, naming the field; nothing else changes.
  v1::HeartbeatRequest bad = Beat(task, 1'070'000);
  bad.mutable_gpu_power(0)->set_index(5);
  auto st = cp.Heartbeat(bad);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("gpu_power[0].index"), std::string::npos)
      << st.status().message();
}

TEST_F(FootprintHttpTest, BadParametersAreNamed) {
  auto field = [&](const std::string& query) {
    nlohmann::json j = Get("/v1/footprint?" + query, 400);
    return j["error"]["field"].get<std::string>();
  };
  EXPECT_EQ(field("hub=atlantis"), "hub");
  EXPECT_EQ(field("from=yesterday"), "from");
  EXPECT_EQ(field("to=2022-13-01T00:00:00Z"), "to");
  EXPECT_EQ(field("from=2022-02-01T00:00:00Z&to=2022-01-01T00:00:00Z"), "to");
  EXPECT_EQ(field("from=2999-01-01T00:00:00Z"), "from");
  EXPECT_EQ(field("tenat=team"), "tenat");
  EXPECT_EQ(field("hub=dakar&hub=tangier"), "hub");
}

}  // namespace
}  // namespace harch
