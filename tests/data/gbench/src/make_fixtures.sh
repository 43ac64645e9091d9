#!/bin/sh
# Rebuilds fixture_bench.cc against the installed libbenchmark and writes the
# JSON fixtures of tests/data/gbench. Run from this folder; the files name the
# library version they came from.
set -eu
version=$(dpkg-query -W -f='${Version}' libbenchmark-dev | cut -d- -f1)
g++ -O2 -std=c++20 fixture_bench.cc -o /tmp/fixture_bench -lbenchmark -lpthread
common="--benchmark_min_time=0.05 --benchmark_repetitions=5 --benchmark_out_format=json"
/tmp/fixture_bench $common --benchmark_out="../v${version}_baseline.json" >/dev/null
FIXTURE_SLOWER=1 /tmp/fixture_bench $common --benchmark_out="../v${version}_candidate.json" >/dev/null
echo "wrote ../v${version}_baseline.json ../v${version}_candidate.json"
