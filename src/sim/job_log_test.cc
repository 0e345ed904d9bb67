// The per-job record: the hand-checked trace's jobs, run by run, in jsonl and csv; formats.
#include "sim/job_log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/files.h"
#include "sim/simulator.h"

namespace harch {
namespace {

constexpr char kTwoHubs[] = R"(apiVersion: harchos.io/v1alpha1
kind: Fleet
metadata: {name: two-hubs}
spec:
  hubs:
    - id: ma
      country: MA
      racks:
        - id: rm
          nodes:
            - {name: m, cpu: 64, memory: 1TiB, gpus: {model: H100-SXM, count: 8, nvlink: nvswitch}}
    - id: sn
      country: SN
      racks:
        - id: rs
          nodes:
            - {name: s, cpu: 64, memory: 1TiB, gpus: {model: H100-SXM, count: 8, nvlink: nvswitch}}
)";

// a (low, 8 GPUs, SN data) starts at 0 on rs-s; b (high, not preemptible, 8 GPUs, SN data) arrives
// at 10 and preempts it; a runs again when b ends at 60 and finishes at 160. c needs data from
// both MA and SN, which never intersect: refused. d (MA) runs on rm-m from 0 to 30.
constexpr char kTrace[] =
    R"({"id": "a", "arrival_s": 0, "duration_s": 100, "gpus_per_replica": 8, "priority": "low", "jurisdiction": ["SN"]}
{"id": "d", "arrival_s": 0, "duration_s": 30, "gpus_per_replica": 2, "jurisdiction": ["MA"], "tenant": "t/x"}
{"id": "b", "arrival_s": 10, "duration_s": 50, "gpus_per_replica": 8, "priority": "high", "preemptible": false, "jurisdiction": ["SN"]}
{"id": "c", "arrival_s": 20, "duration_s": 10, "jurisdiction": ["MA"], "models": ["nope"]}
)";

struct SimRun {
  std::string dir;
  SimOutput out;
};

SimRun Simulate(JobLogFormat format) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("harch-joblog-" + std::to_string(::getpid()) + "-" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "fleet.yaml") << kTwoHubs;
  std::ofstream(dir / "trace.jsonl") << kTrace;
  SimOptions o;
  o.fleet_path = (dir / "fleet.yaml").string();
  o.workload = "jsonl:" + (dir / "trace.jsonl").string();
  o.timing = false;
  o.job_log = format;
  auto out = RunSimulation(o);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(WriteSimOutput(*out, (dir / "out").string()).ok());
  return {(dir / "out").string(), std::move(out).value()};
}

TEST(JobLogTest, RecordsEveryRunOfEveryJob) {
  const SimRun run = Simulate(JobLogFormat::kJsonl);
  const auto& jobs = run.out.jobs;
  ASSERT_EQ(jobs.size(), 4u);
  std::map<std::string, const SimJobRecord*> by_id;
  for (const auto& j : jobs) by_id[j.id] = &j;

  const SimJobRecord& a = *by_id.at("a");
  EXPECT_EQ(a.Outcome(), "completed");
  ASSERT_EQ(a.runs.size(), 2u);
  EXPECT_EQ(a.runs[0].start_s, 0);
  EXPECT_EQ(a.runs[0].end_s, 10);
  EXPECT_EQ(a.runs[0].end, RunEnd::kPreempted);
  EXPECT_EQ(a.runs[0].nodes, std::vector<std::string>{"rs-s"});
  EXPECT_EQ(a.runs[0].hubs, std::vector<std::string>{"sn"});
  EXPECT_EQ(a.runs[0].gpu_milli, 8000);
  EXPECT_EQ(a.runs[1].start_s, 60);
  EXPECT_EQ(a.runs[1].end_s, 160);
  EXPECT_EQ(a.runs[1].end, RunEnd::kFinished);
  EXPECT_EQ(a.completed_s, 160);
  EXPECT_EQ(a.Ends(RunEnd::kPreempted), 1);

  const SimJobRecord& b = *by_id.at("b");
  ASSERT_EQ(b.runs.size(), 1u);
  EXPECT_EQ(b.runs[0].start_s, 10);
  EXPECT_EQ(b.completed_s, 60);

  const SimJobRecord& c = *by_id.at("c");
  EXPECT_EQ(c.Outcome(), "rejected");
  EXPECT_FALSE(c.reject_reason.empty());

  const SimJobRecord& d = *by_id.at("d");
  EXPECT_EQ(d.tenant, "t/x");
  EXPECT_EQ(d.runs.at(0).nodes, std::vector<std::string>{"rm-m"});
  EXPECT_EQ(d.completed_s, 30);

  // The summary's independent sovereignty check saw every start.
  EXPECT_EQ(run.out.summary["sovereignty"]["placements_checked"], 4);
  EXPECT_EQ(run.out.summary["sovereignty_violations"], 0);
}

TEST(JobLogTest, JsonlHasOneObjectPerJobInWorkloadOrder) {
  const SimRun run = Simulate(JobLogFormat::kJsonl);
  auto text = ReadFile(run.dir + "/jobs.jsonl");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  std::istringstream in(*text);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0]["id"], "a");
  EXPECT_EQ(lines[0]["queue_delay_s"], 0);
  EXPECT_EQ(lines[0]["jct_s"], 160);
  EXPECT_EQ(lines[0]["runs"][0]["end"], "preempted");
  EXPECT_EQ(lines[3]["id"], "c");
  EXPECT_EQ(lines[3]["outcome"], "rejected");
  EXPECT_TRUE(lines[3]["first_start_s"].is_null());
  EXPECT_FALSE(std::filesystem::exists(run.dir + "/jobs.csv"));
}

TEST(JobLogTest, CsvSummarisesRunsAndQuotesFields) {
  const SimRun run = Simulate(JobLogFormat::kCsv);
  auto text = ReadFile(run.dir + "/jobs.csv");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  std::istringstream in(*text);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0].rfind("id,tenant,qos,gpu_milli,arrival_s,", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1], "a,default,low,8000,0,,completed,0,160,0,160,2,1,0,0,sn,rs-s,H100-SXM,");
  EXPECT_EQ(lines[2].rfind("d,t/x,normal,2000,0,,completed,0,30,0,30,1,0,0,0,ma,rm-m,", 0), 0u) << lines[2];
  EXPECT_EQ(lines[4].rfind("c,default,normal,1000,20,,rejected,,,,,0,0,0,0,,,,", 0), 0u) << lines[4];
  EXPECT_FALSE(std::filesystem::exists(run.dir + "/jobs.jsonl"));
}

TEST(JobLogTest, CsvQuotesCommasQuotesAndLineBreaks) {
  SimJobRecord r;
  r.id = "x";
  r.rejected = true;
  r.reject_reason = "no fit, \"H100\"\nanywhere";
  const std::string csv = JobLogCsv({r});
  EXPECT_NE(csv.find(",\"no fit, \"\"H100\"\"\nanywhere\"\n"), std::string::npos) << csv;
}

TEST(JobLogTest, FormatsAreNamed) {
  EXPECT_EQ(*ParseJobLogFormat("jsonl"), JobLogFormat::kJsonl);
  EXPECT_EQ(*ParseJobLogFormat("csv"), JobLogFormat::kCsv);
  EXPECT_EQ(*ParseJobLogFormat("none"), JobLogFormat::kNone);
  auto bad = ParseJobLogFormat("xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("jsonl, csv or none"), std::string::npos);
}

}  // namespace
}  // namespace harch
