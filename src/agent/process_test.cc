#include "agent/process.h"

#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

namespace harch {
namespace {

using namespace std::chrono_literals;

// Polls `done` until it holds; the bound is generous for a loaded machine.
bool WaitUntil(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

// The state letter of /proc/<pid>/stat ('Z' for a zombie), or 0 when there is no such process.
char ProcState(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  const size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() ? 0 : stat[paren + 2];
}

// Gone, or dead and waiting for whichever init adopted it to reap it.
bool Dead(pid_t pid) { return kill(pid, 0) != 0 || ProcState(pid) == 'Z'; }

// True when `pid` is no child of ours, zombie or not.
bool NotOurChild(pid_t pid) { return waitpid(pid, nullptr, WNOHANG) < 0 && errno == ECHILD; }

class ProcessTest : public ::testing::Test {
 protected:
  ProcessTest() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "harch-proc-XXXXXX").string();
    HARCH_CHECK(mkdtemp(tmpl.data()) != nullptr);
    dir_ = tmpl;
  }
  ~ProcessTest() override { std::filesystem::remove_all(dir_); }

  ProcessSpec Spec(std::vector<std::string> argv) {
    ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.log_path = dir_ + "/out.log";
    return spec;
  }
  std::unique_ptr<Process> Start(const ProcessSpec& spec) {
    auto p = Process::Start(spec);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? std::move(*p) : nullptr;
  }
  std::unique_ptr<Process> Run(const std::string& script, std::map<std::string, std::string> env = {}) {
    ProcessSpec spec = Spec({"sh", "-c", script});
    spec.env = std::move(env);
    return Start(spec);
  }
  // Polls until the process ends.
  static std::optional<int> WaitExit(Process& p) {
    std::optional<int> code;
    WaitUntil([&] { return (code = p.Poll()).has_value(); });
    return code;
  }
  std::string Log() {
    std::ifstream in(dir_ + "/out.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // Waits for the first line of the log, a pid the script echoes.
  pid_t EchoedPid() {
    if (!WaitUntil([&] { return Log().find('\n') != std::string::npos; })) return -1;
    return static_cast<pid_t>(std::stoi(Log()));
  }
  std::string dir_;
};

TEST_F(ProcessTest, RunsWithItsEnvironmentAndLogsOutput) {
  setenv("HARCH_PROC_TEST_INHERITED", "yes", 1);
  setenv("HARCH_PROC_TEST_OVERRIDDEN", "agent", 1);
  auto p = Run("echo rank=$HARCH_RANK $HARCH_PROC_TEST_INHERITED $HARCH_PROC_TEST_OVERRIDDEN; echo err >&2",
               {{"HARCH_RANK", "3"}, {"HARCH_PROC_TEST_OVERRIDDEN", "task"}});
  unsetenv("HARCH_PROC_TEST_INHERITED");
  unsetenv("HARCH_PROC_TEST_OVERRIDDEN");
  ASSERT_TRUE(p);
  EXPECT_EQ(WaitExit(*p), 0);
  EXPECT_EQ(Log(), "rank=3 yes task\nerr\n");
}

TEST_F(ProcessTest, AppendsToTheLogAndReadsNothing) {
  std::ofstream(dir_ + "/out.log") << "before\n";
  auto p = Run("cat; echo after");  // stdin is /dev/null: cat ends at once
  ASSERT_TRUE(p);
  EXPECT_EQ(WaitExit(*p), 0);
  EXPECT_EQ(Log(), "before\nafter\n");
}

TEST_F(ProcessTest, ReportsExitCodesAndSignals) {
  auto ok = Run("exit 0");
  auto three = Run("exit 3");
  auto killed = Run("kill -9 $$");
  ASSERT_TRUE(ok && three && killed);
  EXPECT_EQ(WaitExit(*ok), 0);
  EXPECT_EQ(WaitExit(*three), 3);
  EXPECT_EQ(WaitExit(*killed), 128 + 9);
  // Once known, the same value every time.
  EXPECT_EQ(three->Poll(), 3);
  EXPECT_EQ(killed->Poll(), 128 + 9);
  EXPECT_FALSE(killed->terminating());
}

TEST_F(ProcessTest, MissingProgramFailsInStartWithoutAZombie) {
  auto p = Process::Start(Spec({"no-such-program-harch", "x"}));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("no-such-program-harch"), std::string::npos) << p.status().ToString();
  EXPECT_NE(p.status().message().find(std::strerror(ENOENT)), std::string::npos) << p.status().ToString();
  // Every child this test made has been reaped: none is left, zombie or not.
  errno = 0;
  EXPECT_LE(waitpid(-1, nullptr, WNOHANG), 0);

  auto abs = Process::Start(Spec({dir_ + "/nothing-here"}));
  ASSERT_FALSE(abs.ok());
  EXPECT_NE(abs.status().message().find(dir_ + "/nothing-here"), std::string::npos);
}

TEST_F(ProcessTest, NotExecutableFailsInStart) {
  const std::string script = dir_ + "/script.sh";
  std::ofstream(script) << "#!/bin/sh\necho hi\n";
  chmod(script.c_str(), 0644);
  auto p = Process::Start(Spec({script}));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find(script), std::string::npos) << p.status().ToString();
  EXPECT_NE(p.status().message().find(std::strerror(EACCES)), std::string::npos) << p.status().ToString();
}

TEST_F(ProcessTest, EmptyCommandIsInvalid) {
  auto p = Process::Start(Spec({}));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), Code::kInvalidArgument);
}

