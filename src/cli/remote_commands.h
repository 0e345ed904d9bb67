// The CLI's commands against a running server: `harch job run|status|list|logs|cancel|events`,
// `harch node list|status|drain|cordon` and `harch queue list`.
#pragma once

#include <CLI/CLI.hpp>

namespace harch {

// `job` is the existing `harch job` command (its offline `validate` stays).
void AddRemoteCommands(CLI::App& app, CLI::App* job, int* exit_code);

}  // namespace harch
