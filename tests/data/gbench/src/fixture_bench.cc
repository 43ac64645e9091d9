// The Google Benchmark program whose JSON output the import and compare
// tests read (tests/data/gbench/*.json): every feature the JSON reporter
// writes. Built against Debian's libbenchmark by make_fixtures.sh.
// FIXTURE_SLOWER=1 makes the "candidate" build: BM_Sort 50 % slower,
// BM_Vanishes absent and BM_Flaky failing.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

namespace {

bool Slower() { return std::getenv("FIXTURE_SLOWER") != nullptr; }

void BM_Sort(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  std::vector<int> data(n);
  std::mt19937 rng(1);
  int64_t comparisons = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (auto& x : data) x = static_cast<int>(rng());
    state.ResumeTiming();
    std::sort(data.begin(), data.end(), [&](int a, int b) {
      ++comparisons;
      return a < b;
    });
    if (Slower()) std::sort(data.begin(), data.begin() + static_cast<long>(n / 2));
    benchmark::DoNotOptimize(data.data());
  }
  state.SetComplexityN(state.range(0));
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * state.range(0) * static_cast<int64_t>(sizeof(int)));
  state.counters["comparisons"] =
      benchmark::Counter(static_cast<double>(comparisons), benchmark::Counter::kAvgIterations);
  state.counters["compares_rate"] =
      benchmark::Counter(static_cast<double>(comparisons), benchmark::Counter::kIsRate);
  state.SetLabel("std::sort");
}
BENCHMARK(BM_Sort)->RangeMultiplier(4)->Range(256, 16384)->Complexity(benchmark::oNLogN);

// A template name with ':' and ',' of its own, and real time.
template <typename T, int kScale>
void BM_Accumulate(benchmark::State& state) {
  std::vector<T> v(static_cast<size_t>(state.range(0)) * kScale, T{1});
  for (auto _ : state) benchmark::DoNotOptimize(std::accumulate(v.begin(), v.end(), T{}));
}
BENCHMARK_TEMPLATE(BM_Accumulate, std::int64_t, 2)->Arg(1024)->UseRealTime();

// Manual time, in microseconds.
void BM_Sleep(benchmark::State& state) {
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::microseconds(Slower() ? 150 : 100));
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
}
BENCHMARK(BM_Sleep)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(200);

// Two threads.
void BM_Atomic(benchmark::State& state) {
  static std::atomic<int64_t> counter{0};
  for (auto _ : state) counter.fetch_add(1, std::memory_order_relaxed);
}
BENCHMARK(BM_Atomic)->Threads(2);

void BM_Flaky(benchmark::State& state) {
  if (Slower()) {
    state.SkipWithError("device lost");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(state.iterations());
}
BENCHMARK(BM_Flaky);

#ifdef FIXTURE_HAS_SKIP_MESSAGE  // 1.8 and later
void BM_NeedsSve(benchmark::State& state) {
  state.SkipWithMessage("needs SVE");
  for (auto _ : state) benchmark::DoNotOptimize(state.iterations());
}
BENCHMARK(BM_NeedsSve);
#endif

void BM_Vanishes(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(state.iterations());
}
void RegisterVanishes() {
  if (!Slower()) benchmark::RegisterBenchmark("BM_Vanishes", BM_Vanishes);
}

}  // namespace

int main(int argc, char** argv) {
  RegisterVanishes();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
