#include "workloads/common/neon_kernels.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "core/cpu_features.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace effbench::workloads::neon {

#if defined(__aarch64__)

bool Available() { return true; }

namespace {

constexpr int64_t kBlockK = 256;  // a 16-column panel of B: 16 KiB of fp32

// C[r0..r0+R) × [j0..j0+16) += A · B over k in [p0, p1).
template <int R>
void TileF32(int64_t cols, int64_t k, const float* a, const float* b, float* c, int64_t j0,
             int64_t p0, int64_t p1) {
  float32x4_t acc[R][4];
  for (int r = 0; r < R; ++r) {
    for (int q = 0; q < 4; ++q) acc[r][q] = vld1q_f32(c + r * cols + j0 + 4 * q);
  }
  for (int64_t p = p0; p < p1; ++p) {
    const float* b_row = b + p * cols + j0;
    const float32x4_t b0 = vld1q_f32(b_row), b1 = vld1q_f32(b_row + 4), b2 = vld1q_f32(b_row + 8),
                      b3 = vld1q_f32(b_row + 12);
    for (int r = 0; r < R; ++r) {
      const float av = a[r * k + p];
      acc[r][0] = vfmaq_n_f32(acc[r][0], b0, av);
      acc[r][1] = vfmaq_n_f32(acc[r][1], b1, av);
      acc[r][2] = vfmaq_n_f32(acc[r][2], b2, av);
      acc[r][3] = vfmaq_n_f32(acc[r][3], b3, av);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int q = 0; q < 4; ++q) vst1q_f32(c + r * cols + j0 + 4 * q, acc[r][q]);
  }
}

// Rows [i0, i0+R) of C over the 16-column panels, then the last columns.
template <int R>
void RowsF32(int64_t cols, int64_t k, const float* a, const float* b, float* c, int64_t p0,
             int64_t p1) {
  int64_t j0 = 0;
  for (; j0 + 16 <= cols; j0 += 16) TileF32<R>(cols, k, a, b, c, j0, p0, p1);
  for (int r = 0; r < R; ++r) {
    for (int64_t p = p0; p < p1; ++p) {
      const float av = a[r * k + p];
      for (int64_t j = j0; j < cols; ++j) c[r * cols + j] += av * b[p * cols + j];
    }
  }
}

}  // namespace

void GemmF32(int64_t rows, int64_t cols, int64_t k, const float* a, const float* b, float* c) {
  std::fill(c, c + rows * cols, 0.0f);
  for (int64_t p0 = 0; p0 < k; p0 += kBlockK) {
    const int64_t p1 = std::min(k, p0 + kBlockK);
    int64_t i = 0;
    for (; i + 4 <= rows; i += 4) RowsF32<4>(cols, k, a + i * k, b, c + i * cols, p0, p1);
    for (; i < rows; ++i) RowsF32<1>(cols, k, a + i * k, b, c + i * cols, p0, p1);
  }
}

Int8Gemm::Int8Gemm(const int8_t* b, int64_t k, int64_t cols, Kernel kernel) : k_(k), cols_(cols) {
  usmmla_ = kernel == Kernel::kUsmmla || (kernel == Kernel::kBest && cpu::CpuHas("i8mm"));
  const int64_t k_group = usmmla_ ? 8 : 4, panel = usmmla_ ? 8 : 16;
  k_padded_ = (k + k_group - 1) / k_group * k_group;
  const int64_t cols_padded = (cols + panel - 1) / panel * panel;
  b_packed_.assign(static_cast<size_t>(k_padded_ * cols_padded), 0);
  column_sums_.assign(static_cast<size_t>(cols), 0);
  for (int64_t p = 0; p < k; ++p) {
    for (int64_t j = 0; j < cols; ++j) column_sums_[j] += b[p * cols + j];
  }
  // Both layouts: panel-major, then groups of k, then columns (a pair of
  // columns for USMMLA, one for SDOT), then the k of the group.
  for (int64_t j = 0; j < cols; ++j) {
    const int64_t jp = j / panel, jj = j % panel;
    for (int64_t p = 0; p < k; ++p) {
      const int64_t g = p / k_group, pp = p % k_group;
      const int64_t at = (jp * (k_padded_ / k_group) + g) * panel * k_group + jj * k_group + pp;
      b_packed_[static_cast<size_t>(at)] = b[p * cols + j];
    }
  }
}

