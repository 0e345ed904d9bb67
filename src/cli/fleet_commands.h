// `harch fleet ...`: summary, query, validate, generate.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace harch {

// Adds the `fleet` noun to `app`. The chosen verb stores its exit code in *exit_code.
void AddFleetCommands(CLI::App& app, int* exit_code);

}  // namespace harch
