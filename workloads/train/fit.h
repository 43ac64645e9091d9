// Training a network on a labelled image dataset, and judging it on the test
// set: epochs of shuffled mini-batches (seeded), optionally random
// horizontal flips, a cosine learning rate, test accuracy after each epoch.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "core/status.h"
#include "workloads/data/fashion_mnist.h"
#include "workloads/nets/net.h"

namespace effbench::workloads::train {

struct FitOptions {
  int epochs = 10;
  int64_t batch = 128;
  float learning_rate = 0.05f;  // the peak: reached linearly over the warm-up, then cosine to 0
  int64_t warmup_steps = 200;   // without batch norm, a full rate at the start can kill the net
  uint64_t seed = 42;
  int threads = 1;
  bool flip = false;  // random horizontal flips
  // The accuracy whose first reaching is reported (time to accuracy).
  double target_accuracy = 0.90;
  // Distillation: the teacher's logits for every training image
  // ([count][classes], of the images as stored: flips must be off), the
  // temperature and the weight of the distillation term. Empty: labels alone.
  std::vector<float> teacher_logits;
  float temperature = 4.0f;
  float alpha = 0.9f;
  // Called after every epoch, e.g. to print progress.
  std::function<void(int epoch, double loss, double test_top1, double seconds)> on_epoch;
};

struct FitResult {
  nets::Weights weights;
  std::vector<double> step_seconds;  // every step's wall time
  std::vector<double> epoch_top1;    // test accuracy after each epoch
  double train_seconds = 0;          // steps only, not the evaluations
  double images_per_second = 0;
  // Training seconds until the test accuracy first reached the target.
  std::optional<double> seconds_to_target;
};

// Trains `net` from `initial` on `data.train`.
Result<FitResult> Fit(const nets::Network& net, nets::Weights initial,
                      const data::ImageDataset& data, const FitOptions& options);

// The network's logits for `images` ([count][h][w][c]), in batches, by the
// oneDNN fp32 executor (or `executor` when given: an int8 one, say).
Result<std::vector<float>> Logits(const nets::Network& net, const nets::Weights& weights,
                                  const data::LabelledImages& images, int threads);
Result<std::vector<float>> Logits(nets::Executor& executor, int64_t batch,
                                  const data::LabelledImages& images, int64_t classes);

// Whether each image's top-1 class is its label.
std::vector<uint8_t> Correct(const std::vector<float>& logits, const data::LabelledImages& images,
                             int64_t classes);
double Accuracy(const std::vector<uint8_t>& correct);

}  // namespace effbench::workloads::train
