#include "harness/machine/calibration.h"

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "core/cpu_features.h"

namespace effbench::machine {
namespace {

using Clock = std::chrono::steady_clock;

// A compute kernel: runs `iterations` loop trips and returns the operations done.
using ComputeKernel = double (*)(int64_t iterations);

volatile float g_sink_f = 0;
volatile int g_sink_i = 0;

// Portable fp32 FMA chains through GCC vector extensions (SSE on x86, NEON on Arm).
double FmaGeneric(int64_t iterations) {
  typedef float v4 __attribute__((vector_size(16)));
  v4 acc[8];
  for (int i = 0; i < 8; ++i) acc[i] = v4{1.f + i, 1.f, 1.f, 1.f};
  const v4 a = {0.999999f, 0.999999f, 0.999999f, 0.999999f};
  const v4 b = {1e-7f, 1e-7f, 1e-7f, 1e-7f};
  for (int64_t it = 0; it < iterations; ++it) {
    for (int i = 0; i < 8; ++i) acc[i] = acc[i] * a + b;
    __asm__ volatile("" : "+x"(acc[0]), "+x"(acc[1]), "+x"(acc[2]), "+x"(acc[3]));
  }
  float sum = 0;
  for (int i = 0; i < 8; ++i) sum += acc[i][0];
  g_sink_f = sum;
  return static_cast<double>(iterations) * 8 * 4 * 2;
}

#if defined(__x86_64__)
// Without FMA (under EFFBENCH_MAX_ISA=sse41 or avx): what SSE code can issue,
// separate multiplies and adds, six independent chains of each in named
// registers (the generic kernel's mul-then-add chains wait on their latency).
__attribute__((target("sse2"))) double FmaSse(int64_t iterations) {
  __m128 m0 = _mm_set1_ps(1.f), m1 = _mm_set1_ps(1.1f), m2 = _mm_set1_ps(1.2f);
  __m128 m3 = _mm_set1_ps(1.3f), m4 = _mm_set1_ps(1.4f), m5 = _mm_set1_ps(1.5f);
  __m128 d0 = _mm_set1_ps(0.f), d1 = d0, d2 = d0, d3 = d0, d4 = d0, d5 = d0;
  __m128 a = _mm_set1_ps(0.999999f), b = _mm_set1_ps(1e-7f);
  for (int64_t it = 0; it < iterations; ++it) {
    __asm__ volatile("" : "+x"(a), "+x"(b));
    m0 = _mm_mul_ps(m0, a);
    d0 = _mm_add_ps(d0, b);
    m1 = _mm_mul_ps(m1, a);
    d1 = _mm_add_ps(d1, b);
    m2 = _mm_mul_ps(m2, a);
    d2 = _mm_add_ps(d2, b);
    m3 = _mm_mul_ps(m3, a);
    d3 = _mm_add_ps(d3, b);
    m4 = _mm_mul_ps(m4, a);
    d4 = _mm_add_ps(d4, b);
    m5 = _mm_mul_ps(m5, a);
    d5 = _mm_add_ps(d5, b);
  }
  const __m128 sum = _mm_add_ps(_mm_add_ps(_mm_add_ps(m0, m1), _mm_add_ps(m2, m3)),
                                _mm_add_ps(_mm_add_ps(m4, m5), _mm_add_ps(d0, d5)));
  g_sink_f = _mm_cvtss_f32(_mm_add_ps(sum, _mm_add_ps(_mm_add_ps(d1, d2), _mm_add_ps(d3, d4))));
  return static_cast<double>(iterations) * 12 * 4;  // 12 ops of 4 lanes, 1 flop each
}

__attribute__((target("avx2,fma"))) double FmaAvx2(int64_t iterations) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(1.f + i);
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < iterations; ++it) {
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  }
  __m256 sum = acc[0];
  for (int i = 1; i < 12; ++i) sum = _mm256_add_ps(sum, acc[i]);
  g_sink_f = _mm256_cvtss_f32(sum);
  return static_cast<double>(iterations) * 12 * 8 * 2;
}

