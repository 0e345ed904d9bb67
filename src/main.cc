// harch: one binary, several roles. Everything happens in the cli library.
#include "cli/cli.h"

int main(int argc, char** argv) { return harch::RunCli(argc, argv); }
