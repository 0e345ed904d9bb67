// Tests of the job spec (job_spec.cc): the parser and its errors, the value parsers for durations
// and times, the derived quantities, and the shipped examples (examples/jobs/*.yaml).
#include "sched/job_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace harch {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kFile[] = "test.yaml";

// "test.yaml:LINE:COL" of offset `pos` in `text`, 1-based, the way error messages name positions.
std::string Position(std::string_view text, size_t pos) {
  int line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < pos; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return std::string(kFile) + ":" + std::to_string(line) + ":" + std::to_string(pos - line_start + 1);
}

// The position of the `nth` occurrence (0-based) of `needle` in `text`. Fails the test when the
// needle is missing.
std::string At(std::string_view text, std::string_view needle, int nth = 0) {
  size_t pos = text.find(needle);
  for (int i = 0; i < nth && pos != std::string_view::npos; ++i) pos = text.find(needle, pos + 1);
  EXPECT_NE(pos, std::string_view::npos) << "needle '" << needle << "' not in the document";
  if (pos == std::string_view::npos) return "<missing needle>";
  return Position(text, pos);
}

// The position just after the first `prefix` in `text`: where the value of "key: " starts.
std::string AtAfter(std::string_view text, std::string_view prefix) {
  const size_t pos = text.find(prefix);
  EXPECT_NE(pos, std::string_view::npos) << "prefix '" << prefix << "' not in the document";
  if (pos == std::string_view::npos) return "<missing prefix>";
  return Position(text, pos + prefix.size());
}

// A document with the usual header around `spec_body` (indented two spaces under "spec:").
std::string Doc(std::string_view spec_body) {
  return "apiVersion: harchos.io/v1alpha1\n"
         "kind: Job\n"
         "metadata:\n"
         "  name: test\n"
         "spec:\n" +
         std::string(spec_body);
}

constexpr char kGroupFields[] =
    "      cpuPerReplica: 4\n"
    "      memoryPerReplica: 16GiB\n";

// A job with one task group "g": `group` holds its fields (indented six spaces), followed by
// the required cpu and memory fields; `rest` follows the task groups inside spec.
std::string GroupDoc(std::string_view group, std::string_view rest = "") {
  return Doc("  tenant: research/nlp\n"
             "  kind: training\n"
             "  taskGroups:\n"
             "    - name: g\n" +
             std::string(group) + kGroupFields + std::string(rest));
}

// A valid job with one whole-GPU group and `rest` added to spec.
std::string SpecDoc(std::string_view rest) { return GroupDoc("      gpusPerReplica: 1\n", rest); }

JobSpec MustParse(std::string_view yaml) {
  auto spec = ParseJobSpec(yaml, kFile);
  EXPECT_TRUE(spec.ok()) << spec.status().ToString();
  if (!spec.ok()) return {};
  return std::move(spec).value();
}

// The parse error message (or "" when the document parses).
std::string ParseError(std::string_view yaml) {
  auto spec = ParseJobSpec(yaml, kFile);
  if (spec.ok()) return "";
  EXPECT_EQ(spec.status().code(), Code::kInvalidArgument) << spec.status().ToString();
  return spec.status().message();
}

Time Utc(int y, unsigned m, unsigned d, int h = 0, int min = 0, int s = 0) {
  using namespace std::chrono;
  return Time{sys_days{year{y} / month{m} / day{d}}} + hours{h} + minutes{min} + seconds{s};
}

// ---------------------------------------------------------------------------------------------
// Names and classes.

TEST(JobSpecNamesTest, WorkloadKindsRoundTrip) {
  for (WorkloadKind k : {WorkloadKind::kTraining, WorkloadKind::kInference, WorkloadKind::kBatch,
                         WorkloadKind::kInteractive, WorkloadKind::kPipeline}) {
    EXPECT_EQ(ParseWorkloadKind(WorkloadKindName(k)), k);
  }
  EXPECT_EQ(WorkloadKindName(WorkloadKind::kInteractive), "interactive");
  EXPECT_EQ(ParseWorkloadKind("Training"), std::nullopt);
  EXPECT_EQ(ParseWorkloadKind(""), std::nullopt);
}

TEST(JobSpecNamesTest, LatencySensitivitiesRoundTrip) {
  for (LatencySensitivity l :
       {LatencySensitivity::kLow, LatencySensitivity::kMedium, LatencySensitivity::kHigh}) {
    EXPECT_EQ(ParseLatencySensitivity(LatencySensitivityName(l)), l);
  }
  EXPECT_EQ(LatencySensitivityName(LatencySensitivity::kMedium), "medium");
  EXPECT_EQ(ParseLatencySensitivity("urgent"), std::nullopt);
}

