// Golden files for scenario transcripts, and the sched_scenario runner (see scenario.h and
// testdata/README.md).
#include <algorithm>
#include <filesystem>
#include <ostream>

#include "base/files.h"
#include "sched/scenario.h"

namespace harch {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(std::move(line));
    start = end + 1;
  }
  return out;
}

// `path` relative to `source_dir` when it lies inside it, for messages and headers that do not
// depend on where the tree is checked out.
std::string Display(const std::string& path, const std::string& source_dir) {
  std::error_code ec;
  const fs::path abs = fs::absolute(path, ec).lexically_normal();
  const fs::path root = fs::absolute(source_dir, ec).lexically_normal();
  if (ec) return path;
  const fs::path rel = abs.lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..") return path;
  return rel.generic_string();
}

std::string RewriteHint(const std::string& name) {
  return "HARCH_REWRITE_GOLDEN=1 ctest -R sched_scenario." + name +
         " (or sched_scenario --rewrite SCRIPT), then review it with git diff";
}

}  // namespace

Status CompareTranscript(const std::string& golden, const std::string& actual,
                         const std::string& golden_file) {
  const std::vector<std::string> want = Lines(golden), got = Lines(actual);
  for (size_t i = 0; i < std::max(want.size(), got.size()); ++i) {
    const bool have_want = i < want.size(), have_got = i < got.size();
    if (have_want && have_got && want[i] == got[i]) continue;
    return FailedPrecondition(golden_file + ":" + std::to_string(i + 1) +
                              ": the transcript differs from the golden file" +
                              "\n  expected: " + (have_want ? want[i] : "<end of file>") +
                              "\n  actual:   " + (have_got ? got[i] : "<end of transcript>"));
  }
  return Status::Ok();
}

ScenarioRun RunScenarioFile(const std::string& script_path, const std::string& source_dir,
                            bool rewrite) {
  ScenarioRun run;
  auto text = ReadFile(script_path);
  if (!text.ok()) {
    run.status = text.status();
    return run;
  }
  const std::string name = fs::path(script_path).stem().string();
  const std::string golden_path = fs::path(script_path).replace_extension(".golden").string();
  const std::string golden_name = Display(golden_path, source_dir);
  std::string body;
  run.status = RunScenario(*text, Display(script_path, source_dir), source_dir, &body);
  run.transcript = "# sched_scenario." + name + ": the transcript of " + name +
                   ".txt (see README.md). Do not edit by hand:\n# rewrite with " +
                   "HARCH_REWRITE_GOLDEN=1 ctest -R sched_scenario." + name +
                   ", then review with git diff.\n\n" + body;
  if (!run.status.ok()) return run;  // a failing script is never recorded
  if (rewrite) {
    auto old = ReadFile(golden_path);
    if (old.ok() && *old == run.transcript) return run;
    run.status = WriteFileAtomic(golden_path, run.transcript);
    run.wrote_golden = run.status.ok();
    return run;
  }
  if (!fs::exists(golden_path)) {
    run.status = NotFound(golden_name + " does not exist; create it with " + RewriteHint(name));
    return run;
  }
  auto golden = ReadFile(golden_path);
  if (!golden.ok()) {
    run.status = golden.status();
    return run;
  }
  run.status = CompareTranscript(*golden, run.transcript, golden_name);
  if (!run.status.ok()) {
    run.status = FailedPrecondition(run.status.message() +
                                    "\nIf the change is intended, rewrite the golden file with " +
                                    RewriteHint(name) + ".");
  }
  return run;
}

int ScenarioMain(const std::vector<std::string>& args, const char* source_dir,
                 const char* rewrite_env, std::ostream& out, std::ostream& err) {
  const std::string env = rewrite_env ? rewrite_env : "";
  bool rewrite = !env.empty() && env != "0";
  std::vector<std::string> scripts;
  for (const std::string& arg : args) {
    if (arg == "--rewrite") {
      rewrite = true;
    } else if (!arg.empty() && arg[0] == '-') {
      scripts.clear();
      break;
    } else {
      scripts.push_back(arg);
    }
  }
  if (scripts.empty()) {
    err << "usage: sched_scenario [--rewrite] SCRIPT.txt...\n"
        << "Runs scheduler scenario scripts and compares each transcript with SCRIPT.golden;\n"
        << "--rewrite (or HARCH_REWRITE_GOLDEN=1) writes the golden files instead.\n"
        << "Fleet paths are relative to HARCH_SOURCE_DIR (default: the current directory).\n";
    return 2;
  }
  const std::string dir = source_dir && *source_dir ? source_dir : ".";
  int failed = 0;
  for (const std::string& script : scripts) {
    const ScenarioRun run = RunScenarioFile(script, dir, rewrite);
    if (!run.status.ok()) {
      ++failed;
      err << "FAIL " << script << "\n" << run.status.message() << "\n";
      if (rewrite) err << "(the golden file was not rewritten: the script itself fails)\n";
      out << "--- actual transcript of " << script << " ---\n" << run.transcript << "--- end ---\n";
    } else if (run.wrote_golden) {
      out << "wrote " << fs::path(script).replace_extension(".golden").string() << "\n";
    } else {
      out << "ok " << script << (rewrite ? " (golden file unchanged)" : "") << "\n";
    }
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace harch
