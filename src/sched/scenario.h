// Scenario scripts for the scheduler: readable text files (testdata/*.txt) that set up a fleet,
// submit jobs, advance the clock, break hardware and state what must have happened. Used by
// scenario_test.cc; the format is in testdata/README.md.
#pragma once

#include <string>

#include "base/status.h"

namespace harch {

// Runs the script in `text` (named `file` in messages; fleet paths are relative to
// `source_dir`). Returns the first failed expectation or script error as "file:line: ...".
Status RunScenario(const std::string& text, const std::string& file, const std::string& source_dir);

}  // namespace harch