TEST(JobSpecNamesTest, PriorityClassesHighestFirst) {
  const auto& classes = PriorityClasses();
  ASSERT_EQ(classes.size(), 5u);
  const std::vector<std::pair<std::string, int>> expected{
      {"critical", 1000}, {"high", 100}, {"normal", 50}, {"low", 10}, {"best-effort", 0}};
  for (size_t i = 0; i < classes.size(); ++i) {
    EXPECT_EQ(classes[i].name, expected[i].first);
    EXPECT_EQ(classes[i].value, expected[i].second);
    if (i > 0) {
      EXPECT_LT(classes[i].value, classes[i - 1].value);
    }
  }
  ASSERT_TRUE(FindPriorityClass("best-effort").has_value());
  EXPECT_EQ(FindPriorityClass("best-effort")->value, 0);
  EXPECT_EQ(FindPriorityClass("critical")->value, 1000);
  EXPECT_EQ(FindPriorityClass("Critical"), std::nullopt);
  EXPECT_EQ(FindPriorityClass("urgent"), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// Valid documents.

const std::string kFull = Doc(R"(  tenant: research/nlp
  kind: training
  priorityClass: high
  latencySensitivity: medium
  preemptible: false
  spotTolerant: true
  maxRetries: 7
  expectedDuration: 6h
  deadline: "2026-12-01T00:00:00Z"
  flexibilityWindow: 1h30m
  taskGroups:
    - name: workers
      replicas: 4
      gpusPerReplica: 8
      cpuPerReplica: 500m
      memoryPerReplica: 256GiB
      gpu:
        models: [H100, GB200]
        minMemory: 40GiB
        minComputeCapability: "8.0"
        nvlink: required
        exclusiveNode: true
      command: [torchrun, --nproc-per-node=8, train.py]
      env: {NCCL_DEBUG: INFO, OMP_NUM_THREADS: "4"}
    - name: shares
      replicas: 16
      gpuShare: "0.25"
      cpuPerReplica: 2
      memoryPerReplica: 8GiB
    - name: mig
      replicas: 2
      migProfile: 3g.40gb
      cpuPerReplica: 1
      memoryPerReplica: 1GiB
  data:
    - name: corpus
      jurisdiction: [MA]
      size: 2TiB
      location: dakhla
    - name: labels
      jurisdiction: [SN, MA]
  affinity:
    - job: tokenizer-cache
      scope: hub
      required: false
    - labels: {harchos.io/system: hgx-h100}
  antiAffinity:
    - job: other-run
      scope: node
)");

TEST(JobSpecParserTest, FullSpecParsesEveryField) {
  std::string doc = kFull;
  doc.replace(doc.find("  name: test\n"), 13, "  name: llama-pretrain\n  labels: {team: nlp}\n");
  const JobSpec job = MustParse(doc);
  EXPECT_EQ(job.name, "llama-pretrain");
  EXPECT_EQ(job.labels.at("team"), "nlp");
  EXPECT_EQ(job.tenant, "research/nlp");
  EXPECT_EQ(job.kind, WorkloadKind::kTraining);
  EXPECT_EQ(job.priority_class, "high");
  EXPECT_EQ(job.priority, 100);
  EXPECT_EQ(job.latency, LatencySensitivity::kMedium);
  EXPECT_FALSE(job.preemptible);
  EXPECT_TRUE(job.spot_tolerant);
  EXPECT_EQ(job.max_retries, 7);
  EXPECT_EQ(job.expected_duration, std::chrono::hours(6));
  EXPECT_EQ(job.deadline, Utc(2026, 12, 1));
  EXPECT_EQ(job.flexibility_window, std::chrono::minutes(90));
  EXPECT_EQ(job.ref.file, kFile);
  EXPECT_EQ(job.ref.line, 1);

  ASSERT_EQ(job.task_groups.size(), 3u);
  const TaskGroupSpec& w = job.task_groups[0];
  EXPECT_EQ(w.name, "workers");
  EXPECT_EQ(w.replicas, 4);
  EXPECT_EQ(w.gpus_per_replica, 8);
  EXPECT_EQ(w.gpu_share, MilliGpu{0});
  EXPECT_EQ(w.mig_profile, "");
  EXPECT_EQ(w.cpu_per_replica, MilliCpu{500});
  EXPECT_EQ(w.memory_per_replica, GiB(256));
  EXPECT_THAT(w.gpu.models, ElementsAre("H100", "GB200"));
  EXPECT_EQ(w.gpu.min_memory, GiB(40));
  EXPECT_EQ(w.gpu.min_compute_capability, 80);
  EXPECT_EQ(w.gpu.nvlink, NvlinkRequirement::kRequired);
  EXPECT_TRUE(w.gpu.exclusive_node);
  EXPECT_THAT(w.command, ElementsAre("torchrun", "--nproc-per-node=8", "train.py"));
  EXPECT_EQ(w.env.size(), 2u);
  EXPECT_EQ(w.env.at("NCCL_DEBUG"), "INFO");
  EXPECT_EQ(w.env.at("OMP_NUM_THREADS"), "4");
  EXPECT_EQ(w.ref.path, "spec.taskGroups[0]");
  EXPECT_EQ(w.ref.ToString(), At(doc, "name: workers") + ": spec.taskGroups[0]");

  const TaskGroupSpec& s = job.task_groups[1];
  EXPECT_EQ(s.replicas, 16);
  EXPECT_EQ(s.gpus_per_replica, 0);
  EXPECT_EQ(s.gpu_share, MilliGpu{250});
  EXPECT_EQ(s.cpu_per_replica, MilliCpu{2000});
  EXPECT_EQ(s.gpu.nvlink, NvlinkRequirement::kPreferred);
  EXPECT_FALSE(s.gpu.exclusive_node);
  EXPECT_TRUE(s.gpu.models.empty());
  const TaskGroupSpec& m = job.task_groups[2];
  EXPECT_EQ(m.mig_profile, "3g.40gb");
  EXPECT_EQ(m.gpus_per_replica, 0);
  EXPECT_EQ(m.gpu_share, MilliGpu{0});

  ASSERT_EQ(job.data.size(), 2u);
  EXPECT_EQ(job.data[0].name, "corpus");
  EXPECT_THAT(job.data[0].jurisdiction, ElementsAre("MA"));
  EXPECT_EQ(job.data[0].size, TiB(2));
  EXPECT_EQ(job.data[0].ref.path, "spec.data[0]");
  EXPECT_THAT(job.data[1].jurisdiction, ElementsAre("SN", "MA"));
  EXPECT_EQ(job.data[1].size, Bytes{0});
  EXPECT_EQ(job.data[0].location, "dakhla");
  EXPECT_EQ(job.data[0].location_ref.ToString(), At(doc, "dakhla") + ": spec.data[0].location");
  EXPECT_EQ(job.data[1].location, "") << "absent: not given";

  ASSERT_EQ(job.affinity.size(), 2u);
  EXPECT_EQ(job.affinity[0].target, AffinityTarget::kJob);
  EXPECT_EQ(job.affinity[0].job, "tokenizer-cache");
  EXPECT_EQ(job.affinity[0].scope, AffinityScope::kHub);
  EXPECT_FALSE(job.affinity[0].required);
  EXPECT_EQ(job.affinity[1].target, AffinityTarget::kLabels);
  EXPECT_EQ(job.affinity[1].labels.at("harchos.io/system"), "hgx-h100");
  EXPECT_TRUE(job.affinity[1].required);
  EXPECT_EQ(job.affinity[1].ref.path, "spec.affinity[1]");
  ASSERT_EQ(job.anti_affinity.size(), 1u);
  EXPECT_EQ(job.anti_affinity[0].target, AffinityTarget::kJob);
  EXPECT_EQ(job.anti_affinity[0].job, "other-run");
  EXPECT_EQ(job.anti_affinity[0].scope, AffinityScope::kNode);
  EXPECT_TRUE(job.anti_affinity[0].required);

  EXPECT_EQ(job.TotalGpuMilli(), 4 * 8000 + 16 * 250 + 2 * 1000);
  EXPECT_EQ(AllowedJurisdiction(job), std::vector<std::string>{"MA"});
}

TEST(JobSpecParserTest, MinimalSpecTakesTheDefaults) {
  const JobSpec job = MustParse(SpecDoc(""));
  EXPECT_EQ(job.name, "test");
  EXPECT_TRUE(job.labels.empty());
  EXPECT_EQ(job.priority_class, "normal");
  EXPECT_EQ(job.priority, 50);
  EXPECT_EQ(job.latency, LatencySensitivity::kLow);
  EXPECT_TRUE(job.preemptible);
  EXPECT_FALSE(job.spot_tolerant);
  EXPECT_EQ(job.max_retries, 3);
  EXPECT_FALSE(job.expected_duration.has_value());
  EXPECT_FALSE(job.deadline.has_value());
  EXPECT_FALSE(job.flexibility_window.has_value());
  EXPECT_TRUE(job.data.empty());
  EXPECT_TRUE(job.affinity.empty());
  EXPECT_TRUE(job.anti_affinity.empty());
  ASSERT_EQ(job.task_groups.size(), 1u);
  const TaskGroupSpec& g = job.task_groups[0];
  EXPECT_EQ(g.replicas, 1);
  EXPECT_EQ(g.gpus_per_replica, 1);
  EXPECT_EQ(g.gpu.nvlink, NvlinkRequirement::kPreferred);
  EXPECT_EQ(g.gpu.min_memory, Bytes{0});
  EXPECT_EQ(g.gpu.min_compute_capability, 0);
  EXPECT_FALSE(g.gpu.exclusive_node);
  EXPECT_TRUE(g.command.empty());
  EXPECT_TRUE(g.env.empty());
  EXPECT_EQ(AllowedJurisdiction(job), std::nullopt);
  EXPECT_EQ(job.TotalGpuMilli(), 1000);
}

TEST(JobSpecParserTest, EveryPriorityClassSetsItsValue) {
  for (const PriorityClass& cls : PriorityClasses()) {
    SCOPED_TRACE(cls.name);
    const JobSpec job = MustParse(SpecDoc("  priorityClass: " + cls.name + "\n"));
    EXPECT_EQ(job.priority_class, cls.name);
    EXPECT_EQ(job.priority, cls.value);
  }
}

TEST(JobSpecParserTest, GpuShareForms) {
  for (const char* form : {"250m", "0.25", "\"0.25\"", "1m", "999m", "0.999"}) {
    SCOPED_TRACE(form);
    const JobSpec job = MustParse(GroupDoc(std::string("      gpuShare: ") + form + "\n"));
    ASSERT_EQ(job.task_groups.size(), 1u);
    const int64_t expected = std::string_view(form).find("25") != std::string_view::npos ? 250
                             : std::string_view(form) == "1m"                            ? 1
                                                                                          : 999;
    EXPECT_EQ(job.task_groups[0].gpu_share, MilliGpu{expected});
  }
}

TEST(JobSpecParserTest, MigProfiles) {
  for (const char* profile : {"1g.10gb", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb",
                              "1g.5gb", "7g.186gb"}) {
    SCOPED_TRACE(profile);
    const JobSpec job = MustParse(GroupDoc(std::string("      migProfile: ") + profile + "\n"));
    ASSERT_EQ(job.task_groups.size(), 1u);
    EXPECT_EQ(job.task_groups[0].mig_profile, profile);
  }
}

TEST(JobSpecParserTest, DisjointJurisdictionsStillParse) {
  // The scheduler refuses such a job with a reason; the parser does not.
  const JobSpec job = MustParse(SpecDoc(R"(  data:
    - {name: a, jurisdiction: [MA]}
    - {name: b, jurisdiction: [SN]}
)"));
  ASSERT_EQ(job.data.size(), 2u);
  const auto allowed = AllowedJurisdiction(job);
  ASSERT_TRUE(allowed.has_value());
  EXPECT_THAT(*allowed, IsEmpty());
}

TEST(JobSpecParserTest, ZeroFlexibilityWindowAndRetriesAreAllowed) {
  const JobSpec job = MustParse(SpecDoc("  flexibilityWindow: 0s\n  maxRetries: 0\n"));
  EXPECT_EQ(job.flexibility_window, Duration{0});
  EXPECT_EQ(job.max_retries, 0);
}

TEST(JobSpecParserTest, DeadlineWithAnOffsetIsConvertedToUtc) {
  const JobSpec job = MustParse(SpecDoc("  deadline: 2026-12-01T01:00:00+01:00\n"));
  EXPECT_EQ(job.deadline, Utc(2026, 12, 1));
}

TEST(JobSpecParserTest, NullOptionalFieldsAreAbsent) {
  const JobSpec job = MustParse(SpecDoc("  deadline:\n  data: ~\n  priorityClass: null\n"));
  EXPECT_FALSE(job.deadline.has_value());
  EXPECT_TRUE(job.data.empty());
  EXPECT_EQ(job.priority_class, "normal");
}

TEST(JobSpecParserTest, LoadMissingFileIsNotFound) {
  auto job = LoadJobSpecFile("/nonexistent/job.yaml");
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.status().code(), Code::kNotFound);
}

// ---------------------------------------------------------------------------------------------
// Derived quantities.

TaskGroupSpec Group(int replicas, int gpus, int64_t share, std::string mig) {
  TaskGroupSpec g;
  g.replicas = replicas;
  g.gpus_per_replica = gpus;
  g.gpu_share = MilliGpu{share};
  g.mig_profile = std::move(mig);
  return g;
}

TEST(JobSpecTotalGpuMilliTest, SumsEveryGroup) {
  JobSpec job;
  EXPECT_EQ(job.TotalGpuMilli(), 0);
  job.task_groups.push_back(Group(4, 8, 0, ""));
  EXPECT_EQ(job.TotalGpuMilli(), 32'000);
  job.task_groups.push_back(Group(16, 0, 250, ""));
  EXPECT_EQ(job.TotalGpuMilli(), 36'000);
  job.task_groups.push_back(Group(3, 0, 0, "1g.10gb"));  // a MIG instance counts a whole GPU
  EXPECT_EQ(job.TotalGpuMilli(), 39'000);
  job.task_groups.push_back(Group(1, 0, 1, ""));
  EXPECT_EQ(job.TotalGpuMilli(), 39'001);
}

TEST(JobSpecTotalGpuMilliTest, LargestSpecDoesNotOverflow) {
  JobSpec job;
  for (int i = 0; i < 64; ++i) job.task_groups.push_back(Group(10'000, 64, 0, ""));
  EXPECT_EQ(job.TotalGpuMilli(), int64_t{64} * 10'000 * 64 * 1000);
}

DataObject Data(std::vector<std::string> countries) {
  DataObject d;
  d.jurisdiction = std::move(countries);
  return d;
}

TEST(AllowedJurisdictionTest, Intersections) {
  JobSpec job;
  EXPECT_EQ(AllowedJurisdiction(job), std::nullopt) << "no data: anywhere";

  job.data = {Data({"SN", "MA", "MA", "FR"})};
  EXPECT_EQ(AllowedJurisdiction(job), (std::vector<std::string>{"FR", "MA", "SN"}))
      << "sorted and deduplicated";

  job.data = {Data({"SN", "MA", "FR"}), Data({"MA", "SN", "DE"})};
  EXPECT_EQ(AllowedJurisdiction(job), (std::vector<std::string>{"MA", "SN"}));

  job.data = {Data({"SN", "MA", "FR"}), Data({"MA", "SN", "DE"}), Data({"MA"})};
  EXPECT_EQ(AllowedJurisdiction(job), (std::vector<std::string>{"MA"}));

  job.data = {Data({"MA"}), Data({"SN"})};
  auto disjoint = AllowedJurisdiction(job);
  ASSERT_TRUE(disjoint.has_value()) << "disjoint sets: nowhere, not anywhere";
  EXPECT_THAT(*disjoint, IsEmpty());

  job.data = {Data({"MA"}), Data({"SN"}), Data({"MA", "SN"})};
  ASSERT_TRUE(AllowedJurisdiction(job).has_value());
  EXPECT_THAT(*AllowedJurisdiction(job), IsEmpty()) << "an empty intersection stays empty";

  job.data = {Data({"MA", "MA"}), Data({"MA", "MA"})};
  EXPECT_EQ(AllowedJurisdiction(job), std::vector<std::string>{"MA"});
}

// ---------------------------------------------------------------------------------------------
// ParseDuration.

TEST(ParseDurationTest, ValidForms) {
  using namespace std::chrono;
  const std::vector<std::pair<std::string, Duration>> cases{
      {"90s", seconds(90)},
      {"15m", minutes(15)},
      {"6h", hours(6)},
      {"2d", hours(48)},
      {"1h30m", minutes(90)},
      {"1d2h3m4s", hours(26) + minutes(3) + seconds(4)},
      {"90m", minutes(90)},
      {"0s", Duration{0}},
      {"0", Duration{0}},
      {"0h0m", Duration{0}},
      {"007s", seconds(7)},
      {"106751991d", hours(24) * 106751991},
  };
  for (const auto& [text, expected] : cases) {
    SCOPED_TRACE(text);
    auto d = ParseDuration(text);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(*d, expected);
  }
}

TEST(ParseDurationTest, InvalidForms) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"", "empty"},
      {"-5m", "must not be negative"},
      {"5", "missing unit after 5"},
      {"1h30", "missing unit after 30"},
      {"5w", "unknown unit 'w'"},
      {"5ms", "unknown unit 'ms'"},
      {"5H", "unknown unit 'H'"},
      {"1.5h", "fractions are not supported"},
      {"30m1h", "largest first"},
      {"1h1h", "largest first"},
      {"h", "unexpected character 'h'"},
      {" 5m", "unexpected character ' '"},
      {"5m ", "unexpected character ' '"},
      {"1h 30m", "unexpected character ' '"},
      {"+5m", "unexpected character '+'"},
      {"99999999999999999999s", "too large"},
      {"106751992d", "too large"},
      {"106751991d5h", "too large"},
  };
  for (const auto& [text, why] : cases) {
    SCOPED_TRACE(text);
    auto d = ParseDuration(text);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().code(), Code::kInvalidArgument);
    EXPECT_THAT(d.status().message(), StartsWith("invalid duration '" + text + "': "));
    EXPECT_THAT(d.status().message(), HasSubstr(why));
  }
}

// ---------------------------------------------------------------------------------------------
// ParseTime.

TEST(ParseTimeTest, ValidForms) {
  using namespace std::chrono;
  const std::vector<std::pair<std::string, Time>> cases{
      {"2026-12-01T00:00:00Z", Utc(2026, 12, 1)},
      {"2026-12-01T00:00:00+00:00", Utc(2026, 12, 1)},
      {"2026-12-01T00:00:00-00:00", Utc(2026, 12, 1)},
      {"2026-12-01t00:00:00z", Utc(2026, 12, 1)},
      {"2026-12-01T01:00:00+01:00", Utc(2026, 12, 1)},
      {"2026-11-30T18:30:00-05:30", Utc(2026, 12, 1)},
      {"2026-12-01T05:45:00+05:45", Utc(2026, 12, 1)},
      {"2027-01-01T00:30:00+01:00", Utc(2026, 12, 31, 23, 30)},
      {"2026-06-15T12:34:56Z", Utc(2026, 6, 15, 12, 34, 56)},
      {"2026-06-15T12:34:56.5Z", Utc(2026, 6, 15, 12, 34, 56) + milliseconds(500)},
      {"2026-06-15T12:34:56.123456Z", Utc(2026, 6, 15, 12, 34, 56) + microseconds(123456)},
      {"2026-06-15T12:34:56.123456789Z", Utc(2026, 6, 15, 12, 34, 56) + microseconds(123456)},
      {"2028-02-29T00:00:00Z", Utc(2028, 2, 29)},  // a leap day
      {"2000-02-29T23:59:59Z", Utc(2000, 2, 29, 23, 59, 59)},  // divisible by 400: leap
      {"1970-01-01T00:00:00Z", Time{}},
      {"1969-12-31T23:59:59Z", Time{} - seconds(1)},
      {"9999-12-31T23:59:59Z", Utc(9999, 12, 31, 23, 59, 59)},
      {"0000-01-01T00:00:00Z", Utc(0, 1, 1)},
  };
  for (const auto& [text, expected] : cases) {
    SCOPED_TRACE(text);
    auto t = ParseTime(text);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(*t, expected);
  }
  // A known instant, independent of the calendar helpers above.
  EXPECT_EQ(ParseTime("2026-12-01T00:00:00Z")->time_since_epoch(),
            std::chrono::seconds(1'796'083'200));
}

TEST(ParseTimeTest, InvalidForms) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"", "expected RFC 3339"},
      {"2026-12-01", "date and time joined by 'T'"},
      {"2026-12-01 00:00:00Z", "date and time joined by 'T'"},
      {"2026-12-01T00:00:00", "missing time zone"},
      {"2026-12-01T00:00Z", "expected RFC 3339"},
      {"2026-1-01T00:00:00Z", "expected RFC 3339"},
      {"26-12-01T00:00:00Z", "expected RFC 3339"},
      {"2026/12/01T00:00:00Z", "expected RFC 3339"},
      {"2026-02-29T00:00:00Z", "no such date"},  // 2026 is not a leap year
      {"2100-02-29T00:00:00Z", "no such date"},  // divisible by 100, not by 400
      {"2026-04-31T00:00:00Z", "no such date"},
      {"2026-12-00T00:00:00Z", "no such date"},
      {"2026-12-32T00:00:00Z", "no such date"},
      {"2026-13-01T00:00:00Z", "month 13 is out of range"},
      {"2026-00-01T00:00:00Z", "month 0 is out of range"},
      {"2026-12-01T24:00:00Z", "hour 24 is out of range"},
      {"2026-12-01T00:60:00Z", "minute 60 is out of range"},
      {"2026-12-01T00:00:60Z", "leap seconds"},
      {"2026-12-01T00:00:61Z", "second 61 is out of range"},
      {"2026-12-01T00:00:00.Z", "no digits after the decimal point"},
      {"2026-12-01T00:00:00.1234567890Z", "more than 9 fractional digits"},
      {"2026-12-01T00:00:00+0100", "the offset must look like +01:00"},
      {"2026-12-01T00:00:00+01", "the offset must look like +01:00"},
      {"2026-12-01T00:00:00+24:00", "the offset is out of range"},
      {"2026-12-01T00:00:00+01:60", "the offset is out of range"},
      {"2026-12-01T00:00:00ZZ", "unexpected text after the time"},
      {"2026-12-01T00:00:00Z ", "unexpected text after the time"},
      {" 2026-12-01T00:00:00Z", "expected RFC 3339"},
      {"-2026-12-01T00:00:00Z", "expected RFC 3339"},
      {"tomorrow", "expected RFC 3339"},
      {"1796083200", "expected RFC 3339"},
  };
  for (const auto& [text, why] : cases) {
    SCOPED_TRACE(text);
    auto t = ParseTime(text);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.status().code(), Code::kInvalidArgument);
    EXPECT_THAT(t.status().message(), StartsWith("invalid time '" + text + "': "));
    EXPECT_THAT(t.status().message(), HasSubstr(why));
  }
}

// ---------------------------------------------------------------------------------------------
// Parse errors: file:line:column, field path, and what is wrong.

TEST(JobSpecParserErrorTest, ReplicasOutOfRange) {
  const std::string doc = GroupDoc("      gpusPerReplica: 1\n      replicas: 0\n");
  EXPECT_EQ(ParseError(doc), AtAfter(doc, "replicas: ") +
                                 ": spec.taskGroups[0].replicas: value 0 is out of range [1, "
                                 "10000]");
  const std::string big = GroupDoc("      gpusPerReplica: 1\n      replicas: 10001\n");
  EXPECT_THAT(ParseError(big), StartsWith(At(big, "10001") + ": spec.taskGroups[0].replicas: "));
}

TEST(JobSpecParserErrorTest, UnknownFieldSuggestsTheClosestOne) {
  const std::string doc = GroupDoc("      gpusPerReplica: 1\n      replcas: 4\n");
  const std::string msg = ParseError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "replcas") + ": spec.taskGroups[0].replcas: "));
  EXPECT_THAT(msg, HasSubstr("unknown field 'replcas' (did you mean 'replicas'?)"));
}