__attribute__((target("avx512f"))) double FmaAvx512(int64_t iterations) {
  __m512 acc[16];
  for (int i = 0; i < 16; ++i) acc[i] = _mm512_set1_ps(1.f + i);
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < iterations; ++it) {
    for (int i = 0; i < 16; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  }
  __m512 sum = acc[0];
  for (int i = 1; i < 16; ++i) sum = _mm512_add_ps(sum, acc[i]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  g_sink_f = lanes[0];
  return static_cast<double>(iterations) * 16 * 16 * 2;
}

__attribute__((target("avx512f,avx512bf16"))) double Bf16DotAvx512(int64_t iterations) {
  __m512 acc[16];
  for (int i = 0; i < 16; ++i) acc[i] = _mm512_set1_ps(0.f);
  const __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80);  // 1.0 in bf16
  const __m512bh b = (__m512bh)_mm512_set1_epi16(0x3380);  // ~6e-8
  for (int64_t it = 0; it < iterations; ++it) {
    for (int i = 0; i < 16; ++i) acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
  }
  __m512 sum = acc[0];
  for (int i = 1; i < 16; ++i) sum = _mm512_add_ps(sum, acc[i]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  g_sink_f = lanes[0];
  return static_cast<double>(iterations) * 16 * 32 * 2;  // 32 MACs per instruction
}

// u8 x s8 dot products as oneDNN computes them without VNNI: vpmaddubsw
// (u8·s8 pairs into int16), vpmaddwd by ones (int16 pairs into int32), vpaddd.
// 32 MACs per three instructions on a ymm register.
__attribute__((target("avx2"))) double Int8DotAvx2(int64_t iterations) {
  // Six chains in named registers, as a GEMM micro-kernel holds them: two
  // activation vectors times three weight vectors (an array of chains ends up
  // in memory). All fit the 16 ymm registers.
  __m256i c0 = _mm256_setzero_si256(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
  __m256i a0 = _mm256_set1_epi8(1), a1 = _mm256_set1_epi8(2);
  __m256i b0 = _mm256_set1_epi8(-1), b1 = _mm256_set1_epi8(-2), b2 = _mm256_set1_epi8(-3);
  const __m256i ones = _mm256_set1_epi16(1);
// One u8·s8 step of chain c (a macro: a lambda would not inherit this
// function's target).
#define EFFBENCH_INT8_STEP(c, a, b) \
  c = _mm256_add_epi32(c, _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), ones))
  for (int64_t it = 0; it < iterations; ++it) {
    // Opaque inputs: otherwise GCC computes the products once, outside the loop.
    __asm__ volatile("" : "+x"(a0), "+x"(a1), "+x"(b0), "+x"(b1), "+x"(b2));
    EFFBENCH_INT8_STEP(c0, a0, b0);
    EFFBENCH_INT8_STEP(c1, a0, b1);
    EFFBENCH_INT8_STEP(c2, a0, b2);
    EFFBENCH_INT8_STEP(c3, a1, b0);
    EFFBENCH_INT8_STEP(c4, a1, b1);
    EFFBENCH_INT8_STEP(c5, a1, b2);
  }
#undef EFFBENCH_INT8_STEP
  const __m256i sum = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(c0, c1), c2),
                                       _mm256_add_epi32(_mm256_add_epi32(c3, c4), c5));
  g_sink_i = _mm256_extract_epi32(sum, 0);
  return static_cast<double>(iterations) * 6 * 32 * 2;  // 32 MACs per sequence
}

