// An interruptible job through the control plane on a real clock: the harch-carbon profile
// starts it in its first clean slot, pauses it when that slot ends (its task leaves the node's
// task list, no retry is used) and resumes it in the next one as a new attempt. The carbon zone's
// series is written around "now" with one point a second, so the test takes a few seconds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "base/files.h"
#include "base/time_text.h"
#include "server/control_plane.h"
#include "server/test_util.h"

namespace harch {
namespace {

using std::chrono::seconds;

TEST(CarbonPause, InterruptibleJobIsPausedBetweenCleanSlotsAndResumed) {
  TempDir dir;
  const std::string fleet = dir.path() + "/fleet.yaml";
  ASSERT_TRUE(WriteFileAtomic(fleet,
                              "apiVersion: harchos.io/v1alpha1\nkind: Fleet\nmetadata: {name: one}\nspec:\n"
                              "  hubs:\n    - id: a\n      country: MA\n      carbonZone: Z\n"
                              "      racks:\n        - id: r\n          nodes:\n"
                              "            - {name: \"0\", cpu: 32, memory: 256GiB, gpus: {model: H100-SXM, count: 2}}\n")
                  .ok());
  // Dirty (500 g/kWh) but for two clean spells of 3 s, 3 s and 15 s from now. The gap is wide so
  // that a slow machine (a cycle or a store write late by seconds) still sees the pause: a job
  // that started later than the gap is long would be behind its plan and rightly run on.
  const Time now = std::chrono::floor<seconds>(std::chrono::system_clock::now());
  std::string csv = "Time,Carbon Intensity\n";
  for (int s = -5; s < 120; ++s) {
    const bool clean = (s >= 3 && s < 6) || (s >= 15 && s < 18);
    csv += FormatTime(now + seconds(s)) + "," + (clean ? "50" : "500") + "\n";
  }
  ASSERT_TRUE(WriteFileAtomic(dir.path() + "/z.csv", csv).ok());
  ASSERT_TRUE(WriteFileAtomic(dir.path() + "/carbon.yaml",
                              "apiVersion: harchos.io/v1alpha1\nkind: Carbon\nmetadata: {name: t}\nspec:\n"
                              "  forecast: {error: 0}\n  shiftStep: 1s\n  embodied: {kgPerGpu: 150, lifetime: 1460d}\n"
                              "  zones:\n    - {zone: Z, format: time-series-csv, files: [z.csv]}\n")
                  .ok());
  ControlPlaneOptions o;
  o.data_dir = dir.path() + "/data";
  o.fleet_path = fleet;
  o.profile = "harch-carbon";
  o.carbon_path = dir.path() + "/carbon.yaml";
  o.heartbeat_interval = std::chrono::milliseconds(50);
  o.cycle_interval = std::chrono::milliseconds(20);
  o.node_timeout = std::chrono::seconds(120);
  std::unique_ptr<ControlPlane> cp;
  auto open = [&] {
    auto opened = ControlPlane::Open(o);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    cp = std::move(*opened);
    v1::RegisterRequest reg;
    reg.set_name("r-0");
    reg.mutable_inventory()->set_gpu_count(2);
    reg.mutable_inventory()->set_gpu_model("H100-SXM");
    const auto node = cp->Register(reg);
    ASSERT_TRUE(node.ok()) << node.status().ToString();
  };
  open();

  // 6 s of work due in 40 s: the two clean spells hold exactly that.
  v1::SubmitJobRequest submit;
  submit.set_spec(JobYaml("ckpt", 1, 1, "sleep 100", 0,
                          "  expectedDuration: 6s\n  interruptible: true\n  deadline: \"" +
                              FormatTime(now + seconds(40)) + "\"\n"));
  auto job = cp->Submit(submit);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  v1::JobRef ref;
  ref.set_id(job->id());
  auto get = [&] { return cp->GetJob(ref).value(); };
  auto events = [&] {
    std::vector<std::string> out;
    const auto ev = cp->JobEvents(ref);
    if (ev.ok()) {
      for (const auto& e : ev->events()) out.push_back(e.type() + ": " + e.message());
    }
    return out;
  };
  auto beat = [&](const std::string& running = "") {
    v1::HeartbeatRequest r;
    r.set_name("r-0");
    if (!running.empty()) r.add_running()->set_id(running);
    return cp->Heartbeat(r).value();
  };
  EXPECT_EQ(get().state(), "pending");
  EXPECT_THAT(get().reason(), ::testing::HasSubstr("clean slot"));

  ASSERT_TRUE(WaitUntil([&] { return get().state() == "scheduled"; }, seconds(20)));
  const auto assigned = beat();
  ASSERT_EQ(assigned.tasks_size(), 1);
  beat(assigned.tasks(0).id());  // the agent started it: its GPU time counts from now
  const bool paused = WaitUntil([&] { return get().state() == "pending"; }, seconds(20));
  ASSERT_TRUE(paused) << ::testing::PrintToString(events());
  EXPECT_THAT(events(), ::testing::Contains(::testing::StartsWith("Paused: interruptible")));
  EXPECT_THAT(get().reason(), ::testing::HasSubstr("of 6s done"));
  EXPECT_THAT(get().reason(), ::testing::Not(::testing::HasSubstr("0s of 6s done")));
  EXPECT_EQ(beat().tasks_size(), 0);  // the agent stops the paused task
  // While paused, its footprint does not grow.
  const double gpu_hours = get().footprint().gpu_hours();
  EXPECT_GT(gpu_hours, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(get().footprint().gpu_hours(), gpu_hours);
  // A restart keeps the work it did: the next cycle still counts it.
  const std::string before = get().reason();
  cp.reset();
  open();
  ASSERT_TRUE(WaitUntil([&] { return get().reason().find("clean slot") != std::string::npos; }, seconds(10)))
      << get().reason();
  // "...; 3s of 6s done; ...": the same work done as before the restart.
  auto done = [](const std::string& reason) {
    const size_t end = reason.find(" of 6s done");
    const size_t start = reason.rfind("; ", end);
    return end == std::string::npos || start == std::string::npos ? reason : reason.substr(start, end - start);
  };
  EXPECT_EQ(done(get().reason()), done(before)) << get().reason();
  ASSERT_TRUE(WaitUntil([&] { return get().state() == "scheduled"; }, seconds(20)));
  EXPECT_EQ(beat().tasks_size(), 1);
  EXPECT_EQ(get().attempt(), 2);
  EXPECT_EQ(get().retries(), 0);
}

}  // namespace
}  // namespace harch