TEST(JobSpecParserErrorTest, MisspeltGpuFieldIsAnUnknownFieldNotAMissingOne) {
  // Without gpusPerReplica the group lacks a GPU request; the typo is reported, not that.
  const std::string doc = GroupDoc("      gpusPerReplca: 8\n");
  const std::string msg = ParseError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "gpusPerReplca") + ": spec.taskGroups[0].gpusPerReplca: "));
  EXPECT_THAT(msg, HasSubstr("did you mean 'gpusPerReplica'?"));
}

TEST(JobSpecParserErrorTest, UnknownFieldsElsewhere) {
  const std::string gpu = GroupDoc("      gpusPerReplica: 1\n      gpu: {nvlnk: none}\n");
  EXPECT_THAT(ParseError(gpu), StartsWith(At(gpu, "nvlnk") + ": spec.taskGroups[0].gpu.nvlnk: "
                                          "unknown field 'nvlnk' (did you mean 'nvlink'?)"));

  const std::string spec = SpecDoc("  priorityClas: high\n");
  EXPECT_THAT(ParseError(spec), StartsWith(At(spec, "priorityClas") + ": spec.priorityClas: "
                                           "unknown field 'priorityClas' (did you mean "
                                           "'priorityClass'?)"));

  const std::string labels =
      SpecDoc("").replace(SpecDoc("").find("  name: test\n"), 13, "  name: test\n  lables: {}\n");
  EXPECT_THAT(ParseError(labels),
              StartsWith(At(labels, "lables") + ": metadata.lables: unknown field 'lables' (did "
                                                "you mean 'labels'?)"));

  const std::string data = SpecDoc("  data:\n    - {name: d, jurisdiction: [MA], sise: 1GiB}\n");
  EXPECT_THAT(ParseError(data), StartsWith(At(data, "sise") + ": spec.data[0].sise: "));

  const std::string aff = SpecDoc("  affinity:\n    - {jbo: x}\n");
  EXPECT_THAT(ParseError(aff), StartsWith(At(aff, "jbo") + ": spec.affinity[0].jbo: unknown "
                                          "field 'jbo' (did you mean 'job'?)"));

  const std::string top = SpecDoc("") + "status: {}\n";
  const std::string msg = ParseError(top);
  EXPECT_THAT(msg, StartsWith(At(top, "status") + ": status: unknown field 'status'"));
  EXPECT_THAT(msg, Not(HasSubstr("did you mean")));
}

