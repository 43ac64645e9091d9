#!/usr/bin/env bash
# Runs the workload, engine, machine and CLI tests, then the quick suite, under
# each x86-64 level given (default: avx2 sse41), through EFFBENCH_MAX_ISA: what
# an AVX2 machine or a 2010 CPU would see, on whatever machine runs this.
# A skipped variant is fine; a failed test or a failed workload is not.
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
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for level in "${levels[@]}"; do
  echo "== EFFBENCH_MAX_ISA=$level: tests"
  EFFBENCH_MAX_ISA=$level "$build/tests/effbench_tests" "$tags"
  echo "== EFFBENCH_MAX_ISA=$level: the quick suite"
  start=$(date +%s)
  EFFBENCH_MAX_ISA=$level "$build/harness/cli/effbench" run --suite quick --db "$tmp/$level.db" \
    --repetitions 3 --min-time 0.05 >"$tmp/$level.out"
  grep -E '^\[[0-9]+\] ' "$tmp/$level.out" || true
  echo "quick suite under $level: exit 0 in $(( $(date +%s) - start )) s"
done
