// A task's OS process, for harch agent: started in its own process group with its environment,
// its output appended to a log file, stopped with SIGTERM and, after a grace period, SIGKILL to
// the whole group. A task dies with the agent thread that started it (PR_SET_PDEATHSIG), as it
// would with a node. Also FileTail, which streams what a task appends to its log, and JoinComma.
// Thread-safety: a Process and a FileTail are used by one thread; JoinComma is a pure function.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace harch {

struct ProcessSpec {
  // argv[0] is looked up in the task's PATH (execvp semantics) unless it contains a '/'.
  // Must not be empty.
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;  // set on top of the agent's own environment
  std::string log_path;  // stdout and stderr are appended here (created 0644); empty: discarded
  std::string work_dir;  // empty: the agent's
};

class Process {
 public:
  // fork + exec in a new process group, stdin from /dev/null, stdout and stderr appended to
  // log_path, default signal dispositions and an empty signal mask, no other inherited fds.
  // A failure before the program runs (no such program, not executable, bad work_dir) is
  // Start's error, naming the program (or directory) and the reason; it leaves no zombie.
  static Result<std::unique_ptr<Process>> Start(const ProcessSpec& spec);
  ~Process();  // if it still runs: SIGKILL to the group, and reaps it (never leaves a zombie)
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }  // also the process group id
  // Non-blocking. nullopt while it runs; then its exit status, or 128 + the signal that ended
  // it, the same value on every later call. When it ends, what it left running in its group is
  // SIGKILLed. Sends the SIGKILL of Terminate() once the grace period has passed.
  std::optional<int> Poll();
  // SIGTERM to the group now; SIGKILL to the group from Poll() once `grace` has passed on
  // `clock` (which must outlive this Process). Calling again does not restart the grace.
  void Terminate(Duration grace, const Clock& clock = SystemClock::Get());
  bool terminating() const { return kill_at_.has_value(); }

 private:
  explicit Process(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  std::optional<int> exit_code_;
  std::optional<Time> kill_at_;
  const Clock* clock_ = nullptr;
  bool killed_ = false;
};

// Reads what has been appended to a file since a given offset (for streaming task logs).
class FileTail {
 public:
  explicit FileTail(std::string path, int64_t offset = 0) : path_(std::move(path)), offset_(offset) {}
  // Up to max_bytes new bytes; empty when nothing is new or the file does not exist yet.
  Result<std::string> ReadNew(size_t max_bytes);
  int64_t offset() const { return offset_; }  // bytes consumed so far

 private:
  std::string path_;
  int64_t offset_;
};

// "0,1,3" from {"0", "1", "3"}; used for CUDA_VISIBLE_DEVICES.
std::string JoinComma(const std::vector<std::string>& items);

}  // namespace harch