TEST(JobSpecParserErrorTest, WrongTypes) {
  const std::string replicas = GroupDoc("      gpusPerReplica: 1\n      replicas: four\n");
  EXPECT_EQ(ParseError(replicas), At(replicas, "four") +
                                      ": spec.taskGroups[0].replicas: expected an integer, got "
                                      "'four'");

  const std::string groups = Doc("  tenant: t\n  kind: batch\n  taskGroups: {name: g}\n");
  EXPECT_EQ(ParseError(groups), At(groups, "{name") + ": spec.taskGroups: expected a list");

  const std::string preemptible = SpecDoc("  preemptible: maybe\n");
  EXPECT_EQ(ParseError(preemptible),
            At(preemptible, "maybe") + ": spec.preemptible: expected true or false");

  const std::string command = GroupDoc("      gpusPerReplica: 1\n      command: train.py\n");
  EXPECT_EQ(ParseError(command),
            At(command, "train.py") + ": spec.taskGroups[0].command: expected a list");

  const std::string nested_command =
      GroupDoc("      gpusPerReplica: 1\n      command: [python, [a]]\n");
  EXPECT_EQ(ParseError(nested_command),
            At(nested_command, "[a]") + ": spec.taskGroups[0].command[1]: expected a string");

  const std::string env = GroupDoc("      gpusPerReplica: 1\n      env: [A=1]\n");
  EXPECT_THAT(ParseError(env), StartsWith(At(env, "[A=1]") + ": spec.taskGroups[0].env: "
                                          "expected a mapping"));

  const std::string models = GroupDoc("      gpusPerReplica: 1\n      gpu: {models: H100}\n");
  EXPECT_EQ(ParseError(models),
            At(models, "H100") + ": spec.taskGroups[0].gpu.models: expected a list");

  const std::string gpu = GroupDoc("      gpusPerReplica: 1\n      gpu: H100\n");
  EXPECT_EQ(ParseError(gpu), At(gpu, "H100") + ": spec.taskGroups[0].gpu: expected a mapping");

  const std::string memory = GroupDoc("      gpusPerReplica: 1\n      gpu: {minMemory: big}\n");
  EXPECT_THAT(ParseError(memory), StartsWith(At(memory, "big") +
                                             ": spec.taskGroups[0].gpu.minMemory: invalid "
                                             "quantity 'big'"));

  const std::string tenant = Doc("  tenant: [a, b]\n");
  EXPECT_EQ(ParseError(tenant), At(tenant, "[a, b]") + ": spec.tenant: expected a string");

  const std::string spec = Doc("") + "  - a\n";
  EXPECT_THAT(ParseError(spec), StartsWith(At(spec, "- a") + ": spec: expected a mapping"));

  const std::string labels = SpecDoc("  affinity:\n    - labels: [a]\n");
  EXPECT_THAT(ParseError(labels), StartsWith(At(labels, "[a]") + ": spec.affinity[0].labels: "
                                             "expected a mapping"));
}

