// Seeded random fills for workload inputs.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <span>

namespace effbench::workloads {

// Fills `out` with values uniform in [lo, hi) from a generator seeded by `seed`.
inline void FillUniform(std::span<float> out, float lo, float hi, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (float& v : out) v = dist(gen);
}

// Fills `out` ([batch][h][w][c]) with seeded synthetic images that differ as
// real ones do, not only in their noise: each image is a sum of random 2-D
// waves with its own per-channel offset and contrast, plus a little noise.
// Networks with random weights map white noise images to nearly the same
// logits; these keep them apart.
inline void FillImages(std::span<float> out, int64_t batch, int64_t h, int64_t w, int64_t c,
                       uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  constexpr int kWaves = 4;
  for (int64_t b = 0; b < batch; ++b) {
    float fy[kWaves], fx[kWaves], phase[kWaves], mix[kWaves][4];
    for (int k = 0; k < kWaves; ++k) {
      fy[k] = 6.2832f * (0.5f + 7.5f * unit(gen)) / static_cast<float>(h);
      fx[k] = 6.2832f * (0.5f + 7.5f * unit(gen)) / static_cast<float>(w);
      phase[k] = 6.2832f * unit(gen);
      for (float& m : mix[k]) m = 2 * unit(gen) - 1;
    }
    float offset[4], gain[4];
    for (int ch = 0; ch < 4; ++ch) {
      offset[ch] = 0.6f * unit(gen) - 0.3f;
      gain[ch] = 0.7f + 0.6f * unit(gen);
    }
    for (int64_t y = 0; y < h; ++y) {
      for (int64_t x = 0; x < w; ++x) {
        float wave[kWaves];
        for (int k = 0; k < kWaves; ++k) {
          wave[k] =
              std::sin(fy[k] * static_cast<float>(y) + fx[k] * static_cast<float>(x) + phase[k]);
        }
        for (int64_t ch = 0; ch < c; ++ch) {
          float v = 0;
          for (int k = 0; k < kWaves; ++k) v += mix[k][ch % 4] * wave[k];
          v = offset[ch % 4] + gain[ch % 4] * 0.5f * v + 0.1f * (2 * unit(gen) - 1);
          out[static_cast<size_t>(((b * h + y) * w + x) * c + ch)] = v;
        }
      }
    }
  }
}

}  // namespace effbench::workloads
