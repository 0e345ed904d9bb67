// Workloads: the jsonl format, the synthetic generator and the Alibaba v2023 reader (on small
// files written here and, when ../shared/data is there, on the real trace).
#include "sim/workload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include "base/clock.h"
#include "base/random.h"
#include "resource/gpu_model.h"
#include "resource/topology.h"
#include "sched/framework.h"
#include "sched/queues.h"
#include "sched/scheduler.h"

namespace harch {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using std::chrono::hours;
using std::chrono::seconds;

// A fresh directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            ("harch_workload_" + std::to_string(::getpid()) + "_" + info->test_suite_name() +
             "_" + info->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string Write(const std::string& name, const std::string& content) const {
    const fs::path p = path_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }

 private:
  fs::path path_;
};

Workload MustLoad(const std::string& kind_and_path, const WorkloadOptions& options = {}) {
  auto w = LoadWorkload(kind_and_path, options);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  if (!w.ok()) return {};
  return std::move(w).value();
}

std::string LoadError(const std::string& kind_and_path, const WorkloadOptions& options = {}) {
  auto w = LoadWorkload(kind_and_path, options);
  EXPECT_FALSE(w.ok());
  return w.ok() ? "" : w.status().message();
}

const SimJob* FindJob(const Workload& w, const std::string& id) {
  for (const SimJob& j : w.jobs) {
    if (j.id == id) return &j;
  }
  return nullptr;
}

