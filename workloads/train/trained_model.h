// Trained models, trained once: in a process they are kept in memory, across
// processes in a cache directory, under a key that is the SHA-256 of what
// decides the weights (the trainer's version, the model's layers, the
// recipe, the seed, the dataset's checksum and the teacher's key). A cache
// hit is recorded with every result built on the model.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/measurement.h"
#include "core/status.h"
#include "workloads/data/fashion_mnist.h"
#include "workloads/nets/net.h"
#include "workloads/workload.h"

namespace effbench::workloads::train {

// Bump when a change of the trainer changes the weights it produces: every
// cached model is then trained again.
inline constexpr int kTrainerVersion = 2;

struct Recipe {
  std::string model;  // models.h's name
  int epochs = 20;
  int64_t batch = 128;
  float learning_rate = 0.1f;
  int64_t warmup_steps = 200;  // the learning rate's linear warm-up
  uint64_t seed = 1;
  bool flip = false;  // random horizontal flips (off: on Fashion-MNIST they cost accuracy here)
  double target_top1 = 0.90;  // for time to accuracy
  // Distillation: the teacher's recipe (its model trained first), and the
  // temperature; empty teacher: labels alone.
  std::shared_ptr<const Recipe> teacher;
  float temperature = 4.0f;
};

struct TrainedModel {
  nets::Network net{"", 0, 0, 0};
  nets::Weights weights;
  Training training;
  std::string key;                    // the cache key
  std::vector<uint8_t> test_correct;  // per test image: the fp32 model's top-1 is right
  std::shared_ptr<const data::ImageDataset> data;
};

// Where trained models are cached: `dir`, else $EFFBENCH_CACHE_DIR, else
// $XDG_CACHE_HOME/effbench, else ~/.cache/effbench.
std::string CacheDir(const std::string& dir);

// The model `recipe` trains on the dataset in config.data_dir: from memory,
// else from the cache in config.cache_dir, else trained now on
// config.threads threads (a line per epoch on stderr) and cached. A cache
// file that cannot be read is trained again, not trusted.
Result<std::shared_ptr<const TrainedModel>> TrainedFor(const Recipe& recipe,
                                                       const RunConfig& config);

// Weights to bytes and back (the cache's format: a magic line, then per node
// its weight and bias counts and values, little-endian floats).
std::string SerializeWeights(const nets::Weights& weights);
Result<nets::Weights> ParseWeights(const std::string& bytes, const nets::Network& net);

}  // namespace effbench::workloads::train