TEST_F(ProcessTest, LooksUpTheProgramInTheTasksPath) {
  std::filesystem::create_directory(dir_ + "/bin");
  const std::string program = dir_ + "/bin/harch-hello";
  std::ofstream(program) << "#!/bin/sh\necho hello \"$@\"\n";
  chmod(program.c_str(), 0755);
  ProcessSpec spec = Spec({"harch-hello", "world"});
  spec.env["PATH"] = dir_ + "/nowhere::" + dir_ + "/bin:/usr/bin:/bin";
  auto p = Start(spec);
  ASSERT_TRUE(p);
  EXPECT_EQ(WaitExit(*p), 0);
  EXPECT_EQ(Log(), "hello world\n");
}

TEST_F(ProcessTest, WorkDirIsHonoured) {
  ProcessSpec spec = Spec({"pwd"});
  spec.work_dir = dir_;
  auto p = Start(spec);
  ASSERT_TRUE(p);
  EXPECT_EQ(WaitExit(*p), 0);
  EXPECT_EQ(Log(), std::filesystem::canonical(dir_).string() + "\n");
}

TEST_F(ProcessTest, MissingWorkDirFailsInStart) {
  ProcessSpec spec = Spec({"pwd"});
  spec.work_dir = dir_ + "/no-such-dir";
  auto p = Process::Start(spec);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find(spec.work_dir), std::string::npos) << p.status().ToString();
}

TEST_F(ProcessTest, StartsWithCleanSignalsAndNoInheritedFds) {
  // What the agent has set for itself must not reach the task.
  struct sigaction ignore {}, old_pipe {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &old_pipe);
  sigset_t usr1, old_mask;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, &old_mask);
  const int leaked = open("/dev/null", O_RDONLY);  // no O_CLOEXEC on purpose
  ASSERT_GE(leaked, 0);
  ASSERT_EQ(dup2(leaked, 57), 57);

  auto status = Start(Spec({"cat", "/proc/self/status"}));
  std::optional<int> status_code = status ? WaitExit(*status) : std::nullopt;
  const std::string proc_status = Log();
  std::filesystem::remove(dir_ + "/out.log");
  auto fds = Start(Spec({"ls", "/proc/self/fd"}));
  std::optional<int> fds_code = fds ? WaitExit(*fds) : std::nullopt;

  close(57);
  close(leaked);
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  sigaction(SIGPIPE, &old_pipe, nullptr);

  EXPECT_EQ(status_code, 0);
  EXPECT_NE(proc_status.find("SigBlk:\t0000000000000000\n"), std::string::npos) << proc_status;
  EXPECT_NE(proc_status.find("SigIgn:\t0000000000000000\n"), std::string::npos) << proc_status;
  EXPECT_EQ(fds_code, 0);
  std::istringstream listing(Log());
  for (std::string fd; listing >> fd;) {
    EXPECT_LE(std::stoi(fd), 3) << Log();  // 0, 1, 2, and the directory ls reads
  }
}