// A file under the source tree: $HARCH_SOURCE_DIR/relative, else relative to the working
// directory or one of its parents.
std::optional<fs::path> FindSource(const std::string& relative) {
  if (const char* src = std::getenv("HARCH_SOURCE_DIR"); src != nullptr && *src != '\0') {
    const fs::path p = fs::path(src) / relative;
    if (fs::exists(p)) return p;
  }
  std::error_code ec;
  fs::path dir = fs::current_path(ec);
  for (int up = 0; up < 6 && !ec; ++up) {
    if (fs::exists(dir / relative)) return dir / relative;
    if (!dir.has_parent_path() || dir.parent_path() == dir) break;
    dir = dir.parent_path();
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// LoadWorkload and the hash.

TEST(Fnv1a64HexTest, KnownVectors) {
  EXPECT_EQ(Fnv1a64Hex(""), "cbf29ce484222325");
  EXPECT_EQ(Fnv1a64Hex("a"), "af63dc4c8601ec8c");
  EXPECT_EQ(Fnv1a64Hex("foobar"), "85944171f73967e8");
}

TEST(LoadWorkloadTest, RefusesUnknownKindsAndMissingFiles) {
  const std::string unknown = LoadError("csv:jobs.csv");
  EXPECT_THAT(unknown, HasSubstr("unknown workload kind 'csv'"));
  EXPECT_THAT(unknown, HasSubstr("alibaba-v2023, synthetic, jsonl"));
  EXPECT_THAT(LoadError("jobs.jsonl"), HasSubstr("must be KIND:PATH"));
  EXPECT_THAT(LoadError("jsonl:"), HasSubstr("names no file"));

  auto missing = LoadWorkload("jsonl:/nonexistent/dir/jobs.jsonl", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("/nonexistent/dir/jobs.jsonl"));

  TempDir dir;
  const std::string path = dir.Write("a.jsonl", "");
  WorkloadOptions bad_scale;
  bad_scale.arrival_scale = 0;
  EXPECT_THAT(LoadError("jsonl:" + path, bad_scale), HasSubstr("arrival scale"));
  WorkloadOptions bad_max;
  bad_max.max_jobs = -1;
  EXPECT_THAT(LoadError("jsonl:" + path, bad_max), HasSubstr("max jobs"));
}

// ---------------------------------------------------------------------------------------------
// jsonl

constexpr char kGoodJsonl[] = R"(# comment line
{"id": "b-train", "arrival_s": 120, "duration_s": 3600, "tenant": "research/nlp", "kind": "training", "priority": "high", "preemptible": false, "replicas": 4, "gpus_per_replica": 8, "models": ["H100", "GB200"], "min_memory": "80GiB", "nvlink": "required", "exclusive": true, "jurisdiction": ["MA", "SN"], "cpu": 96, "memory": "1TiB", "qos": "gold"}

   # indented comment
{"id": "a-share", "arrival_s": 120, "duration_s": 0.5, "gpu_share": 250}
{"id": "c-mig", "arrival_s": 10.25, "duration_s": 60, "mig": "3g.40gb", "latency": "medium", "kind": "interactive", "expected_s": 90, "cpu": 0.5}
)";

TEST(JsonlTest, ReadsEveryField) {
  TempDir dir;
  const std::string path = dir.Write("good.jsonl", kGoodJsonl);
  const Workload w = MustLoad("jsonl:" + path);
  EXPECT_EQ(w.kind, "jsonl");
  EXPECT_EQ(w.path, path);
  EXPECT_EQ(w.input_hash, Fnv1a64Hex(kGoodJsonl));
  EXPECT_EQ(w.lines_read, 3);
  EXPECT_EQ(w.bad_lines_skipped, 0);
  ASSERT_EQ(w.jobs.size(), 3u);
  // By arrival, then id.
  EXPECT_EQ(w.jobs[0].id, "c-mig");
  EXPECT_EQ(w.jobs[1].id, "a-share");
  EXPECT_EQ(w.jobs[2].id, "b-train");

  const SimJob& b = w.jobs[2];
  EXPECT_EQ(b.arrival, seconds(120));
  EXPECT_EQ(b.service, hours(1));
  EXPECT_EQ(b.qos, "gold");
  EXPECT_EQ(b.spec.name, "b-train");
  EXPECT_EQ(b.spec.tenant, "research/nlp");
  EXPECT_EQ(b.spec.kind, WorkloadKind::kTraining);
  EXPECT_EQ(b.spec.priority_class, "high");
  EXPECT_EQ(b.spec.priority, 100);
  EXPECT_FALSE(b.spec.preemptible);
  ASSERT_TRUE(b.spec.expected_duration.has_value());
  EXPECT_EQ(*b.spec.expected_duration, hours(1));  // the oracle when expected_s is absent
  EXPECT_EQ(b.spec.ref.file, path);
  EXPECT_EQ(b.spec.ref.line, 2);
  ASSERT_EQ(b.spec.task_groups.size(), 1u);
  const TaskGroupSpec& g = b.spec.task_groups[0];
  EXPECT_EQ(g.replicas, 4);
  EXPECT_EQ(g.gpus_per_replica, 8);
  EXPECT_EQ(g.gpu_share.value, 0);
  EXPECT_THAT(g.gpu.models, ElementsAre("H100", "GB200"));
  EXPECT_EQ(g.gpu.min_memory, GiB(80));
  EXPECT_EQ(g.gpu.nvlink, NvlinkRequirement::kRequired);
  EXPECT_TRUE(g.gpu.exclusive_node);
  EXPECT_EQ(g.cpu_per_replica.value, 96'000);
  EXPECT_EQ(g.memory_per_replica, TiB(1));
  ASSERT_EQ(b.spec.data.size(), 1u);
  EXPECT_THAT(b.spec.data[0].jurisdiction, ElementsAre("MA", "SN"));
  EXPECT_EQ(b.spec.TotalGpuMilli(), 32'000);

  const SimJob& a = w.jobs[1];  // defaults
  EXPECT_EQ(a.service, std::chrono::milliseconds(500));
  EXPECT_EQ(a.qos, "normal");
  EXPECT_EQ(a.spec.tenant, "default");
  EXPECT_EQ(a.spec.kind, WorkloadKind::kBatch);
  EXPECT_EQ(a.spec.priority_class, "normal");
  EXPECT_EQ(a.spec.latency, LatencySensitivity::kLow);
  EXPECT_TRUE(a.spec.preemptible);
  EXPECT_TRUE(a.spec.data.empty());
  EXPECT_EQ(a.spec.task_groups[0].gpus_per_replica, 0);
  EXPECT_EQ(a.spec.task_groups[0].gpu_share.value, 250);
  EXPECT_EQ(a.spec.task_groups[0].cpu_per_replica.value, 1000);
  EXPECT_EQ(a.spec.task_groups[0].memory_per_replica, GiB(1));
  EXPECT_EQ(a.spec.task_groups[0].gpu.nvlink, NvlinkRequirement::kPreferred);

  const SimJob& c = w.jobs[0];
  EXPECT_EQ(c.arrival, std::chrono::milliseconds(10'250));
  EXPECT_EQ(c.spec.task_groups[0].mig_profile, "3g.40gb");
  EXPECT_EQ(c.spec.task_groups[0].gpus_per_replica, 0);
  EXPECT_EQ(c.spec.task_groups[0].cpu_per_replica.value, 500);
  EXPECT_EQ(c.spec.latency, LatencySensitivity::kMedium);
  EXPECT_EQ(c.spec.kind, WorkloadKind::kInteractive);
  EXPECT_EQ(*c.spec.expected_duration, seconds(90));
}

TEST(JsonlTest, FirstBadLineIsFatalByDefault) {
  TempDir dir;
  const std::string path = dir.Write("bad.jsonl",
                                     "{\"id\": \"ok\", \"arrival_s\": 0, \"duration_s\": 1}\n"
                                     "# fine\n"
                                     "{\"id\": \"bad\", \"arrival_s\": 0, \"duration_s\": 0}\n"
                                     "{\"id\": \"worse\"}\n");
  const std::string msg = LoadError("jsonl:" + path);
  EXPECT_THAT(msg, StartsWith(path + ":3: duration_s: must be longer than zero"));
}

TEST(JsonlTest, SkippedBadLinesAreCountedWithFileAndLine) {
  TempDir dir;
  std::string text = "{\"id\": \"good-1\", \"arrival_s\": 5, \"duration_s\": 1}\n";
  for (int i = 0; i < 25; ++i) text += "{\"id\": \"x\"}\n";  // lines 2..26: no arrival_s
  text += "{\"id\": \"good-2\", \"arrival_s\": 1, \"duration_s\": 1}\n";
  const std::string path = dir.Write("many.jsonl", text);
  WorkloadOptions options;
  options.skip_bad_lines = true;
  const Workload w = MustLoad("jsonl:" + path, options);
  EXPECT_EQ(w.lines_read, 27);
  EXPECT_EQ(w.bad_lines_skipped, 25);
  ASSERT_EQ(w.bad_line_errors.size(), 20u);  // the first 20 kept
  EXPECT_EQ(w.bad_line_errors[0], path + ":2: arrival_s: missing required field");
  EXPECT_THAT(w.bad_line_errors[19], StartsWith(path + ":21: "));
  ASSERT_EQ(w.jobs.size(), 2u);
  EXPECT_EQ(w.jobs[0].id, "good-2");
  EXPECT_EQ(w.jobs[1].id, "good-1");
}

TEST(JsonlTest, EachBadLineSaysWhy) {
  const std::string ok = R"("id": "j", "arrival_s": 0, "duration_s": 10)";
  struct Case {
    std::string line;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"{" + ok + R"(, "colour": "red", "gpus": 2})",
       "unknown fields 'colour', 'gpus'; valid: id, arrival_s"},
      {R"({"arrival_s": 0, "duration_s": 10})", "id: missing required field"},
      {R"({"id": "J!", "arrival_s": 0, "duration_s": 10})", "id: "},
      {R"({"id": 7, "arrival_s": 0, "duration_s": 10})", "id: expected a string, got 7"},
      {R"({"id": "j", "arrival_s": -1, "duration_s": 10})", "arrival_s: -1 is out of range"},
      {R"({"id": "j", "arrival_s": "0", "duration_s": 10})", "arrival_s: expected a number"},
      {R"({"id": "j", "arrival_s": 0, "duration_s": 0})", "duration_s: must be longer than zero"},
      {R"({"id": "j", "arrival_s": 0, "duration_s": 1e-9})", "duration_s: must be longer than"},
      {R"({"id": "j", "arrival_s": 0, "duration_s": 1e300})", "duration_s: "},
      {"{" + ok + ", ", "invalid JSON: "},
      {"[1, 2]", "expected a JSON object, got [1,2]"},
      {"{" + ok + R"(, "tenant": "a", "tenant": "b"})", "tenant: duplicate key"},
      {"{" + ok + R"(, "tenant": "a//b"})", "tenant: "},
      {"{" + ok + R"(, "kind": "serving"})", "kind: must be one of training, inference"},
      {"{" + ok + R"(, "priority": "urgent"})",
       "priority: unknown priority class 'urgent'; valid: critical, high, normal, low, "
       "best-effort"},
      {"{" + ok + R"(, "latency": "extreme"})", "latency: must be one of low, medium, high"},
      {"{" + ok + R"(, "preemptible": "yes"})", "preemptible: expected true or false"},
      {"{" + ok + R"(, "replicas": 0})", "replicas: 0 is out of range [1, 10000]"},
      {"{" + ok + R"(, "replicas": 2.5})", "replicas: expected an integer"},
      {"{" + ok + R"(, "gpus_per_replica": 65})", "gpus_per_replica: 65 is out of range"},
      {"{" + ok + R"(, "gpus_per_replica": 2, "gpu_share": 500})",
       "gpu_share: is exclusive with gpus_per_replica"},
      {"{" + ok + R"(, "gpu_share": 1000})", "gpu_share: 1000 is out of range [1, 999]"},
      {"{" + ok + R"(, "mig": "3g"})", "mig: must be a MIG profile"},
      {"{" + ok + R"(, "models": ["H100", ""]})", "models: entry 1 must be a non-empty string"},
      {"{" + ok + R"(, "models": "H100"})", "models: expected an array of strings"},
      {"{" + ok + R"(, "min_memory": "lots"})", "min_memory: "},
      {"{" + ok + R"(, "nvlink": "always"})", "nvlink: must be one of required, preferred"},
      {"{" + ok + R"(, "exclusive": 1})", "exclusive: expected true or false"},
      {"{" + ok + R"(, "jurisdiction": []})", "jurisdiction: must name at least one country"},
      {"{" + ok + R"(, "jurisdiction": ["Morocco"]})",
       "jurisdiction: 'Morocco' is not an ISO 3166-1 alpha-2 code"},
      {"{" + ok + R"(, "cpu": 0})", "cpu: must be at least 0.001 cores"},
      {"{" + ok + R"(, "memory": "1KiB"})", "memory: '1KiB' is out of range"},
      {"{" + ok + R"(, "qos": ""})", "qos: must not be empty"},
      {"{" + ok + R"(, "expected_s": 0})", "expected_s: must be longer than zero"},
      {std::string(100, '[') + std::string(100, ']'), "nested deeper than 16 levels"},
  };
  TempDir dir;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    const std::string path = dir.Write("one.jsonl", "\n" + c.line + "\n");
    const std::string msg = LoadError("jsonl:" + path);
    EXPECT_THAT(msg, StartsWith(path + ":2: "));
    EXPECT_THAT(msg, HasSubstr(c.message));
  }
}

TEST(JsonlTest, DuplicateIdsAreBadLines) {
  TempDir dir;
  const std::string path = dir.Write("dup.jsonl",
                                     "{\"id\": \"j\", \"arrival_s\": 0, \"duration_s\": 1}\n"
                                     "{\"id\": \"j\", \"arrival_s\": 1, \"duration_s\": 1}\n");
  EXPECT_THAT(LoadError("jsonl:" + path),
              HasSubstr(path + ":2: id: 'j' is already used on line 1"));
}

TEST(JsonlTest, ArrivalScaleAndMaxJobs) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 10; ++i) {
    text += "{\"id\": \"j" + std::to_string(i) + "\", \"arrival_s\": " + std::to_string(100 * (9 - i)) +
            ", \"duration_s\": 30}\n";
  }
  const std::string path = dir.Write("scale.jsonl", text);
  WorkloadOptions options;
  options.arrival_scale = 4;
  options.max_jobs = 3;
  const Workload w = MustLoad("jsonl:" + path, options);
  ASSERT_EQ(w.jobs.size(), 3u);
  EXPECT_EQ(w.jobs[0].id, "j9");  // the earliest arrivals
  EXPECT_EQ(w.jobs[1].arrival, seconds(25));
  EXPECT_EQ(w.jobs[2].arrival, seconds(50));
  EXPECT_EQ(w.jobs[2].service, seconds(30));  // service is not scaled
  EXPECT_EQ(w.dropped.at("beyond-max-jobs"), 7);
}

TEST(JsonlTest, ShippedExampleLoads) {
  const auto path = FindSource("examples/workloads/small.jsonl");
  if (!path) GTEST_SKIP() << "examples/workloads/small.jsonl not found; set HARCH_SOURCE_DIR";
  const Workload w = MustLoad("jsonl:" + path->string());
  EXPECT_EQ(w.jobs.size(), 12u);
  EXPECT_EQ(w.bad_lines_skipped, 0);
}

// ---------------------------------------------------------------------------------------------
// synthetic

constexpr char kSyntheticYaml[] = R"(apiVersion: harchos.io/v1alpha1
kind: SyntheticWorkload
metadata: {name: test}
spec:
  jobs: 20000
  arrivals: {process: poisson, meanInterArrival: 2m}
  sizes:
    - {gpus: 1, weight: 50}
    - {gpus: 8, weight: 20}
    - {gpuShare: 250m, weight: 24}
    - {gpus: 64, gpusPerReplica: 8, weight: 5}
    - {gpus: 256, gpusPerReplica: 8, weight: 1, durations: [{distribution: uniform, min: 2d, max: 4d, weight: 1}]}
  durations:
    - {distribution: lognormal, median: 30m, sigma: 1.0, weight: 1}
  tenants:
    - {tenant: a, weight: 3}
    - {tenant: b/c, weight: 1}
  jurisdictions:
    - {countries: [MA], weight: 3}
    - {countries: [SN], weight: 1}
    - {countries: [MA, SN], weight: 2}
    - {countries: none, weight: 4}
  priorities:
    - {class: high, weight: 1, preemptible: false}
    - {class: best-effort, weight: 1}
  kinds:
    - {kind: training, weight: 1}
    - {kind: inference, weight: 1}
  gangs: {nvlinkRequiredShare: 0.25}
)";

Workload Synthetic(const std::string& yaml, uint64_t seed, int64_t max_jobs = 0) {
  TempDir dir;
  const std::string path = dir.Write("synthetic.yaml", yaml);
  WorkloadOptions options;
  options.seed = seed;
  options.max_jobs = max_jobs;
  return MustLoad("synthetic:" + path, options);
}

std::string Fingerprint(const SimJob& j) {
  const TaskGroupSpec& g = j.spec.task_groups.at(0);
  std::string s = j.id + " " + std::to_string(j.arrival.count()) + " " +
                  std::to_string(j.service.count()) + " " + j.spec.tenant + " " +
                  j.spec.priority_class + " " + std::string(WorkloadKindName(j.spec.kind)) + " " +
                  std::to_string(g.replicas) + "x" + std::to_string(g.gpus_per_replica) + "/" +
                  std::to_string(g.gpu_share.value) + " nv" +
                  std::to_string(static_cast<int>(g.gpu.nvlink));
  for (const auto& d : j.spec.data) {
    for (const auto& c : d.jurisdiction) s += " " + c;
  }
  return s;
}

TEST(SyntheticTest, SameSeedSameJobsDifferentSeedDifferent) {
  const Workload a = Synthetic(kSyntheticYaml, 7, 2000);
  const Workload b = Synthetic(kSyntheticYaml, 7, 2000);
  const Workload c = Synthetic(kSyntheticYaml, 8, 2000);
  ASSERT_EQ(a.jobs.size(), 2000u);
  ASSERT_EQ(b.jobs.size(), 2000u);
  ASSERT_EQ(c.jobs.size(), 2000u);
  int same_as_c = 0;
  for (size_t i = 0; i < a.jobs.size(); ++i) {
    EXPECT_EQ(Fingerprint(a.jobs[i]), Fingerprint(b.jobs[i]));
    same_as_c += Fingerprint(a.jobs[i]) == Fingerprint(c.jobs[i]);
  }
  EXPECT_LT(same_as_c, 20);
  EXPECT_EQ(a.input_hash, c.input_hash);  // the file's hash; the seed is an option
  EXPECT_EQ(a.kind, "synthetic");
  EXPECT_EQ(a.dropped.at("beyond-max-jobs"), 18000);
}

TEST(SyntheticTest, DeadlinesAndInterruptibleShare) {
  std::string yaml = kSyntheticYaml;
  yaml += "  deadlines: {share: 0.5, slack: 12h, interruptibleShare: 0.4}\n";
  const Workload w = Synthetic(yaml, 5, 4000);
  int with_deadline = 0, interruptible = 0, inference_deadline = 0;
  for (const SimJob& j : w.jobs) {
    with_deadline += j.deadline_after.has_value();
    interruptible += j.spec.interruptible;
    EXPECT_TRUE(!j.spec.interruptible || j.deadline_after.has_value()) << j.id;
    if (j.deadline_after) EXPECT_EQ(*j.deadline_after, j.service + std::chrono::hours(12)) << j.id;
    inference_deadline += j.deadline_after && j.spec.latency == LatencySensitivity::kHigh;
  }
  EXPECT_EQ(inference_deadline, 0);
  EXPECT_NEAR(static_cast<double>(interruptible) / with_deadline, 0.4, 0.05);
  // The new draws leave every other draw as it was.
  const Workload plain = Synthetic(kSyntheticYaml, 5, 4000);
  for (size_t i = 0; i < plain.jobs.size(); ++i) EXPECT_EQ(Fingerprint(plain.jobs[i]), Fingerprint(w.jobs[i]));
  std::string bad = kSyntheticYaml;
  bad += "  deadlines: {share: 0.5, slack: 12h, interruptibleShare: 2}\n";
  TempDir dir;
  const auto loaded = LoadWorkload("synthetic:" + dir.Write("bad.yaml", bad), WorkloadOptions{});
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("interruptibleShare"), std::string::npos) << loaded.status().message();
}