void Int8Gemm::Run(int64_t rows, const uint8_t* a, int32_t zero_point, int32_t* c) {
  // USMMLA: row pairs, 8 k at a time (an odd last row paired with zeros).
  // SDOT: rows of k_padded_ bytes.
  const int64_t packed_rows = usmmla_ ? (rows + 1) / 2 * 2 : rows;
  const size_t packed_size = static_cast<size_t>(packed_rows * k_padded_);
  if (a_packed_.size() != packed_size) a_packed_.assign(packed_size, 0);
  int32_t shift = 0;  // what the kernel subtracted from every activation
  if (usmmla_) {
    for (int64_t i = 0; i < packed_rows; ++i) {
      for (int64_t p = 0; p < k_; p += 8) {
        uint8_t* to = a_packed_.data() + ((i / 2) * (k_padded_ / 8) + p / 8) * 16 + (i % 2) * 8;
        const size_t n = static_cast<size_t>(std::min<int64_t>(8, k_ - p));
        if (i < rows) {
          std::memcpy(to, a + i * k_ + p, n);
        } else {
          std::memset(to, 0, n);  // the partner of an odd last row
        }
      }
    }
    internal::UsmmlaGemm(rows, cols_, k_padded_, a_packed_.data(), b_packed_.data(), c);
  } else {
    // u8 - 128 is s8: flipping the top bit.
    shift = 128;
    const uint8x16_t top = vdupq_n_u8(0x80);
    for (int64_t i = 0; i < rows; ++i) {
      const uint8_t* from = a + i * k_;
      uint8_t* to = a_packed_.data() + i * k_padded_;
      int64_t p = 0;
      for (; p + 16 <= k_; p += 16) vst1q_u8(to + p, veorq_u8(vld1q_u8(from + p), top));
      for (; p < k_; ++p) to[p] = static_cast<uint8_t>(from[p] ^ 0x80);
    }
    internal::SdotGemm(rows, cols_, k_padded_, reinterpret_cast<const int8_t*>(a_packed_.data()),
                       b_packed_.data(), c);
  }
  // Σ (a - z)·b = Σ (a - shift)·b + (shift - z)·Σ b.
  const int32_t fold = shift - zero_point;
  for (int64_t i = 0; i < rows; ++i) {
    int32_t* c_row = c + i * cols_;
    int64_t j = 0;
    const int32x4_t f = vdupq_n_s32(fold);
    for (; j + 4 <= cols_; j += 4)
      vst1q_s32(c_row + j, vmlaq_s32(vld1q_s32(c_row + j), f, vld1q_s32(&column_sums_[j])));
    for (; j < cols_; ++j) c_row[j] += fold * column_sums_[j];
  }
}

namespace {

// Calls pixel(n, oy, ox, out) for every output pixel, `out` the offset of its
// first channel.
template <typename Pixel>
void ForEachPixel(const DepthwiseShape& s, Pixel pixel) {
  const int64_t oh = s.oh(), ow = s.ow();
  for (int64_t n = 0; n < s.n; ++n) {
    for (int64_t oy = 0; oy < oh; ++oy) {
      for (int64_t ox = 0; ox < ow; ++ox) pixel(n, oy, ox, ((n * oh + oy) * ow + ox) * s.c);
    }
  }
}

// Calls tap(x, w) for each tap of output pixel (n, oy, ox) that reads the
// input, `x` and `w` the offsets of its first channel in the input and the
// weights. Padding taps add nothing (zero in fp32, the zero point in int8).
template <typename Tap>
void ForEachTap(const DepthwiseShape& s, int64_t n, int64_t oy, int64_t ox, Tap tap) {
  for (int64_t ky = 0; ky < s.kh; ++ky) {
    const int64_t iy = oy * s.stride - s.pad + ky;
    if (iy < 0 || iy >= s.h) continue;
    for (int64_t kx = 0; kx < s.kw; ++kx) {
      const int64_t ix = ox * s.stride - s.pad + kx;
      if (ix < 0 || ix >= s.w) continue;
      tap(((n * s.h + iy) * s.w + ix) * s.c, (ky * s.kw + kx) * s.c);
    }
  }
}

}  // namespace

