// MLP forward and backward passes, losses, SGD, the synthetic task and the
// gradient check.
#include <algorithm>
#include <cmath>

#include "workloads/kd/kd.h"

namespace effbench::workloads::kd {

template <typename T>
int64_t Mlp<T>::Parameters() const {
  int64_t p = 0;
  for (size_t l = 0; l < w.size(); ++l) p += static_cast<int64_t>(w[l].size() + b[l].size());
  return p;
}

template <typename T>
Mlp<T> MakeMlp(const std::vector<int64_t>& sizes, uint64_t seed) {
  Mlp<T> net;
  net.sizes = sizes;
  std::mt19937_64 gen(seed);
  for (size_t l = 0; l + 1 < sizes.size(); ++l) {
    const T bound = std::sqrt(T(6) / static_cast<T>(sizes[l]));  // He uniform
    std::uniform_real_distribution<double> dist(-bound, bound);
    net.w.emplace_back(static_cast<size_t>(sizes[l + 1] * sizes[l]));
    for (T& v : net.w.back()) v = static_cast<T>(dist(gen));
    net.b.emplace_back(static_cast<size_t>(sizes[l + 1]), T(0));
  }
  return net;
}

namespace {

// y[batch][out] = x[batch][in] · wᵀ + b
template <typename T>
void Dense(const std::vector<T>& x, const std::vector<T>& w, const std::vector<T>& b, int64_t batch,
           int64_t in, int64_t out, std::vector<T>& y) {
  y.assign(static_cast<size_t>(batch * out), T(0));
  for (int64_t i = 0; i < batch; ++i) {
    const T* xi = &x[static_cast<size_t>(i * in)];
    T* yi = &y[static_cast<size_t>(i * out)];
    for (int64_t o = 0; o < out; ++o) {
      const T* wo = &w[static_cast<size_t>(o * in)];
      T sum = b[static_cast<size_t>(o)];
      for (int64_t k = 0; k < in; ++k) sum += xi[k] * wo[k];
      yi[o] = sum;
    }
  }
}

// Every layer's input (after the ReLU of the previous layer), then the logits.
template <typename T>
std::vector<std::vector<T>> Activations(const Mlp<T>& net, const std::vector<T>& x, int64_t batch) {
  std::vector<std::vector<T>> acts = {x};
  for (size_t l = 0; l < net.w.size(); ++l) {
    std::vector<T> y;
    Dense(acts.back(), net.w[l], net.b[l], batch, net.sizes[l], net.sizes[l + 1], y);
    if (l + 1 < net.w.size()) {
      for (T& v : y) v = std::max(v, T(0));
    }
    acts.push_back(std::move(y));
  }
  return acts;
}

template <typename T>
void Softmax(const T* z, int64_t n, T temperature, T* p) {
  const T m = *std::max_element(z, z + n);
  T sum = 0;
  for (int64_t k = 0; k < n; ++k) sum += p[k] = std::exp((z[k] - m) / temperature);
  for (int64_t k = 0; k < n; ++k) p[k] /= sum;
}

}  // namespace

template <typename T>
std::vector<T> Forward(const Mlp<T>& net, const std::vector<T>& x, int64_t batch) {
  return Activations(net, x, batch).back();
}

template <typename T>
Gradients<T> Backward(const Mlp<T>& net, const std::vector<T>& x, int64_t batch,
                      const std::vector<T>& dlogits) {
  const auto acts = Activations(net, x, batch);
  Gradients<T> g;
  g.w.resize(net.w.size());
  g.b.resize(net.b.size());
  std::vector<T> delta = dlogits;  // gradient with respect to layer l's output
  for (size_t l = net.w.size(); l-- > 0;) {
    const int64_t in = net.sizes[l], out = net.sizes[l + 1];
    const std::vector<T>& a = acts[l];
    g.w[l].assign(net.w[l].size(), T(0));
    g.b[l].assign(net.b[l].size(), T(0));
    for (int64_t i = 0; i < batch; ++i) {
      for (int64_t o = 0; o < out; ++o) {
        const T d = delta[static_cast<size_t>(i * out + o)];
        if (d == T(0)) continue;
        g.b[l][static_cast<size_t>(o)] += d;
        T* gw = &g.w[l][static_cast<size_t>(o * in)];
        const T* ai = &a[static_cast<size_t>(i * in)];
        for (int64_t k = 0; k < in; ++k) gw[k] += d * ai[k];
      }
    }
    if (l == 0) break;
    std::vector<T> prev(static_cast<size_t>(batch * in), T(0));
    for (int64_t i = 0; i < batch; ++i) {
      for (int64_t o = 0; o < out; ++o) {
        const T d = delta[static_cast<size_t>(i * out + o)];
        if (d == T(0)) continue;
        const T* wo = &net.w[l][static_cast<size_t>(o * in)];
        T* pi = &prev[static_cast<size_t>(i * in)];
        for (int64_t k = 0; k < in; ++k) pi[k] += d * wo[k];
      }
    }
    for (size_t e = 0; e < prev.size(); ++e) {
      if (a[e] <= T(0)) prev[e] = T(0);  // through the ReLU that produced a
    }
    delta = std::move(prev);
  }
  return g;
}

template <typename T>
T CrossEntropy(const std::vector<T>& logits, const std::vector<int>& labels, int64_t classes,
               std::vector<T>& dlogits) {
  const int64_t batch = static_cast<int64_t>(labels.size());
  dlogits.assign(logits.size(), T(0));
  T loss = 0;
  for (int64_t i = 0; i < batch; ++i) {
    T* d = &dlogits[static_cast<size_t>(i * classes)];
    Softmax(&logits[static_cast<size_t>(i * classes)], classes, T(1), d);
    const size_t y = static_cast<size_t>(labels[static_cast<size_t>(i)]);
    loss -= std::log(std::max(d[y], T(1e-30)));
    d[y] -= 1;
    for (int64_t k = 0; k < classes; ++k) d[k] /= static_cast<T>(batch);
  }
  return loss / static_cast<T>(batch);
}

template <typename T>
T DistillationLoss(const std::vector<T>& student, const std::vector<T>& teacher, int64_t classes,
                   T temperature, std::vector<T>& dlogits) {
  const int64_t batch = static_cast<int64_t>(student.size()) / classes;
  dlogits.assign(student.size(), T(0));
  std::vector<T> p(static_cast<size_t>(classes)), q(static_cast<size_t>(classes));
  T loss = 0;
  for (int64_t i = 0; i < batch; ++i) {
    Softmax(&teacher[static_cast<size_t>(i * classes)], classes, temperature, p.data());
    Softmax(&student[static_cast<size_t>(i * classes)], classes, temperature, q.data());
    for (int64_t k = 0; k < classes; ++k) {
      if (p[k] > 0) loss += p[k] * (std::log(p[k]) - std::log(std::max(q[k], T(1e-30))));
      // d(T²·KL)/dz_k = T·(q_k − p_k), averaged over the batch.
      dlogits[static_cast<size_t>(i * classes + k)] =
          temperature * (q[k] - p[k]) / static_cast<T>(batch);
    }
  }
  return temperature * temperature * loss / static_cast<T>(batch);
}

template <typename T>
void SgdStep(Mlp<T>& net, const Gradients<T>& g, T learning_rate) {
  for (size_t l = 0; l < net.w.size(); ++l) {
    for (size_t e = 0; e < net.w[l].size(); ++e) net.w[l][e] -= learning_rate * g.w[l][e];
    for (size_t e = 0; e < net.b[l].size(); ++e) net.b[l][e] -= learning_rate * g.b[l][e];
  }
}

template struct Mlp<float>;
template struct Mlp<double>;
template Mlp<float> MakeMlp(const std::vector<int64_t>&, uint64_t);
template Mlp<double> MakeMlp(const std::vector<int64_t>&, uint64_t);
template std::vector<float> Forward(const Mlp<float>&, const std::vector<float>&, int64_t);
template Gradients<float> Backward(const Mlp<float>&, const std::vector<float>&, int64_t,
                                   const std::vector<float>&);
template float CrossEntropy(const std::vector<float>&, const std::vector<int>&, int64_t,
                            std::vector<float>&);
template float DistillationLoss(const std::vector<float>&, const std::vector<float>&, int64_t,
                                float, std::vector<float>&);
template void SgdStep(Mlp<float>&, const Gradients<float>&, float);

Task::Task(uint64_t seed) : gen_(seed ^ 0x7a5c) {
  std::mt19937_64 proto_gen(seed);
  std::normal_distribution<float> normal(0, 1);
  prototypes_.resize(static_cast<size_t>(kClasses * kInputs));
  for (float& v : prototypes_) v = normal(proto_gen);
}

void Task::Sample(int64_t batch, std::vector<float>& x, std::vector<int>& labels) {
  // Noise six times the prototypes' spread: the classes overlap enough that
  // a good classifier is right about nine times in ten, not always.
  constexpr float kNoise = 6.0f;
  const float kScale = 1.0f / std::sqrt(1.0f + kNoise * kNoise);
  std::normal_distribution<float> noise(0, kNoise);
  std::uniform_int_distribution<int> label(0, kClasses - 1);
  x.resize(static_cast<size_t>(batch * kInputs));
  labels.resize(static_cast<size_t>(batch));
  for (int64_t i = 0; i < batch; ++i) {
    const int y = label(gen_);
    labels[static_cast<size_t>(i)] = y;
    for (int64_t k = 0; k < kInputs; ++k) {
      // Scaled to unit variance per dimension, so SGD steps stay stable.
      x[static_cast<size_t>(i * kInputs + k)] =
          (prototypes_[static_cast<size_t>(y * kInputs + k)] + noise(gen_)) * kScale;
    }
  }
}

double Top1Agreement(const std::vector<float>& a, const std::vector<float>& b, int64_t classes) {
  const size_t c = static_cast<size_t>(classes);
  const size_t n = a.size() / c;
  size_t agree = 0;
  for (size_t i = 0; i < n; ++i) {
    agree += std::max_element(&a[i * c], &a[i * c] + c) - &a[i * c] ==
             std::max_element(&b[i * c], &b[i * c] + c) - &b[i * c];
  }
  return n ? static_cast<double>(agree) / static_cast<double>(n) : 0;
}

Result<double> GradientCheck(uint64_t seed) {
  // A small MLP of both depths, in float64, on a small batch.
  constexpr int64_t kBatch = 3, kIn = 7, kClasses = 5;
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal(0, 1);
  std::vector<double> x(kBatch * kIn), teacher(kBatch * kClasses);
  for (double& v : x) v = normal(gen);
  for (double& v : teacher) v = 2 * normal(gen);
  const std::vector<int> labels = {0, 3, 4};
  double worst = 0;
  for (const std::vector<int64_t>& sizes :
       {std::vector<int64_t>{kIn, 6, kClasses}, std::vector<int64_t>{kIn, 6, 6, kClasses}}) {
    for (const bool distill : {false, true}) {
      Mlp<double> net = MakeMlp<double>(sizes, seed + sizes.size());
      const auto loss = [&](const Mlp<double>& m, std::vector<double>* d) {
        std::vector<double> scratch;
        const auto logits = Forward(m, x, kBatch);
        return distill ? DistillationLoss(logits, teacher, kClasses, 3.0, d ? *d : scratch)
                       : CrossEntropy(logits, labels, kClasses, d ? *d : scratch);
      };
      std::vector<double> dlogits;
      loss(net, &dlogits);
      const Gradients<double> g = Backward(net, x, kBatch, dlogits);
      for (size_t l = 0; l < net.w.size(); ++l) {
        double diff2 = 0, norm2 = 0;
        for (size_t e = 0; e < net.w[l].size(); ++e) {
          const double h = 1e-6, saved = net.w[l][e];
          net.w[l][e] = saved + h;
          const double up = loss(net, nullptr);
          net.w[l][e] = saved - h;
          const double down = loss(net, nullptr);
          net.w[l][e] = saved;
          const double numeric = (up - down) / (2 * h);
          diff2 += (numeric - g.w[l][e]) * (numeric - g.w[l][e]);
          norm2 += numeric * numeric;
        }
        // Per layer, the relative L2 distance of the two gradients.
        worst = std::max(worst, std::sqrt(diff2 / std::max(norm2, 1e-30)));
      }
    }
  }
  if (worst > 1e-5) {
    return Status::Internal("backpropagation disagrees with finite differences: relative error " +
                            std::to_string(worst));
  }
  return worst;
}

template std::vector<double> Forward(const Mlp<double>&, const std::vector<double>&, int64_t);
template Gradients<double> Backward(const Mlp<double>&, const std::vector<double>&, int64_t,
                                    const std::vector<double>&);
template double CrossEntropy(const std::vector<double>&, const std::vector<int>&, int64_t,
                             std::vector<double>&);
template double DistillationLoss(const std::vector<double>&, const std::vector<double>&, int64_t,
                                 double, std::vector<double>&);

}  // namespace effbench::workloads::kd