TEST(SyntheticTest, MaxJobsIsAPrefixOfTheFullRun) {
  const Workload full = Synthetic(kSyntheticYaml, 3, 500);
  const Workload head = Synthetic(kSyntheticYaml, 3, 100);
  ASSERT_EQ(head.jobs.size(), 100u);
  for (size_t i = 0; i < head.jobs.size(); ++i) {
    EXPECT_EQ(Fingerprint(head.jobs[i]), Fingerprint(full.jobs[i]));
  }
}

TEST(SyntheticTest, DistributionsMatchTheConfiguration) {
  const Workload w = Synthetic(kSyntheticYaml, 1);
  ASSERT_EQ(w.jobs.size(), 20000u);
  const double n = static_cast<double>(w.jobs.size());
  int gangs = 0, gangs_nvlink = 0, big = 0, shares = 0, tenant_a = 0, high = 0, training = 0;
  int ma_only = 0, sn_only = 0, both = 0, none = 0;
  std::vector<double> small_service_s;
  for (size_t i = 0; i < w.jobs.size(); ++i) {
    const SimJob& j = w.jobs[i];
    const TaskGroupSpec& g = j.spec.task_groups.at(0);
    if (i > 0) {
      ASSERT_GE(j.arrival, w.jobs[i - 1].arrival);
    }
    ASSERT_GT(j.service.count(), 0);
    ASSERT_EQ(j.spec.expected_duration, j.service);
    ASSERT_EQ(j.qos, j.spec.priority_class);
    if (g.replicas > 1) {
      ++gangs;
      gangs_nvlink += g.gpu.nvlink == NvlinkRequirement::kRequired;
      ASSERT_EQ(g.gpus_per_replica, 8);
    } else {
      ASSERT_EQ(g.gpu.nvlink, NvlinkRequirement::kPreferred);
    }
    if (g.replicas == 32) {
      ++big;
      ASSERT_GE(j.service, hours(48));
      ASSERT_LE(j.service, hours(96));
    } else {
      small_service_s.push_back(std::chrono::duration<double>(j.service).count());
    }
    if (g.gpu_share.value == 250) {
      ++shares;
      ASSERT_EQ(g.cpu_per_replica.value, 2000);  // cpuPerGpu 8 by default, a quarter of it
      ASSERT_EQ(g.memory_per_replica, GiB(16));
    }
    tenant_a += j.spec.tenant == "a";
    high += j.spec.priority_class == "high";
    if (j.spec.priority_class == "high") {
      ASSERT_FALSE(j.spec.preemptible);
    }
    training += j.spec.kind == WorkloadKind::kTraining;
    if (j.spec.kind == WorkloadKind::kInference) {
      ASSERT_EQ(j.spec.latency, LatencySensitivity::kHigh);
    }
    const auto allowed = AllowedJurisdiction(j.spec);
    if (!allowed) {
      ++none;
    } else if (*allowed == std::vector<std::string>{"MA"}) {
      ++ma_only;
    } else if (*allowed == std::vector<std::string>{"SN"}) {
      ++sn_only;
    } else {
      ASSERT_EQ(*allowed, (std::vector<std::string>{"MA", "SN"}));
      ++both;
    }
  }
  // Shares within about 4 standard deviations at n = 20,000.
  EXPECT_NEAR(gangs / n, 0.06, 0.008);
  EXPECT_NEAR(big / n, 0.01, 0.003);
  EXPECT_NEAR(shares / n, 0.24, 0.012);
  EXPECT_NEAR(static_cast<double>(gangs_nvlink) / gangs, 0.25, 0.05);
  EXPECT_NEAR(tenant_a / n, 0.75, 0.012);
  EXPECT_NEAR(high / n, 0.5, 0.015);
  EXPECT_NEAR(training / n, 0.5, 0.015);
  EXPECT_NEAR(ma_only / n, 0.3, 0.014);
  EXPECT_NEAR(sn_only / n, 0.1, 0.01);
  EXPECT_NEAR(both / n, 0.2, 0.012);
  EXPECT_NEAR(none / n, 0.4, 0.015);
  // Poisson arrivals: mean gap 120 s.
  const double span_s = std::chrono::duration<double>(w.jobs.back().arrival).count();
  EXPECT_NEAR(span_s / (n - 1), 120.0, 120.0 * 0.03);
  // Lognormal with median 30 min.
  std::sort(small_service_s.begin(), small_service_s.end());
  EXPECT_NEAR(small_service_s[small_service_s.size() / 2], 1800.0, 1800.0 * 0.05);
}