// The same sequence on xmm registers: what oneDNN runs under sse41 (pmaddubsw
// is SSSE3, which every SSE4.1 CPU has). 16 MACs per sequence.
__attribute__((target("ssse3"))) double Int8DotSsse3(int64_t iterations) {
  __m128i c0 = _mm_setzero_si128(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
  __m128i a0 = _mm_set1_epi8(1), a1 = _mm_set1_epi8(2);
  __m128i b0 = _mm_set1_epi8(-1), b1 = _mm_set1_epi8(-2), b2 = _mm_set1_epi8(-3);
  const __m128i ones = _mm_set1_epi16(1);
#define EFFBENCH_INT8_STEP(c, a, b) \
  c = _mm_add_epi32(c, _mm_madd_epi16(_mm_maddubs_epi16(a, b), ones))
  for (int64_t it = 0; it < iterations; ++it) {
    __asm__ volatile("" : "+x"(a0), "+x"(a1), "+x"(b0), "+x"(b1), "+x"(b2));
    EFFBENCH_INT8_STEP(c0, a0, b0);
    EFFBENCH_INT8_STEP(c1, a0, b1);
    EFFBENCH_INT8_STEP(c2, a0, b2);
    EFFBENCH_INT8_STEP(c3, a1, b0);
    EFFBENCH_INT8_STEP(c4, a1, b1);
    EFFBENCH_INT8_STEP(c5, a1, b2);
  }
#undef EFFBENCH_INT8_STEP
  const __m128i sum = _mm_add_epi32(_mm_add_epi32(_mm_add_epi32(c0, c1), c2),
                                    _mm_add_epi32(_mm_add_epi32(c3, c4), c5));
  g_sink_i = _mm_cvtsi128_si32(sum);
  return static_cast<double>(iterations) * 6 * 16 * 2;  // 16 MACs per sequence
}

// The same sequence on zmm registers (AVX-512BW without VNNI: Skylake-SP).
__attribute__((target("avx512f,avx512bw"))) double Int8DotAvx512Bw(int64_t iterations) {
  constexpr int kChains = 12;  // of 32 zmm registers
  __m512i acc[kChains], b[kChains];
  for (int i = 0; i < kChains; ++i) {
    acc[i] = _mm512_setzero_si512();
    b[i] = _mm512_set1_epi8(static_cast<char>(-1 - i));
  }
  __m512i a = _mm512_set1_epi8(1);
  const __m512i ones = _mm512_set1_epi16(1);
  for (int64_t it = 0; it < iterations; ++it) {
    __asm__ volatile(""
                     : "+v"(a), "+v"(b[0]), "+v"(b[1]), "+v"(b[2]), "+v"(b[3]), "+v"(b[4]),
                       "+v"(b[5]), "+v"(b[6]), "+v"(b[7]), "+v"(b[8]), "+v"(b[9]), "+v"(b[10]),
                       "+v"(b[11]));  // opaque, distinct inputs, as above
    for (int i = 0; i < kChains; ++i) {
      const __m512i pairs = _mm512_maddubs_epi16(a, b[i]);
      acc[i] = _mm512_add_epi32(acc[i], _mm512_madd_epi16(pairs, ones));
    }
  }
  __m512i sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = _mm512_add_epi32(sum, acc[i]);
  alignas(64) int lanes[16];
  _mm512_store_si512(lanes, sum);
  g_sink_i = lanes[0];
  return static_cast<double>(iterations) * kChains * 64 * 2;
}

// AVX-VNNI (VEX-encoded vpdpbusd on ymm: Alder Lake, Zen 5 client).
__attribute__((target("avx2,avxvnni"))) double Int8DotAvxVnni(int64_t iterations) {
  __m256i acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_setzero_si256();
  const __m256i a = _mm256_set1_epi8(1), b = _mm256_set1_epi8(-1);
  for (int64_t it = 0; it < iterations; ++it) {
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_dpbusd_avx_epi32(acc[i], a, b);
  }
  __m256i sum = acc[0];
  for (int i = 1; i < 12; ++i) sum = _mm256_add_epi32(sum, acc[i]);
  g_sink_i = _mm256_extract_epi32(sum, 0);
  return static_cast<double>(iterations) * 12 * 32 * 2;
}

__attribute__((target("avx512f,avx512vnni"))) double Int8DotAvx512(int64_t iterations) {
  __m512i acc[16];
  for (int i = 0; i < 16; ++i) acc[i] = _mm512_setzero_si512();
  const __m512i a = _mm512_set1_epi8(1), b = _mm512_set1_epi8(-1);
  for (int64_t it = 0; it < iterations; ++it) {
    for (int i = 0; i < 16; ++i) acc[i] = _mm512_dpbusd_epi32(acc[i], a, b);
  }
  __m512i sum = acc[0];
  for (int i = 1; i < 16; ++i) sum = _mm512_add_epi32(sum, acc[i]);
  alignas(64) int lanes[16];
  _mm512_store_si512(lanes, sum);
  g_sink_i = lanes[0];
  return static_cast<double>(iterations) * 16 * 64 * 2;  // 64 MACs per instruction
}
#endif

#if defined(__aarch64__)
// Armv8.2 dotprod: SDOT, 16 MACs per instruction (the neon backend's int8
// GEMM where the CPU has no i8mm).
__attribute__((target("arch=armv8.2-a+dotprod"))) double Int8DotSdot(int64_t iterations) {
  int32x4_t acc[12];
  for (auto& a : acc) a = vdupq_n_s32(0);
  const int8x16_t a = vdupq_n_s8(1), b = vdupq_n_s8(-1);
  for (int64_t it = 0; it < iterations; ++it) {
    for (auto& c : acc) c = vdotq_s32(c, a, b);
  }
  int32x4_t sum = acc[0];
  for (int i = 1; i < 12; ++i) sum = vaddq_s32(sum, acc[i]);
  g_sink_i = vgetq_lane_s32(sum, 0);
  return static_cast<double>(iterations) * 12 * 16 * 2;
}

// i8mm: USMMLA, a 2×8 by 8×2 product, 32 MACs per instruction.
__attribute__((target("arch=armv8.2-a+i8mm"))) double Int8MmlaUsmmla(int64_t iterations) {
  int32x4_t acc[12];
  for (auto& a : acc) a = vdupq_n_s32(0);
  const uint8x16_t a = vdupq_n_u8(1);
  const int8x16_t b = vdupq_n_s8(-1);
  for (int64_t it = 0; it < iterations; ++it) {
    for (auto& c : acc) c = vusmmlaq_s32(c, a, b);
  }
  int32x4_t sum = acc[0];
  for (int i = 1; i < 12; ++i) sum = vaddq_s32(sum, acc[i]);
  g_sink_i = vgetq_lane_s32(sum, 0);
  return static_cast<double>(iterations) * 12 * 32 * 2;
}
#endif

// The CPU time this thread has run, in seconds.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Runs `kernel` on `threads` threads at once for about `seconds` and returns
// the aggregate rate in G-operations per second: each thread's operations per
// second of CPU time it got, summed. A thread that other work pushed off its
// CPU for part of the trial still measures what its core does while it runs,
// so a busy machine cannot lower the peak by time-slicing (a core shared with
// an SMT sibling still can; Conditions says how busy the machine was).
double MeasureCompute(ComputeKernel kernel, int threads, double seconds) {
  // Size the trip count from a short probe so one trial lasts about `seconds`
  // of CPU time.
  int64_t iterations = 1 << 14;
  for (;;) {
    const double t0 = ThreadCpuSeconds();
    kernel(iterations);
    const double dt = ThreadCpuSeconds() - t0;
    if (dt > seconds / 4) {
      iterations = static_cast<int64_t>(static_cast<double>(iterations) * seconds / dt);
      break;
    }
    iterations *= 4;
  }
  std::vector<double> rates(static_cast<size_t>(threads));
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      ++ready;
      while (!go.load()) std::this_thread::yield();
      const double t0 = ThreadCpuSeconds();
      const double ops = kernel(iterations);
      const double cpu = ThreadCpuSeconds() - t0;
      rates[static_cast<size_t>(t)] = cpu > 0 ? ops / cpu : 0;
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  go = true;
  for (auto& th : pool) th.join();
  double total = 0;
  for (double r : rates) total += r;
  return total / 1e9;
}

// The best of repeated trials of `measure`, repeated until the best three are
// within o.target_spread of the best (at least o.trials, at most
// o.max_trials), and how far apart they were.
struct Best {
  double value = 0;
  double spread = 0;
};

Best BestOfStableTrials(const std::function<double()>& measure, const CalibrationOptions& o) {
  std::vector<double> values;
  Best best;
  for (int trial = 0; trial < std::max(o.trials, o.max_trials); ++trial) {
    values.push_back(measure());
    std::vector<double> top = values;
    std::sort(top.begin(), top.end(), std::greater<>());
    best.value = top[0];
    const double third = top[std::min<size_t>(2, top.size() - 1)];
    best.spread = top[0] > 0 ? (top[0] - third) / top[0] : 0;
    if (static_cast<int>(values.size()) >= o.trials && best.spread <= o.target_spread) break;
  }
  return best;
}

// One and all threads of the same measurement; the all-thread figure is
// never below the one-thread figure (a busy core can make it so, and no
// kernel on more threads is bounded by less).
Peak MeasureBoth(const std::function<double(int threads)>& measure, const CalibrationOptions& o,
                 int threads, std::string name) {
  Peak p;
  p.kernel = std::move(name);
  const Best one = BestOfStableTrials([&] { return measure(1); }, o);
  const Best all = threads > 1 ? BestOfStableTrials([&] { return measure(threads); }, o) : one;
  p.one_thread = one.value;
  p.all_threads = std::max(all.value, one.value);
  p.spread = std::max(one.spread, all.spread);
  if (all.value < one.value) p.kernel += "; all-thread figure raised to the one-thread one";
  return p;
}

Peak MeasurePeak(ComputeKernel kernel, const std::string& name, const CalibrationOptions& o,
                 int threads) {
  return MeasureBoth([&](int t) { return MeasureCompute(kernel, t, o.seconds_per_kernel); }, o,
                     threads, name);
}

// STREAM triad a = b + q·c, `passes` times over arrays of `n` doubles, split
// across `threads` threads; returns GB/s counting 24 bytes per element (no
// write-allocate).
// Splits [0, n) into `threads` contiguous slices, runs body(t, lo, hi) for
// each on a thread of its own, and returns the wall time of all of them.
double OnSlices(size_t n, int threads, const std::function<void(int, size_t, size_t)>& body) {
  std::vector<std::thread> pool;
  const auto t0 = Clock::now();
  for (int t = 0; t < threads; ++t) {
    const size_t lo = n * static_cast<size_t>(t) / static_cast<size_t>(threads);
    const size_t hi = n * static_cast<size_t>(t + 1) / static_cast<size_t>(threads);
    pool.emplace_back([&body, t, lo, hi] { body(t, lo, hi); });
  }
  for (auto& th : pool) th.join();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double MeasureTriad(double* a, const double* b, const double* c, size_t n, int passes,
                    int threads) {
  const double q = 3.0;
  const double dt = OnSlices(n, threads, [&](int, size_t lo, size_t hi) {
    for (int pass = 0; pass < passes; ++pass) {
      for (size_t i = lo; i < hi; ++i) a[i] = b[i] + q * c[i];
      __asm__ volatile("" ::: "memory");  // every pass really happens
    }
  });
  return 24.0 * static_cast<double>(n) * passes / dt / 1e9;
}

// A read-only stream: sums `passes` times over `n` doubles split across
// `threads` threads; returns GB/s counting 8 bytes per element. Kernels that
// mostly read (GEMV, SpMV) can move data faster than triad's 2:1 read/write mix.
// Written with intrinsics, eight independent accumulators: GCC 12 lowers a
// 64-byte vector type through the stack below AVX-512, and the read roof then
// measured the stack, not the memory.
#if !defined(__x86_64__)
double SumSliceBase(const double* b, size_t lo, size_t hi) {
  double acc[8] = {};
  size_t i = lo;
  for (; i + 8 <= hi; i += 8) {
    for (int q = 0; q < 8; ++q) acc[q] += b[i + static_cast<size_t>(q)];
  }
  double sum = 0;
  for (double x : acc) sum += x;
  for (; i < hi; ++i) sum += b[i];
  return sum;
}
#else
__attribute__((target("sse2"))) double SumSliceSse2(const double* b, size_t lo, size_t hi) {
  __m128d a0 = _mm_setzero_pd(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  size_t i = lo;
  for (; i + 16 <= hi; i += 16) {
    a0 = _mm_add_pd(a0, _mm_loadu_pd(b + i));
    a1 = _mm_add_pd(a1, _mm_loadu_pd(b + i + 2));
    a2 = _mm_add_pd(a2, _mm_loadu_pd(b + i + 4));
    a3 = _mm_add_pd(a3, _mm_loadu_pd(b + i + 6));
    a4 = _mm_add_pd(a4, _mm_loadu_pd(b + i + 8));
    a5 = _mm_add_pd(a5, _mm_loadu_pd(b + i + 10));
    a6 = _mm_add_pd(a6, _mm_loadu_pd(b + i + 12));
    a7 = _mm_add_pd(a7, _mm_loadu_pd(b + i + 14));
  }
  const __m128d all = _mm_add_pd(_mm_add_pd(_mm_add_pd(a0, a1), _mm_add_pd(a2, a3)),
                                 _mm_add_pd(_mm_add_pd(a4, a5), _mm_add_pd(a6, a7)));
  alignas(16) double lanes[2];
  _mm_store_pd(lanes, all);
  double sum = lanes[0] + lanes[1];
  for (; i < hi; ++i) sum += b[i];
  return sum;
}

__attribute__((target("avx2"))) double SumSliceAvx2(const double* b, size_t lo, size_t hi) {
  __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  size_t i = lo;
  for (; i + 32 <= hi; i += 32) {
    a0 = _mm256_add_pd(a0, _mm256_loadu_pd(b + i));
    a1 = _mm256_add_pd(a1, _mm256_loadu_pd(b + i + 4));
    a2 = _mm256_add_pd(a2, _mm256_loadu_pd(b + i + 8));
    a3 = _mm256_add_pd(a3, _mm256_loadu_pd(b + i + 12));
    a4 = _mm256_add_pd(a4, _mm256_loadu_pd(b + i + 16));
    a5 = _mm256_add_pd(a5, _mm256_loadu_pd(b + i + 20));
    a6 = _mm256_add_pd(a6, _mm256_loadu_pd(b + i + 24));
    a7 = _mm256_add_pd(a7, _mm256_loadu_pd(b + i + 28));
  }
  const __m256d all = _mm256_add_pd(_mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3)),
                                    _mm256_add_pd(_mm256_add_pd(a4, a5), _mm256_add_pd(a6, a7)));
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, all);
  double sum = lanes[0] + lanes[1] + lanes[2] + lanes[3];
  for (; i < hi; ++i) sum += b[i];
  return sum;
}