TEST(JobSpecParserErrorTest, MissingRequiredFields) {
  // Reported at the mapping that lacks them.
  const std::string tenant = Doc("  kind: batch\n  taskGroups: []\n");
  EXPECT_EQ(ParseError(tenant),
            At(tenant, "kind: batch") + ": spec.tenant: missing required field");

  const std::string kind = Doc("  tenant: t\n  taskGroups: []\n");
  EXPECT_EQ(ParseError(kind), At(kind, "tenant: t") + ": spec.kind: missing required field");

  const std::string groups = Doc("  tenant: t\n  kind: batch\n");
  EXPECT_EQ(ParseError(groups), At(groups, "tenant: t") +
                                    ": spec.taskGroups: missing required field");

  const std::string cpu = Doc(R"(  tenant: t
  kind: batch
  taskGroups:
    - name: g
      gpusPerReplica: 1
      memoryPerReplica: 1GiB
)");
  EXPECT_EQ(ParseError(cpu), At(cpu, "name: g") +
                                 ": spec.taskGroups[0].cpuPerReplica: missing required field");

  const std::string memory = Doc(R"(  tenant: t
  kind: batch
  taskGroups:
    - {name: g, gpusPerReplica: 1, cpuPerReplica: 1}
)");
  EXPECT_EQ(ParseError(memory), At(memory, "{name: g") +
                                    ": spec.taskGroups[0].memoryPerReplica: missing required "
                                    "field");

  const std::string group_name = Doc(R"(  tenant: t
  kind: batch
  taskGroups:
    - {gpusPerReplica: 1, cpuPerReplica: 1, memoryPerReplica: 1GiB}
)");
  EXPECT_EQ(ParseError(group_name), At(group_name, "{gpus") +
                                        ": spec.taskGroups[0].name: missing required field");

  const std::string jurisdiction = SpecDoc("  data:\n    - {name: d, size: 1GiB}\n");
  EXPECT_EQ(ParseError(jurisdiction), At(jurisdiction, "{name: d") +
                                          ": spec.data[0].jurisdiction: missing required field");

  const std::string name = "apiVersion: harchos.io/v1alpha1\nkind: Job\nmetadata: {labels: {}}\n"
                           "spec: {}\n";
  EXPECT_EQ(ParseError(name), "test.yaml:3:11: metadata.name: missing required field");

  const std::string spec = "apiVersion: harchos.io/v1alpha1\nkind: Job\nmetadata: {name: x}\n";
  EXPECT_EQ(ParseError(spec), "test.yaml:1:1: spec: missing required field");

  EXPECT_EQ(ParseError("kind: Job\n"), "test.yaml:1:1: apiVersion: missing required field");
}

TEST(JobSpecParserErrorTest, NoGpuRequest) {
  const std::string doc = GroupDoc("");
  EXPECT_EQ(ParseError(doc), At(doc, "name: g") +
                                 ": spec.taskGroups[0]: needs one of gpusPerReplica, gpuShare or "
                                 "migProfile");
}

TEST(JobSpecParserErrorTest, TwoOrThreeGpuRequests) {
  const std::string two = GroupDoc("      gpusPerReplica: 1\n      gpuShare: 250m\n");
  EXPECT_EQ(ParseError(two), At(two, "name: g") +
                                 ": spec.taskGroups[0]: gpusPerReplica and gpuShare are "
                                 "exclusive: give exactly one of gpusPerReplica, gpuShare, "
                                 "migProfile");

  const std::string mig = GroupDoc("      gpuShare: 250m\n      migProfile: 1g.10gb\n");
  EXPECT_THAT(ParseError(mig), StartsWith(At(mig, "name: g") + ": spec.taskGroups[0]: gpuShare "
                                          "and migProfile are exclusive"));

  const std::string three =
      GroupDoc("      gpusPerReplica: 2\n      gpuShare: 250m\n      migProfile: 1g.10gb\n");
  EXPECT_THAT(ParseError(three), StartsWith(At(three, "name: g") + ": spec.taskGroups[0]: "));
  EXPECT_THAT(ParseError(three), HasSubstr("give exactly one"));

  // The check is per group: the second group is the one named.
  const std::string second = Doc(R"(  tenant: t
  kind: batch
  taskGroups:
    - {name: a, gpusPerReplica: 1, cpuPerReplica: 1, memoryPerReplica: 1GiB}
    - {name: b, cpuPerReplica: 1, memoryPerReplica: 1GiB}
)");
  EXPECT_THAT(ParseError(second), StartsWith(At(second, "{name: b") + ": spec.taskGroups[1]: "
                                             "needs one of"));
}

TEST(JobSpecParserErrorTest, GpuShareOutOfRange) {
  for (const char* bad : {"0", "0m", "0.0", "1000m", "1", "1.5", "2000m"}) {
    SCOPED_TRACE(bad);
    const std::string doc = GroupDoc(std::string("      gpuShare: ") + bad + "\n");
    const std::string msg = ParseError(doc);
    EXPECT_THAT(msg, StartsWith(AtAfter(doc, "gpuShare: ") + ": spec.taskGroups[0].gpuShare: "
                                "must be between 1m and 999m"));
    EXPECT_THAT(msg, HasSubstr(std::string("got '") + bad + "'"));
  }
  for (const char* bad : {"-250m", "quarter", "0.0001", "250mm"}) {
    SCOPED_TRACE(bad);
    const std::string doc = GroupDoc(std::string("      gpuShare: ") + bad + "\n");
    EXPECT_THAT(ParseError(doc), StartsWith(AtAfter(doc, "gpuShare: ") +
                                            ": spec.taskGroups[0].gpuShare: invalid quantity"));
  }
}

TEST(JobSpecParserErrorTest, GpusPerReplicaOutOfRange) {
  for (const char* bad : {"0", "65", "-1"}) {
    SCOPED_TRACE(bad);
    const std::string doc = GroupDoc(std::string("      gpusPerReplica: ") + bad + "\n");
    EXPECT_THAT(ParseError(doc), StartsWith(AtAfter(doc, "gpusPerReplica: ") +
                                            ": spec.taskGroups[0].gpusPerReplica: value " + bad +
                                            " is out of range [1, 64]"));
  }
}

