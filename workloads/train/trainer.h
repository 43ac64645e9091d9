// Training a nets::Network in fp32 on oneDNN's forward-training and backward
// primitives: convolutions (grouped and depthwise too) with a plain bias,
// ReLU and ReLU6, max and global-average pooling, and additions; softmax
// cross-entropy on the logits, or distillation against a teacher's logits;
// SGD with Nesterov momentum and weight decay.
//
// The trained weights are a nets::Weights, so the inference executors,
// quantization and pruning of workloads/nets run on them unchanged.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/status.h"
#include "workloads/nets/net.h"

namespace effbench::workloads::train {

// He-uniform weights (fan-in of each convolution) and zero biases, seeded.
nets::Weights InitialWeights(const nets::Network& net, uint64_t seed);

// Mean softmax cross-entropy of `logits` ([batch][classes]) against `labels`;
// fills `dlogits` with its gradient.
double CrossEntropy(const float* logits, const uint8_t* labels, int64_t batch, int64_t classes,
                    float* dlogits);

// Hinton et al.'s distillation loss on the teacher's soft targets,
// T·KL(softmax(teacher/T) ‖ softmax(student/T)), mixed with the cross-entropy
// against the labels: α·KD + (1 − α)·CE. Returns the mean loss, fills
// `dlogits` (with respect to the student's logits), α·(q − p) + (1 − α)·∂CE.
// Scaled by T, not Hinton's T²: with T² the gradient of a confident teacher
// against a fresh student is T times the cross-entropy's, and at T = 4 the
// Fashion-MNIST student trained at the label-only twin's learning rate (0.05)
// died in its first epoch (top-1 10 %, measured). With T its gradient starts
// at the scale of the cross-entropy's, so both twins share one recipe.
double DistillationLoss(const float* student, const float* teacher, const uint8_t* labels,
                        int64_t batch, int64_t classes, float temperature, float alpha,
                        float* dlogits);

struct SgdOptions {
  float momentum = 0.9f;
  float weight_decay = 5e-4f;  // on convolution weights, not on biases
};

class Trainer {
 public:
  // A trainer of `net` from `weights` on batches of `batch` images, on
  // `threads` threads. Fails when a node is of a kind it cannot train
  // (multiplication, concatenation), when a convolution has a folded batch
  // norm, or when oneDNN refuses a primitive.
  static Result<std::unique_ptr<Trainer>> Create(const nets::Network& net, nets::Weights weights,
                                                 int64_t batch, int threads, SgdOptions sgd = {});
  virtual ~Trainer() = default;

  // Forward pass on `images` ([batch][h][w][c]); the logits ([batch][classes]).
  virtual const float* Forward(const float* images) = 0;
  // After Forward: back-propagates `dlogits` and fills the gradients.
  virtual void Backward(const float* dlogits) = 0;
  // After Backward: one SGD step at `learning_rate`.
  virtual void Update(float learning_rate) = 0;
  // From now on every Update keeps at zero the weights that are zero in
  // `pruned` (fine-tuning a pruned model keeps its mask).
  virtual void HoldZeros(const nets::Weights& pruned) = 0;

  // One training step on a labelled batch: the mean cross-entropy before it.
  double Step(const float* images, const uint8_t* labels, float learning_rate);

  virtual const nets::Weights& weights() const = 0;
  virtual const nets::Weights& gradients() const = 0;  // of the last Backward
  virtual int64_t batch() const = 0;
  virtual int64_t classes() const = 0;
  // The implementations oneDNN chose, comma-separated.
  virtual std::string Implementation() const = 0;
};

}  // namespace effbench::workloads::train
