#!/usr/bin/env bash
# Replays a workload under every policy and prints the comparison table, with the wall time and
# simulated events per second of each run (from summary.json's "timing").
#
#   bench/sim_policies.sh FLEET KIND:PATH OUTDIR [extra harch sim flags...]
#
# Examples (the shared trace is read in place, never copied):
#   bench/sim_policies.sh examples/fleets/reference.yaml \
#       alibaba-v2023:../shared/data/traces/alibaba-gpu-v2023/openb_pod_list_default.csv \
#       /tmp/sim-alibaba --arrival-scale 40
#   bench/sim_policies.sh examples/fleets/reference.yaml \
#       synthetic:examples/workloads/synthetic-gangs.yaml /tmp/sim-gangs
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 3 ] || { sed -n '2,12p' "$0"; exit 2; }
fleet=$1 workload=$2 out=$3
shift 3
harch=build/release/harch
[ -x "$harch" ] || { echo "build first: scripts/run.sh fleet summary --fleet $fleet" >&2; exit 1; }
dirs=()
for policy in fifo backfill binpack fair harch; do
  "$harch" sim --fleet "$fleet" --workload "$workload" --policy "$policy" --out "$out/$policy" "$@" >/dev/null
  dirs+=("$out/$policy")
  python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["timing"]; print("%-9s %7.1f s wall, %9.0f events/s" % (sys.argv[2], t["wall_seconds"], t["events_per_second"]))' \
    "$out/$policy/summary.json" "$policy" 2>/dev/null || true
done
"$harch" sim compare "${dirs[@]}" --html "$out/compare.html"