TEST(JobSpecParserErrorTest, BadMigProfile) {
  for (const char* bad : {"3g", "3g.40", "5g.40gb", "0g.10gb", "3g.0gb", "3g.gb", "3G.40GB",
                          "g.40gb", "13g.40gb", "3g.40gbx", "3g.040gb"}) {
    SCOPED_TRACE(bad);
    const std::string doc = GroupDoc(std::string("      migProfile: ") + bad + "\n");
    const std::string msg = ParseError(doc);
    EXPECT_THAT(msg, StartsWith(AtAfter(doc, "migProfile: ") +
                                ": spec.taskGroups[0].migProfile: must be a MIG profile"));
    EXPECT_THAT(msg, HasSubstr(std::string("got '") + bad + "'"));
  }
}

TEST(JobSpecParserErrorTest, BadCpuAndMemory) {
  const std::string cpu = Doc(R"(  tenant: t
  kind: batch
  taskGroups:
    - {name: g, gpusPerReplica: 1, cpuPerReplica: 0, memoryPerReplica: 1GiB}
)");
  EXPECT_EQ(ParseError(cpu), At(cpu, "0, mem") +
                                 ": spec.taskGroups[0].cpuPerReplica: must be between 1m and "
                                 "100000 cores");
  const std::string lots = Doc(R"(  tenant: t
  kind: batch
  taskGroups:
    - {name: g, gpusPerReplica: 1, cpuPerReplica: lots, memoryPerReplica: 1GiB}
)");
  EXPECT_THAT(ParseError(lots), StartsWith(At(lots, "lots") +
                                           ": spec.taskGroups[0].cpuPerReplica: invalid quantity"));
  const std::string memory = Doc(R"(  tenant: t
  kind: batch
  taskGroups:
    - {name: g, gpusPerReplica: 1, cpuPerReplica: 1, memoryPerReplica: 100TiB}
)");
  EXPECT_THAT(ParseError(memory), StartsWith(At(memory, "100TiB") +
                                             ": spec.taskGroups[0].memoryPerReplica: size 100TiB "
                                             "is out of range"));
}

TEST(JobSpecParserErrorTest, BadNvlinkValue) {
  const std::string doc =
      GroupDoc("      gpusPerReplica: 8\n      gpu:\n        nvlink: nvswitch\n");
  EXPECT_EQ(ParseError(doc), At(doc, "nvswitch") +
                                 ": spec.taskGroups[0].gpu.nvlink: must be one of none, "
                                 "preferred, required; got 'nvswitch'");
}

TEST(JobSpecParserErrorTest, BadComputeCapability) {
  const std::string doc =
      GroupDoc("      gpusPerReplica: 8\n      gpu:\n        minComputeCapability: 9\n");
  EXPECT_THAT(ParseError(doc), StartsWith(AtAfter(doc, "minComputeCapability: ") +
                                          ": spec.taskGroups[0].gpu.minComputeCapability: "
                                          "compute capability must look like '9.0'"));
}

TEST(JobSpecParserErrorTest, EmptyModelName) {
  const std::string doc = GroupDoc("      gpusPerReplica: 8\n      gpu: {models: [H100, \"\"]}\n");
  EXPECT_EQ(ParseError(doc), At(doc, "\"\"") +
                                 ": spec.taskGroups[0].gpu.models[1]: a GPU model name must not "
                                 "be empty");
}

TEST(JobSpecParserErrorTest, BadEnvName) {
  const std::string doc =
      GroupDoc("      gpusPerReplica: 1\n      env: {GOOD: x, 1BAD: y}\n");
  EXPECT_THAT(ParseError(doc), StartsWith(At(doc, "1BAD") + ": spec.taskGroups[0].env: '1BAD' is "
                                          "not an environment variable name"));
  const std::string dash = GroupDoc("      gpusPerReplica: 1\n      env: {NCCL-DEBUG: x}\n");
  EXPECT_THAT(ParseError(dash), HasSubstr("'NCCL-DEBUG' is not an environment variable name"));
}

TEST(JobSpecParserErrorTest, UnknownPriorityClassListsTheValidOnes) {
  const std::string doc = SpecDoc("  priorityClass: urgent\n");
  EXPECT_EQ(ParseError(doc), At(doc, "urgent") +
                                 ": spec.priorityClass: unknown priority class 'urgent'; valid: "
                                 "critical, high, normal, low, best-effort");
}

TEST(JobSpecParserErrorTest, UnknownWorkloadKind) {
  const std::string doc = Doc("  tenant: t\n  kind: Training\n");
  EXPECT_EQ(ParseError(doc), At(doc, "Training") +
                                 ": spec.kind: must be one of training, inference, batch, "
                                 "interactive, pipeline; got 'Training'");
}

TEST(JobSpecParserErrorTest, BadLatencySensitivity) {
  const std::string doc = SpecDoc("  latencySensitivity: extreme\n");
  EXPECT_EQ(ParseError(doc), At(doc, "extreme") +
                                 ": spec.latencySensitivity: must be one of low, medium, high; "
                                 "got 'extreme'");
}

TEST(JobSpecParserErrorTest, MaxRetriesOutOfRange) {
  const std::string doc = SpecDoc("  maxRetries: 101\n");
  EXPECT_EQ(ParseError(doc),
            At(doc, "101") + ": spec.maxRetries: value 101 is out of range [0, 100]");
}

TEST(JobSpecParserErrorTest, BadIds) {
  const std::string name = SpecDoc("").replace(SpecDoc("").find("name: test"), 10, "name: Llama");
  EXPECT_THAT(ParseError(name), StartsWith(At(name, "Llama") + ": metadata.name: 'Llama' may hold "
                                           "only a-z"));
  const std::string group =
      GroupDoc("      gpusPerReplica: 1\n").replace(GroupDoc("").find("name: g"), 7, "name: g/h");
  EXPECT_THAT(ParseError(group), StartsWith(At(group, "g/h") + ": spec.taskGroups[0].name: "));
  const std::string long_name = SpecDoc("").replace(SpecDoc("").find("name: test"), 10,
                                                    "name: " + std::string(64, 'a'));
  EXPECT_THAT(ParseError(long_name), HasSubstr("metadata.name: must be 1 to 63 characters"));
}

TEST(JobSpecParserErrorTest, BadTenant) {
  for (const char* bad : {"Research/nlp", "research//nlp", "/research", "research/", "a b",
                          "\"\"", "a/b/c/d/e/f/g/h/i"}) {
    SCOPED_TRACE(bad);
    const std::string doc = Doc(std::string("  tenant: ") + bad + "\n  kind: batch\n");
    const std::string msg = ParseError(doc);
    EXPECT_THAT(msg, StartsWith(At(doc, bad) + ": spec.tenant: "));
  }
  EXPECT_THAT(ParseError(Doc("  tenant: a//b\n")), HasSubstr("no empty part"));
  EXPECT_THAT(ParseError(Doc("  tenant: a/b/c/d/e/f/g/h/i\n")), HasSubstr("more than 8 levels"));
  EXPECT_EQ(MustParse(SpecDoc("").replace(SpecDoc("").find("research/nlp"), 12,
                                          "a/b/c/d/e/f/g/h"))
                .tenant,
            "a/b/c/d/e/f/g/h");
}

TEST(JobSpecParserErrorTest, DuplicateTaskGroupNames) {
  const std::string doc = Doc(R"(  tenant: t
  kind: batch
  taskGroups:
    - {name: a, gpusPerReplica: 1, cpuPerReplica: 1, memoryPerReplica: 1GiB}
    - {name: b, gpusPerReplica: 1, cpuPerReplica: 1, memoryPerReplica: 1GiB}
    - {name: a, gpusPerReplica: 1, cpuPerReplica: 1, memoryPerReplica: 1GiB}
)");
  EXPECT_EQ(ParseError(doc), At(doc, "a, gpus", 1) +
                                 ": spec.taskGroups[2].name: task group 'a' is declared twice");
}