TEST(SyntheticTest, ArrivalRateChangesLeaveTheJobsAlone) {
  std::string faster = kSyntheticYaml;
  faster.replace(faster.find("meanInterArrival: 2m"), 20, "meanInterArrival: 1m");
  const Workload a = Synthetic(kSyntheticYaml, 5, 300);
  const Workload b = Synthetic(faster, 5, 300);
  ASSERT_EQ(a.jobs.size(), b.jobs.size());
  for (size_t i = 0; i < a.jobs.size(); ++i) {
    EXPECT_EQ(a.jobs[i].id, b.jobs[i].id);
    EXPECT_EQ(a.jobs[i].service, b.jobs[i].service);
    EXPECT_EQ(a.jobs[i].spec.tenant, b.jobs[i].spec.tenant);
    EXPECT_NEAR(static_cast<double>(a.jobs[i].arrival.count()),
                2.0 * static_cast<double>(b.jobs[i].arrival.count()), 2.0);
  }
}

TEST(SyntheticTest, FixedRateAndDiurnal) {
  const std::string fixed = R"(apiVersion: harchos.io/v1alpha1
kind: SyntheticWorkload
metadata: {name: fixed}
spec:
  jobs: 5
  arrivals: {process: fixed, ratePerHour: 12}
  sizes: [{gpus: 1, weight: 1}]
  durations: [{distribution: uniform, min: 1h, max: 1h, weight: 1}]
  expectedDuration: none
)";
  const Workload f = Synthetic(fixed, 1);
  ASSERT_EQ(f.jobs.size(), 5u);
  for (size_t i = 0; i < f.jobs.size(); ++i) {
    EXPECT_EQ(f.jobs[i].id, "fixed-00000" + std::to_string(i));
    EXPECT_EQ(f.jobs[i].arrival, seconds(300 * static_cast<int64_t>(i)));
    EXPECT_EQ(f.jobs[i].service, hours(1));
    EXPECT_FALSE(f.jobs[i].spec.expected_duration.has_value());
  }

  const std::string diurnal = R"(apiVersion: harchos.io/v1alpha1
