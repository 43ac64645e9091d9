#!/usr/bin/env bash
# The long form of the fleet torture test: more coordinator and agent
# SIGKILLs, several seeds. ctest runs the short form (scale 1, one seed).
#   tests/bench/torture.sh [BUILD_DIR] [SCALE] [SEEDS...]
set -euo pipefail
build=${1:-build}
scale=${2:-5}
shift 2 || true
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3)
for seed in "${seeds[@]}"; do
  echo "== torture, seed $seed, scale $scale"
  EFFBENCH_TORTURE_SEED=$seed EFFBENCH_TORTURE_SCALE=$scale \
    "$build/tests/effbench_tests" "torture*" -s 2>&1 | grep -E "torture \(|passed|failed|FAILED" -A3
done
