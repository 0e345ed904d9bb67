#!/usr/bin/env bash
# Builds harch (installing dependencies if needed) and runs it. With no arguments it runs the
# main job: a summary of the reference fleet. With arguments it runs `harch ARGS...`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target harch
if [ $# -eq 0 ]; then
  set -- fleet summary --fleet examples/fleets/reference.yaml
fi
exec build/release/harch "$@"