kind: SyntheticWorkload
metadata: {name: day}
spec:
  jobs: 20000
  arrivals: {process: poisson, meanInterArrival: 1m, diurnal: {amplitude: 0.8, peakHour: 12}}
  sizes: [{gpus: 1, weight: 1}]
  durations: [{distribution: uniform, min: 1m, max: 1h, weight: 1}]
)";
  const Workload d = Synthetic(diurnal, 2);
  int peak = 0, trough = 0;  // hours 10-14 vs 22-2
  for (const SimJob& j : d.jobs) {
    const int64_t hour = (j.arrival.count() / 3'600'000'000) % 24;
    peak += hour >= 10 && hour < 14;
    trough += hour >= 22 || hour < 2;
  }
  // Rate at the peak window about (1 + 0.8 * 0.93) / (1 - 0.8 * 0.93) ~ 6.8 times the trough's.
  EXPECT_GT(peak, 4 * trough);
  const double days = std::chrono::duration<double>(d.jobs.back().arrival).count() / 86'400;
  EXPECT_NEAR(20000 / days, 1440, 1440 * 0.05);  // the mean rate is kept
}

TEST(SyntheticTest, ConfigErrorsNameTheField) {
  const std::string head = R"(apiVersion: harchos.io/v1alpha1
kind: SyntheticWorkload
metadata: {name: bad}
spec:
  jobs: 10
  arrivals: {process: poisson, meanInterArrival: 1m}
)";
  const std::string sizes = "  sizes: [{gpus: 1, weight: 1}]\n";
  const std::string durations =
      "  durations: [{distribution: lognormal, median: 1h, sigma: 1, weight: 1}]\n";
  struct Case {
    std::string yaml;
    std::string message;
  };
  const std::vector<Case> cases = {
      {head + sizes + durations + "  colour: red\n", "spec.colour"},
      {head.substr(0, head.find("  arrivals")) + "  arrivalz: 1\n" + sizes + durations,
       "spec.arrivalz: unknown field"},
      {head + durations, "spec.sizes: missing required field"},
      {head + sizes, "spec.durations: missing required field"},
      {head + "  sizes: [{gpus: 12, gpusPerReplica: 8, weight: 1}]\n" + durations,
       "8 does not divide gpus 12"},
      {head + "  sizes: [{gpus: 128, weight: 1}]\n" + durations,
       "more than 64 GPUs need gpusPerReplica"},
      {head + "  sizes: [{gpus: 1, gpuShare: 500m, weight: 1}]\n" + durations,
       "exactly one of gpus, gpuShare or mig"},
      {head + "  sizes: [{gpuShare: 1500m, weight: 1}]\n" + durations, "between 1m and 999m"},
      {head + "  sizes: [{gpus: 1, weight: 0}]\n" + durations, "the weights add up to zero"},
      {head + "  sizes: [{gpus: 1}]\n" + durations, "spec.sizes[0].weight: missing"},
      {head + sizes + "  durations: [{distribution: gamma, weight: 1}]\n",
       "must be lognormal or uniform"},
      {head + sizes + "  durations: [{distribution: uniform, min: 2h, max: 1h, weight: 1}]\n",
       "min is longer than max"},
      {head + sizes + "  durations: [{distribution: lognormal, median: 90, sigma: 1, weight: 1}]\n",
       "spec.durations[0].median"},
      {head + sizes + durations + "  jurisdictions: [{countries: [], weight: 1}]\n",
       "must name at least one country, or be none"},
      {head + sizes + durations + "  jurisdictions: [{countries: [morocco], weight: 1}]\n",
       "spec.jurisdictions[0].countries[0]"},
      {head + sizes + durations + "  priorities: [{class: urgent, weight: 1}]\n",
       "unknown priority class 'urgent'"},
      {head + sizes + durations + "  kinds: [{kind: serving, weight: 1}]\n",
       "spec.kinds[0].kind"},
      {head + sizes + durations + "  tenants: [{tenant: 'A B', weight: 1}]\n",
       "spec.tenants[0].tenant"},
      {head + sizes + durations + "  expectedDuration: maybe\n", "must be oracle or none"},
      {R"(apiVersion: harchos.io/v1alpha1
kind: SyntheticWorkload
metadata: {name: bad}
spec:
  jobs: 10
  arrivals: {process: poisson, meanInterArrival: 1m, ratePerHour: 3}
)" + sizes + durations,
       "exactly one of meanInterArrival or ratePerHour"},
      {"apiVersion: harchos.io/v1alpha1\nkind: Job\n", "kind"},
  };
  TempDir dir;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.yaml);
    const std::string path = dir.Write("bad.yaml", c.yaml);
    const std::string msg = LoadError("synthetic:" + path);
    EXPECT_THAT(msg, StartsWith(path + ":"));
    EXPECT_THAT(msg, HasSubstr(c.message));
  }
}

