// The `neon` backend's kernels: hand-written Advanced SIMD for 64-bit Arm,
// where oneDNN 2.6 has no JIT (it compiles for 512-bit SVE only, and runs its
// reference loops on a NEON board such as the Raspberry Pi 5's Cortex-A76).
// Single-threaded, like the `ref` backend they are checked against.
//
// - fp32 GEMM: a 4×16 register tile of FMAs, K in blocks that keep the
//   weights' panel in cache;
// - int8 GEMM (u8 activations with a zero point × s8 weights → s32): SMMLA
//   (USMMLA, 2×8·8×2 per instruction) where the CPU has i8mm, else SDOT
//   (4-way dot products, Armv8.2 dotprod) on activations shifted to s8, with
//   the shift and the zero point folded into the weights' column sums. The
//   weights are packed once, at creation;
// - depthwise convolution over channels (NHWC), fp32 with FMAs and int8
//   widened to 16 bits (SMLAL), so that it needs no dotprod.
//
// The pointwise convolution is the GEMM of pixels × channels. On another
// architecture the functions exist but `Available()` is false and nothing
// here may be called (the catalog declares isa:armv8 / isa:dotprod needs).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace effbench::workloads::neon {

// Whether this build has the NEON kernels (an aarch64 build).
bool Available();

// C[rows×cols] = A[rows×k] · B[k×cols], row-major fp32.
void GemmF32(int64_t rows, int64_t cols, int64_t k, const float* a, const float* b, float* c);

// The int8 GEMM C[rows×cols] = (A - zero_point)[rows×k] · B[k×cols] → s32
// with B packed once. Run() is the timed part.
class Int8Gemm {
 public:
  enum class Kernel { kBest, kSdot, kUsmmla };
  // Packs `b` [k×cols] for `kernel`; kBest: the best this CPU has (and the
  // cap allows), "neon:usmmla" (i8mm) or "neon:sdot" (dotprod).
  Int8Gemm(const int8_t* b, int64_t k, int64_t cols, Kernel kernel = Kernel::kBest);
  void Run(int64_t rows, const uint8_t* a, int32_t zero_point, int32_t* c);
  std::string kernel() const { return usmmla_ ? "neon:usmmla" : "neon:sdot"; }

 private:
  int64_t k_ = 0, cols_ = 0, k_padded_ = 0;
  bool usmmla_ = false;  // else SDOT
  std::vector<int8_t> b_packed_;
  std::vector<int32_t> column_sums_;  // Σ_p B[p][j]
  // The activations as the kernel reads them, rewritten by each Run. The
  // padding of k is zero from allocation and never written.
  std::vector<uint8_t> a_packed_;
};

// A depthwise convolution, NHWC: input [n][h][w][c], weights [kh][kw][c],
// output [n][oh][ow][c], zero padding `pad` on every side.
struct DepthwiseShape {
  int64_t n = 1, h = 0, w = 0, c = 0, kh = 0, kw = 0, stride = 1, pad = 0;
  int64_t oh() const { return (h + 2 * pad - kh) / stride + 1; }
  int64_t ow() const { return (w + 2 * pad - kw) / stride + 1; }
};
void DepthwiseF32(const DepthwiseShape& s, const float* in, const float* weights, float* out);
// int8: (input - zero_point) · weights → s32; padding is the zero point.
void DepthwiseInt8(const DepthwiseShape& s, const uint8_t* in, int32_t zero_point,
                   const int8_t* weights, int32_t* out);

namespace internal {
// The int8 GEMM's inner kernels, in their own files, compiled for the
// extension they use (neon_dot_kernels.cc: +dotprod, neon_i8mm_kernels.cc:
// +i8mm); called only where the CPU has it.
//
// SDOT: B packed in panels of 16 columns, 4 k at a time: for each panel, for
// each group of 4 k, 16 columns × 4 bytes. A shifted to s8 (a - 128), rows of
// k_padded bytes. C gets Σ (a - 128)·b only.
void SdotGemm(int64_t rows, int64_t cols, int64_t k_padded, const int8_t* a, const int8_t* b,
              int32_t* c);
// USMMLA: B packed in panels of 8 columns, 8 k at a time: for each panel, for
// each group of 8 k, 4 column pairs × 2 columns × 8 bytes. A u8 packed in row
// pairs: for each pair, for each group of 8 k, 2 rows × 8 bytes. C gets
// Σ a·b only.
void UsmmlaGemm(int64_t rows, int64_t cols, int64_t k_padded, const uint8_t* a, const int8_t* b,
                int32_t* c);
}  // namespace internal

}  // namespace effbench::workloads::neon