__attribute__((target("avx512f"))) double SumSliceAvx512(const double* b, size_t lo, size_t hi) {
  __m512d a0 = _mm512_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
  size_t i = lo;
  for (; i + 32 <= hi; i += 32) {
    a0 = _mm512_add_pd(a0, _mm512_loadu_pd(b + i));
    a1 = _mm512_add_pd(a1, _mm512_loadu_pd(b + i + 8));
    a2 = _mm512_add_pd(a2, _mm512_loadu_pd(b + i + 16));
    a3 = _mm512_add_pd(a3, _mm512_loadu_pd(b + i + 24));
  }
  // Stored and added by hand: GCC 12 warns falsely inside _mm512_reduce_add_pd.
  alignas(64) double lanes[8];
  _mm512_store_pd(lanes, _mm512_add_pd(_mm512_add_pd(a0, a1), _mm512_add_pd(a2, a3)));
  double sum = 0;
  for (double x : lanes) sum += x;
  for (; i < hi; ++i) sum += b[i];
  return sum;
}
#endif

// The widest read loop the CPU has under the ISA cap.
double SumSlice(const double* b, size_t lo, size_t hi) {
#if defined(__x86_64__)
  static const auto pick = [] {
    if (cpu::CpuHas("avx512f")) return SumSliceAvx512;
    if (cpu::CpuHas("avx2")) return SumSliceAvx2;
    return SumSliceSse2;  // x86-64 always has SSE2
  }();
  return pick(b, lo, hi);
#else
  return SumSliceBase(b, lo, hi);
#endif
}

