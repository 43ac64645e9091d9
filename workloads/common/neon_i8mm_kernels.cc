// The USMMLA kernel of the int8 GEMM (neon_kernels.h), compiled with i8mm;
// called only where the CPU has it. One USMMLA multiplies 2 rows × 8 k of u8
// activations by 8 k × 2 columns of s8 weights into a 2×2 tile of s32.
#include <cstring>

#include "workloads/common/neon_kernels.h"

#if defined(__aarch64__)
#include <arm_neon.h>

namespace effbench::workloads::neon::internal {
namespace {

// Row pairs [0, RP) of packed A times one 8-column panel of B into
// C[row 0 .. rows_left, j0..j0+8).
template <int RP>
void UsmmlaTile(int64_t rows_left, int64_t cols, int64_t k_padded, const uint8_t* a,
                const int8_t* panel, int32_t* c, int64_t j0) {
  int32x4_t acc[RP][4];
  for (int r = 0; r < RP; ++r) {
    for (int q = 0; q < 4; ++q) acc[r][q] = vdupq_n_s32(0);
  }
  const int64_t groups = k_padded / 8;
  for (int64_t g = 0; g < groups; ++g) {
    const int8_t* b = panel + g * 64;
    const int8x16_t b0 = vld1q_s8(b), b1 = vld1q_s8(b + 16), b2 = vld1q_s8(b + 32),
                    b3 = vld1q_s8(b + 48);
    for (int r = 0; r < RP; ++r) {
      const uint8x16_t av = vld1q_u8(a + (r * groups + g) * 16);
      acc[r][0] = vusmmlaq_s32(acc[r][0], av, b0);
      acc[r][1] = vusmmlaq_s32(acc[r][1], av, b1);
      acc[r][2] = vusmmlaq_s32(acc[r][2], av, b2);
      acc[r][3] = vusmmlaq_s32(acc[r][3], av, b3);
    }
  }
  // acc[r][q] is {row 2r · col 2q, row 2r · col 2q+1, row 2r+1 · col 2q, row 2r+1 · col 2q+1}.
  for (int r = 0; r < RP; ++r) {
    for (int half = 0; half < 2; ++half) {
      const int64_t row = 2 * r + half;
      if (row >= rows_left) break;
      int32_t tile[8];
      for (int q = 0; q < 4; ++q)
        vst1_s32(tile + 2 * q, half == 0 ? vget_low_s32(acc[r][q]) : vget_high_s32(acc[r][q]));
      const int64_t n = cols - j0 < 8 ? cols - j0 : 8;
      std::memcpy(c + row * cols + j0, tile, sizeof(int32_t) * static_cast<size_t>(n));
    }
  }
}

}  // namespace

void UsmmlaGemm(int64_t rows, int64_t cols, int64_t k_padded, const uint8_t* a, const int8_t* b,
                int32_t* c) {
  for (int64_t i = 0; i < rows; i += 4) {
    const uint8_t* a_pairs = a + (i / 2) * 2 * k_padded;
    for (int64_t j0 = 0; j0 < cols; j0 += 8) {
      const int8_t* panel = b + j0 * k_padded;
      if (rows - i > 2) {
        UsmmlaTile<2>(rows - i, cols, k_padded, a_pairs, panel, c + i * cols, j0);
      } else {
        UsmmlaTile<1>(rows - i, cols, k_padded, a_pairs, panel, c + i * cols, j0);
      }
    }
  }
}

}  // namespace effbench::workloads::neon::internal
#endif
