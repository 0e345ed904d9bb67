#!/usr/bin/env bash
# End-to-end check of measured GPU energy on a machine with an NVIDIA GPU and driver: a real
# `harch server` and `harch agent` (which reads NVML), one job that loads GPU 0 for 20 s
# (bench/gpu_burn.cu), then the job's footprint and GET /v1/footprint, which should say
# "measured".
#
#   bench/gpu_energy_check.sh bundle DIR   # here: harch (stripped), its libraries, the load
#   DIR/gpu_energy_check.sh run            # there: needs only an NVIDIA driver; OUT= for results
#
# The bundle carries every library harch links but the C library, so it runs where the Debian
# packages are not installed. The fleet declares the GPU as an H100-SXM (the catalog's model);
# the energy is what the real GPU reports.
set -u
if [ "${1:-}" = bundle ]; then
  DIR=${2:?usage: $0 bundle DIR}
  ROOT=$(cd "$(dirname "$0")/.." && pwd)
  mkdir -p "$DIR/lib"
  strip -o "$DIR/harch" "$ROOT/build/release/harch"
  for l in $(ldd "$DIR/harch" | awk '{print $3}' | grep -v '^$'); do
    case $(basename "$l") in libc.so*|libm.so*|libpthread*|libdl*|librt*|ld-linux*) ;; *) cp -L "$l" "$DIR/lib/" ;; esac
  done
  NVCC=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
  if [ -x "$NVCC" ]; then
    "$NVCC" -O2 -cudart static -gencode 'arch=compute_90,code=[sm_90,compute_90]' -o "$DIR/burn" "$ROOT/bench/gpu_burn.cu"
  else
    echo "no nvcc: the job will only sleep (idle power)" >&2
  fi
  cp "$0" "$DIR/gpu_energy_check.sh"
  exit 0
fi
[ "${1:-}" = run ] || { echo "usage: $0 bundle DIR | run" >&2; exit 2; }
cd "$(dirname "$0")"
HERE=$PWD
OUT=${OUT:-$HERE/out}; mkdir -p "$OUT"
export LD_LIBRARY_PATH=$HERE/lib
D=$(mktemp -d)
nvidia-smi --query-gpu=name,driver_version,power.draw,power.limit --format=csv 2>&1 | tee "$OUT/nvidia-smi.txt"
cat > "$D/fleet.yaml" <<YAML
apiVersion: harchos.io/v1alpha1
kind: Fleet
metadata: {name: device}
spec:
  hubs:
    - id: lab
      country: MA
      carbonZone: Z
      pue: 1.2
      racks:
        - id: r
          nodes:
            - {name: "0", cpu: 16, memory: 64GiB, gpus: {model: H100-SXM, count: 1, nvlink: none}}
YAML
now=$(date -u +%s); start=$(( now / 3600 * 3600 - 3600 ))
{ echo "Time,Carbon Intensity"; for i in $(seq 0 6); do echo "$(date -u -d @$(( start + i * 3600 )) '+%Y-%m-%d %H:%M:%S'),300"; done; } > "$D/z.csv"
cat > "$D/carbon.yaml" <<YAML
apiVersion: harchos.io/v1alpha1
kind: Carbon
metadata: {name: device}
spec:
  embodied: {kgPerGpu: 350, lifetime: 1460d}
  zones:
    - {zone: Z, format: time-series-csv, files: [z.csv]}
YAML
cat > "$D/job.yaml" <<YAML
apiVersion: harchos.io/v1alpha1
kind: Job
metadata: {name: burn}
spec:
  tenant: lab
  kind: training
  taskGroups:
    - name: main
      replicas: 1
      gpusPerReplica: 1
      cpuPerReplica: 1
      memoryPerReplica: 1GiB
      command: [sh, -c, 'echo CUDA_VISIBLE_DEVICES=\$CUDA_VISIBLE_DEVICES; $HERE/burn 20 || sleep 20']
YAML
./harch server --fleet "$D/fleet.yaml" --data-dir "$D/data" --carbon "$D/carbon.yaml" > "$OUT/server.log" 2>&1 &
SERVER=$!
sleep 1
./harch agent --node r-0 --fleet "$D/fleet.yaml" --work-dir "$D/agent" > "$OUT/agent.log" 2>&1 &
AGENT=$!
sleep 2
timeout 120 ./harch job run "$D/job.yaml" --wait 2>&1 | tee "$OUT/run.txt"
sleep 2
./harch job status 1 2>&1 | tee "$OUT/status.txt"
./harch job status 1 -o json > "$OUT/status.json" 2>&1
./harch job logs 1 > "$OUT/logs.txt" 2>&1
exec 3<>/dev/tcp/127.0.0.1/7080 && printf 'GET /v1/footprint HTTP/1.0\r\nHost: x\r\n\r\n' >&3 && cat <&3 > "$OUT/footprint.http"
kill $AGENT $SERVER; wait
cat "$OUT/logs.txt"; tail -5 "$OUT/agent.log"
