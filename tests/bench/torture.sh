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
# Each seed's whole output goes to a log file; the terminal gets the test's
# own summary line ("torture (seed N): ...": what was killed, stored, lost,
# doubled), Catch's verdict and, on failure, where the log is. (A grep for
# "failed" printed every serve line ending in "0 failed": 147,931 lines.)
logs=$(mktemp -d "${TMPDIR:-/tmp}/effbench-torture-XXXXXX")
status=0
for seed in "${seeds[@]}"; do
  echo "== torture, seed $seed, scale $scale"
  log="$logs/seed-$seed.log"
  if EFFBENCH_TORTURE_SEED=$seed EFFBENCH_TORTURE_SCALE=$scale \
      "$build/tests/effbench_tests" "torture*" -s >"$log" 2>&1; then
    # Catch wraps the summary at 80 columns: print it to its blank line.
    awk '/torture \(seed/ {on = 1} on && /^$/ {exit} on {sub(/^ +/, ""); print}' "$log"
    grep -E "^(All tests passed|test cases:)" "$log" | tail -1
  else
    status=1
    grep -E "torture \(seed|FAILED" -A3 "$log" | head -40 || true
    grep -E "^test cases:" "$log" | tail -1 || true
    echo "seed $seed failed: the whole output is in $log"
  fi
done
[ $status -ne 0 ] || rm -rf "$logs"
exit $status
