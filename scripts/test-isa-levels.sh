#!/usr/bin/env bash
# Runs the workload, engine, machine and CLI tests, then the quick suite, under
# each x86-64 level given (default: avx2 sse41), through EFFBENCH_MAX_ISA: what
# an AVX2 machine or a 2010 CPU would see, on whatever machine runs this.
# A skipped variant is fine; a failed test or a failed workload is not.
# The slow CLI tests (whole runs, a training) run at the first level only:
# every level below AVX2 takes the same code paths through them (no VNNI: the
# 7-bit int8 recipe), and CI's time is better spent elsewhere. Calibration
# runs at every level: its kernels differ at each.
#   scripts/test-isa-levels.sh [BUILD_DIR] [LEVEL...]
set -euo pipefail
build=${1:-build}
shift || true
levels=("$@")
[ ${#levels[@]} -gt 0 ] || levels=(avx2 sse41)
if [ "$(uname -m)" != x86_64 ]; then
  echo "test-isa-levels: not an x86-64 machine; nothing to cap"
  exit 0
fi
tags='[calibration],[isa],[cli],[conv],[engine],[gemm],[inventory],[machine],[kd],[nets],[quant],[spmm],[specs],[train],[data]'
# The same tags without the slow tests: "[a]~[slow],[b]~[slow],...".
fast_tags=$(echo "$tags" | sed 's/\]/]~[slow]/g; s/\[calibration\]~\[slow\]/[calibration]/')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
first=1
for level in "${levels[@]}"; do
  echo "== EFFBENCH_MAX_ISA=$level: tests$([ $first = 1 ] || echo ' (without the slow ones)')"
  start=$(date +%s)
  EFFBENCH_MAX_ISA=$level "$build/tests/effbench_tests" "$([ $first = 1 ] && echo "$tags" || echo "$fast_tags")"
  echo "tests under $level: $(( $(date +%s) - start )) s"
  first=0
  echo "== EFFBENCH_MAX_ISA=$level: the quick suite"
  start=$(date +%s)
  EFFBENCH_MAX_ISA=$level "$build/harness/cli/effbench" run --suite quick --db "$tmp/$level.db" \
    --repetitions 3 --min-time 0.05 >"$tmp/$level.out"
  grep -E '^\[[0-9]+\] ' "$tmp/$level.out" || true
  echo "quick suite under $level: exit 0 in $(( $(date +%s) - start )) s"
done
