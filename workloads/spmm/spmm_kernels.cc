// The sparse CSR kernel and the dense oneDNN kernel on the same pruned weights.
#include <omp.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <oneapi/dnnl/dnnl.hpp>

#include "workloads/common/cpu_isa.h"
#include "workloads/common/onednn_runner.h"
#include "workloads/spmm/spmm.h"

namespace effbench::workloads::spmm {
namespace {

// Y = A_csr · X with X row-major K×N, processed kChunk columns of X at a
// time: the chunk is packed contiguously (K×kChunk floats), then each row of A
// accumulates its non-zeros' pieces of the chunk in registers and writes its
// kChunk outputs once. Three code paths, picked at run time under
// EFFBENCH_MAX_ISA: AVX-512 (a 64-byte vector type, one zmm), AVX2+FMA
// (intrinsics: eight ymm accumulators) and baseline (a plain loop the compiler
// vectorizes). The AVX2 path is written with intrinsics because GCC 12 lowers
// the 64-byte vector type through the stack without AVX-512: 2.2 GFLOP/s
// against 10+ for the intrinsics on the n = 1500 shapes (Zen 3, one thread).
constexpr int64_t kChunk = 64;

// 16 floats; GCC lowers it to one zmm, two ymm or four xmm registers.
typedef float Vec16 __attribute__((vector_size(64)));
constexpr int64_t kVecs = kChunk / 16;

inline __attribute__((always_inline)) void CsrRowsChunkBody(const Csr& a, const float* xc, float* y,
                                                            int64_t n, int64_t j0, int64_t width,
                                                            int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; ++r) {
    Vec16 acc[kVecs] = {};
    const int64_t end = a.row_ptr[static_cast<size_t>(r + 1)];
    for (int64_t i = a.row_ptr[static_cast<size_t>(r)]; i < end; ++i) {
      const float v = a.values[static_cast<size_t>(i)];
      const float* xr = xc + static_cast<int64_t>(a.col[static_cast<size_t>(i)]) * kChunk;
      for (int64_t q = 0; q < kVecs; ++q) {
        Vec16 x;
        __builtin_memcpy(&x, xr + 16 * q, sizeof x);
        acc[q] += v * x;
      }
    }
    float out[kChunk];
    __builtin_memcpy(out, acc, sizeof out);
    std::copy(out, out + width, y + r * n + j0);
  }
}

using CsrRowsChunkFn = void (*)(const Csr&, const float*, float*, int64_t, int64_t, int64_t,
                                int64_t, int64_t);

void CsrRowsChunkBase(const Csr& a, const float* xc, float* y, int64_t n, int64_t j0, int64_t width,
                      int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; ++r) {
    float acc[kChunk] = {};
    const int64_t end = a.row_ptr[static_cast<size_t>(r + 1)];
    for (int64_t i = a.row_ptr[static_cast<size_t>(r)]; i < end; ++i) {
      const float v = a.values[static_cast<size_t>(i)];
      const float* xr = xc + static_cast<int64_t>(a.col[static_cast<size_t>(i)]) * kChunk;
      for (int64_t q = 0; q < kChunk; ++q) acc[q] += v * xr[q];
    }
    std::copy(acc, acc + width, y + r * n + j0);
  }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) void CsrRowsChunkAvx2(const Csr& a, const float* xc, float* y,
                                                          int64_t n, int64_t j0, int64_t width,
                                                          int64_t r0, int64_t r1) {
  static_assert(kChunk == 64, "eight ymm accumulators of 8 floats");
  for (int64_t r = r0; r < r1; ++r) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    const int64_t end = a.row_ptr[static_cast<size_t>(r + 1)];
    for (int64_t i = a.row_ptr[static_cast<size_t>(r)]; i < end; ++i) {
      const __m256 v = _mm256_set1_ps(a.values[static_cast<size_t>(i)]);
      const float* xr = xc + static_cast<int64_t>(a.col[static_cast<size_t>(i)]) * kChunk;
      a0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xr), a0);
      a1 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xr + 8), a1);
      a2 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xr + 16), a2);
      a3 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xr + 24), a3);
      a4 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xr + 32), a4);
      a5 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xr + 40), a5);
      a6 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xr + 48), a6);
      a7 = _mm256_fmadd_ps(v, _mm256_loadu_ps(xr + 56), a7);
    }
    alignas(32) float out[kChunk];
    _mm256_store_ps(out, a0);
    _mm256_store_ps(out + 8, a1);
    _mm256_store_ps(out + 16, a2);
    _mm256_store_ps(out + 24, a3);
    _mm256_store_ps(out + 32, a4);
    _mm256_store_ps(out + 40, a5);
    _mm256_store_ps(out + 48, a6);
    _mm256_store_ps(out + 56, a7);
    std::copy(out, out + width, y + r * n + j0);
  }
}

__attribute__((target("avx512f"))) void CsrRowsChunkAvx512(const Csr& a, const float* xc, float* y,
                                                           int64_t n, int64_t j0, int64_t width,
                                                           int64_t r0, int64_t r1) {
  CsrRowsChunkBody(a, xc, y, n, j0, width, r0, r1);
}
#endif