double MeasureRead(const double* b, size_t n, int passes, int threads) {
  std::vector<double> sums(static_cast<size_t>(threads));
  const double dt = OnSlices(n, threads, [&](int t, size_t lo, size_t hi) {
    for (int pass = 0; pass < passes; ++pass) {
      sums[static_cast<size_t>(t)] += SumSlice(b, lo, hi);
      __asm__ volatile("" ::: "memory");
    }
  });
  g_sink_f = static_cast<float>(sums[0]);
  return 8.0 * static_cast<double>(n) * passes / dt / 1e9;
}

struct FreeDeleter {
  void operator()(double* p) const { std::free(p); }
};

// An array for the bandwidth loops, asking the kernel for transparent huge
// pages: hardware prefetchers stop at page boundaries, and with 4 KiB pages a
// stream reads ~20 % slower than kernels whose buffers got 2 MiB pages (a
// read-only sum over 256 MB here: 18.6 against 22.9 GB/s). The roof is the best
// the machine can do, so it takes the huge pages where the kernel grants them.
std::unique_ptr<double[], FreeDeleter> StreamArray(size_t n) {
  constexpr size_t kHuge = size_t{2} << 20;
  const size_t bytes = (n * sizeof(double) + kHuge - 1) / kHuge * kHuge;
  auto* p = static_cast<double*>(std::aligned_alloc(kHuge, bytes));
  if (p == nullptr) throw std::bad_alloc();
#if defined(__linux__)
  madvise(p, bytes, MADV_HUGEPAGE);  // advice only: without THP it changes nothing
#endif
  return std::unique_ptr<double[], FreeDeleter>(p);
}

