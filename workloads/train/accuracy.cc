#include "workloads/train/accuracy.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace effbench::workloads::train {

AccuracyDelta CompareAccuracy(const std::vector<uint8_t>& correct,
                              const std::vector<uint8_t>& correct_fp32, uint64_t seed,
                              int resamples) {
  AccuracyDelta out;
  const size_t n = std::min(correct.size(), correct_fp32.size());
  if (n == 0) return out;
  int64_t right = 0, right_fp32 = 0, gained = 0, lost = 0;
  for (size_t i = 0; i < n; ++i) {
    right += correct[i] != 0;
    right_fp32 += correct_fp32[i] != 0;
    gained += correct[i] && !correct_fp32[i];
    lost += !correct[i] && correct_fp32[i];
  }
  const double count = double(n);
  out.top1 = double(right) / count;
  out.top1_fp32 = double(right_fp32) / count;
  out.delta = out.top1 - out.top1_fp32;
  out.meets_mlperf_99 = out.top1 >= 0.99 * out.top1_fp32;
  // Each image contributes +1 (gained), −1 (lost) or 0 to the difference; a
  // resample's numbers of +1 and −1 images are multinomial.
  std::mt19937_64 rng(seed);
  const double p_gain = double(gained) / count, p_lost = double(lost) / count;
  std::vector<double> deltas(static_cast<size_t>(resamples));
  for (double& d : deltas) {
    const int64_t g = std::binomial_distribution<int64_t>(int64_t(n), p_gain)(rng);
    const double rest = 1.0 - p_gain;
    const int64_t l = rest > 0 ? std::binomial_distribution<int64_t>(
                                     int64_t(n) - g, std::min(1.0, p_lost / rest))(rng)
                               : 0;
    d = double(g - l) / count;
  }
  std::sort(deltas.begin(), deltas.end());
  const auto at = [&](double q) {
    const double pos = q * double(deltas.size() - 1);
    const size_t below = static_cast<size_t>(std::floor(pos));
    const size_t above = std::min(below + 1, deltas.size() - 1);
    return deltas[below] + (pos - double(below)) * (deltas[above] - deltas[below]);
  };
  out.lo = at(0.025);
  out.hi = at(0.975);
  return out;
}

}  // namespace effbench::workloads::train