void DepthwiseF32(const DepthwiseShape& s, const float* in, const float* weights, float* out) {
  ForEachPixel(s, [&](int64_t n, int64_t oy, int64_t ox, int64_t o) {
    int64_t c0 = 0;
    for (; c0 + 8 <= s.c; c0 += 8) {
      float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0);
      ForEachTap(s, n, oy, ox, [&](int64_t x, int64_t w) {
        acc0 = vfmaq_f32(acc0, vld1q_f32(in + x + c0), vld1q_f32(weights + w + c0));
        acc1 = vfmaq_f32(acc1, vld1q_f32(in + x + c0 + 4), vld1q_f32(weights + w + c0 + 4));
      });
      vst1q_f32(out + o + c0, acc0);
      vst1q_f32(out + o + c0 + 4, acc1);
    }
    for (; c0 < s.c; ++c0) {
      float acc = 0;
      ForEachTap(s, n, oy, ox, [&](int64_t x, int64_t w) { acc += in[x + c0] * weights[w + c0]; });
      out[o + c0] = acc;
    }
  });
}

void DepthwiseInt8(const DepthwiseShape& s, const uint8_t* in, int32_t zero_point,
                   const int8_t* weights, int32_t* out) {
  const int16x8_t zp = vdupq_n_s16(static_cast<int16_t>(zero_point));
  ForEachPixel(s, [&](int64_t n, int64_t oy, int64_t ox, int64_t o) {
    int64_t c0 = 0;
    for (; c0 + 8 <= s.c; c0 += 8) {
      int32x4_t acc0 = vdupq_n_s32(0), acc1 = vdupq_n_s32(0);
      ForEachTap(s, n, oy, ox, [&](int64_t x, int64_t w) {
        // (a - z) in [-255, 255] and w in [-128, 127]: 16-bit factors,
        // 32-bit products.
        const int16x8_t a = vsubq_s16(vreinterpretq_s16_u16(vmovl_u8(vld1_u8(in + x + c0))), zp);
        const int16x8_t wt = vmovl_s8(vld1_s8(weights + w + c0));
        acc0 = vmlal_s16(acc0, vget_low_s16(a), vget_low_s16(wt));
        acc1 = vmlal_high_s16(acc1, a, wt);
      });
      vst1q_s32(out + o + c0, acc0);
      vst1q_s32(out + o + c0 + 4, acc1);
    }
    for (; c0 < s.c; ++c0) {
      int32_t acc = 0;
      ForEachTap(s, n, oy, ox, [&](int64_t x, int64_t w) {
        acc += (static_cast<int32_t>(in[x + c0]) - zero_point) * weights[w + c0];
      });
      out[o + c0] = acc;
    }
  });
}

#else  // not aarch64: the catalog's needs keep every neon variant from here

bool Available() { return false; }

namespace {
[[noreturn]] void NotHere() { throw std::logic_error("the neon kernels exist on aarch64 only"); }
}  // namespace

void GemmF32(int64_t, int64_t, int64_t, const float*, const float*, float*) { NotHere(); }
Int8Gemm::Int8Gemm(const int8_t*, int64_t, int64_t, Kernel) { NotHere(); }
void Int8Gemm::Run(int64_t, const uint8_t*, int32_t, int32_t*) { NotHere(); }
void DepthwiseF32(const DepthwiseShape&, const float*, const float*, float*) { NotHere(); }
void DepthwiseInt8(const DepthwiseShape&, const uint8_t*, int32_t, const int8_t*, int32_t*) {
  NotHere();
}

#endif

}  // namespace effbench::workloads::neon