TEST(JobSpecParserErrorTest, TaskGroupCount) {
  const std::string none = Doc("  tenant: t\n  kind: batch\n  taskGroups: []\n");
  EXPECT_EQ(ParseError(none),
            At(none, "[]") + ": spec.taskGroups: a job needs at least one task group");

  std::string many = Doc("  tenant: t\n  kind: batch\n  taskGroups:\n");
  for (int i = 0; i < 65; ++i) {
    many += "    - {name: g" + std::to_string(i) +
            ", gpusPerReplica: 1, cpuPerReplica: 1, memoryPerReplica: 1GiB}\n";
  }
  EXPECT_EQ(ParseError(many),
            At(many, "- {name: g0") + ": spec.taskGroups: has 65 entries; the limit is 64");
}

TEST(JobSpecParserErrorTest, DataJurisdiction) {
  const std::string empty = SpecDoc("  data:\n    - {name: d, jurisdiction: []}\n");
  EXPECT_EQ(ParseError(empty), At(empty, "[]") +
                                   ": spec.data[0].jurisdiction: must name at least one country "
                                   "where the data may be processed");

  for (const char* bad : {"ma", "MAR", "Morocco", "M", "M1", "\"\""}) {
    SCOPED_TRACE(bad);
    const std::string doc =
        SpecDoc(std::string("  data:\n    - name: d\n      jurisdiction: [SN, ") + bad + "]\n");
    const std::string msg = ParseError(doc);
    EXPECT_THAT(msg, StartsWith(AtAfter(doc, "[SN, ") +
                                ": spec.data[0].jurisdiction[1]: must be an ISO 3166-1 alpha-2 "
                                "code such as MA"));
  }

  const std::string scalar = SpecDoc("  data:\n    - {name: d, jurisdiction: MA}\n");
  EXPECT_EQ(ParseError(scalar), At(scalar, "MA}") + ": spec.data[0].jurisdiction: expected a list");
}

TEST(JobSpecParserErrorTest, DataLocation) {
  for (const char* bad : {"Dakhla", "dakhla hub", "hub/1", "\"\""}) {
    SCOPED_TRACE(bad);
    const std::string doc = SpecDoc(std::string("  data:\n    - name: d\n      jurisdiction: [MA]\n"
                                                "      location: ") + bad + "\n");
    EXPECT_THAT(ParseError(doc), StartsWith(AtAfter(doc, "location: ") + ": spec.data[0].location: "));
  }
  const std::string upper = SpecDoc("  data:\n    - {name: d, jurisdiction: [MA], location: Dakhla}\n");
  EXPECT_EQ(ParseError(upper), At(upper, "Dakhla") +
                                   ": spec.data[0].location: 'Dakhla' may hold only a-z, 0-9, '-', '_' "
                                   "and '.'");
  const std::string list = SpecDoc("  data:\n    - {name: d, jurisdiction: [MA], location: [dakhla]}\n");
  EXPECT_EQ(ParseError(list), At(list, "[dakhla]") + ": spec.data[0].location: expected a string");
  const std::string typo = SpecDoc("  data:\n    - {name: d, jurisdiction: [MA], locaton: dakhla}\n");
  const std::string msg = ParseError(typo);
  EXPECT_THAT(msg, StartsWith(At(typo, "locaton") + ": spec.data[0].locaton: "));
  EXPECT_THAT(msg, HasSubstr("unknown field 'locaton' (did you mean 'location'?)"));
  // Written with no value: absent.
  const JobSpec none = MustParse(SpecDoc("  data:\n    - {name: d, jurisdiction: [MA], location: }\n"));
  ASSERT_EQ(none.data.size(), 1u);
  EXPECT_EQ(none.data[0].location, "");
}

TEST(JobSpecParserErrorTest, DuplicateDataNames) {
  const std::string doc = SpecDoc(R"(  data:
    - {name: d, jurisdiction: [MA]}
    - {name: d, jurisdiction: [SN]}
)");
  EXPECT_EQ(ParseError(doc),
            At(doc, "d, jur", 1) + ": spec.data[1].name: data object 'd' is declared twice");
}

TEST(JobSpecParserErrorTest, AffinityNeedsExactlyOneOfJobAndLabels) {
  const std::string both = SpecDoc("  affinity:\n    - {job: x, labels: {a: b}}\n");
  EXPECT_EQ(ParseError(both), At(both, "{job") +
                                  ": spec.affinity[0]: job and labels are exclusive: give one of "
                                  "them");
  const std::string neither = SpecDoc("  antiAffinity:\n    - {required: false}\n");
  EXPECT_EQ(ParseError(neither), At(neither, "{required") +
                                     ": spec.antiAffinity[0]: needs one of job (another job) or "
                                     "labels (node labels)");
}

TEST(JobSpecParserErrorTest, AffinityScope) {
  const std::string with_labels =
      SpecDoc("  affinity:\n    - {labels: {a: b}, scope: hub}\n");
  EXPECT_THAT(ParseError(with_labels), StartsWith(At(with_labels, "hub}") +
                                                  ": spec.affinity[0].scope: applies only to "
                                                  "job terms"));
  const std::string bad = SpecDoc("  antiAffinity:\n    - {job: x, scope: rack}\n");
  EXPECT_EQ(ParseError(bad), At(bad, "rack") +
                                 ": spec.antiAffinity[0].scope: must be one of node, hub; got "
                                 "'rack'");
  const std::string empty = SpecDoc("  affinity:\n    - {labels: {}}\n");
  EXPECT_EQ(ParseError(empty),
            At(empty, "{}}") + ": spec.affinity[0].labels: must name at least one label");
  const std::string bad_job = SpecDoc("  affinity:\n    - {job: Other}\n");
  EXPECT_THAT(ParseError(bad_job), StartsWith(At(bad_job, "Other") + ": spec.affinity[0].job: "));
}

TEST(JobSpecParserErrorTest, BadDurations) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"  expectedDuration: 6x\n", "spec.expectedDuration: invalid duration '6x': unknown unit"},
      {"  expectedDuration: 6\n", "spec.expectedDuration: invalid duration '6': missing unit"},
      {"  expectedDuration: -1h\n", "spec.expectedDuration: invalid duration '-1h': must not be "
                                    "negative"},
      {"  expectedDuration: 0s\n", "spec.expectedDuration: must be longer than zero"},
      {"  expectedDuration: 367d\n", "spec.expectedDuration: '367d' is longer than the limit"},
      {"  flexibilityWindow: 1.5h\n", "spec.flexibilityWindow: invalid duration '1.5h': "
                                      "fractions"},
      {"  flexibilityWindow: {hours: 1}\n", "spec.flexibilityWindow: expected a string"},
  };
  for (const auto& [line, expected] : cases) {
    SCOPED_TRACE(line);
    const std::string doc = SpecDoc(line);
    const std::string key = line.substr(0, line.find(": ") + 2);
    EXPECT_THAT(ParseError(doc), StartsWith(AtAfter(doc, key) + ": " + expected));
  }
}

TEST(JobSpecParserErrorTest, BadDeadlines) {
  const std::string feb = SpecDoc("  deadline: \"2026-02-29T00:00:00Z\"\n");
  EXPECT_EQ(ParseError(feb), At(feb, "\"2026") +
                                 ": spec.deadline: invalid time '2026-02-29T00:00:00Z': no such "
                                 "date");
  const std::string no_zone = SpecDoc("  deadline: 2026-12-01T00:00:00\n");
  EXPECT_THAT(ParseError(no_zone), StartsWith(At(no_zone, "2026") + ": spec.deadline: invalid "
                                              "time '2026-12-01T00:00:00': missing time zone"));
  const std::string date_only = SpecDoc("  deadline: 2026-12-01\n");
  EXPECT_THAT(ParseError(date_only), StartsWith(At(date_only, "2026") + ": spec.deadline: "));
}

