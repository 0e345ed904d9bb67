// Tests of the scenario runner itself: expectations, transcripts and golden files. The scripts
// in src/sched/testdata are CTest cases of their own (sched_scenario.NAME; see README.md there).
#include "sched/scenario.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <sstream>

#include "base/files.h"

namespace harch {
namespace {

namespace fs = std::filesystem;

std::string SourceDir() {
  const char* dir = std::getenv("HARCH_SOURCE_DIR");
  return dir ? dir : ".";
}

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("harch_scenario_test_" + std::to_string(std::random_device{}()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// A script that needs no file from the source tree.
const char* const kScript =
    "# two jobs on one 8-GPU node\n"
    "fleet <<\n"
    "apiVersion: harchos.io/v1alpha1\n"
    "kind: Fleet\n"
    "metadata: {name: one-node}\n"
    "spec:\n"
    "  hubs:\n"
    "    - id: h\n"
    "      country: MA\n"
    "      racks:\n"
    "        - id: r\n"
    "          nodes:\n"
    "            - {name: n, cpu: 64, memory: 1TiB, gpus: {model: H100-SXM, count: 8, nvlink: "
    "nvswitch}}\n"
    "EOF\n"
    "submit a   gpus=6      # comments and spacing are not part of the echo\n"
    "submit b gpus=4\n"
    "submit c gpus=16\n"
    "tick 90s\n"
    "expect a running hub=h\n"
    "expect b pending constraint=capacity\n"
    "expect-rejected c\n"
    "finish a\n"
    "tick\n"
    "expect b running\n";

std::string Transcript(const std::string& script) {
  std::string transcript;
  const Status st = RunScenario(script, "inline.txt", SourceDir(), &transcript);
  EXPECT_TRUE(st.ok()) << st.message();
  return transcript;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(ScenarioRunner, ReportsTheFailingLine) {
  const std::string script =
      "fleet examples/fleets/reference.yaml\n"
      "submit a gpus=8\n"
      "tick\n"
      "expect a pending\n";
  const Status st = RunScenario(script, "inline.txt", SourceDir());
  if (!std::filesystem::exists(SourceDir() + "/examples/fleets/reference.yaml")) {
    GTEST_SKIP() << "reference fleet not found; set HARCH_SOURCE_DIR";
  }
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("inline.txt:4: a: expected pending"), std::string::npos)
      << st.message();
}

TEST(ScenarioRunner, TranscriptEchoesCommandsAndShowsEventsAndJobs) {
  const std::string t = Transcript(kScript);
  EXPECT_TRUE(
      Contains(t, "> fleet <inline, 1 nodes, 8 GPUs>\nhub h (MA): 1 nodes, 8 GPUs: 8 x H100-SXM\n"))
      << t;
  EXPECT_TRUE(Contains(t, "\n> submit a gpus=6\nevent a Submitted: queued for tenant default\n"))
      << t;
  EXPECT_TRUE(Contains(t, "\n> submit c gpus=16\nrejected: ")) << t;
  EXPECT_TRUE(
      Contains(t, "\n> tick 90s\ntime T+00:01:30\nevent a Scheduled: main: 6 x H100-SXM in h"))
      << t;
  EXPECT_TRUE(
      Contains(t,
               "\n  a  running    hub=h model=H100-SXM span=NV gpus=6 preemptions=0 losses=0\n"
               "     nodes: r-n(6)\n"))
      << t;
  EXPECT_TRUE(
      Contains(t, "\n  b  pending    constraint=capacity preemptions=0 losses=0\n     reason: "))
      << t;
  EXPECT_TRUE(Contains(t, "\n> expect-rejected c\n")) << t;
  EXPECT_TRUE(Contains(t, "\n> finish a\nevent a Finished: succeeded\n")) << t;
  EXPECT_TRUE(Contains(t, "\n  a  succeeded  preemptions=0 losses=0\n  b  running    ")) << t;
  EXPECT_EQ(t, Transcript(kScript)) << "the transcript must be deterministic";
}

TEST(ScenarioRunner, TranscriptStopsAtTheFailure) {
  std::string transcript;
  const Status st = RunScenario(std::string(kScript) + "expect a running\ntick\n", "inline.txt",
                                SourceDir(), &transcript);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st.message(), "inline.txt:25: a: expected running")) << st.message();
  EXPECT_TRUE(transcript.ends_with("> expect a running\n")) << transcript;
}

TEST(ScenarioGolden, NamesTheFirstDifferingLine) {
  EXPECT_TRUE(CompareTranscript("a\nb\nc\n", "a\nb\nc\n", "x.golden").ok());
  Status st = CompareTranscript("a\nb\nc\n", "a\nB\nc\n", "x.golden");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(
      st.message(),
      "x.golden:2: the transcript differs from the golden file\n  expected: b\n  actual:   B");
  st = CompareTranscript("a\nb\n", "a\nb\nc\n", "x.golden");
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st.message(), "x.golden:3:")) << st.message();
  EXPECT_TRUE(Contains(st.message(), "expected: <end of file>\n  actual:   c")) << st.message();
  st = CompareTranscript("a\nb\n", "a\n", "x.golden");
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st.message(), "x.golden:2:")) << st.message();
  EXPECT_TRUE(Contains(st.message(), "expected: b\n  actual:   <end of transcript>"))
      << st.message();
}

