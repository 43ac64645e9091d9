// Knowledge distillation: a teacher MLP trained on labelled synthetic data, then
// a much smaller student trained by SGD to match the teacher's softened
// outputs (softmax at temperature T, KL divergence scaled by T², Hinton et
// al. 2015) on the same kind of inputs, and judged by its top-1 agreement with
// the teacher on held-out inputs.
//
// Data: 10 classes in 784 dimensions (the shape of MNIST), each class a random
// prototype; an input is its prototype plus strong Gaussian noise, seeded.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/status.h"
#include "workloads/family.h"

namespace effbench::workloads::kd {

// A multi-layer perceptron with ReLU between layers, in precision T.
template <typename T>
struct Mlp {
  std::vector<int64_t> sizes;        // layer widths, input first
  std::vector<std::vector<T>> w, b;  // w[l]: out×in row-major
  int64_t Parameters() const;
};

template <typename T>
Mlp<T> MakeMlp(const std::vector<int64_t>& sizes, uint64_t seed);

// Logits of `x` ([batch][in]).
template <typename T>
std::vector<T> Forward(const Mlp<T>& net, const std::vector<T>& x, int64_t batch);

// Gradients of a loss whose gradient with respect to the logits is `dlogits`.
template <typename T>
struct Gradients {
  std::vector<std::vector<T>> w, b;
};
template <typename T>
Gradients<T> Backward(const Mlp<T>& net, const std::vector<T>& x, int64_t batch,
                      const std::vector<T>& dlogits);

// Cross-entropy with integer labels: returns the mean loss, fills dlogits.
template <typename T>
T CrossEntropy(const std::vector<T>& logits, const std::vector<int>& labels, int64_t classes,
               std::vector<T>& dlogits);
// Distillation loss T²·KL(softmax(teacher/T) ‖ softmax(student/T)): returns
// the mean loss, fills dlogits (with respect to the student's logits).
template <typename T>
T DistillationLoss(const std::vector<T>& student, const std::vector<T>& teacher, int64_t classes,
                   T temperature, std::vector<T>& dlogits);

template <typename T>
void SgdStep(Mlp<T>& net, const Gradients<T>& g, T learning_rate);

// The synthetic task.
class Task {
 public:
  static constexpr int64_t kInputs = 784, kClasses = 10;
  explicit Task(uint64_t seed);
  // A batch of inputs and their labels; each call draws new ones.
  void Sample(int64_t batch, std::vector<float>& x, std::vector<int>& labels);

 private:
  std::vector<float> prototypes_;
  std::mt19937_64 gen_;
};

// Top-1 agreement of two sets of logits.
double Top1Agreement(const std::vector<float>& a, const std::vector<float>& b, int64_t classes);

// Checks Backward against central finite differences in float64 for both
// architectures and both losses; returns the largest relative error.
Result<double> GradientCheck(uint64_t seed);

// The families of workloads/specs/kd.json.
std::vector<Family> MakeFamilies();

}  // namespace effbench::workloads::kd
