#!/usr/bin/env bash
# Installs HarchOS's build and test dependencies from Debian 12's packages when any is missing.
# Safe to run again: it does nothing when everything is there.
set -euo pipefail

PACKAGES=(
  cmake ninja-build ccache g++ clang libclang-rt-14-dev  # toolchain, sanitizers, libFuzzer
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev         # specs, JSON, command line
  libgtest-dev libgmock-dev libbenchmark-dev              # tests and benchmarks
  pkg-config libgrpc++-dev libprotobuf-dev                # the API: gRPC and protobuf
  protobuf-compiler protobuf-compiler-grpc                #   and their code generators
  libcpp-httplib-dev libsqlite3-dev                       # HTTP/JSON face, embedded store
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing missing packages: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "error: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
