#include "agent/process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

extern char** environ;

namespace harch {

namespace {

// Where the child failed before exec, sent to the parent over the report pipe.
enum Stage : int { kStageSetup = 1, kStageWorkDir = 2, kStageExec = 3 };
struct ChildError {
  int stage;
  int err;
};

// Everything the child needs, prepared before fork: after it only async-signal-safe calls.
struct ExecPlan {
  std::vector<std::string> strings;  // argv, then envp entries
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::vector<std::string> candidates;  // paths to try for argv[0], in PATH order
  unsigned max_fd = 65535;              // for the close loop where close_range is missing
};

ExecPlan Plan(const ProcessSpec& spec) {
  ExecPlan p;
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq) env[std::string(*e, static_cast<size_t>(eq - *e))] = eq + 1;
  }
  for (const auto& [k, v] : spec.env) env[k] = v;
  p.strings.reserve(spec.argv.size() + env.size());
  for (const auto& a : spec.argv) p.strings.push_back(a);
  for (const auto& [k, v] : env) p.strings.push_back(k + "=" + v);
  for (size_t i = 0; i < spec.argv.size(); ++i) p.argv.push_back(p.strings[i].data());
  p.argv.push_back(nullptr);
  for (size_t i = spec.argv.size(); i < p.strings.size(); ++i) p.envp.push_back(p.strings[i].data());
  p.envp.push_back(nullptr);

  // execvp's search, done here because it allocates: the task's PATH (the default when unset),
  // an empty element meaning the working directory.
  const std::string& name = spec.argv[0];
  if (name.find('/') != std::string::npos) {
    p.candidates.push_back(name);
  } else {
    auto it = env.find("PATH");
    const std::string path = it != env.end() ? it->second : "/bin:/usr/bin";
    size_t begin = 0;
    while (true) {
      const size_t end = path.find(':', begin);
      std::string dir = path.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
      p.candidates.push_back((dir.empty() ? std::string(".") : dir) + "/" + name);
      if (end == std::string::npos) break;
      begin = end + 1;
    }
  }
  const long open_max = sysconf(_SC_OPEN_MAX);
  if (open_max > 0) p.max_fd = static_cast<unsigned>(std::min<long>(open_max, 65536) - 1);
  return p;
}

// Moves fd to a number above 2 (close-on-exec), so that setting up 0/1/2 in the child cannot
// clobber it or drop its close-on-exec flag. Returns -1 (fd closed) on failure.
int AboveStdio(int fd) {
  if (fd < 0 || fd > 2) return fd;
  const int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  close(fd);
  return moved;
}

// close_range(2) where the kernel has it, else a loop (async-signal-safe either way).
void CloseRange(unsigned first, unsigned last, unsigned max_fd) {
  if (first > last) return;
#ifdef SYS_close_range
  if (syscall(SYS_close_range, first, last, 0) == 0) return;
#endif
  for (unsigned fd = first; fd <= last && fd <= max_fd; ++fd) close(static_cast<int>(fd));
}

[[noreturn]] void ChildFail(int fd, int stage, int err) {
  const ChildError e{stage, err};
  (void)!write(fd, &e, sizeof(e));  // smaller than PIPE_BUF: one atomic write
  _exit(127);
}

// The child between fork and exec: async-signal-safe calls only, no allocation.
[[noreturn]] void Child(const ExecPlan& plan, const ProcessSpec& spec, pid_t parent, int log,
                        int devnull, int report) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);  // the agent is already gone
  // Default dispositions first, then the empty mask (the parent blocked everything around fork,
  // so none of its handlers can run here).
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, nullptr);  // EINVAL for reserved
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);

  if (dup2(devnull, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0) {
    ChildFail(report, kStageSetup, errno);
  }
  if (!spec.work_dir.empty() && chdir(spec.work_dir.c_str()) != 0) {
    ChildFail(report, kStageWorkDir, errno);
  }
  // Nothing else of the agent's leaks into the task (the report pipe closes on exec).
  const unsigned keep = static_cast<unsigned>(report);
  if (keep > 3) CloseRange(3, keep - 1, plan.max_fd);
  CloseRange(keep + 1, ~0U, plan.max_fd);

  int err = ENOENT;
  bool denied = false;
  for (const std::string& path : plan.candidates) {
    execve(path.c_str(), plan.argv.data(), plan.envp.data());
    err = errno;
    if (err == EACCES) {
      denied = true;
    } else if (err != ENOENT && err != ENOTDIR && err != ESTALE && err != ENODEV &&
               err != ETIMEDOUT) {
      ChildFail(report, kStageExec, err);  // found, but it cannot run
    }
  }
  ChildFail(report, kStageExec, denied ? EACCES : err);
}

}  // namespace