TEST(ScenarioGolden, MissingGoldenFileFailsAndSaysHowToCreateIt) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir / "s.txt", kScript).ok());
  const ScenarioRun run = RunScenarioFile(dir / "s.txt", SourceDir(), /*rewrite=*/false);
  ASSERT_FALSE(run.status.ok());
  EXPECT_TRUE(Contains(run.status.message(), "s.golden does not exist")) << run.status.message();
  EXPECT_TRUE(Contains(run.status.message(), "HARCH_REWRITE_GOLDEN=1 ctest -R sched_scenario.s"))
      << run.status.message();
  EXPECT_FALSE(fs::exists(dir / "s.golden"));
}

TEST(ScenarioGolden, RewriteThenCompareThenReportTheChangedLine) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir / "s.txt", kScript).ok());
  ScenarioRun run = RunScenarioFile(dir / "s.txt", SourceDir(), /*rewrite=*/true);
  ASSERT_TRUE(run.status.ok()) << run.status.message();
  EXPECT_TRUE(run.wrote_golden);
  auto golden = ReadFile(dir / "s.golden");
  ASSERT_TRUE(golden.ok());
  EXPECT_EQ(*golden, run.transcript);

  run = RunScenarioFile(dir / "s.txt", SourceDir(), /*rewrite=*/false);
  EXPECT_TRUE(run.status.ok()) << run.status.message();
  run = RunScenarioFile(dir / "s.txt", SourceDir(), /*rewrite=*/true);
  EXPECT_TRUE(run.status.ok());
  EXPECT_FALSE(run.wrote_golden) << "an unchanged golden file is not rewritten";

  // The script changes; the golden file does not.
  std::string changed = kScript;
  changed.replace(changed.find("submit b gpus=4"), 15, "submit b gpus=3");
  ASSERT_TRUE(WriteFileAtomic(dir / "s.txt", changed).ok());
  run = RunScenarioFile(dir / "s.txt", SourceDir(), /*rewrite=*/false);
  ASSERT_FALSE(run.status.ok());
  size_t line = 1;
  for (size_t i = 0; i < golden->find("> submit b gpus=4"); ++i) line += (*golden)[i] == '\n';
  EXPECT_TRUE(Contains(run.status.message(), "s.golden:" + std::to_string(line) + ": "))
      << run.status.message();
  EXPECT_TRUE(
      Contains(run.status.message(), "expected: > submit b gpus=4\n  actual:   > submit b gpus=3"))
      << run.status.message();
}

TEST(ScenarioGolden, RewriteDoesNotRecordAFailingScript) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir / "s.txt", std::string(kScript) + "expect a running\n").ok());
  const ScenarioRun run = RunScenarioFile(dir / "s.txt", SourceDir(), /*rewrite=*/true);
  ASSERT_FALSE(run.status.ok());
  EXPECT_TRUE(Contains(run.status.message(), "s.txt:25: a: expected running"))
      << run.status.message();
  EXPECT_FALSE(fs::exists(dir / "s.golden"));
}

TEST(ScenarioMain, FlagsAndEnvironment) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir / "s.txt", kScript).ok());
  std::ostringstream out, err;
  EXPECT_EQ(ScenarioMain({}, nullptr, nullptr, out, err), 2);
  EXPECT_TRUE(Contains(err.str(), "usage: sched_scenario")) << err.str();

  EXPECT_EQ(ScenarioMain({dir / "s.txt"}, nullptr, "0", out, err), 1);
  EXPECT_TRUE(Contains(err.str(), "FAIL " + (dir / "s.txt"))) << err.str();
  EXPECT_TRUE(Contains(out.str(), "--- actual transcript of ")) << out.str();

  EXPECT_EQ(ScenarioMain({"--rewrite", dir / "s.txt"}, nullptr, nullptr, out, err), 0);
  EXPECT_TRUE(fs::exists(dir / "s.golden"));
  EXPECT_EQ(ScenarioMain({dir / "s.txt"}, nullptr, nullptr, out, err), 0);

  fs::remove(dir / "s.golden");
  EXPECT_EQ(ScenarioMain({dir / "s.txt"}, nullptr, "1", out, err), 0) << err.str();
  EXPECT_TRUE(fs::exists(dir / "s.golden")) << "HARCH_REWRITE_GOLDEN=1 rewrites";
}

}  // namespace
}  // namespace harch
