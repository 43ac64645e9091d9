#!/usr/bin/env bash
# Installs everything effbench needs to build and test, from Debian packages.
# Idempotent: packages already installed are skipped, and apt is not touched at
# all when nothing is missing. Run as root (or with sudo available).
#   --aarch64  instead: the cross compiler and qemu-user of make agent-aarch64
#              (the arm64 libraries go into a sysroot, never onto this machine:
#              scripts/make-aarch64-sysroot.sh)
set -euo pipefail

if [ "${1:-}" = "--aarch64" ]; then
  packages=(g++-aarch64-linux-gnu qemu-user binutils-aarch64-linux-gnu)
else
  packages=(
    cmake make g++ pkg-config ccache
    libbenchmark-dev
    libsqlite3-dev libsqlitecpp-dev
    libboost1.81-dev libboost-url1.81-dev libcli11-dev
    libvalijson-dev                                 # tests/bench: our schema validator against it
    nlohmann-json3-dev libsimdjson-dev
    catch2
    libdnnl-dev ocl-icd-opencl-dev opencl-c-headers  # dnnl-config.cmake asks for OpenCL
    libssl-dev openssl                              # TLS; openssl makes test certificates
    libpq-dev postgresql-15 postgresql-common       # the PostgreSQL store; pg_virtualenv for its tests
    clang libclang-rt-14-dev                        # make fuzz: libFuzzer
    python3 chromium fonts-dejavu-core              # the HTML report's test in a real browser
    zlib1g-dev dataset-fashion-mnist                # the accuracy suite: IDX files (gzip), real images
  )
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
