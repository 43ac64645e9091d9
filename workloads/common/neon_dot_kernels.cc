// The SDOT kernel of the int8 GEMM (neon_kernels.h), compiled for Armv8.2 with
// dotprod; called only where the CPU has it.
#include <cstring>

#include "workloads/common/neon_kernels.h"

#if defined(__aarch64__)
#include <arm_neon.h>

namespace effbench::workloads::neon::internal {
namespace {

// Rows [0, R) of A times one 16-column panel of B into C[.., j0..j0+16).
template <int R>
void SdotTile(int64_t cols, int64_t k_padded, const int8_t* a, const int8_t* panel, int32_t* c,
              int64_t j0) {
  int32x4_t acc[R][4];
  for (int r = 0; r < R; ++r) {
    for (int q = 0; q < 4; ++q) acc[r][q] = vdupq_n_s32(0);
  }
  for (int64_t g = 0; g < k_padded / 4; ++g) {
    const int8_t* b = panel + g * 64;
    const int8x16_t b0 = vld1q_s8(b), b1 = vld1q_s8(b + 16), b2 = vld1q_s8(b + 32),
                    b3 = vld1q_s8(b + 48);
    for (int r = 0; r < R; ++r) {
      int32_t word;  // a row's 4 k, the same for each of the 4 columns of a lane
      std::memcpy(&word, a + r * k_padded + 4 * g, sizeof word);
      const int8x16_t av = vreinterpretq_s8_s32(vdupq_n_s32(word));
      acc[r][0] = vdotq_s32(acc[r][0], b0, av);
      acc[r][1] = vdotq_s32(acc[r][1], b1, av);
      acc[r][2] = vdotq_s32(acc[r][2], b2, av);
      acc[r][3] = vdotq_s32(acc[r][3], b3, av);
    }
  }
  for (int r = 0; r < R; ++r) {
    int32_t* c_row = c + r * cols + j0;
    if (j0 + 16 <= cols) {
      for (int q = 0; q < 4; ++q) vst1q_s32(c_row + 4 * q, acc[r][q]);
    } else {
      int32_t tile[16];
      for (int q = 0; q < 4; ++q) vst1q_s32(tile + 4 * q, acc[r][q]);
      std::memcpy(c_row, tile, sizeof(int32_t) * static_cast<size_t>(cols - j0));
    }
  }
}

template <int R>
void SdotRows(int64_t cols, int64_t k_padded, const int8_t* a, const int8_t* b, int32_t* c) {
  for (int64_t j0 = 0; j0 < cols; j0 += 16)
    SdotTile<R>(cols, k_padded, a, b + j0 * k_padded, c, j0);
}

}  // namespace

void SdotGemm(int64_t rows, int64_t cols, int64_t k_padded, const int8_t* a, const int8_t* b,
              int32_t* c) {
  int64_t i = 0;
  for (; i + 4 <= rows; i += 4) SdotRows<4>(cols, k_padded, a + i * k_padded, b, c + i * cols);
  for (; i < rows; ++i) SdotRows<1>(cols, k_padded, a + i * k_padded, b, c + i * cols);
}

}  // namespace effbench::workloads::neon::internal
#endif
