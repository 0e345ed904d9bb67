// The `harch` command line: noun-verb subcommands on one binary. main() only calls RunCli.
// Exit codes: 0 success, 1 invalid input or failed operation, 2 usage error, 3 "does not fit".
#pragma once

namespace harch {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNoFit = 3;

int RunCli(int argc, char** argv);

}  // namespace harch
