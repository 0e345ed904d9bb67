// The simulator: a hand-checked trace with golden results, deterministic replay, conservation.
#include "sim/simulator.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/files.h"
#include "base/time_text.h"

namespace harch {
namespace {

std::string TempDir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("harch-sim-test-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::create_directories(dir);
  return dir.string();
}

std::string Write(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

std::string SourceDir() {
  const char* dir = std::getenv("HARCH_SOURCE_DIR");
  return dir ? dir : ".";
}

constexpr char kOneNode[] = R"(apiVersion: harchos.io/v1alpha1
kind: Fleet
metadata: {name: one-node}
spec:
  hubs:
    - id: h
      country: MA
      racks:
        - id: r
          nodes:
            - {name: n, cpu: 64, memory: 1TiB, gpus: {model: H100-SXM, count: 8, nvlink: nvswitch}}
)";

// a holds the node from 0 to 100 s; b (4 GPUs, 50 s) and c (4 GPUs, 10 s) wait for it and then
// run side by side. Worked out by hand:
//   JCT a 100, b 140, c 90 -> mean 110, p99 140; queue delay 0, 90, 80 -> mean 56.666667;
//   makespan 150; GPU-seconds 8x100 + 4x50 + 4x10 = 1040 of 8x150 = 1200 -> 0.866667.
//   Jobs wait from 10 s until b and c start at 100 s: 90 s, all 8 GPUs held -> 1.
constexpr char kTrace[] = R"({"id": "a", "arrival_s": 0, "duration_s": 100, "gpus_per_replica": 8}
{"id": "b", "arrival_s": 10, "duration_s": 50, "gpus_per_replica": 4}
{"id": "c", "arrival_s": 20, "duration_s": 10, "gpus_per_replica": 4}
)";

SimOptions Options(const std::string& dir, const std::string& policy) {
  SimOptions o;
  o.fleet_path = Write(dir, "fleet.yaml", kOneNode);
  o.workload = "jsonl:" + Write(dir, "trace.jsonl", kTrace);
  o.policy = policy;
  o.timing = false;
  return o;
}

TEST(SimulatorTest, HandCheckedTraceGivesTheGoldenResults) {
  const std::string dir = TempDir();
  for (const char* policy : {"harch", "fifo", "backfill", "binpack", "fair"}) {
    SCOPED_TRACE(policy);
    auto out = RunSimulation(Options(dir, policy));
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    const auto& s = out->summary;
    EXPECT_EQ(s["policy"], policy);
    EXPECT_EQ(s["jobs_total"], 3);
    EXPECT_EQ(s["jobs_completed"], 3);
    EXPECT_EQ(s["jobs_never_ran"], 0);
    EXPECT_DOUBLE_EQ(s["makespan_s"].get<double>(), 150.0);
    EXPECT_DOUBLE_EQ(s["jct_mean_s"].get<double>(), 110.0);
    EXPECT_DOUBLE_EQ(s["jct_p99_s"].get<double>(), 140.0);
    EXPECT_DOUBLE_EQ(s["queue_delay_mean_s"].get<double>(), 56.666667);
    EXPECT_DOUBLE_EQ(s["queue_delay_p99_s"].get<double>(), 90.0);
    EXPECT_DOUBLE_EQ(s["gpu_allocation"].get<double>(), 0.866667);
    EXPECT_DOUBLE_EQ(s["waiting_s"].get<double>(), 90.0);
    EXPECT_DOUBLE_EQ(s["gpu_allocation_while_waiting"].get<double>(), 1.0);
    EXPECT_EQ(s["sovereignty_violations"], 0);
    EXPECT_DOUBLE_EQ(s["max_allocated_gpus"].get<double>(), 8.0);
  }
}

TEST(SimulatorTest, SameInputsAndSeedGiveAByteIdenticalSummary) {
  const std::string dir = TempDir();
  const std::string fleet = SourceDir() + "/examples/fleets/reference.yaml";
  const std::string workload = SourceDir() + "/examples/workloads/synthetic-gangs.yaml";
  if (!std::filesystem::exists(fleet) || !std::filesystem::exists(workload)) {
    GTEST_SKIP() << "examples not found; set HARCH_SOURCE_DIR";
  }
  SimOptions o;
  o.fleet_path = fleet;
  o.workload = "synthetic:" + workload;
  o.workload_options.max_jobs = 100;
  o.timing = false;
  o.node_failures_per_day = 0.05;
  auto first = RunSimulation(o);
  auto second = RunSimulation(o);
  ASSERT_TRUE(first.ok() && second.ok()) << first.status().ToString();
  EXPECT_EQ(first->summary.dump(2), second->summary.dump(2));
  EXPECT_EQ(first->timeseries.dump(), second->timeseries.dump());
  // A different seed draws other faults and shuffles: the run differs.
  o.seed = 2;
  auto third = RunSimulation(o);
  ASSERT_TRUE(third.ok());
  EXPECT_NE(first->summary.dump(2), third->summary.dump(2));
}

TEST(SimulatorTest, ConservationOnTheReferenceFleet) {
  const std::string dir = TempDir();
  const std::string fleet = SourceDir() + "/examples/fleets/reference.yaml";
  const std::string workload = SourceDir() + "/examples/workloads/synthetic-gangs.yaml";
  if (!std::filesystem::exists(fleet) || !std::filesystem::exists(workload)) {
    GTEST_SKIP() << "examples not found; set HARCH_SOURCE_DIR";
  }
  for (const char* policy : {"harch", "fifo", "backfill", "binpack", "fair"}) {
    SCOPED_TRACE(policy);
    SimOptions o;
    o.fleet_path = fleet;
    o.workload = "synthetic:" + workload;
    o.workload_options.max_jobs = 80;
    o.policy = policy;
    o.timing = false;
    o.node_failures_per_day = 0.1;
    auto out = RunSimulation(o);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    const auto& s = out->summary;
    // Every job ends in exactly one final state.
    EXPECT_EQ(s["jobs_completed"].get<int64_t>() + s["jobs_never_ran"].get<int64_t>() +
                  s["jobs_rejected"].get<int64_t>(),
              s["jobs_total"].get<int64_t>());
    // Allocated GPUs never exceed capacity; no data leaves its jurisdiction.
    EXPECT_LE(s["max_allocated_gpus"].get<double>(), 1798.0);
    EXPECT_GT(s["max_allocated_gpus"].get<double>(), 0.0);
    EXPECT_EQ(s["sovereignty_violations"], 0);
    EXPECT_GE(s["gpu_allocation"].get<double>(), 0.0);
    EXPECT_LE(s["gpu_allocation"].get<double>(), 1.0);
    const auto& t = out->timeseries;
    ASSERT_EQ(t["t_s"].size(), t["allocation"].size());
    for (const auto& a : t["allocation"]) EXPECT_LE(a.get<double>(), 1.0);
  }
}

TEST(SimulatorTest, ScriptedNodeFailureRequeuesItsJob) {
  const std::string dir = TempDir();
  SimOptions o = Options(dir, "harch");
  o.faults = {*ParseFault("50s:r-n:down"), *ParseFault("60s:r-n:up")};
  auto out = RunSimulation(o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const auto& s = out->summary;
  EXPECT_EQ(s["jobs_lost"], 1);  // a, which restarts from zero at 60 s
  EXPECT_EQ(s["faults"]["node_failures"], 1);
  EXPECT_EQ(s["jobs_completed"], 3);
  // Whatever the order after the repair, the three jobs need 100 s of the whole node and 50 s of
  // half of it from 60 s on: the last one ends at 210 s.
  EXPECT_DOUBLE_EQ(s["makespan_s"].get<double>(), 210.0);
}

// The one-node fleet with its hub in carbon zone Z.
std::string WriteZoneZFleet(const std::string& dir) {
  std::string fleet = kOneNode;
  fleet.replace(fleet.find("country: MA"), 11, "country: MA\n      carbonZone: Z");
  return Write(dir, "fleet.yaml", fleet);
}

// A carbon config for zone Z (z.csv in `dir`): H100s drawing 700 W at utilisation 1, no embodied
// emissions, plus `extra` lines under spec.
std::string WriteZoneZCarbon(const std::string& dir, const std::string& extra) {
  return Write(dir, "carbon.yaml", "apiVersion: harchos.io/v1alpha1\nkind: Carbon\nmetadata: {name: t}\nspec:\n"
                                   "  utilisation: 1\n  power: {H100-SXM: {idleWatts: 100, maxWatts: 700}}\n"
                                   "  embodied: {kgPerGpu: 0}\n" + extra +
                                   "  zones:\n    - {zone: Z, format: electricitymaps-csv, files: [z.csv]}\n");
}

// The trace above with deadlines (a misses its 50 s, b meets its 1000 s), on the one-node fleet
// in zone Z at a flat 100 g/kWh, H100s drawing 700 W (utilisation 1), PUE 1. By hand:
//   GPU-seconds 1040 x 700 W = 728,000 J = 0.202222 kWh; x 100 g/kWh = 0.0202222 kg;
//   cost: 0.202222 kWh x $0 + 1040/3600 GPU-hours x $3 = $0.866667.
TEST(SimulatorTest, CarbonAccountingAndDeadlineMisses) {
  const std::string dir = TempDir();
  SimOptions o;
  o.fleet_path = WriteZoneZFleet(dir);
  o.workload = "jsonl:" + Write(dir, "trace.jsonl",
                                R"({"id": "a", "arrival_s": 0, "duration_s": 100, "gpus_per_replica": 8, "deadline_s": 50}
{"id": "b", "arrival_s": 10, "duration_s": 50, "gpus_per_replica": 4, "deadline_s": 1000}
{"id": "c", "arrival_s": 20, "duration_s": 10, "gpus_per_replica": 4}
)");
  Write(dir, "z.csv", "Datetime (UTC),Zone Id,Carbon Intensity gCO\xe2\x82\x82" "eq/kWh (LCA)\n"
                      "2023-01-01 00:00:00,Z,100\n2023-01-01 01:00:00,Z,100\n");
  o.carbon_path = WriteZoneZCarbon(dir, "  rates: {gpuHourUsd: 3}\n");
  o.policy = "harch";
  auto out = RunSimulation(o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const auto& s = out->summary;
  EXPECT_NEAR(s["energy_kwh"].get<double>(), 0.202222, 1e-6);
  EXPECT_NEAR(s["emissions_kgco2e"].get<double>(), 0.0202222, 1e-7);
  EXPECT_NEAR(s["cost_usd"].get<double>(), 0.866667, 1e-6);
  EXPECT_EQ(s["deadline_misses"].get<int64_t>(), 1);
  EXPECT_EQ(s["carbon"]["jobs_with_deadline"].get<int64_t>(), 2);
  EXPECT_EQ(s["carbon"]["config"]["start"].get<std::string>(), "2023-01-01T00:00:00Z");

  // Past the series and without a default: refused, never zero.
  o.start = ParseTime("2024-01-01T00:00:00Z").value();
  auto refused = RunSimulation(o);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("no intensity"), std::string::npos) << refused.status().ToString();
}

// An interruptible job of 2 h due in 5 h, in a zone clean (100 g/kWh) only in hours 1 and 3:
// under harch-carbon it runs in those two hours, paused once between them, and ends at 4 h.
// By hand: 8 H100s x 700 W x 2 h = 11.2 kWh, x 100 g/kWh = 1.12 kg.
TEST(SimulatorTest, InterruptibleJobPausesBetweenCleanHours) {
  const std::string dir = TempDir();
  SimOptions o;
  o.fleet_path = WriteZoneZFleet(dir);
  o.workload = "jsonl:" + Write(dir, "trace.jsonl",
                                R"({"id": "a", "arrival_s": 0, "duration_s": 7200, "gpus_per_replica": 8, "deadline_s": 18000, "interruptible": true}
)");
  std::string csv = "Datetime (UTC),Zone Id,Carbon Intensity gCO\xe2\x82\x82" "eq/kWh (LCA)\n";
  for (int h = 0; h < 9; ++h) {
    csv += "2023-01-01 0" + std::to_string(h) + ":00:00,Z," + (h == 1 || h == 3 ? "100" : "500") + "\n";
  }
  Write(dir, "z.csv", csv);
  o.carbon_path = WriteZoneZCarbon(dir, "  forecast: {error: 0}\n");
  o.policy = "harch-carbon";
  auto out = RunSimulation(o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const auto& s = out->summary;
  EXPECT_EQ(s["jobs_completed"].get<int64_t>(), 1);
  EXPECT_EQ(s["carbon_pauses"].get<int64_t>(), 1);
  EXPECT_EQ(s["preemptions"].get<int64_t>(), 0);
  EXPECT_DOUBLE_EQ(s["jct_mean_s"].get<double>(), 4 * 3600.0);
  EXPECT_NEAR(s["energy_kwh"].get<double>(), 11.2, 1e-6);
  EXPECT_NEAR(s["emissions_kgco2e"].get<double>(), 1.12, 1e-6);
  EXPECT_EQ(s["deadline_misses"].get<int64_t>(), 0);

  // The carbon-agnostic policy runs it at once: 2 h at 500 and 100 g/kWh.
  o.policy = "harch";
  out = RunSimulation(o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->summary["carbon_pauses"].get<int64_t>(), 0);
  EXPECT_NEAR(out->summary["emissions_kgco2e"].get<double>(), 5.6 * 0.5 + 5.6 * 0.1, 1e-6);
}

TEST(SimulatorTest, BadInputIsRefusedWithTheLine) {
  const std::string dir = TempDir();
  SimOptions o = Options(dir, "harch");
  o.workload = "jsonl:" + Write(dir, "bad.jsonl", std::string(kTrace) + "{\"id\": \"d\", \"arrival_s\": -1}\n");
  auto out = RunSimulation(o);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("bad.jsonl:4"), std::string::npos) << out.status().message();
  o.workload_options.skip_bad_lines = true;
  out = RunSimulation(o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->summary["inputs"]["workload"]["bad_lines_skipped"], 1);
  EXPECT_EQ(out->summary["jobs_total"], 3);
  o.policy = "nonsense";
  EXPECT_FALSE(RunSimulation(o).ok());
  EXPECT_FALSE(ParseFault("later:r-n:down").ok());
  EXPECT_FALSE(ParseFault("5s:r-n:sideways").ok());
}

TEST(SimulatorTest, WritesTheThreeFiles) {
  const std::string dir = TempDir();
  auto out = RunSimulation(Options(dir, "harch"));
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(WriteSimOutput(*out, dir + "/out").ok());
  for (const char* f : {"summary.json", "timeseries.json", "report.html"}) {
    EXPECT_TRUE(std::filesystem::exists(dir + "/out/" + f)) << f;
  }
  auto text = ReadFile(dir + "/out/summary.json");
  ASSERT_TRUE(text.ok());
  auto j = nlohmann::json::parse(*text);
  for (const char* key : {"policy", "jobs_total", "jobs_completed", "gpu_allocation", "jct_mean_s",
                          "jct_p99_s", "queue_delay_mean_s", "queue_delay_p99_s",
                          "fragmentation_mean", "sovereignty_violations",
                          "decision_latency_p99_us", "inputs", "policy_parameters"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
}

}  // namespace
}  // namespace harch