// The best triad bandwidth over a few trials on three arrays of `array_bytes`
// each, for one thread and for `threads`, repeating short passes so each trial
// lasts about `o.seconds_per_kernel`.
Peak MeasureStream(int64_t array_bytes, const CalibrationOptions& o, int threads,
                   const std::string& what) {
  const size_t n = static_cast<size_t>(array_bytes) / sizeof(double);
  const auto a = StreamArray(n), b = StreamArray(n), c = StreamArray(n);
  // First touch by the thread that will use the slice.
  OnSlices(n, threads, [&](int, size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i) {
      a[i] = 0;
      b[i] = 1.0 + static_cast<double>(i % 7);
      c[i] = 0.5;
    }
  });
  // One pass to size the passes of a trial.
  const double probe_gbps = MeasureTriad(a.get(), b.get(), c.get(), n, 1, 1);
  const double pass_seconds = 24.0 * static_cast<double>(n) / (probe_gbps * 1e9);
  const int passes = std::max(1, static_cast<int>(o.seconds_per_kernel / pass_seconds));
  Peak p = MeasureBoth(
      [&](int t) { return MeasureTriad(a.get(), b.get(), c.get(), n, passes, t); }, o, threads,
      "stream triad a=b+q*c, " + what + ", 3 x " + std::to_string(array_bytes >> 10) + " KiB x " +
          std::to_string(passes) + " passes");
  // The same bytes read-only: three times the elements of one triad pass.
  const Peak read = MeasureBoth([&](int t) { return MeasureRead(b.get(), n, 3 * passes, t); }, o,
                                threads, "read-only sum");
  // The roof is the best bandwidth shown: a kernel's own mix of reads and
  // writes decides which it can approach.
  if (read.one_thread > p.one_thread || read.all_threads > p.all_threads) {
    p.kernel += "; read-only sum faster";
  }
  p.one_thread = std::max(p.one_thread, read.one_thread);
  p.all_threads = std::max(p.all_threads, read.all_threads);
  p.spread = std::max(p.spread, read.spread);
  g_sink_f = static_cast<float>(a[n / 2]);
  return p;
}

nlohmann::json PeakJson(const Peak& p) {
  return {{"one_thread", p.one_thread},
          {"all_threads", p.all_threads},
          {"kernel", p.kernel},
          {"spread", p.spread}};
}

Peak PeakFromJson(const nlohmann::json& j) {
  return Peak{j.at("one_thread").get<double>(), j.at("all_threads").get<double>(),
              j.at("kernel").get<std::string>(), j.value("spread", 0.0)};
}

// The CPU ticks of /proc/stat's first line (all CPUs); zeros where unreadable.
struct Ticks {
  double all = 0, idle = 0, steal = 0;
};

Ticks CpuTicks() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  in >> cpu;
  Ticks t;
  // user nice system idle iowait irq softirq steal
  for (int field = 0; field < 8; ++field) {
    double v = 0;
    if (!(in >> v)) break;
    t.all += v;
    if (field == 3 || field == 4) t.idle += v;
    if (field == 7) t.steal = v;
  }
  return t;
}

// The fraction of all CPUs' time that was busy over a short window in which
// this process sleeps: how loaded the machine is by others.
double BusyFraction() {
  const Ticks a = CpuTicks();
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  const Ticks b = CpuTicks();
  const double all = b.all - a.all;
  return all > 0 ? std::clamp(1.0 - (b.idle - a.idle) / all, 0.0, 1.0) : 0.0;
}

std::string Percent(double fraction) {
  return std::to_string(static_cast<int>(std::lround(100 * fraction))) + " %";
}