// The widest code path this CPU has under the ISA cap, and its name.
std::pair<CsrRowsChunkFn, const char*> PickCsrRowsChunk() {
#if defined(__x86_64__)
  if (CpuHas("avx512f")) return {CsrRowsChunkAvx512, "avx512f"};
  if (CpuHas("avx2") && CpuHas("fma")) return {CsrRowsChunkAvx2, "avx2"};
#endif
  return {CsrRowsChunkBase, "baseline"};
}

// SpMV rows [r0, r1): one dot product per row.
void CsrSpmv(const Csr& a, const float* x, float* y, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; ++r) {
    float sum = 0;
    const int64_t end = a.row_ptr[static_cast<size_t>(r + 1)];
    for (int64_t i = a.row_ptr[static_cast<size_t>(r)]; i < end; ++i) {
      sum += a.values[static_cast<size_t>(i)] * x[a.col[static_cast<size_t>(i)]];
    }
    y[r] = sum;
  }
}

class CsrKernel final : public Kernel {
 public:
  explicit CsrKernel(int threads) : threads_(threads), chunk_(PickCsrRowsChunk()) {}

  void Run(Operands& ops) override {
    const Csr& a = ops.csr;
    const int64_t n = ops.shape.n, k = ops.shape.k;
    constexpr int64_t kRowsPerTask = 64;
    const int64_t tasks = (a.rows + kRowsPerTask - 1) / kRowsPerTask;
    const auto rows = [&](int64_t t) {
      return std::pair(t * kRowsPerTask, std::min(a.rows, (t + 1) * kRowsPerTask));
    };
    spmv_ = n == 1;
    if (spmv_) {
#pragma omp parallel for num_threads(threads_) schedule(dynamic, 4)
      for (int64_t t = 0; t < tasks; ++t) {
        CsrSpmv(a, ops.x_kn.data(), ops.y_mn.data(), rows(t).first, rows(t).second);
      }
      return;
    }
    packed_.assign(static_cast<size_t>(k * kChunk), 0.0f);
    for (int64_t j0 = 0; j0 < n; j0 += kChunk) {
      const int64_t width = std::min(kChunk, n - j0);
      for (int64_t p = 0; p < k; ++p) {
        std::copy_n(ops.x_kn.data() + p * n + j0, width, packed_.data() + p * kChunk);
      }
#pragma omp parallel for num_threads(threads_) schedule(dynamic, 4)
      for (int64_t t = 0; t < tasks; ++t) {
        chunk_.first(a, packed_.data(), ops.y_mn.data(), n, j0, width, rows(t).first,
                     rows(t).second);
      }
    }
  }
  // The SpMV path (N = 1) is scalar C++ on every ISA; the chunked path names
  // the code path it dispatched to.
  std::string Implementation() const override {
    if (spmv_) return "cxx:csr-spmv-omp";
    return std::string("cxx:csr-packed-chunks-omp:") + chunk_.second;
  }

 private:
  int threads_;
  std::pair<CsrRowsChunkFn, const char*> chunk_;
  bool spmv_ = false;          // the last Run took the N = 1 path
  std::vector<float> packed_;  // kChunk columns of X, K×kChunk
};

class OnednnDenseKernel final : public Kernel {
 public:
  OnednnDenseKernel(const Operands& ops, int threads) : runner_(threads) {
    using tag = dnnl::memory::format_tag;
    const Shape s = ops.shape;
    const auto f32 = dnnl::memory::data_type::f32;
    const dnnl::memory::desc src_md({s.n, s.k}, f32, tag::ab);
    const dnnl::memory::desc wei_plain_md({s.k, s.m}, f32, tag::ba);  // W is M×K row-major
    const dnnl::memory::desc wei_any_md({s.k, s.m}, f32, tag::any);
    const dnnl::memory::desc dst_md({s.n, s.m}, f32, tag::ab);
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_md, wei_any_md, dst_md),
                                          runner_.engine());
    runner_.Prepare(pd, dnnl::matmul(pd), wei_plain_md, ops.weights.data(), 0);
  }
  void Run(Operands& ops) override { runner_.Execute(ops.x_nk.data(), ops.y_nm.data()); }
  std::string Implementation() const override { return runner_.implementation(); }

 private:
  OnednnRunner runner_;
};

}  // namespace

std::unique_ptr<Kernel> MakeCsrKernel(int threads) { return std::make_unique<CsrKernel>(threads); }

Result<std::unique_ptr<Kernel>> MakeOnednnDenseKernel(const Operands& ops, int threads) {
  try {
    return std::unique_ptr<Kernel>(std::make_unique<OnednnDenseKernel>(ops, threads));
  } catch (const dnnl::error& e) {
    return Status::FailedPrecondition(std::string("oneDNN cannot build the dense matmul: ") +
                                      e.what());
  }
}

}  // namespace effbench::workloads::spmm
