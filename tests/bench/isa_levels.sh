#!/usr/bin/env bash
# The measurements issue 11 asks for, at each x86-64 level (native, then each
# EFFBENCH_MAX_ISA cap): the quick suite's ran / skipped (with the reasons) /
# failed and its wall time; int8 and bf16 against fp32 for GEMM 1024^3 and
# MobileNet v2 batch 8 with the int8 fidelity; CSR SpMM against dense oneDNN at
# 90 %; then the calibrated peaks over CALIBRATIONS calibrations and their spread.
#   tests/bench/isa_levels.sh [BUILD_DIR] [LEVEL...]     (default: native avx2 sse41)
# Environment: CALIBRATIONS (3), KEEP_DIR (keep the databases there).
set -euo pipefail
build=${1:-build}
shift || true
levels=("$@")
[ ${#levels[@]} -gt 0 ] || levels=(native avx2 sse41)
effbench="$build/harness/cli/effbench"
dir=${KEEP_DIR:-$(mktemp -d)}
mkdir -p "$dir"
[ -n "${KEEP_DIR:-}" ] || trap 'rm -rf "$dir"' EXIT

"$effbench" --version
for level in "${levels[@]}"; do
  db="$dir/$level.db"
  rm -f "$db"
  cap=()
  [ "$level" = native ] || cap=(env "EFFBENCH_MAX_ISA=$level")
  start=$(date +%s)
  rc=0
  "${cap[@]}" "$effbench" run --suite quick --db "$db" >"$dir/$level.out" 2>&1 || rc=$?
  wall=$(( $(date +%s) - start ))
  echo "== $level: quick suite exit $rc in $wall s"
  "$effbench" report --db "$db" --format json | python3 "$(dirname "$0")/isa_levels_summary.py"
done

echo "== calibration: ${CALIBRATIONS:-3} runs of effbench calibrate"
for i in $(seq 1 "${CALIBRATIONS:-3}"); do
  "$effbench" calibrate --db "$dir/calibration.db" --format json >"$dir/calibration.$i.json"
done
python3 - "$dir"/calibration.*.json <<'PY'
import json, statistics, sys
runs = [json.load(open(f)) for f in sys.argv[1:]]
runs = [r.get("calibration", r) for r in runs]
print(f"{len(runs)} calibrations; quality: {', '.join(r.get('quality', '?') for r in runs)}")
for peak in ("fp32_gflops", "bf16_gflops", "int8_gops", "triad_gbps", "llc_triad_gbps"):
    for threads in ("one_thread", "all_threads"):
        v = [r[peak][threads] for r in runs if isinstance(r.get(peak), dict) and r[peak].get(threads)]
        if not v:
            continue
        m = statistics.median(v)
        print(f"  {peak:15s} {threads:11s} median {m:8.1f}  min {min(v):8.1f}  max {max(v):8.1f}"
              f"  spread {100 * (max(v) - min(v)) / m:5.1f} %")
PY
