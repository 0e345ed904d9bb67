// `harch sim` (run a simulation) and `harch sim compare DIR...`.
#pragma once

#include <CLI/CLI.hpp>

namespace harch {

void AddSimCommands(CLI::App& app, int* exit_code);

}  // namespace harch
