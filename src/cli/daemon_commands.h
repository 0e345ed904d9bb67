// `harch server`, `harch agent` and `harch dev`: the long-running processes.
#pragma once

#include <CLI/CLI.hpp>

namespace harch {

void AddDaemonCommands(CLI::App& app, int* exit_code);

}  // namespace harch
