// Seeded random fills for workload inputs.
#pragma once

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

}  // namespace effbench::workloads
