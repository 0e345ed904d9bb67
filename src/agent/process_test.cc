#include "agent/process.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace harch {
namespace {

class ProcessTest : public ::testing::Test {
 protected:
  ProcessTest() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "harch-proc-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
  }
  ~ProcessTest() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Process> Run(const std::string& script, std::map<std::string, std::string> env = {}) {
    ProcessSpec spec;
    spec.argv = {"sh", "-c", script};
    spec.env = std::move(env);
    spec.log_path = dir_ + "/out.log";
    auto p = Process::Start(spec);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? std::move(*p) : nullptr;
  }
  // Polls until the process ends (generous bound for loaded machines).
  std::optional<int> WaitExit(Process& p, const Clock* advance = nullptr) {
    for (int i = 0; i < 2000; ++i) {
      if (auto code = p.Poll()) return code;
      (void)advance;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
  }
  std::string Log() {
    std::ifstream in(dir_ + "/out.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::string dir_;
};

TEST_F(ProcessTest, RunsWithItsEnvironmentAndLogsOutput) {
  auto p = Run("echo rank=$HARCH_RANK; echo err >&2", {{"HARCH_RANK", "3"}});
  EXPECT_EQ(WaitExit(*p), 0);
  EXPECT_EQ(Log(), "rank=3\nerr\n");
}

TEST_F(ProcessTest, ReportsExitCodesAndSignals) {
  EXPECT_EQ(WaitExit(*Run("exit 3")), 3);
  EXPECT_EQ(WaitExit(*Run("kill -9 $$")), 128 + 9);
}

TEST_F(ProcessTest, MissingProgramFailsInStart) {
  ProcessSpec spec;
  spec.argv = {"no-such-program-harch"};
  spec.log_path = dir_ + "/x.log";
  auto p = Process::Start(spec);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("no-such-program-harch"), std::string::npos);
}

TEST_F(ProcessTest, TerminateLetsTheTaskCleanUp) {
  auto p = Run("trap 'exit 7' TERM; echo ready; while :; do sleep 0.05; done");
  ASSERT_TRUE([&] {
    for (int i = 0; i < 500 && Log().find("ready") == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return Log().find("ready") != std::string::npos;
  }());
  p->Terminate(std::chrono::seconds(30));
  EXPECT_EQ(WaitExit(*p), 7);
}

TEST_F(ProcessTest, KillsAfterTheGraceAndTakesTheGroup) {
  auto p = Run("trap '' TERM; sleep 100 & echo $!; wait");
  std::string child;
  for (int i = 0; i < 500 && child.empty(); ++i) {
    child = Log();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_FALSE(child.empty());
  const pid_t sleeper = std::stoi(child);
  ManualClock clock(Time{Duration{1000}});
  p->Terminate(std::chrono::seconds(5), clock);
  EXPECT_FALSE(p->Poll());  // ignores TERM, and the grace has not passed
  clock.Advance(std::chrono::seconds(6));
  EXPECT_EQ(WaitExit(*p), 128 + 9);
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {
    gone = kill(sleeper, 0) != 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(gone);
}

TEST_F(ProcessTest, WorkDirIsHonoured) {
  ProcessSpec spec;
  spec.argv = {"pwd"};
  spec.work_dir = dir_;
  spec.log_path = dir_ + "/out.log";
  auto p = Process::Start(spec);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(WaitExit(**p), 0);
  EXPECT_EQ(Log(), std::filesystem::canonical(dir_).string() + "\n");
}

TEST_F(ProcessTest, FileTailStreamsAppends) {
  const std::string path = dir_ + "/tail.log";
  FileTail tail(path);
  EXPECT_EQ(*tail.ReadNew(100), "");  // not there yet
  std::ofstream(path, std::ios::app) << "abcdef";
  EXPECT_EQ(*tail.ReadNew(4), "abcd");
  EXPECT_EQ(*tail.ReadNew(100), "ef");
  std::ofstream(path, std::ios::app) << "gh";
  EXPECT_EQ(*tail.ReadNew(100), "gh");
  EXPECT_EQ(tail.offset(), 8);
  EXPECT_EQ(*FileTail(path, 6).ReadNew(100), "gh");
}

}  // namespace
}  // namespace harch
