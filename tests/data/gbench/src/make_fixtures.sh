#!/bin/sh
# Rebuilds fixture_bench.cc against a Google Benchmark and writes the JSON
# fixtures of tests/data/gbench, named by the library version they came from.
#   ./make_fixtures.sh                     the installed libbenchmark-dev
#   ./make_fixtures.sh PREFIX VERSION      an install of another version, e.g.
#       the Debian source tarball built by hand:
#       curl -O http://deb.debian.org/debian/pool/main/b/benchmark/benchmark_1.9.1.orig.tar.gz
#       cmake -S benchmark-1.9.1 -B b -DBENCHMARK_ENABLE_TESTING=OFF \
#             -DCMAKE_INSTALL_PREFIX=/tmp/gb191 && cmake --build b && cmake --install b
#       ./make_fixtures.sh /tmp/gb191 1.9.1
set -eu
if [ $# -ge 2 ]; then
  prefix=$1 version=$2
  flags="-I$prefix/include -L$prefix/lib -DFIXTURE_HAS_SKIP_MESSAGE"
  min_time=0.05s  # 1.8 and later take a unit
else
  version=$(dpkg-query -W -f='${Version}' libbenchmark-dev | cut -d- -f1)
  flags=""
  min_time=0.05
fi
g++ -O2 -std=c++20 fixture_bench.cc -o /tmp/fixture_bench $flags -lbenchmark -lpthread
common="--benchmark_min_time=$min_time --benchmark_repetitions=5 --benchmark_out_format=json"
/tmp/fixture_bench $common --benchmark_out="../v${version}_baseline.json" >/dev/null
FIXTURE_SLOWER=1 /tmp/fixture_bench $common --benchmark_out="../v${version}_candidate.json" >/dev/null
echo "wrote ../v${version}_baseline.json ../v${version}_candidate.json"
