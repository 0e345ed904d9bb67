#include "cli/cli.h"

#include <CLI/CLI.hpp>

#include "cli/daemon_commands.h"
#include "cli/fleet_commands.h"
#include "cli/job_commands.h"
#include "cli/remote_commands.h"
#include "cli/sim_commands.h"

namespace harch {

int RunCli(int argc, char** argv) {
  CLI::App app{"harch: the HarchOS command line (fleet, scheduler and control plane)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "harch 0.1.0");
  int exit_code = kExitOk;
  AddFleetCommands(app, &exit_code);
  AddJobCommands(app, &exit_code);
  AddRemoteCommands(app, app.get_subcommand("job"), &exit_code);
  AddSimCommands(app, &exit_code);
  AddDaemonCommands(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  return exit_code;
}

}  // namespace harch
