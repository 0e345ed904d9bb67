// Scenario scripts for the scheduler: readable text files (testdata/*.txt) that set up a fleet,
// submit jobs, advance the clock, break hardware and state what must have happened. Each run
// also writes a transcript of everything the scheduler did, compared with a golden file
// (testdata/*.golden) in the manner of etcd/raft's datadriven tests. The sched_scenario runner
// (scenario_main.cc) runs one CTest case per script; the format is in testdata/README.md.
#pragma once

#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "sched/job.h"

namespace harch {

// Runs the script in `text` (named `file` in messages; fleet paths are relative to
// `source_dir`). Returns the first failed expectation or script error as "file:line: ...".
// When `transcript` is set it receives what every command did, up to the end or the failure.
Status RunScenario(const std::string& text, const std::string& file, const std::string& source_dir,
                   std::string* transcript = nullptr);

// Compares a transcript with the content of its golden file (named `golden_file` in the
// message). On a difference, fails with "golden_file:N: ..." for the first line N that differs,
// and the expected and actual lines.
Status CompareTranscript(const std::string& golden, const std::string& actual,
                         const std::string& golden_file);

struct ScenarioRun {
  Status status;
  std::string transcript;  // the actual transcript, also when the run failed
  bool wrote_golden = false;
};

// Runs the script at `script_path` and compares its transcript with NAME.golden next to it. A
// missing golden file fails and says how to create it. With `rewrite`, writes the golden file
// instead, but only when the script itself passes: a failed expectation is never recorded.
ScenarioRun RunScenarioFile(const std::string& script_path, const std::string& source_dir,
                            bool rewrite);

// The sched_scenario runner: `sched_scenario [--rewrite] SCRIPT.txt...`. `source_dir` and
// `rewrite_env` are the values of HARCH_SOURCE_DIR and HARCH_REWRITE_GOLDEN (null when unset);
// HARCH_REWRITE_GOLDEN=1 does what --rewrite does. Returns the exit status.
int ScenarioMain(const std::vector<std::string>& args, const char* source_dir,
                 const char* rewrite_env, std::ostream& out, std::ostream& err);

class Topology;
class Scheduler;
struct QueueConfig;
struct SchedEvent;

// Transcript lines, for scenario.cc (implemented in scenario_print.cc).
namespace scenario_print {

std::string Join(const std::vector<std::string>& words, const std::string& sep);
// "<inline, N nodes, M GPUs>": a heredoc fleet in the echo of its command.
std::string FleetSummary(const Topology& topo);
// One line per hub: its country, nodes and GPUs by model.
std::vector<std::string> FleetLines(const Topology& topo);
// One line per tenant: weight and quota.
std::vector<std::string> QueueLines(const QueueConfig& queues);
// "event NAME TYPE: message".
std::string EventLine(const SchedEvent& event, const std::string& job_name);
// "T+HH:MM:SS": the scenario clock, as time since it began.
std::string ClockText(Duration since_start);
// Every job in `jobs` (name, id; in submission order): its state, where it runs or why it
// waits, and how often it was preempted or lost. `origin` is the time the scenario began.
std::vector<std::string> JobTable(const Scheduler& sched, const Topology& topo,
                                  const std::vector<std::pair<std::string, JobId>>& jobs,
                                  Time origin);

}  // namespace scenario_print
}  // namespace harch
