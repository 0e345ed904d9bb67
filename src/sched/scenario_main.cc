// sched_scenario: runs scheduler scenario scripts and checks their golden transcripts (see
// scenario.h and testdata/README.md). CTest runs it once per script.
#include <cstdlib>
#include <iostream>

#include "sched/scenario.h"

int main(int argc, char** argv) {
  return harch::ScenarioMain(std::vector<std::string>(argv + 1, argv + argc),
                             std::getenv("HARCH_SOURCE_DIR"), std::getenv("HARCH_REWRITE_GOLDEN"),
                             std::cout, std::cerr);
}