// The peak for `threads` threads: linear from one thread, capped at all threads.
double PeakAt(const Peak& p, int threads, int all) {
  if (threads <= 1) return p.one_thread;
  if (threads >= all) return p.all_threads;
  return std::min(p.all_threads, p.one_thread * threads);
}

}  // namespace

double Calibration::MaxSpread() const {
  double s = std::max({fp32_gflops.spread, triad_gbps.spread, llc_triad_gbps.spread});
  if (bf16_gflops) s = std::max(s, bf16_gflops->spread);
  if (int8_gops) s = std::max(s, int8_gops->spread);
  return s;
}

Peak MeasureFp32Peak(const Inventory& inv, const CalibrationOptions& o, int threads) {
  Peak best = MeasurePeak(FmaGeneric, "generic 128-bit vector fma x8 chains", o, threads);
#if defined(__x86_64__)
  const auto keep_faster = [&](Peak p) {
    if (p.one_thread > best.one_thread) best = std::move(p);
  };
  keep_faster(MeasurePeak(FmaSse, "sse mulps+addps xmm 6+6 chains", o, threads));
  if (inv.HasIsa("avx2") && inv.HasIsa("fma"))
    keep_faster(MeasurePeak(FmaAvx2, "avx2 vfmadd231ps ymm x12 chains", o, threads));
  if (inv.HasIsa("avx512f"))
    keep_faster(MeasurePeak(FmaAvx512, "avx512f vfmadd231ps zmm x16 chains", o, threads));
#else
  (void)inv;
#endif
  return best;
}

Calibration Calibrate(const Inventory& inv, const CalibrationOptions& o) {
  Calibration cal;
  cal.threads = o.threads > 0 ? o.threads : std::max(1, inv.threads);
  cal.conditions.busy_before = BusyFraction();
  const Ticks ticks_before = CpuTicks();
  cal.fp32_gflops = MeasureFp32Peak(inv, o, cal.threads);
#if defined(__x86_64__)
  if (inv.HasIsa("avx512_bf16")) {
    cal.bf16_gflops =
        MeasurePeak(Bf16DotAvx512, "avx512_bf16 vdpbf16ps zmm x16 chains", o, cal.threads);
  }
  // int8: the sequence oneDNN runs under the cap (see Int8RecipeForThisIsa).
  if (inv.HasIsa("avx512_vnni")) {
    cal.int8_gops =
        MeasurePeak(Int8DotAvx512, "avx512_vnni vpdpbusd zmm x16 chains", o, cal.threads);
  } else if (inv.HasIsa("avx_vnni")) {
    cal.int8_gops = MeasurePeak(Int8DotAvxVnni, "avx_vnni vpdpbusd ymm x12 chains", o, cal.threads);
  } else if (inv.HasIsa("avx512bw")) {
    cal.int8_gops =
        MeasurePeak(Int8DotAvx512Bw, "avx512bw vpmaddubsw+vpmaddwd+vpaddd zmm x12", o, cal.threads);
  } else if (inv.HasIsa("avx2")) {
    cal.int8_gops =
        MeasurePeak(Int8DotAvx2, "avx2 vpmaddubsw+vpmaddwd+vpaddd ymm 2x3", o, cal.threads);
  } else if (inv.HasIsa("sse4_1") || inv.HasIsa("sse4_2")) {
    cal.int8_gops =
        MeasurePeak(Int8DotSsse3, "ssse3 pmaddubsw+pmaddwd+paddd xmm 2x3", o, cal.threads);
  }
#elif defined(__aarch64__)
  // int8: the instruction the neon backend's GEMM runs.
  if (inv.HasIsa("i8mm")) {
    cal.int8_gops = MeasurePeak(Int8MmlaUsmmla, "i8mm usmmla x12 chains", o, cal.threads);
  } else if (inv.HasIsa("asimddp")) {
    cal.int8_gops = MeasurePeak(Int8DotSdot, "dotprod sdot x12 chains", o, cal.threads);
  }
#endif
  cal.llc_bytes = 8 << 20;
  for (const Cache& c : inv.caches) cal.llc_bytes = std::max(cal.llc_bytes, c.bytes);
  cal.triad_array_bytes = 4 * cal.llc_bytes;  // STREAM's rule: each array 4× the LLC
  cal.triad_gbps = MeasureStream(cal.triad_array_bytes, o, cal.threads, "memory");
  // Three arrays filling half the last-level cache: the bandwidth of data that stays there.
  cal.llc_triad_gbps = MeasureStream(cal.llc_bytes / 6, o, cal.threads, "last-level cache");

  const Ticks ticks_after = CpuTicks();
  cal.conditions.busy_after = BusyFraction();
  const double ticks = ticks_after.all - ticks_before.all;
  cal.conditions.steal_fraction =
      ticks > 0 ? std::max(0.0, ticks_after.steal - ticks_before.steal) / ticks : 0;
  // Busy: other work held more than a quarter of the CPUs around the
  // calibration, or the hypervisor took time from us. Unstable: some peak
  // never settled within the target spread.
  const double busy = std::max(cal.conditions.busy_before, cal.conditions.busy_after);
  if (busy > 0.25) {
    cal.warnings.push_back(Percent(busy) +
                           " of the CPUs busy with other work around the calibration");
  }
  if (cal.conditions.steal_fraction > 0.02) {
    cal.warnings.push_back(Percent(cal.conditions.steal_fraction) +
                           " of CPU time stolen by the hypervisor while calibrating");
  }
  const bool loaded = !cal.warnings.empty();
  if (cal.MaxSpread() > o.target_spread) {
    cal.warnings.push_back("best trials " + Percent(cal.MaxSpread()) + " apart (target " +
                           Percent(o.target_spread) + ")");
  }
  cal.quality = loaded ? "busy" : cal.warnings.empty() ? "good" : "unstable";
  return cal;
}

