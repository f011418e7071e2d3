#!/usr/bin/env bash
# Installs the Debian packages auditlog needs to build, test and benchmark, if missing.
# Run as root on Debian 12. Prints nothing when everything is already there.
set -euo pipefail
packages=(
  g++ cmake ninja-build make pkg-config
  libssl-dev            # SHA-256 (libcrypto)
  libsimdjson-dev       # fast JSON parsing of records (verify, query)
  nlohmann-json3-dev    # JSON documents in the tools (manifest, reports)
  libcli11-dev          # command-line parsing
  libzstd-dev           # archived segments
  libgtest-dev libgmock-dev
  libbenchmark-dev
  libspdlog-dev         # the benchmark's comparison baseline
  gnuplot-nox           # the benchmark plot
  clang-14 libfuzzer-14-dev libclang-rt-14-dev  # fuzz targets (libFuzzer, ASan, UBSan)
  lld-14 lld            # the linker of the test programs (3x faster than GNU ld)
  python3               # the Python client's tests
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: missing packages and not root; run: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