TEST_F(ProcessTest, TerminateLetsTheTaskCleanUp) {
  auto p = Run("trap 'exit 7' TERM; echo ready; while :; do sleep 0.05; done");
  ASSERT_TRUE(p);
  ASSERT_TRUE(WaitUntil([&] { return Log().find("ready") != std::string::npos; }));
  p->Terminate(30s);
  EXPECT_TRUE(p->terminating());
  EXPECT_EQ(WaitExit(*p), 7);
}

TEST_F(ProcessTest, TerminateStopsTheWholeGroup) {
  auto p = Run("sleep 100 & echo $!; wait");
  ASSERT_TRUE(p);
  const pid_t sleeper = EchoedPid();
  ASSERT_GT(sleeper, 0);
  p->Terminate(30s);
  EXPECT_EQ(WaitExit(*p), 128 + SIGTERM);
  EXPECT_TRUE(WaitUntil([&] { return Dead(sleeper); }));
}

TEST_F(ProcessTest, KillsAfterTheGraceAndTakesTheGroup) {
  // Ignored TERM is inherited: neither the shell nor its sleep stop for it.
  auto p = Run("trap '' TERM; sleep 100 & echo $!; wait");
  ASSERT_TRUE(p);
  const pid_t sleeper = EchoedPid();
  ASSERT_GT(sleeper, 0);
  ManualClock clock(Time{Duration{1000}});
  p->Terminate(5s, clock);
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(p->Poll());  // the grace has not passed
  clock.Advance(3s);
  p->Terminate(5s, clock);  // does not restart the grace
  EXPECT_FALSE(p->Poll());
  EXPECT_FALSE(Dead(sleeper));
  clock.Advance(3s);
  EXPECT_EQ(WaitExit(*p), 128 + SIGKILL);
  EXPECT_TRUE(WaitUntil([&] { return Dead(sleeper); }));
}

TEST_F(ProcessTest, DestructorKillsTheGroupAndReaps) {
  auto p = Run("sleep 100 & echo $!; wait");
  ASSERT_TRUE(p);
  const pid_t sleeper = EchoedPid();
  ASSERT_GT(sleeper, 0);
  const pid_t pid = p->pid();
  p.reset();
  EXPECT_TRUE(NotOurChild(pid));
  EXPECT_TRUE(WaitUntil([&] { return Dead(sleeper); }));
}

TEST_F(ProcessTest, DestructorReapsAnEndedUnpolledProcess) {
  auto p = Run("exit 0");
  ASSERT_TRUE(p);
  const pid_t pid = p->pid();
  ASSERT_TRUE(WaitUntil([&] { return ProcState(pid) == 'Z'; }));  // ended, not yet reaped
  p.reset();
  EXPECT_TRUE(NotOurChild(pid));
}

TEST_F(ProcessTest, FileTailStreamsAppends) {
  const std::string path = dir_ + "/tail.log";
  FileTail tail(path);
  EXPECT_EQ(*tail.ReadNew(100), "");  // not there yet
  std::ofstream(path, std::ios::app) << "abcdef";
  EXPECT_EQ(*tail.ReadNew(4), "abcd");
  EXPECT_EQ(tail.offset(), 4);
  EXPECT_EQ(*tail.ReadNew(100), "ef");
  EXPECT_EQ(*tail.ReadNew(100), "");  // nothing new
  std::ofstream(path, std::ios::app) << "gh";
  EXPECT_EQ(*tail.ReadNew(100), "gh");
  EXPECT_EQ(tail.offset(), 8);
  EXPECT_EQ(*FileTail(path, 6).ReadNew(100), "gh");
  EXPECT_EQ(*FileTail(path, 100).ReadNew(100), "");  // past the end
}

TEST_F(ProcessTest, FileTailFollowsARunningTask) {
  auto p = Run("echo one; sleep 0.2; echo two");
  ASSERT_TRUE(p);
  FileTail tail(dir_ + "/out.log");
  std::string seen;
  WaitUntil([&] {
    seen += *tail.ReadNew(3);
    return seen == "one\ntwo\n";
  });
  EXPECT_EQ(seen, "one\ntwo\n");
  EXPECT_EQ(WaitExit(*p), 0);
}

TEST(JoinCommaTest, Joins) {
  EXPECT_EQ(JoinComma({}), "");
  EXPECT_EQ(JoinComma({"0"}), "0");
  EXPECT_EQ(JoinComma({"0", "1", "3"}), "0,1,3");
}

}  // namespace
}  // namespace harch