std::optional<std::string> RooflineExcess(const Calibration& c, double fraction) {
  const double allowed = 1.0 + c.MaxSpread();
  if (fraction <= allowed) return std::nullopt;
  return "roofline fraction above 100 % by more than the calibration's spread (" +
         Percent(fraction - 1.0) + " over, spread " + Percent(c.MaxSpread()) +
         "): the measured peak is too low for this kernel";
}

nlohmann::json ToJson(const Calibration& c) {
  nlohmann::json j = {{"threads", c.threads},
                      {"fp32_gflops", PeakJson(c.fp32_gflops)},
                      {"triad_gbps", PeakJson(c.triad_gbps)},
                      {"triad_array_bytes", c.triad_array_bytes},
                      {"llc_triad_gbps", PeakJson(c.llc_triad_gbps)},
                      {"llc_bytes", c.llc_bytes}};
  if (c.bf16_gflops) j["bf16_gflops"] = PeakJson(*c.bf16_gflops);
  if (c.int8_gops) j["int8_gops"] = PeakJson(*c.int8_gops);
  j["conditions"] = {{"busy_before", c.conditions.busy_before},
                     {"busy_after", c.conditions.busy_after},
                     {"steal_fraction", c.conditions.steal_fraction}};
  j["quality"] = c.quality;
  j["warnings"] = c.warnings;
  if (c.stale) j["stale"] = *c.stale;
  return j;
}

Result<Calibration> CalibrationFromJson(const nlohmann::json& j) {
  try {
    Calibration c;
    c.threads = j.at("threads").get<int>();
    c.fp32_gflops = PeakFromJson(j.at("fp32_gflops"));
    c.triad_gbps = PeakFromJson(j.at("triad_gbps"));
    c.triad_array_bytes = j.value("triad_array_bytes", int64_t{0});
    c.llc_triad_gbps = PeakFromJson(j.at("llc_triad_gbps"));
    c.llc_bytes = j.at("llc_bytes").get<int64_t>();
    if (j.contains("bf16_gflops")) c.bf16_gflops = PeakFromJson(j["bf16_gflops"]);
    if (j.contains("int8_gops")) c.int8_gops = PeakFromJson(j["int8_gops"]);
    c.quality = j.value("quality", "unknown");
    c.warnings = j.value("warnings", std::vector<std::string>{});
    if (j.contains("stale") && j["stale"].is_string()) c.stale = j["stale"].get<std::string>();
    if (j.contains("conditions")) {
      const nlohmann::json& k = j["conditions"];
      c.conditions = {k.value("busy_before", 0.0), k.value("busy_after", 0.0),
                      k.value("steal_fraction", 0.0)};
    }
    return c;
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("calibration JSON: ") + e.what());
  }
}

double AttainableGflops(const Calibration& c, const std::string& precision, int threads,
                        double flop, double bytes) {
  const Peak* compute = &c.fp32_gflops;
  if (precision == "bf16" && c.bf16_gflops) compute = &*c.bf16_gflops;
  if (precision == "int8" && c.int8_gops) compute = &*c.int8_gops;
  const double peak = PeakAt(*compute, threads, c.threads);
  if (bytes <= 0) return peak;
  const double intensity = flop / bytes;
  // The roof is an upper bound. Data that fits in the last-level cache can be
  // served from it. Data larger than the cache is read again each iteration,
  // and at best (an ideal replacement policy) the cache still holds llc_bytes
  // of it: those come at the cache's bandwidth, the rest at memory's. So the
  // roof falls from the cache's to memory's bandwidth as the data grows, with
  // no cliff at the cache size (a GEMV over 2.3x the LLC read 30 GB/s where
  // memory alone gives 20).
  const double llc = PeakAt(c.llc_triad_gbps, threads, c.threads);
  const double memory = PeakAt(c.triad_gbps, threads, c.threads);
  const double cached = std::min(bytes, static_cast<double>(c.llc_bytes));
  const double bandwidth = bytes / ((bytes - cached) / memory + cached / llc);
  return std::min(peak, intensity * bandwidth);
}

}  // namespace effbench::machine
