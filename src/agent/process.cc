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

// Everything the child needs, prepared before fork: after it only async-signal-safe calls.
struct ExecPlan {
  std::vector<std::string> strings;
  std::vector<char*> argv;
  std::vector<char*> envp;
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
  return p;
}

// close_range(2) where the kernel has it, else a loop (async-signal-safe either way).
void CloseRange(unsigned first, unsigned last) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, first, last, 0) == 0) return;
#endif
  for (unsigned fd = first; fd <= last && fd < 65536; ++fd) close(static_cast<int>(fd));
}

[[noreturn]] void ChildFail(int fd, int err) {
  (void)!write(fd, &err, sizeof(err));
  _exit(127);
}

}  // namespace

Result<std::unique_ptr<Process>> Process::Start(const ProcessSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) return InvalidArgument("command: empty");
  ExecPlan plan = Plan(spec);
  const int log = open(spec.log_path.empty() ? "/dev/null" : spec.log_path.c_str(),
                       O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) return Unavailable(spec.log_path + ": " + std::strerror(errno));
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    close(log);
    return Unavailable(std::string("pipe: ") + std::strerror(errno));
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    close(log);
    close(report[0]);
    close(report[1]);
    return Unavailable(std::string("fork: ") + std::strerror(err));
  }
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the agent is already gone
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);
    const int in = open("/dev/null", O_RDONLY);
    if (in < 0 || dup2(in, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0) ChildFail(report[1], errno);
    if (!spec.work_dir.empty() && chdir(spec.work_dir.c_str()) != 0) ChildFail(report[1], errno);
    // Nothing else of the agent's leaks into the task (the report pipe closes on exec).
    const unsigned keep = static_cast<unsigned>(report[1]);
    if (keep > 3) CloseRange(3, keep - 1);
    CloseRange(keep + 1, ~0U);
    execvpe(plan.argv[0], plan.argv.data(), plan.envp.data());
    ChildFail(report[1], errno);
  }
  setpgid(pid, pid);  // also here, so the group exists before Start returns
  close(log);
  close(report[1]);
  int err = 0;
  const ssize_t n = read(report[0], &err, sizeof(err));
  close(report[0]);
  if (n == sizeof(err)) {
    waitpid(pid, nullptr, 0);
    return InvalidArgument("cannot run '" + spec.argv[0] + "': " + std::strerror(err));
  }
  return std::unique_ptr<Process>(new Process(pid));
}

Process::~Process() {
  if (exit_code_) return;
  kill(-pid_, SIGKILL);
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

std::optional<int> Process::Poll() {
  if (exit_code_) return exit_code_;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    kill(-pid_, SIGKILL);  // what the task left behind in its group goes with it
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
  if (fstat(fd, &st) == 0 && st.st_size >= offset_) {
    max_bytes = std::min(max_bytes, static_cast<size_t>(st.st_size - offset_));
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

}  // namespace harch
