// What a compressed model's accuracy costs against its fp32 original, on the
// same test images: top-1 of each, the difference, a 95 % confidence
// interval of the difference by the paired bootstrap over test images, and
// MLPerf's rule (the model keeps at least 99 % of the fp32 accuracy).
#pragma once

#include <cstdint>
#include <vector>

namespace effbench::workloads::train {

struct AccuracyDelta {
  double top1 = 0, top1_fp32 = 0;
  double delta = 0;       // top1 − top1_fp32, a fraction
  double lo = 0, hi = 0;  // its 95 % interval
  bool meets_mlperf_99 = false;
};

// `correct` and `correct_fp32` say per test image (the same images, in the
// same order) whether each model's top-1 was right. The bootstrap draws
// `resamples` resamples of the images with replacement, seeded; per
// resample only how many images each model alone got right matters, so it
// is drawn as a multinomial rather than image by image.
AccuracyDelta CompareAccuracy(const std::vector<uint8_t>& correct,
                              const std::vector<uint8_t>& correct_fp32, uint64_t seed,
                              int resamples = 4000);

}  // namespace effbench::workloads::train