TEST(JobSpecParserErrorTest, DeadlineGivenAsANonString) {
  const std::string map = SpecDoc("  deadline: {year: 2026}\n");
  EXPECT_EQ(ParseError(map), At(map, "{year") + ": spec.deadline: expected a string");
  const std::string list = SpecDoc("  deadline: [2026, 12, 1]\n");
  EXPECT_EQ(ParseError(list), At(list, "[2026") + ": spec.deadline: expected a string");
  const std::string number = SpecDoc("  deadline: 1796083200\n");
  EXPECT_THAT(ParseError(number), StartsWith(At(number, "1796083200") + ": spec.deadline: invalid "
                                             "time '1796083200': expected RFC 3339"));
}

TEST(JobSpecParserErrorTest, WrongApiVersion) {
  const std::string doc = "apiVersion: harchos.io/v2\nkind: Job\nmetadata: {name: x}\nspec: {}\n";
  EXPECT_EQ(ParseError(doc), "test.yaml:1:13: apiVersion: unsupported version 'harchos.io/v2'; "
                             "this build reads harchos.io/v1alpha1");
}

TEST(JobSpecParserErrorTest, WrongKind) {
  const std::string doc =
      "apiVersion: harchos.io/v1alpha1\nkind: Fleet\nmetadata: {name: x}\nspec: {}\n";
  EXPECT_EQ(ParseError(doc), "test.yaml:2:7: kind: expected 'Job', got 'Fleet'");
}

TEST(JobSpecParserErrorTest, DuplicateKey) {
  const std::string doc = SpecDoc("  kind: batch\n");
  EXPECT_EQ(ParseError(doc), At(doc, "kind: batch") + ": spec.kind: duplicate key 'kind'");
}

TEST(JobSpecParserErrorTest, NotAMappingAndSyntaxErrors) {
  EXPECT_THAT(ParseError("- just\n- a list\n"), HasSubstr("expected a mapping"));
  EXPECT_THAT(ParseError(""), HasSubstr("expected a mapping, got nothing"));
  const std::string msg = ParseError("apiVersion: harchos.io/v1alpha1\nkind: Job\nspec: {a: [b\n");
  EXPECT_THAT(msg, StartsWith("test.yaml:"));
  EXPECT_THAT(msg, HasSubstr("YAML syntax error"));
  EXPECT_THAT(ParseError(std::string(10000, '[')), HasSubstr("nests deeper than 64 levels"));
}

// ---------------------------------------------------------------------------------------------
// The shipped examples.

// $HARCH_SOURCE_DIR/examples/jobs (set by CTest), else the same path relative to the working
// directory or one of its parents.
std::optional<std::filesystem::path> FindExamples() {
  namespace fs = std::filesystem;
  constexpr char kRelative[] = "examples/jobs";
  std::error_code ec;
  if (const char* src = std::getenv("HARCH_SOURCE_DIR"); src != nullptr && *src != '\0') {
    const fs::path p = fs::path(src) / kRelative;
    if (fs::is_directory(p, ec)) return p;
  }
  fs::path dir = fs::current_path(ec);
  for (int up = 0; up < 6 && !ec; ++up) {
    const fs::path p = dir / kRelative;
    if (fs::is_directory(p, ec)) return p;
    if (!dir.has_parent_path() || dir.parent_path() == dir) break;
    dir = dir.parent_path();
  }
  return std::nullopt;
}

class JobExamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FindExamples();
    if (!dir_) {
      GTEST_SKIP() << "cannot find examples/jobs: set HARCH_SOURCE_DIR to the source tree (CTest "
                      "does) or run from it";
    }
  }
  JobSpec Load(const std::string& name) {
    auto job = LoadJobSpecFile((*dir_ / name).string());
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    if (!job.ok()) return {};
    return std::move(job).value();
  }
  std::optional<std::filesystem::path> dir_;
};

TEST_F(JobExamplesTest, EveryExampleParses) {
  int parsed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(*dir_)) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    auto job = LoadJobSpecFile(entry.path().string());
    ASSERT_TRUE(job.ok()) << job.status().ToString();
    EXPECT_GT(job->TotalGpuMilli(), 0);
    ++parsed;
  }
  EXPECT_GE(parsed, 4);
}

TEST_F(JobExamplesTest, TrainingGang) {
  const JobSpec job = Load("training-gang.yaml");
  EXPECT_EQ(job.kind, WorkloadKind::kTraining);
  EXPECT_EQ(job.priority_class, "high");
  EXPECT_FALSE(job.preemptible);
  ASSERT_EQ(job.task_groups.size(), 1u);
  const TaskGroupSpec& g = job.task_groups[0];
  EXPECT_EQ(g.replicas, 4);
  EXPECT_EQ(g.gpus_per_replica, 8);
  EXPECT_THAT(g.gpu.models, ElementsAre("H100", "GB200"));
  EXPECT_EQ(g.gpu.nvlink, NvlinkRequirement::kPreferred);
  EXPECT_TRUE(g.gpu.exclusive_node);
  ASSERT_FALSE(g.command.empty());
  EXPECT_EQ(g.command[0], "torchrun");
  EXPECT_FALSE(g.env.empty());
  EXPECT_TRUE(job.expected_duration.has_value());
  EXPECT_EQ(job.TotalGpuMilli(), 32'000);
  EXPECT_EQ(AllowedJurisdiction(job), std::vector<std::string>{"MA"});
}

TEST_F(JobExamplesTest, LlmInference) {
  const JobSpec job = Load("llm-inference.yaml");
  EXPECT_EQ(job.kind, WorkloadKind::kInference);
  EXPECT_EQ(job.priority, 1000);
  EXPECT_EQ(job.latency, LatencySensitivity::kHigh);
  EXPECT_FALSE(job.preemptible);
  ASSERT_EQ(job.task_groups.size(), 1u);
  EXPECT_EQ(job.task_groups[0].replicas, 2);
  EXPECT_EQ(job.task_groups[0].gpus_per_replica, 2);
  EXPECT_EQ(job.task_groups[0].gpu.min_memory, GiB(80));
  EXPECT_EQ(job.task_groups[0].gpu.nvlink, NvlinkRequirement::kRequired);
  EXPECT_EQ(job.TotalGpuMilli(), 4'000);
}

TEST_F(JobExamplesTest, BatchEtl) {
  const JobSpec job = Load("batch-etl.yaml");
  EXPECT_EQ(job.kind, WorkloadKind::kBatch);
  EXPECT_EQ(job.priority_class, "low");
  EXPECT_TRUE(job.preemptible);
  EXPECT_TRUE(job.spot_tolerant);
  EXPECT_TRUE(job.deadline.has_value());
  EXPECT_TRUE(job.flexibility_window.has_value());
  ASSERT_EQ(job.task_groups.size(), 1u);
  EXPECT_EQ(job.task_groups[0].replicas, 16);
  EXPECT_EQ(job.task_groups[0].gpu_share, MilliGpu{250});
  EXPECT_EQ(job.TotalGpuMilli(), 4'000);
  EXPECT_EQ(AllowedJurisdiction(job), (std::vector<std::string>{"MA", "SN"}));
}

TEST_F(JobExamplesTest, FineTuneWithLocatedData) {
  const JobSpec job = Load("finetune-located-data.yaml");
  EXPECT_EQ(job.kind, WorkloadKind::kTraining);
  ASSERT_EQ(job.data.size(), 2u);
  EXPECT_EQ(job.data[0].location, "dakhla");
  EXPECT_EQ(job.data[0].size, Bytes{400'000'000'000});
  EXPECT_EQ(job.data[1].location, "");
  EXPECT_EQ(AllowedJurisdiction(job), (std::vector<std::string>{"MA", "SN"}));
}

TEST_F(JobExamplesTest, Notebook) {
  const JobSpec job = Load("notebook.yaml");
  EXPECT_EQ(job.kind, WorkloadKind::kInteractive);
  EXPECT_EQ(job.latency, LatencySensitivity::kMedium);
  ASSERT_EQ(job.task_groups.size(), 1u);
  EXPECT_EQ(job.task_groups[0].replicas, 1);
  EXPECT_EQ(job.task_groups[0].mig_profile, "3g.40gb");
  EXPECT_EQ(job.TotalGpuMilli(), 1'000);
}

}  // namespace
}  // namespace harch
