// `harch job ...`. Today: validate (offline). The verbs that talk to a server come with it.
#pragma once

#include <CLI/CLI.hpp>

namespace harch {

// Adds the `job` noun to `app`. The chosen verb stores its exit code in *exit_code.
void AddJobCommands(CLI::App& app, int* exit_code);

}  // namespace harch
