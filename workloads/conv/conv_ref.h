// The reference convolution loop, shared by the convolution workloads and
// the reference network executor: direct loops over output pixels, kernel taps
// and channels. Dense and grouped convolutions run the output channels
// innermost (contiguous in weights and output), depthwise ones the channels.
#pragma once

#include <algorithm>
#include <cstdint>

#include "workloads/conv/conv.h"

namespace effbench::workloads::conv {

// out = conv(in, w) for layouts in/out NHWC and w [kh][kw][cin/g][g][cout/g];
// `load_i`/`load_w` widen elements to the accumulator type TO.
template <typename TO, typename TI, typename TW, typename LoadI, typename LoadW>
void ReferenceConv(const Shape& s, const TI* in, const TW* w, TO* out, LoadI load_i, LoadW load_w) {
  const int64_t oh = s.oh(), ow = s.ow(), cin_g = s.cin_g(), cout_g = s.cout_g();
  const bool depthwise = cin_g == 1 && cout_g == 1;
  std::fill(out, out + s.n * oh * ow * s.cout, TO{0});
  for (int64_t n = 0; n < s.n; ++n) {
    for (int64_t y = 0; y < oh; ++y) {
      for (int64_t x = 0; x < ow; ++x) {
        TO* o = out + ((n * oh + y) * ow + x) * s.cout;
        for (int64_t ky = 0; ky < s.kh; ++ky) {
          const int64_t iy = y * s.stride - s.pad + ky;
          if (iy < 0 || iy >= s.h) continue;
          for (int64_t kx = 0; kx < s.kw; ++kx) {
            const int64_t ix = x * s.stride - s.pad + kx;
            if (ix < 0 || ix >= s.w) continue;
            const TI* ip = in + ((n * s.h + iy) * s.w + ix) * s.cin;
            const TW* wp = w + (ky * s.kw + kx) * cin_g * s.groups * cout_g;
            if (depthwise) {
              for (int64_t c = 0; c < s.cout; ++c) o[c] += load_i(ip[c]) * load_w(wp[c]);
              continue;
            }
            for (int64_t ci = 0; ci < cin_g; ++ci) {
              for (int64_t g = 0; g < s.groups; ++g) {
                const TO a = load_i(ip[g * cin_g + ci]);
                const TW* wr = wp + (ci * s.groups + g) * cout_g;
                TO* og = o + g * cout_g;
                for (int64_t co = 0; co < cout_g; ++co) og[co] += a * load_w(wr[co]);
              }
            }
          }
        }
      }
    }
  }
}

}  // namespace effbench::workloads::conv
