// The reference network executor (any precision T), the seeded weights and
// their batch-norm recalibration.
#include <algorithm>
#include <cmath>
#include <random>

#include "workloads/common/random.h"
#include "workloads/conv/conv_ref.h"
#include "workloads/nets/net.h"

namespace effbench::workloads::nets {
namespace {

template <typename T>
T Activate(Act act, T x) {
  switch (act) {
    case Act::kNone:
      return x;
    case Act::kRelu:
      return std::max<T>(x, 0);
    case Act::kRelu6:
      return std::min<T>(std::max<T>(x, 0), 6);
    case Act::kSilu:
      return x / (1 + std::exp(-x));
    case Act::kSigmoid:
      return 1 / (1 + std::exp(-x));
  }
  return x;
}

conv::Shape ConvShape(const Network& net, const Node& n, int64_t batch) {
  const Node& x = net.nodes()[static_cast<size_t>(n.inputs[0])];
  return conv::Shape{batch, x.h, x.w, x.c, n.cout, n.k, n.k, n.stride, n.pad, n.groups};
}

// Runs node `i` of `net` on the outputs of earlier nodes.
// An int8 convolution as QuantizedNet describes it: quantize the input,
// accumulate in int32, requantize to T with the input and weight scales.
template <typename T>
void RunInt8Conv(const Network& net, size_t i, const std::vector<float>& b, const QuantizedNet& q,
                 const std::vector<T>& in, std::vector<T>& y, int64_t batch,
                 const uint8_t* given = nullptr) {
  const Node& n = net.nodes()[i];
  const QuantParams p = *q.act[static_cast<size_t>(n.inputs[0])];
  // Quantized exactly as the oneDNN reorder does it: in fp32, multiplying by
  // the inverse scale, rounding to nearest even, so that both backends feed
  // the same integers to their convolutions whatever T is.
  const float inv_scale = 1.0f / p.scale;
  std::vector<int32_t> xq(in.size());
  for (size_t e = 0; e < in.size(); ++e) {
    const long v =
        given ? given[e] : std::lrint(static_cast<float>(in[e]) * inv_scale) + p.zero_point;
    xq[e] = static_cast<int32_t>(std::clamp<long>(v, 0, 255)) - p.zero_point;
  }
  std::vector<int32_t> acc(y.size());
  conv::ReferenceConv(
      ConvShape(net, n, batch), xq.data(), q.wq[i].data(), acc.data(), [](int32_t v) { return v; },
      [](int8_t v) { return static_cast<int32_t>(v); });
  const size_t c = static_cast<size_t>(n.c);
  for (size_t e = 0; e < y.size(); ++e) {
    const T scale = static_cast<T>(p.scale) * static_cast<T>(q.w_scale[i][e % c]);
    y[e] = Activate<T>(n.act, static_cast<T>(acc[e]) * scale + static_cast<T>(b[e % c]));
  }
}

template <typename T, typename WT>
void RunNode(const Network& net, size_t i, const std::vector<WT>& w, const std::vector<WT>& b,
             std::vector<std::vector<T>>& out, int64_t batch, const QuantizedNet* q = nullptr,
             const uint8_t* quantized_input = nullptr) {
  const Node& n = net.nodes()[i];
  const auto& in0 = out[static_cast<size_t>(n.inputs.empty() ? 0 : n.inputs[0])];
  std::vector<T>& y = out[i];
  y.assign(static_cast<size_t>(batch * n.h * n.w * n.c), T{0});
  const Node* x = n.inputs.empty() ? nullptr : &net.nodes()[static_cast<size_t>(n.inputs[0])];
  switch (n.kind) {
    case Node::Kind::kInput:
      break;
    case Node::Kind::kConv: {
      if (q != nullptr) {
        RunInt8Conv(net, i, b, *q, in0, y, batch, quantized_input);
        break;
      }
      const auto widen = [](WT v) { return static_cast<T>(v); };
      const auto same = [](T v) { return v; };
      conv::ReferenceConv(ConvShape(net, n, batch), in0.data(), w.data(), y.data(), same, widen);
      for (size_t p = 0; p < y.size(); ++p) {
        y[p] = Activate<T>(n.act, y[p] + static_cast<T>(b[p % static_cast<size_t>(n.c)]));
      }
      break;
    }
    case Node::Kind::kMaxPool:
      for (int64_t im = 0; im < batch; ++im) {
        for (int64_t oy = 0; oy < n.h; ++oy) {
          for (int64_t ox = 0; ox < n.w; ++ox) {
            T* o = &y[static_cast<size_t>(((im * n.h + oy) * n.w + ox) * n.c)];
            std::fill(o, o + n.c, -INFINITY);
            for (int64_t ky = 0; ky < n.pool_k; ++ky) {
              const int64_t iy = oy * n.pool_stride - n.pool_pad_l + ky;
              if (iy < 0 || iy >= x->h) continue;
              for (int64_t kx = 0; kx < n.pool_k; ++kx) {
                const int64_t ix = ox * n.pool_stride - n.pool_pad_l + kx;
                if (ix < 0 || ix >= x->w) continue;
                const T* p = &in0[static_cast<size_t>(((im * x->h + iy) * x->w + ix) * n.c)];
                for (int64_t c = 0; c < n.c; ++c) o[c] = std::max(o[c], p[c]);
              }
            }
          }
        }
      }
      break;
    case Node::Kind::kGlobalAvgPool:
      for (int64_t im = 0; im < batch; ++im) {
        T* o = &y[static_cast<size_t>(im * n.c)];
        for (int64_t p = 0; p < x->h * x->w; ++p) {
          const T* v = &in0[static_cast<size_t>((im * x->h * x->w + p) * n.c)];
          for (int64_t c = 0; c < n.c; ++c) o[c] += v[c];
        }
        for (int64_t c = 0; c < n.c; ++c) o[c] /= static_cast<T>(x->h * x->w);
      }
      break;
    case Node::Kind::kAdd: {
      const auto& in1 = out[static_cast<size_t>(n.inputs[1])];
      for (size_t p = 0; p < y.size(); ++p) y[p] = Activate<T>(n.act, in0[p] + in1[p]);
      break;
    }
    case Node::Kind::kMul: {
      const auto& s = out[static_cast<size_t>(n.inputs[1])];  // [batch][c]
      const size_t per_image = static_cast<size_t>(n.h * n.w * n.c);
      for (size_t p = 0; p < y.size(); ++p) {
        y[p] = in0[p] * s[p / per_image * static_cast<size_t>(n.c) + p % static_cast<size_t>(n.c)];
      }
      break;
    }
    case Node::Kind::kConcat: {
      int64_t offset = 0;
      for (int src : n.inputs) {
        const Node& part = net.nodes()[static_cast<size_t>(src)];
        const auto& v = out[static_cast<size_t>(src)];
        for (int64_t p = 0; p < batch * n.h * n.w; ++p) {
          std::copy_n(&v[static_cast<size_t>(p * part.c)], part.c,
                      &y[static_cast<size_t>(p * n.c + offset)]);
        }
        offset += part.c;
      }
      break;
    }
  }
}

template <typename T>
std::vector<T> RunReferenceImpl(const Network& net, const Weights& weights, const QuantizedNet* q,
                                const std::vector<T>& input, int64_t batch,
                                std::vector<std::vector<T>>* keep = nullptr) {
  std::vector<std::vector<T>> out(net.nodes().size());
  out[0] = input;
  for (size_t i = 1; i < net.nodes().size(); ++i) {
    RunNode<T, float>(net, i, weights.w[i], weights.b[i], out, batch, q);
    // Free what no later node reads, to keep peak memory near one layer's.
    for (size_t j = 1; j < i; ++j) {
      bool needed = static_cast<int>(j) == net.output();
      for (size_t later = i + 1; later < net.nodes().size() && !needed; ++later) {
        const auto& ins = net.nodes()[later].inputs;
        needed = std::find(ins.begin(), ins.end(), static_cast<int>(j)) != ins.end();
      }
      if (!needed && keep == nullptr) std::vector<T>().swap(out[j]);
    }
  }
  if (keep != nullptr) {
    *keep = out;
    return out.back();
  }
  return out.back();
}

}  // namespace

template <typename T>
std::vector<T> RunReference(const Network& net, const Weights& weights, const std::vector<T>& input,
                            int64_t batch) {
  return RunReferenceImpl<T>(net, weights, nullptr, input, batch);
}

template <typename T>
std::vector<T> RunReferenceInt8(const Network& net, const Weights& weights, const QuantizedNet& q,
                                const std::vector<T>& input, int64_t batch) {
  return RunReferenceImpl<T>(net, weights, &q, input, batch);
}

Result<double> VerifyNodes(const Network& net, const Weights& weights, const QuantizedNet* q,
                           const Executor& exec, int64_t batch, double int8_tolerance) {
  const auto& nodes = net.nodes();
  double worst = 0;
  for (const int64_t b : {int64_t{0}, batch - 1}) {
    for (size_t i = 1; i < nodes.size(); ++i) {
      const Node& n = nodes[i];
      // The node's inputs, as the executor computed them, for image b.
      std::vector<std::vector<double>> out(nodes.size());
      for (int src : n.inputs) {
        const Node& s = nodes[static_cast<size_t>(src)];
        const size_t image = static_cast<size_t>(s.h * s.w * s.c);
        const float* a = exec.Activation(src);
        if (a == nullptr) return Status::Internal("the executor keeps no activations");
        out[static_cast<size_t>(src)].assign(a + b * image, a + (b + 1) * image);
      }
      // An int8 convolution is checked on the very integers the executor fed
      // it, when it shows them; its quantization is checked on its own.
      const uint8_t* given = nullptr;
      if (q != nullptr && n.kind == Node::Kind::kConv && exec.QuantizedInput(static_cast<int>(i))) {
        const Node& s = nodes[static_cast<size_t>(n.inputs[0])];
        const size_t image = static_cast<size_t>(s.h * s.w * s.c);
        given = exec.QuantizedInput(static_cast<int>(i)) + b * image;
        const QuantParams p = *q->act[static_cast<size_t>(n.inputs[0])];
        const std::vector<double>& x = out[static_cast<size_t>(n.inputs[0])];
        size_t near_ties = 0;
        for (size_t e = 0; e < image; ++e) {
          const double exact = x[e] / p.scale + p.zero_point;
          const double want = std::clamp(std::nearbyint(exact), 0.0, 255.0);
          if (given[e] == want) continue;
          // Only a value within a hair of a rounding tie may land the other way.
          if (std::fabs(given[e] - want) > 1 ||
              std::fabs(std::fabs(exact - std::floor(exact)) - 0.5) > 1e-3) {
            return Status::Internal("the quantized input of node " + std::to_string(i) + " holds " +
                                    std::to_string(given[e]) + " where " + std::to_string(want) +
                                    " was due");
          }
          ++near_ties;
        }
        if (near_ties > image / 1000 + 1) {
          return Status::Internal("the quantized input of node " + std::to_string(i) + " rounds " +
                                  std::to_string(near_ties) + " values the other way");
        }
      }
      RunNode<double, float>(net, i, weights.w[i], weights.b[i], out, 1, q, given);
      const size_t image = static_cast<size_t>(n.h * n.w * n.c);
      const float* got = exec.Activation(static_cast<int>(i)) + b * image;
      ErrorAccumulator err;
      for (size_t e = 0; e < image; ++e) {
        if (!std::isfinite(got[e])) {
          return Status::Internal("node " + std::to_string(i) + " output is not finite");
        }
        err.Add(got[e], out[i][e]);
      }
      const bool int8_conv = q != nullptr && n.kind == Node::Kind::kConv;
      const double tolerance = int8_conv ? int8_tolerance : 1e-5;
      worst = std::max(worst, err.RelL2());
      if (err.RelL2() > tolerance) {
        return Status::Internal(
            "node " + std::to_string(i) + " (" +
            (n.kind == Node::Kind::kConv
                 ? "conv k" + std::to_string(n.k) + " -> " + std::to_string(n.cout)
                 : std::string("kind ") + std::to_string(static_cast<int>(n.kind))) +
            ") of image " + std::to_string(b) + " differs from the float64 reference: rel_l2 " +
            std::to_string(err.RelL2()));
      }
    }
    if (batch == 1) break;
  }
  return worst;
}

template std::vector<float> RunReferenceInt8(const Network&, const Weights&, const QuantizedNet&,
                                             const std::vector<float>&, int64_t);
template std::vector<double> RunReferenceInt8(const Network&, const Weights&, const QuantizedNet&,
                                              const std::vector<double>&, int64_t);

template std::vector<float> RunReference(const Network&, const Weights&, const std::vector<float>&,
                                         int64_t);
template std::vector<double> RunReference(const Network&, const Weights&,
                                          const std::vector<double>&, int64_t);

Weights MakeWeights(const Network& net, uint64_t seed) {
  Weights weights;
  weights.w.resize(net.nodes().size());
  weights.b.resize(net.nodes().size());
  for (size_t i = 0; i < net.nodes().size(); ++i) {
    const Node& n = net.nodes()[i];
    if (n.kind != Node::Kind::kConv) continue;
    const int64_t cin = net.nodes()[static_cast<size_t>(n.inputs[0])].c;
    const int64_t fan_in = n.k * n.k * (cin / n.groups);
    const float bound = std::sqrt(6.0f / static_cast<float>(fan_in));  // He uniform
    weights.w[i].resize(static_cast<size_t>(n.k * n.k * (cin / n.groups) * n.cout));
    FillUniform(weights.w[i], -bound, bound, seed + 7919 * i);
    weights.b[i].assign(static_cast<size_t>(n.cout), 0.0f);
  }

  RecalibrateBatchNorm(net, weights, seed);
  return weights;
}

void RecalibrateBatchNorm(const Network& net, Weights& weights, uint64_t seed) {
  // Run in float64 on a seeded image; at each convolution with batch norm,
  // fold the per-channel mean and standard deviation of its output into its
  // weights and bias, then go on.
  const Node& in = net.nodes()[0];
  std::vector<float> image(static_cast<size_t>(in.h * in.w * in.c));
  FillImages(image, 1, in.h, in.w, in.c, seed ^ 0x5eed);
  std::vector<std::vector<double>> out(net.nodes().size());
  out[0].assign(image.begin(), image.end());
  int last_conv = -1;
  for (size_t i = 0; i < net.nodes().size(); ++i) {
    if (net.nodes()[i].kind == Node::Kind::kConv) last_conv = static_cast<int>(i);
  }
  for (size_t i = 1; i < net.nodes().size(); ++i) {
    const Node& n = net.nodes()[i];
    // The classifier (the last convolution) is centred on the calibration
    // image: a random classifier on features that share a large mean would
    // pick the same class for every input.
    const bool classifier = static_cast<int>(i) == last_conv;
    if (n.kind == Node::Kind::kConv && (n.batch_norm || classifier)) {
      // The pre-activation output of the convolution, per channel.
      const Node& x = net.nodes()[static_cast<size_t>(n.inputs[0])];
      std::vector<double> pre(static_cast<size_t>(n.h * n.w * n.c));
      conv::ReferenceConv(
          conv::Shape{1, x.h, x.w, x.c, n.cout, n.k, n.k, n.stride, n.pad, n.groups},
          out[static_cast<size_t>(n.inputs[0])].data(), weights.w[i].data(), pre.data(),
          [](double v) { return v; }, [](float v) { return static_cast<double>(v); });
      const size_t c = static_cast<size_t>(n.c);
      std::vector<double> sum(c), sum2(c);
      for (size_t p = 0; p < pre.size(); ++p) {
        sum[p % c] += pre[p];
        sum2[p % c] += pre[p] * pre[p];
      }
      const double count = static_cast<double>(pre.size() / c);
      for (size_t ch = 0; ch < c; ++ch) {
        const double mean = sum[ch] / count;
        const double var = std::max(sum2[ch] / count - mean * mean, 0.0);
        // A classifier on a 1×1 map sees one value per channel: centre it only.
        const double inv_std = n.batch_norm ? 1 / std::sqrt(var + 1e-5) : 1.0;
        // Weight element e belongs to output channel e % cout (layout [..][g][cout/g]).
        for (size_t e = ch; e < weights.w[i].size(); e += c) {
          weights.w[i][e] = static_cast<float>(weights.w[i][e] * inv_std);
        }
        weights.b[i][ch] = static_cast<float>(-mean * inv_std);
      }
    }
    RunNode<double, float>(net, i, weights.w[i], weights.b[i], out, 1);
  }
}

namespace {

class RefExecutor final : public Executor {
 public:
  RefExecutor(const Network& net, const Weights& weights, const QuantizedNet* q, int64_t batch)
      : net_(net), weights_(weights), batch_(batch) {
    if (q) q_ = *q;
  }
  // Keeps every node's output, for per-node verification.
  const std::vector<float>& Run(const std::vector<float>& input) override {
    return RunReferenceImpl<float>(net_, weights_, q_ ? &*q_ : nullptr, input, batch_,
                                   &activations_),
           activations_.back();
  }
  std::string Implementation() const override {
    return q_ ? "cxx:reference-int8" : "cxx:reference";
  }
  const float* Activation(int i) const override {
    return activations_[static_cast<size_t>(i)].data();
  }

 private:
  Network net_;
  Weights weights_;
  std::optional<QuantizedNet> q_;
  int64_t batch_;
  std::vector<std::vector<float>> activations_;
};

}  // namespace

std::unique_ptr<Executor> MakeRefExecutor(const Network& net, const Weights& weights,
                                          int64_t batch) {
  return std::make_unique<RefExecutor>(net, weights, nullptr, batch);
}

std::unique_ptr<Executor> MakeRefInt8Executor(const Network& net, const Weights& weights,
                                              const QuantizedNet& quantized, int64_t batch) {
  return std::make_unique<RefExecutor>(net, weights, &quantized, batch);
}

}  // namespace effbench::workloads::nets
