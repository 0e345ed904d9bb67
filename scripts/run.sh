#!/usr/bin/env bash
# Builds harch (installing dependencies if needed) and runs it. With no arguments it runs the
# main job, `harch dev`: the control plane with the reference fleet, a simulated agent per node,
# the embedded store in .harch/dev and the dashboard on localhost. With arguments it runs
# `harch ARGS...`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target harch
if [ $# -eq 0 ]; then
  set -- dev
fi
exec build/release/harch "$@"