TEST(SyntheticTest, HundredThousandJobsQuickly) {
  std::string yaml = kSyntheticYaml;
  yaml.replace(yaml.find("jobs: 20000"), 11, "jobs: 100000");
  const auto start = std::chrono::steady_clock::now();
  const Workload w = Synthetic(yaml, 11);
  const double s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(w.jobs.size(), 100000u);
  EXPECT_LT(s, 20.0);  // Debug builds included; well under a second in Release
  std::set<std::string> ids;
  for (const SimJob& j : w.jobs) ids.insert(j.id);
  EXPECT_EQ(ids.size(), w.jobs.size());
}

TEST(SyntheticTest, ShippedExampleLoads) {
  const auto path = FindSource("examples/workloads/synthetic-gangs.yaml");
  if (!path) GTEST_SKIP() << "examples/workloads/synthetic-gangs.yaml not found";
  const Workload w = MustLoad("synthetic:" + path->string());
  EXPECT_EQ(w.jobs.size(), 3000u);
  int64_t gang_gpu_milli = 0, total_gpu_milli = 0;
  for (const SimJob& j : w.jobs) {
    const double hours_run = std::chrono::duration<double>(j.service).count() / 3600;
    total_gpu_milli += static_cast<int64_t>(j.spec.TotalGpuMilli() * hours_run);
    if (j.spec.task_groups[0].replicas > 1) {
      gang_gpu_milli += static_cast<int64_t>(j.spec.TotalGpuMilli() * hours_run);
    }
  }
  EXPECT_GT(gang_gpu_milli, total_gpu_milli * 8 / 10);  // gang-heavy: most GPU-hours in gangs
}

// A size's own jurisdictions replace the global list for its jobs; the jobs of other sizes
// draw exactly what they drew without it (one draw per job from the jurisdiction stream).
TEST(SyntheticTest, ASizeMayHaveItsOwnJurisdictions) {
  std::string own = kSyntheticYaml;
  const std::string gang = "    - {gpus: 64, gpusPerReplica: 8, weight: 5";
  const auto at = own.find(gang);
  ASSERT_NE(at, std::string::npos);
  own.insert(at + gang.size(), ", jurisdictions: [{countries: [FR], weight: 1}]");
  const Workload base = Synthetic(kSyntheticYaml, 3, 3000);
  const Workload with = Synthetic(own, 3, 3000);
  ASSERT_EQ(base.jobs.size(), with.jobs.size());
  int big = 0;
  for (size_t i = 0; i < base.jobs.size(); ++i) {
    const SimJob& j = with.jobs[i];
    if (j.spec.TotalGpuMilli() == 64'000) {
      ++big;
      ASSERT_EQ(j.spec.data.size(), 1u);
      EXPECT_EQ(j.spec.data[0].jurisdiction, std::vector<std::string>{"FR"});
    } else {
      EXPECT_EQ(Fingerprint(j), Fingerprint(base.jobs[i]));
    }
  }
  EXPECT_GT(big, 10);
}

// ---------------------------------------------------------------------------------------------
// alibaba-v2023 on small files

constexpr char kHeader[] =
    "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
    "deletion_time,scheduled_time\n";

TEST(AlibabaTest, MapsPodsToJobs) {
  TempDir dir;
  const std::string text = std::string(kHeader) +
                           "pod-ls,12000,16384,1,1000,,LS,Running,100,5100,100\n"
                           "pod-share,6000,12288,1,460,,BE,Failed,160,1160,200\r\n"
                           "pod-cpu,4000,8192,0,0,,BE,Succeeded,150,300,150\n"
                           "pod-gang,64000,262144,8,1000,V100M16|V100M32|V100M32,Burstable,Running,"
                           "1000,9000,1100\n"
                           "pod-g2,8000,30000,2,1000,A10|G2|P100|T4,Guaranteed,Running,1200,1300,"
                           "1250\n"
                           "pod-pending,8000,30000,1,500,,LS,Pending,1300,4000,\n"
                           "\n";
  const std::string path = dir.Write("pods.csv", text);
  const Workload w = MustLoad("alibaba-v2023:" + path);
  EXPECT_EQ(w.kind, "alibaba-v2023");
  EXPECT_EQ(w.input_hash, Fnv1a64Hex(text));
  EXPECT_EQ(w.lines_read, 6);
  EXPECT_EQ(w.bad_lines_skipped, 0);
  EXPECT_EQ(w.dropped.at("cpu-only"), 1);
  EXPECT_EQ(w.dropped.at("unscheduled"), 1);
  ASSERT_EQ(w.jobs.size(), 4u);
  EXPECT_FALSE(w.notes.empty());
  EXPECT_THAT(w.notes.at("model.G2"), StartsWith("A10|L4: "));
  EXPECT_THAT(w.notes.at("model.P100"), StartsWith("V100: "));

  const SimJob* ls = FindJob(w, "pod-ls");
  ASSERT_NE(ls, nullptr);
  EXPECT_EQ(ls->arrival, seconds(0));  // the earliest creation_time is the origin
  EXPECT_EQ(ls->service, seconds(5000));
  EXPECT_EQ(ls->qos, "LS");
  EXPECT_EQ(ls->spec.tenant, "alibaba/ls");
  EXPECT_EQ(ls->spec.priority_class, "high");
  EXPECT_EQ(ls->spec.priority, 100);
  EXPECT_EQ(ls->spec.latency, LatencySensitivity::kHigh);
  EXPECT_FALSE(ls->spec.preemptible);
  EXPECT_EQ(ls->spec.kind, WorkloadKind::kInference);
  EXPECT_EQ(*ls->spec.expected_duration, seconds(5000));
  EXPECT_EQ(ls->spec.ref.line, 2);
  const TaskGroupSpec& lg = ls->spec.task_groups.at(0);
  EXPECT_EQ(lg.replicas, 1);
  EXPECT_EQ(lg.gpus_per_replica, 1);  // gpu_milli 1000: a whole GPU
  EXPECT_EQ(lg.gpu_share.value, 0);
  EXPECT_TRUE(lg.gpu.models.empty());
  EXPECT_EQ(lg.cpu_per_replica.value, 12000);
  EXPECT_EQ(lg.memory_per_replica, MiB(16384));

  const SimJob* share = FindJob(w, "pod-share");
  ASSERT_NE(share, nullptr);
  EXPECT_EQ(share->arrival, seconds(60));
  EXPECT_EQ(share->service, seconds(960));  // deletion - scheduled, not - creation
  EXPECT_EQ(share->spec.tenant, "alibaba/be");
  EXPECT_EQ(share->spec.priority_class, "best-effort");
  EXPECT_TRUE(share->spec.preemptible);
  EXPECT_EQ(share->spec.kind, WorkloadKind::kBatch);
  EXPECT_EQ(share->spec.task_groups[0].gpus_per_replica, 0);
  EXPECT_EQ(share->spec.task_groups[0].gpu_share.value, 460);
  EXPECT_EQ(share->spec.labels.at("alibaba/pod-phase"), "Failed");

  const SimJob* gang = FindJob(w, "pod-gang");
  ASSERT_NE(gang, nullptr);
  EXPECT_EQ(gang->spec.tenant, "alibaba/burstable");
  EXPECT_EQ(gang->spec.priority_class, "normal");
  EXPECT_EQ(gang->spec.task_groups[0].gpus_per_replica, 8);
  EXPECT_EQ(gang->spec.task_groups[0].replicas, 1);
  EXPECT_THAT(gang->spec.task_groups[0].gpu.models, ElementsAre("V100"));

  const SimJob* g2 = FindJob(w, "pod-g2");
  ASSERT_NE(g2, nullptr);
  EXPECT_EQ(g2->spec.priority_class, "critical");
  EXPECT_FALSE(g2->spec.preemptible);
  EXPECT_EQ(g2->qos, "Guaranteed");
  EXPECT_THAT(g2->spec.task_groups[0].gpu.models, ElementsAre("A10", "L4", "V100", "T4"));
  const GpuCatalog catalog = GpuCatalog::BuiltIn();
  for (const auto& m : g2->spec.task_groups[0].gpu.models) {
    EXPECT_TRUE(catalog.KnowsNameOrFamily(m)) << m;
  }

  // Keeping the unscheduled: service from creation.
  WorkloadOptions keep;
  keep.keep_unscheduled = true;
  keep.arrival_scale = 10;
  const Workload k = MustLoad("alibaba-v2023:" + path, keep);
  EXPECT_EQ(k.jobs.size(), 5u);
  EXPECT_EQ(k.dropped.count("unscheduled"), 0u);
  const SimJob* pending = FindJob(k, "pod-pending");
  ASSERT_NE(pending, nullptr);
  EXPECT_EQ(pending->service, seconds(2700));
  EXPECT_EQ(pending->arrival, seconds(120));  // (1300 - 100) / 10
  EXPECT_EQ(FindJob(k, "pod-share")->arrival, seconds(6));
}

