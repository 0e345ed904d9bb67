// A task's OS process, for harch agent: started in its own process group with its environment,
// its output appended to a log file, stopped with SIGTERM and, after a grace period, SIGKILL to
// the whole group. A task dies with the agent thread that started it (PR_SET_PDEATHSIG), as it
// would with a node.
// Thread-safety: a Process and a FileTail are used by one thread.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace harch {

struct ProcessSpec {
  std::vector<std::string> argv;           // argv[0] is looked up in PATH
  std::map<std::string, std::string> env;  // on top of the agent's environment
  std::string log_path;                    // stdout and stderr are appended here
  std::string work_dir;                    // empty: the agent's
};

class Process {
 public:
  // An exec failure (no such program) is Start's error, naming the program.
  static Result<std::unique_ptr<Process>> Start(const ProcessSpec& spec);
  ~Process();  // kills and reaps the group if it still runs
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  // nullopt while it runs; then its exit status, or 128 + the signal that ended it. Sends the
  // SIGKILL of Terminate() once the grace period has passed.
  std::optional<int> Poll();
  // SIGTERM to the group now, SIGKILL from Poll() after `grace`. Calling again changes nothing.
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

// Reads what has been appended to a file since a given offset.
class FileTail {
 public:
  explicit FileTail(std::string path, int64_t offset = 0) : path_(std::move(path)), offset_(offset) {}
  // Up to max_bytes new bytes; empty when nothing is new or the file does not exist yet.
  Result<std::string> ReadNew(size_t max_bytes);
  int64_t offset() const { return offset_; }

 private:
  std::string path_;
  int64_t offset_;
};

}  // namespace harch
