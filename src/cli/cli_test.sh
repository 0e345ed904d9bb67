#!/usr/bin/env bash
# End-to-end checks of `harch fleet ...` as a user runs it. CTest passes HARCH (the binary) and
# SRC (the source tree). Prints "N passed, N failed" and exits non-zero on any failure.
set -u
: "${HARCH:?}" "${SRC:?}"
REF="$SRC/examples/fleets/reference.yaml"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0

# check NAME EXPECTED_EXIT PATTERN -- COMMAND...: runs COMMAND, checks its exit code and that its
# output (stdout + stderr) matches the extended regex PATTERN.
check() {
  local name=$1 want=$2 pattern=$3
  shift 4
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" -eq "$want" ] && grep -Eq -- "$pattern" <<<"$out"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $name (exit $rc, wanted $want; pattern '$pattern')"
    echo "$out" | head -20 | sed 's/^/    /'
  fi
}

check "summary table totals" 0 'TOTAL +304 +1,798' -- "$HARCH" fleet summary --fleet "$REF"
check "summary names stand-ins" 0 'stand-in' -- "$HARCH" fleet summary --fleet "$REF"
check "summary json total" 0 '^  "gpus": 1798,' -- "$HARCH" fleet summary --fleet "$REF" -o json
check "summary json hub" 0 '"country": "SN"' -- "$HARCH" fleet summary --fleet "$REF" -o json
check "query 8 in one domain in MA" 0 'span NV, 1 NVLink domain' -- \
  "$HARCH" fleet query --fleet "$REF" --gpus 8 --min-memory 40GiB --jurisdiction MA --same-nvlink-domain
check "query json fields" 0 '"nvlink_domain": "dakhla-h100-01-n01/nvl"' -- \
  "$HARCH" fleet query --fleet "$REF" --gpus 8 --model H100 --same-nvlink-domain -o json
check "query json memory" 0 '"memory_bytes": 85899345920' -- \
  "$HARCH" fleet query --fleet "$REF" --gpus 1 --model H100-SXM -o json
check "query 64 lands in the NVL72" 0 'dakhla-nvl72/nvl' -- \
  "$HARCH" fleet query --fleet "$REF" --gpus 64 --same-nvlink-domain
check "query SN stays in Dakar" 0 'dakar' -- "$HARCH" fleet query --fleet "$REF" --gpus 2 --jurisdiction SN
check "query MIG" 0 'MIG 3g.40gb' -- "$HARCH" fleet query --fleet "$REF" --gpus 2 --mig 3g.40gb
check "no fit: domain too small" 3 'no fit \(nvlink\).*has 72 GPUs.*can never fit' -- \
  "$HARCH" fleet query --fleet "$REF" --gpus 80 --same-nvlink-domain
check "no fit: jurisdiction" 3 'no fit \(jurisdiction\)' -- \
  "$HARCH" fleet query --fleet "$REF" --gpus 1 --jurisdiction FR
check "no fit json" 3 '"permanent": true' -- \
  "$HARCH" fleet query --fleet "$REF" --gpus 1 --jurisdiction FR -o json
check "bad request: model" 1 "unknown GPU model 'B300'" -- \
  "$HARCH" fleet query --fleet "$REF" --gpus 1 --model B300
check "bad request: memory" 1 '--min-memory: invalid quantity' -- \
  "$HARCH" fleet query --fleet "$REF" --gpus 1 --min-memory lots
check "usage error" 2 'gpus' -- "$HARCH" fleet query --fleet "$REF"
check "validate ok" 0 'valid: 3 hubs, 304 nodes, 1,798 GPUs' -- "$HARCH" fleet validate "$REF"

cat >"$TMP/bad.yaml" <<'YAML'
apiVersion: harchos.io/v1alpha1
kind: Fleet
metadata: {name: bad}
spec:
  hubs:
    - id: x
      country: MA
      racks:
        - id: r
          nodes:
            - {name: n, cpu: 8, memory: 64GiB, gpus: {model: H100-SXM, count: 8, nvlnk: nvswitch}}
YAML
check "invalid spec names line:col and path" 1 \
  "bad.yaml:11:.*spec.hubs\[0\].racks\[0\].nodes\[0\].gpus.nvlnk: unknown field 'nvlnk' \(did you mean 'nvlink'\?\)" -- \
  "$HARCH" fleet validate "$TMP/bad.yaml"

check "generate" 0 'wrote' -- "$HARCH" fleet generate --gpus 100000 --hubs 4 --out "$TMP/big.yaml"
check "generated fleet validates" 0 'valid: 4 hubs, .* 100,000 GPUs' -- "$HARCH" fleet validate "$TMP/big.yaml"
check "help" 0 'summary' -- "$HARCH" fleet --help

# harch job validate
check "job validate" 0 'valid: job llama-pretrain' -- "$HARCH" job validate "$SRC/examples/jobs/training-gang.yaml"
check "job validate on a fleet" 0 'workers -> 32 x H100-SXM in dakhla' -- \
  "$HARCH" job validate "$SRC/examples/jobs/training-gang.yaml" --fleet "$REF"
cat >"$TMP/job.yaml" <<'YAML'
apiVersion: harchos.io/v1alpha1
kind: Job
metadata: {name: too-big}
spec:
  tenant: research
  kind: training
  taskGroups:
    - name: w
      replicas: 20
      gpusPerReplica: 4
      cpuPerReplica: 8
      memoryPerReplica: 64GiB
      gpu: {nvlink: required}
  data:
    - {name: d, jurisdiction: [MA]}
YAML
check "job that can never fit" 3 'can never fit.*largest NVLink domain.*has 18 replicas of 4 GPUs; 20 requested' -- \
  "$HARCH" job validate "$TMP/job.yaml" --fleet "$REF"
sed 's/replicas: 20/replicas: zero/' "$TMP/job.yaml" >"$TMP/bad-job.yaml"
check "invalid job names line:col and path" 1 'bad-job.yaml:9:17: spec.taskGroups\[0\].replicas: expected an integer' -- \
  "$HARCH" job validate "$TMP/bad-job.yaml"
check "job validate json" 3 '"fits": false' -- "$HARCH" job validate "$TMP/job.yaml" --fleet "$REF" -o json

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