TEST(AlibabaTest, ReadsColumnsByName) {
  TempDir dir;
  const std::string path = dir.Write(
      "reordered.csv",
      "qos,extra,scheduled_time,deletion_time,creation_time,pod_phase,gpu_spec,gpu_milli,"
      "num_gpu,memory_mib,cpu_milli,name\n"
      "BE,whatever,50,80,40,Running,T4,300,1,1024,2000,p1\n");
  const Workload w = MustLoad("alibaba-v2023:" + path);
  ASSERT_EQ(w.jobs.size(), 1u);
  EXPECT_EQ(w.jobs[0].service, seconds(30));
  EXPECT_EQ(w.jobs[0].spec.task_groups[0].gpu_share.value, 300);
  EXPECT_THAT(w.jobs[0].spec.task_groups[0].gpu.models, ElementsAre("T4"));
  EXPECT_EQ(w.jobs[0].spec.task_groups[0].cpu_per_replica.value, 2000);

  const std::string missing =
      dir.Write("missing.csv", "name,cpu_milli,memory_mib,num_gpu,qos\np,1,1,1,LS\n");
  const std::string msg = LoadError("alibaba-v2023:" + missing);
  EXPECT_THAT(msg, StartsWith(missing + ":1: "));
  EXPECT_THAT(msg, HasSubstr("lacks column(s) gpu_milli, gpu_spec, pod_phase, creation_time"));
  EXPECT_THAT(LoadError("alibaba-v2023:" + dir.Write("empty.csv", "")), HasSubstr("empty file"));
}

TEST(AlibabaTest, BadLinesNameFileLineAndColumn) {
  struct Case {
    std::string row;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"p,12x,1,1,1000,,LS,Running,0,10,0", "cpu_milli: expected an integer, got '12x'"},
      {"p,-5,1,1,1000,,LS,Running,0,10,0", "cpu_milli: '-5' is out of range"},
      {"p,1,,1,1000,,LS,Running,0,10,0", "memory_mib: empty"},
      {"p,1,1,65,1000,,LS,Running,0,10,0", "num_gpu: '65' is out of range [0, 64]"},
      {"p,1,1,1,0,,LS,Running,0,10,0", "gpu_milli: is 0 for a pod with num_gpu 1"},
      {"p,1,1,1,1001,,LS,Running,0,10,0", "gpu_milli: '1001' is out of range"},
      {"p,1,1,1,1000,H100,LS,Running,0,10,0",
       "gpu_spec: unknown GPU type 'H100' in 'H100'; known: V100M16"},
      {"p,1,1,1,1000,,Gold,Running,0,10,0",
       "qos: unknown QoS 'Gold'; valid: LS, Guaranteed, Burstable, BE"},
      {"p,1,1,1,1000,,LS,Sleeping,0,10,0", "pod_phase: unknown phase 'Sleeping'"},
      {"p,1,1,1,1000,,LS,Running,5,10,4", "scheduled_time: 4 is before creation_time 5"},
      {"p,1,1,1,1000,,LS,Running,0,10,20", "deletion_time: 10 is before scheduled_time 20"},
      {"p,1,1,1,1000,,LS,Pending,30,10,", "deletion_time: 10 is before creation_time 30"},
      {"p,1,1,1,1000,,LS,Running,0,10", "has 10 fields; the header has 11"},
      {"P Q,1,1,1,1000,,LS,Running,0,10,0", "name: "},
      {"\"p,1,1,1,1000,,LS,Running,0,10,0", "not a CSV record"},
  };
  TempDir dir;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.row);
    const std::string path = dir.Write("bad.csv", std::string(kHeader) + c.row + "\n");
    const std::string msg = LoadError("alibaba-v2023:" + path);
    EXPECT_THAT(msg, StartsWith(path + ":2: "));
    EXPECT_THAT(msg, HasSubstr(c.message));
  }
}

