// The network families: prepare a network workload of workloads/specs/nets.json,
// in fp32 or post-training int8.
#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <set>

#include "workloads/common/numeric.h"
#include "workloads/common/random.h"
#include "workloads/nets/net.h"

namespace effbench::workloads::nets {
namespace {

constexpr int64_t kCalibrationBatch = 8;
constexpr int64_t kCalibrationImages = 32;
constexpr int64_t kQualityImages = 256;
// fp32 through dozens of layers: accumulation error grows with depth.
constexpr double kFp32Tolerance = 1e-4;
// An int8 convolution against the same computation in float64 on the same
// input: quantizing that input may round a value or two the other way.
constexpr double kInt8KernelTolerance = 1e-3;
// An int8 network against fp32: quantization error is the finding, not a
// fault; past this the output is noise.
constexpr double kInt8Tolerance = 1.0;

// Accumulates the agreement of logits with reference logits, image by image.
class QualityAccumulator {
 public:
  void Add(const std::vector<float>& ref, const std::vector<float>& out, size_t classes) {
    for (size_t b = 0; b < ref.size() / classes; ++b) {
      const float* r = &ref[b * classes];
      const float* o = &out[b * classes];
      double dot = 0, rr = 0, oo = 0;
      for (size_t k = 0; k < classes; ++k) {
        err2_ += (o[k] - r[k]) * static_cast<double>(o[k] - r[k]);
        dot += static_cast<double>(o[k]) * r[k];
        rr += static_cast<double>(r[k]) * r[k];
        oo += static_cast<double>(o[k]) * o[k];
      }
      ref2_ += rr;
      cosine_sum_ += rr > 0 && oo > 0 ? dot / std::sqrt(rr * oo) : 0;
      const size_t top_ref = static_cast<size_t>(std::max_element(r, r + classes) - r);
      agree_ += top_ref == static_cast<size_t>(std::max_element(o, o + classes) - o);
      ref_classes_.insert(top_ref);
      ++inputs_;
    }
  }

  Quality Finish(bool classifier) const {
    Quality q;
    q.classifier = classifier;
    q.inputs = inputs_;
    q.rel_l2 = ref2_ > 0 ? std::sqrt(err2_ / ref2_) : 0;
    q.sqnr_db = err2_ > 0 ? 10 * std::log10(ref2_ / err2_) : 300;
    q.cosine = inputs_ ? cosine_sum_ / static_cast<double>(inputs_) : 0;
    q.top1_agreement = inputs_ ? static_cast<double>(agree_) / static_cast<double>(inputs_) : 0;
    q.reference_classes = static_cast<int64_t>(ref_classes_.size());
    q.meets_mlperf_99 = q.top1_agreement >= 0.99;
    return q;
  }

 private:
  double err2_ = 0, ref2_ = 0, cosine_sum_ = 0;
  int64_t inputs_ = 0, agree_ = 0;
  std::set<size_t> ref_classes_;
};

// The agreement of the int8 network `q` with fp32 over kQualityImages seeded
// images, run by oneDNN (whose int8 and fp32 executors are verified against
// float64 references). Cached: every backend and batch of one network, scheme
// and seed shares it.
Result<Quality> MeasureQuality(const Network& net, const Weights& weights, const QuantizedNet& q,
                               const std::string& scheme, uint64_t seed, int threads) {
  static std::mutex mu;
  static std::map<std::tuple<std::string, std::string, uint64_t>, Quality> cache;
  std::lock_guard<std::mutex> lock(mu);
  const auto key = std::make_tuple(net.name(), scheme, seed);
  if (auto it = cache.find(key); it != cache.end()) return it->second;

  auto fp32 = MakeOnednnExecutor(net, weights, kCalibrationBatch, threads);
  if (!fp32.ok()) return fp32.status();
  auto int8 = MakeOnednnExecutor(net, weights, kCalibrationBatch, threads, &q);
  if (!int8.ok()) return int8.status();
  const Node& in = net.nodes()[0];
  std::vector<float> images(static_cast<size_t>(kCalibrationBatch * in.h * in.w * in.c));
  QualityAccumulator acc;
  for (int64_t done = 0; done < kQualityImages; done += kCalibrationBatch) {
    // Images the calibration never saw.
    FillImages(images, kCalibrationBatch, in.h, in.w, in.c, seed + 1'000'003 + done);
    const std::vector<float> ref = (*fp32)->Run(images);
    const Node& out = net.nodes().back();
    acc.Add(ref, (*int8)->Run(images), static_cast<size_t>(out.h * out.w * out.c));
  }
  const Node& out = net.nodes().back();
  const Quality quality = acc.Finish(/*classifier=*/out.h == 1 && out.w == 1);
  cache.emplace(key, quality);
  return quality;
}

class PreparedNet final : public PreparedWorkload {
 public:
  PreparedNet(Network net, Weights weights, std::optional<QuantizedNet> q, std::string scheme,
              std::unique_ptr<Executor> exec, int64_t batch, uint64_t seed, int threads)
      : net_(std::move(net)),
        weights_(std::move(weights)),
        q_(std::move(q)),
        scheme_(std::move(scheme)),
        exec_(std::move(exec)),
        batch_(batch),
        seed_(seed),
        threads_(threads) {
    const Node& in = net_.nodes()[0];
    input_.resize(static_cast<size_t>(batch * in.h * in.w * in.c));
    FillImages(input_, batch, in.h, in.w, in.c, seed);
  }