Result<std::unique_ptr<Process>> Process::Start(const ProcessSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) return InvalidArgument("command: empty");
  const ExecPlan plan = Plan(spec);
  const std::string log_path = spec.log_path.empty() ? "/dev/null" : spec.log_path;
  const int log = AboveStdio(open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (log < 0) return Unavailable(log_path + ": " + std::strerror(errno));
  const int devnull = AboveStdio(open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (devnull < 0) {
    const int err = errno;
    close(log);
    return Unavailable(std::string("/dev/null: ") + std::strerror(err));
  }
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    const int err = errno;
    close(log);
    close(devnull);
    return Unavailable(std::string("pipe: ") + std::strerror(err));
  }
  report[0] = AboveStdio(report[0]);
  report[1] = AboveStdio(report[1]);

  const pid_t parent = getpid();
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  const pid_t pid = report[0] < 0 || report[1] < 0 ? -1 : fork();
  if (pid == 0) Child(plan, spec, parent, log, devnull, report[1]);
  const int fork_err = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  close(log);
  close(devnull);
  if (report[1] >= 0) close(report[1]);
  if (pid < 0) {
    if (report[0] >= 0) close(report[0]);
    return Unavailable(std::string("fork: ") + std::strerror(fork_err));
  }
  setpgid(pid, pid);  // also here, so the group exists before Start returns (fails once exec'd)

  ChildError failure{};
  ssize_t n;
  do {
    n = read(report[0], &failure, sizeof(failure));
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n != static_cast<ssize_t>(sizeof(failure))) {
    return std::unique_ptr<Process>(new Process(pid));  // exec'd (the pipe closed empty)
  }
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  const std::string reason = std::strerror(failure.err);
  switch (failure.stage) {
    case kStageWorkDir:
      return InvalidArgument("cannot run '" + spec.argv[0] + "' in '" + spec.work_dir + "': " + reason);
    case kStageExec:
      return InvalidArgument("cannot run '" + spec.argv[0] + "': " + reason);
    default:
      return Unavailable("cannot start '" + spec.argv[0] + "': " + reason);
  }
}

Process::~Process() {
  if (exit_code_) return;  // reaped, and its group killed, by Poll()
  // The unreaped leader keeps the group id from being reused while the group is killed.
  kill(-pid_, SIGKILL);
  kill(pid_, SIGKILL);
  while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

std::optional<int> Process::Poll() {
  if (exit_code_) return exit_code_;
  siginfo_t info{};
  int r;
  do {
    r = waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT);
  } while (r < 0 && errno == EINTR);
  if (r == 0 && info.si_pid == pid_) {
    // Ended. What it left in its group goes with it; killed before the reap, while the zombie
    // still holds the group id.
    kill(-pid_, SIGKILL);
    exit_code_ = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    return exit_code_;
  }
  if (r < 0 && errno == ECHILD) {
    // Reaped behind our back (SIGCHLD ignored by someone): it ended, how is unknown.
    exit_code_ = 255;
    return exit_code_;
  }
  if (kill_at_ && !killed_ && clock_->Now() >= *kill_at_) {
    kill(-pid_, SIGKILL);
    killed_ = true;
  }
  return std::nullopt;
}

void Process::Terminate(Duration grace, const Clock& clock) {
  if (kill_at_ || exit_code_) return;
  clock_ = &clock;
  kill_at_ = clock.Now() + grace;
  kill(-pid_, SIGTERM);
}

Result<std::string> FileTail::ReadNew(size_t max_bytes) {
  const int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::string();
    return Unavailable(path_ + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (fstat(fd, &st) == 0) {
    max_bytes = st.st_size > offset_ ? std::min(max_bytes, static_cast<size_t>(st.st_size - offset_)) : 0;
  }
  std::string out(max_bytes, '\0');
  size_t got = 0;
  while (got < max_bytes) {
    const ssize_t n = pread(fd, out.data() + got, max_bytes - got, offset_ + static_cast<int64_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(fd);
      return Unavailable(path_ + ": " + std::strerror(err));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  close(fd);
  out.resize(got);
  offset_ += static_cast<int64_t>(got);
  return out;
}

std::string JoinComma(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += items[i];
  }
  return out;
}

}  // namespace harch