TEST(AlibabaTest, SkipsBadLinesWhenAskedAndDropsZeroDurations) {
  TempDir dir;
  const std::string path =
      dir.Write("mixed.csv", std::string(kHeader) +
                                 "a,1,1,1,1000,,LS,Running,0,10,0\n"
                                 "b,1,1,1,1000,,LS,Running,0,x,0\n"
                                 "a,1,1,1,1000,,LS,Running,0,10,0\n"
                                 "c,1,1,1,1000,,LS,Running,3,3,3\n"
                                 "d,1,1,1,500,,BE,Pending,7,7,\n"
                                 "e,1,1,\"1\",\"1000\",,BE,Running,9,19,9\n");
  WorkloadOptions options;
  options.skip_bad_lines = true;
  options.keep_unscheduled = true;
  const Workload w = MustLoad("alibaba-v2023:" + path, options);
  EXPECT_EQ(w.lines_read, 6);
  EXPECT_EQ(w.bad_lines_skipped, 2);
  ASSERT_EQ(w.bad_line_errors.size(), 2u);
  EXPECT_THAT(w.bad_line_errors[0], StartsWith(path + ":3: deletion_time: expected an integer"));
  EXPECT_EQ(w.bad_line_errors[1], path + ":4: name: pod 'a' already appeared on line 2");
  EXPECT_EQ(w.dropped.at("zero-duration"), 2);
  ASSERT_EQ(w.jobs.size(), 2u);
  EXPECT_EQ(w.jobs[0].id, "a");
  EXPECT_EQ(w.jobs[1].id, "e");  // quoted fields are read too
  EXPECT_EQ(w.jobs[1].service, seconds(10));
}

// ---------------------------------------------------------------------------------------------
// alibaba-v2023 on the real trace (../shared/data, see its README section 1)

std::optional<fs::path> SharedData() {
  if (const char* d = std::getenv("HARCH_SHARED_DATA"); d != nullptr && *d != '\0') {
    return fs::exists(d) ? std::optional<fs::path>(d) : std::nullopt;
  }
  if (const char* src = std::getenv("HARCH_SOURCE_DIR"); src != nullptr && *src != '\0') {
    const fs::path p = fs::path(src) / ".." / "shared" / "data";
    if (fs::exists(p)) return p;
  }
  return std::nullopt;
}

class AlibabaTraceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto data = SharedData();
    if (!data) {
      GTEST_SKIP() << "shared data not found: set HARCH_SHARED_DATA to the data folder, or "
                      "HARCH_SOURCE_DIR to a checkout next to shared/data";
    }
    dir_ = *data / "traces" / "alibaba-gpu-v2023";
    if (!fs::exists(dir_ / "openb_pod_list_default.csv")) {
      GTEST_SKIP() << dir_ << " has no openb_pod_list_default.csv";
    }
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(AlibabaTraceTest, DefaultPodListMatchesTheReadme) {
  const auto start = std::chrono::steady_clock::now();
  const Workload w = MustLoad("alibaba-v2023:" + Path("openb_pod_list_default.csv"));
  const double s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(s, 5.0);  // Debug builds included; well under a second in Release
  RecordProperty("load_seconds", std::to_string(s));

  EXPECT_EQ(w.lines_read, 8152);
  EXPECT_EQ(w.bad_lines_skipped, 0);
  EXPECT_EQ(w.dropped.at("cpu-only"), 1088);
  // 897 Pending pods have no scheduled_time; 36 of them are CPU-only and counted there.
  EXPECT_EQ(w.dropped.at("unscheduled"), 861);
  EXPECT_EQ(w.dropped.count("zero-duration"), 0u);
  ASSERT_EQ(w.jobs.size(), 8152u - 1088 - 861);

  std::map<std::string, int> qos;
  int shares = 0;
  int64_t whole_gpus = 0;
  for (const SimJob& j : w.jobs) {
    ++qos[j.qos];
    const TaskGroupSpec& g = j.spec.task_groups.at(0);
    shares += g.gpu_share.value > 0;
    whole_gpus += g.gpus_per_replica;
    ASSERT_GT(j.service.count(), 0);
    ASSERT_TRUE(g.gpu.models.empty());  // the default list has no GPU-type constraint
  }
  EXPECT_EQ(qos["LS"], 3590);
  EXPECT_EQ(qos["BE"], 2510);
  EXPECT_EQ(qos["Burstable"], 97);
  EXPECT_EQ(qos["Guaranteed"], 6);
  EXPECT_EQ(shares, 2573);
  EXPECT_EQ(whole_gpus, 3998);
  EXPECT_EQ(w.jobs.front().arrival, seconds(0));
  EXPECT_EQ(w.jobs.back().arrival, seconds(12'901'761));  // README: creation up to 12,901,761 s

  WorkloadOptions keep;
  keep.keep_unscheduled = true;
  const Workload k = MustLoad("alibaba-v2023:" + Path("openb_pod_list_default.csv"), keep);
  // One pending pod (openb-pod-7285) was deleted the second it was created.
  EXPECT_EQ(k.dropped.at("zero-duration"), 1);
  EXPECT_EQ(k.jobs.size(), 8152u - 1088 - 1);
}

TEST_F(AlibabaTraceTest, GpuSpecConstraintsMapToCatalogueModels) {
  if (!fs::exists(dir_ / "openb_pod_list_gpuspec33.csv")) GTEST_SKIP() << "no gpuspec33 file";
  const Workload w = MustLoad("alibaba-v2023:" + Path("openb_pod_list_gpuspec33.csv"));
  EXPECT_EQ(w.lines_read, 8152);
  EXPECT_EQ(w.bad_lines_skipped, 0);
  ASSERT_EQ(w.jobs.size(), 6203u);
  const GpuCatalog catalog = GpuCatalog::BuiltIn();
  std::map<std::string, int> by_models;
  int constrained = 0;
  for (const SimJob& j : w.jobs) {
    const auto& models = j.spec.task_groups.at(0).gpu.models;
    if (models.empty()) continue;
    ++constrained;
    std::string key;
    for (const std::string& m : models) {
      ASSERT_TRUE(catalog.KnowsNameOrFamily(m)) << j.id << ": " << m;
      key += (key.empty() ? "" : "|") + m;
    }
    ++by_models[key];
  }
  // README: 2,388 GPU pods carry a constraint; 2,092 of them were scheduled and are kept.
  EXPECT_EQ(constrained, 2092);
  EXPECT_EQ(by_models["T4"], 1132);
  EXPECT_EQ(by_models["V100"], 486);
  EXPECT_EQ(by_models["A10|L4"], 300);
  EXPECT_EQ(by_models["A100"], 77);
}

}  // namespace
}  // namespace harch