  // Compares the logits of the first and the last image with the network run
  // in float64 on the same weights and inputs (for int8, the same int8
  // computation); int8 networks then measure their agreement with fp32.
  Result<Fidelity> Verify() override {
    const std::vector<float> logits = exec_->Run(input_);
    if (q_) {
      // int8: every node against float64 on the executor's own inputs, then
      // the agreement of the whole network with fp32.
      EFFBENCH_RETURN_IF_ERROR(
          VerifyNodes(net_, weights_, &*q_, *exec_, batch_, kInt8KernelTolerance));
      auto quality = MeasureQuality(net_, weights_, *q_, scheme_, seed_, threads_);
      if (!quality.ok()) return quality.status();
      quality_ = *quality;
      return Fidelity{quality->rel_l2, 0, kInt8Tolerance};
    }
    // fp32: the logits of the first and last image against the network in float64.
    const int64_t classes = static_cast<int64_t>(logits.size()) / batch_;
    const size_t image = input_.size() / static_cast<size_t>(batch_);
    ErrorAccumulator err;
    for (const int64_t b : {int64_t{0}, batch_ - 1}) {
      const std::vector<double> one(input_.begin() + static_cast<std::ptrdiff_t>(b * image),
                                    input_.begin() + static_cast<std::ptrdiff_t>((b + 1) * image));
      const std::vector<double> ref = RunReference<double>(net_, weights_, one, 1);
      for (int64_t c = 0; c < classes; ++c) {
        const float out = logits[static_cast<size_t>(b * classes + c)];
        if (!std::isfinite(out)) {
          return Status::Internal("logit [" + std::to_string(b) + "," + std::to_string(c) +
                                  "] is not finite");
        }
        err.Add(out, ref[static_cast<size_t>(c)]);
      }
      if (batch_ == 1) break;
    }
    return Fidelity{err.RelL2(), err.max_abs, kFp32Tolerance};
  }

  void RunOnce() override { exec_->Run(input_); }
  std::string Implementation() const override { return exec_->Implementation(); }

  std::optional<Quantization> QuantizationInfo() const override {
    if (!q_) return std::nullopt;
    Quantization info;
    info.weights =
        std::string("s8 symmetric ") + (q_->scheme.per_channel ? "per-channel" : "per-tensor");
    info.activations = "u8 asymmetric per-tensor";
    info.calibration = q_->scheme.percentile ? "percentile 0.01-99.99" : "minmax";
    info.calibration_inputs = q_->calibration_inputs;
    info.fp32_ops =
        "pooling, residual add, squeeze-excite multiply, concat (quantize-dequantize "
        "around each convolution)";
    return info;
  }
  std::optional<Quality> QualityInfo() const override { return quality_; }

