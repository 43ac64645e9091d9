#!/usr/bin/env bash
# The aarch64 agent is small enough for an edge board: stripped, with the
# shared libraries it needs beyond libc, libstdc++ and oneDNN (and their own
# needs, found recursively in the sysroot), it fits in LIMIT_MB.
#   agent_size.sh AGENT SYSROOT STRIP LIMIT_MB
set -euo pipefail
agent=$1 sysroot=$2 strip=$3 limit_mb=$4
libdir="$sysroot/usr/lib/aarch64-linux-gnu"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$strip" -o "$tmp/effbench-agent" "$agent"
total=$(stat -c %s "$tmp/effbench-agent")
printf '%10d  effbench-agent (stripped)\n' "$total"

# What the platform gives: the C and C++ runtimes, and oneDNN with its OpenMP.
base='^(libc|libm|libstdc\+\+|libgcc_s|ld-linux-aarch64|libdnnl|libgomp)\.so'
declare -A seen=()
queue=("$tmp/effbench-agent")
while [ ${#queue[@]} -gt 0 ]; do
  file=${queue[0]}
  queue=("${queue[@]:1}")
  for lib in $(readelf -d "$file" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p'); do
    if [[ $lib =~ $base ]] || [ -n "${seen[$lib]:-}" ]; then continue; fi
    seen[$lib]=1
    path=$(realpath "$libdir/$lib" 2>/dev/null || true)
    if [ ! -f "$path" ]; then
      echo "agent_size: $lib (needed by $(basename "$file")) is not in the sysroot" >&2
      exit 1
    fi
    size=$(stat -c %s "$path")
    total=$((total + size))
    printf '%10d  %s\n' "$size" "$lib"
    queue+=("$path")
  done
done
printf '%10d  in all (limit %d MB)\n' "$total" "$limit_mb"
[ "$total" -le $((limit_mb * 1000 * 1000)) ]
