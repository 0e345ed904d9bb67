#!/usr/bin/env bash
# Builds everything and runs every test (installing dependencies if needed):
#   1. the optimised build (gcc): unit, property, scenario and end-to-end tests;
#   2. the sanitizer build (clang, ASan + UBSan): the same tests plus short libFuzzer runs.
# Tests that need ../shared/data skip with a message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
for preset in release asan; do
  echo "=== $preset ==="
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  ctest --preset "$preset"
done