 private:
  Network net_;
  Weights weights_;
  std::optional<QuantizedNet> q_;
  std::string scheme_;
  std::unique_ptr<Executor> exec_;
  int64_t batch_;
  uint64_t seed_;
  int threads_;
  std::vector<float> input_;
  std::optional<Quality> quality_;
};

using Builder = std::function<Result<Network>(const Params&)>;

std::function<Result<std::unique_ptr<PreparedWorkload>>(const Params&, const Variant&,
                                                        const RunConfig&)>
Preparer(Builder build) {
  return [build](const Params& p, const Variant& variant,
                 const RunConfig& config) -> Result<std::unique_ptr<PreparedWorkload>> {
    auto net = build(p);
    if (!net.ok()) return net.status();
    const int64_t batch = p.at("n");
    Weights weights = MakeWeights(*net, config.seed);
    std::optional<QuantizedNet> q;
    if (variant.precision == "int8") {
      auto scheme = ParseQuantScheme(variant.quantization);
      if (!scheme.ok()) return scheme.status();
      auto calibration = MakeOnednnExecutor(*net, weights, kCalibrationBatch, config.threads);
      if (!calibration.ok()) return calibration.status();
      auto quantized = Quantize(*net, weights, *scheme, **calibration, kCalibrationBatch,
                                kCalibrationImages, config.seed ^ 0xca11b);
      if (!quantized.ok()) return quantized.status();
      q = std::move(quantized).value();
    }
    std::unique_ptr<Executor> exec;
    if (variant.backend == "ref") {
      exec =
          q ? MakeRefInt8Executor(*net, weights, *q, batch) : MakeRefExecutor(*net, weights, batch);
    } else {
      auto onednn = MakeOnednnExecutor(*net, weights, batch, config.threads, q ? &*q : nullptr,
                                       /*fuse_activations=*/variant.backend == "onednn");
      if (!onednn.ok()) return onednn.status();
      exec = std::move(onednn).value();
    }
    return std::unique_ptr<PreparedWorkload>(std::make_unique<PreparedNet>(
        std::move(net).value(), std::move(weights), std::move(q), variant.quantization,
        std::move(exec), batch, config.seed, config.threads));
  };
}

Family MakeFamily(const std::string& name, std::vector<std::string> precisions,
                  std::vector<std::string> backends, std::vector<std::string> params,
                  Builder build) {
  std::vector<std::string> threaded;
  for (const auto& b : backends) {
    if (b != "ref") threaded.push_back(b);
  }
  Family f{name,
           std::move(precisions),
           std::move(backends),
           std::move(threaded),
           params,
           Preparer(build),
           nullptr};
  f.facts = [build](const Params& p) -> Result<std::map<std::string, double>> {
    auto net = build(p);
    if (!net.ok()) return net.status();
    const Node& out = net->nodes().back();
    return std::map<std::string, double>{{"parameters", static_cast<double>(net->Parameters())},
                                         {"macs", static_cast<double>(net->Macs())},
                                         {"outputs", static_cast<double>(out.h * out.w * out.c)}};
  };
  return f;
}

// A block as a network of its own: input h×w×cin, output the block's.
Builder BlockBuilder(const std::string& kind) {
  return [kind](const Params& p) -> Result<Network> {
    Network net("block." + kind, p.at("h"), p.at("w"), p.at("cin"));
    if (kind == "dws") {
      DepthwiseSeparable(net, 0, p.at("cin"), p.at("cout"), p.at("stride"));
    } else if (kind == "ir") {
      InvertedResidual(net, 0, p.at("cin"), p.at("cout"), p.at("t"), p.at("stride"));
    } else if (kind == "mbconv_se") {
      MbConv(net, 0, p.at("cin"), p.at("cout"), p.at("t"), p.at("k"), p.at("stride"));
    } else if (kind == "fire") {
      Fire(net, 0, p.at("squeeze"), p.at("expand"));
    } else {
      return Status::NotFound("unknown block " + kind);
    }
    return net;
  };
}

}  // namespace

std::vector<Family> MakeFamilies() {
  std::vector<Family> families;
  for (const char* name :
       {"mobilenet_v1", "mobilenet_v2", "efficientnet_b0", "squeezenet1_1", "resnet50"}) {
    families.push_back(MakeFamily(
        std::string("net.") + name, {"fp32", "int8"}, {"ref", "onednn", "onednn_unfused"},
        {"n", "res"}, [name = std::string(name)](const Params& p) -> Result<Network> {
          if (p.at("res") != 224) return Status::InvalidArgument("networks are built for 224x224");
          return NetworkByName(name);
        }));
  }
  const std::pair<const char*, std::vector<std::string>> blocks[] = {
      {"dws", {"n", "h", "w", "cin", "cout", "stride"}},
      {"ir", {"n", "h", "w", "cin", "cout", "t", "stride"}},
      {"mbconv_se", {"n", "h", "w", "cin", "cout", "t", "k", "stride"}},
      {"fire", {"n", "h", "w", "cin", "squeeze", "expand"}},
  };
  for (const auto& [kind, params] : blocks) {
    families.push_back(MakeFamily(std::string("block.") + kind, {"fp32", "int8"},
                                  {"ref", "onednn", "onednn_unfused"}, params, BlockBuilder(kind)));
  }
  return families;
}

}  // namespace effbench::workloads::nets
