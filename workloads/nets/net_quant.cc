// Post-training int8 quantization of networks: calibration, weight
// quantization and the reference int8 executor.
#include <algorithm>
#include <cmath>
#include <functional>

#include "workloads/common/cpu_isa.h"
#include "workloads/common/random.h"
#include "workloads/common/tensor_forms.h"
#include "workloads/conv/conv_ref.h"
#include "workloads/nets/net.h"

namespace effbench::workloads::nets {

Result<QuantScheme> ParseQuantScheme(const std::string& name) {
  if (name == "pt_minmax") return QuantScheme{false, false};
  if (name == "pc_minmax") return QuantScheme{true, false};
  if (name == "pt_pct") return QuantScheme{false, true};
  if (name == "pc_pct") return QuantScheme{true, true};
  return Status::InvalidArgument("unknown int8 scheme '" + name +
                                 "' (known: pt_minmax, pc_minmax, pt_pct, pc_pct)");
}

namespace {

// Running range of one activation tensor over the calibration images.
struct RangeStats {
  float lo = 0, hi = 0;       // min/max, always including zero
  std::vector<float> sample;  // for percentiles: a strided sample of values
};

constexpr size_t kSampleCap = 1 << 20;

void Observe(RangeStats& r, const float* v, size_t n, bool keep_sample) {
  for (size_t i = 0; i < n; ++i) {
    r.lo = std::min(r.lo, v[i]);
    r.hi = std::max(r.hi, v[i]);
  }
  if (!keep_sample) return;
  const size_t stride = std::max<size_t>(1, n / (kSampleCap / 8));
  for (size_t i = 0; i < n && r.sample.size() < kSampleCap; i += stride) r.sample.push_back(v[i]);
}

QuantParams ParamsFor(RangeStats& r, bool percentile) {
  float lo = r.lo, hi = r.hi;
  if (percentile && r.sample.size() > 100) {
    const auto at = [&](double q) {
      const size_t k = static_cast<size_t>(q * static_cast<double>(r.sample.size() - 1));
      std::nth_element(r.sample.begin(), r.sample.begin() + static_cast<std::ptrdiff_t>(k),
                       r.sample.end());
      return r.sample[k];
    };
    lo = std::min(0.0f, at(0.0001));
    hi = std::max(0.0f, at(0.9999));
  }
  const float range[2] = {lo, hi};
  return ChooseAsymmetricU8(range);
}

}  // namespace

namespace {

// Quantize's work, with the calibration images from `fill(input, done)`.
Result<QuantizedNet> QuantizeWith(const Network& net, const Weights& weights, QuantScheme scheme,
                                  Executor& calibration, int64_t batch, int64_t images,
                                  const std::function<void(std::vector<float>&, int64_t)>& fill) {
  const auto& nodes = net.nodes();
  QuantizedNet q;
  q.scheme = scheme;
  q.act.resize(nodes.size());
  q.wq.resize(nodes.size());
  q.w_scale.resize(nodes.size());
  const long qmax = SymmetricMax(NetworkInt8Recipe().weight_bits);

  // Weights: s8 symmetric, per output channel (element e belongs to channel e % cout) or per
  // tensor.
  std::vector<bool> conv_input(nodes.size(), false);
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& n = nodes[i];
    if (n.kind != Node::Kind::kConv) continue;
    conv_input[static_cast<size_t>(n.inputs[0])] = true;
    const std::vector<float>& w = weights.w[i];
    const size_t cout = static_cast<size_t>(n.cout);
    std::vector<float> amax(cout, 0.0f);
    for (size_t e = 0; e < w.size(); ++e)
      amax[e % cout] = std::max(amax[e % cout], std::fabs(w[e]));
    if (!scheme.per_channel) {
      const float all = *std::max_element(amax.begin(), amax.end());
      std::fill(amax.begin(), amax.end(), all);
    }
    q.w_scale[i].resize(cout);
    for (size_t c = 0; c < cout; ++c)
      q.w_scale[i][c] = amax[c] > 0 ? amax[c] / static_cast<float>(qmax) : 1.0f;
    q.wq[i].resize(w.size());
    for (size_t e = 0; e < w.size(); ++e) {
      const long v = std::lrint(w[e] / q.w_scale[i][e % cout]);
      q.wq[i][e] = static_cast<int8_t>(std::clamp<long>(v, -qmax, qmax));
    }
  }

  // Activations: the range of every tensor a convolution reads, over the
  // calibration images.
  std::vector<RangeStats> stats(nodes.size());
  const Node& in = nodes[0];
  const size_t image = static_cast<size_t>(in.h * in.w * in.c);
  std::vector<float> input(image * static_cast<size_t>(batch));
  for (int64_t done = 0; done < images; done += batch) {
    fill(input, done);
    calibration.Run(input);
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (!conv_input[i]) continue;
      const float* a = i == 0 ? input.data() : calibration.Activation(static_cast<int>(i));
      if (a == nullptr) return Status::Internal("calibration executor keeps no activations");
      const size_t count = static_cast<size_t>(batch * nodes[i].h * nodes[i].w * nodes[i].c);
      Observe(stats[i], a, count, scheme.percentile);
    }
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (conv_input[i]) q.act[i] = ParamsFor(stats[i], scheme.percentile);
  }
  q.calibration_inputs = (images + batch - 1) / batch * batch;
  return q;
}

}  // namespace

Result<QuantizedNet> Quantize(const Network& net, const Weights& weights, QuantScheme scheme,
                              Executor& calibration, int64_t batch, int64_t images, uint64_t seed) {
  const Node& in = net.nodes()[0];
  return QuantizeWith(net, weights, scheme, calibration, batch, images,
                      [&](std::vector<float>& input, int64_t done) {
                        FillImages(input, batch, in.h, in.w, in.c,
                                   seed + static_cast<uint64_t>(done));
                      });
}

Result<QuantizedNet> Quantize(const Network& net, const Weights& weights, QuantScheme scheme,
                              Executor& calibration, int64_t batch,
                              const std::vector<float>& images) {
  const size_t image = static_cast<size_t>(net.nodes()[0].h * net.nodes()[0].w * net.nodes()[0].c);
  const auto count = static_cast<int64_t>(images.size() / image);
  if (count < batch) {
    return Status::InvalidArgument("calibration needs at least " + std::to_string(batch) +
                                   " images, has " + std::to_string(count));
  }
  return QuantizeWith(
      net, weights, scheme, calibration, batch, count / batch * batch,
      [&](std::vector<float>& input, int64_t done) {
        std::copy_n(images.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(done) * image),
                    input.size(), input.begin());
      });
}

Quantization DescribeQuantization(const QuantizedNet& q, const std::string& fp32_ops) {
  Quantization info;
  info.weights =
      std::string("s8 symmetric ") + (q.scheme.per_channel ? "per-channel" : "per-tensor");
  info.activations = "u8 asymmetric per-tensor";
  info.calibration = q.scheme.percentile ? "percentile 0.01-99.99" : "minmax";
  info.calibration_inputs = q.calibration_inputs;
  info.fp32_ops = fp32_ops;
  RecordRecipe(NetworkInt8Recipe(), info);
  return info;
}

}  // namespace effbench::workloads::nets
