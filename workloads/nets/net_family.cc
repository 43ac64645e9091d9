// The network families: prepare a network workload of workloads/specs/nets.json,
// in fp32 or post-training int8.
#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "workloads/common/numeric.h"
#include "workloads/common/random.h"
#include "workloads/common/tensor_forms.h"
#include "workloads/nets/net.h"

namespace effbench::workloads::nets {
namespace {

constexpr int64_t kCalibrationBatch = 8;
constexpr int64_t kCalibrationImages = 32;
constexpr int64_t kQualityImages = 256;
// One fp32 layer against float64 on the same input.
constexpr double kFp32Tolerance = 1e-5;
// An int8 convolution against the same computation in float64 on the same
// input, quantized the same way: only the fp32 requantization differs.
constexpr double kInt8KernelTolerance = 1e-5;
// A quantized or pruned network against dense fp32: the error is the
// finding, not a fault (the kernels were proven right against float64 first);
// past this the outputs have blown up rather than drifted.
constexpr double kCompressedTolerance = 10.0;

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

// The agreement of `net` (run in int8 when `q` is given) with the fp32
// `reference` over kQualityImages seeded images, both run by oneDNN (whose
// executors are verified against float64 references). Cached by `key` and
// seed: every backend and batch of one variant shares it.
Result<Quality> MeasureQuality(const std::string& reference_key, const std::string& key,
                               const Network& reference, const Weights& reference_weights,
                               const Network& net, const Weights& weights, const QuantizedNet* q,
                               uint64_t seed) {
  static std::mutex mu;
  static std::map<std::pair<std::string, uint64_t>, Quality> cache;
  // The dense fp32 logits are the same for every variant of a network.
  static std::map<std::pair<std::string, uint64_t>, std::vector<float>> reference_logits;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find({key, seed}); it != cache.end()) return it->second;

  // Not timed: every core may work on it.
  const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const Node& in = net.nodes()[0];
  const Node& out = net.nodes().back();
  const size_t per_image = static_cast<size_t>(out.h * out.w * out.c);
  std::vector<float> images(static_cast<size_t>(kCalibrationBatch * in.h * in.w * in.c));
  const auto fill = [&](int64_t done) {  // images the calibration never saw
    FillImages(images, kCalibrationBatch, in.h, in.w, in.c, seed + 1'000'003 + done);
  };
  std::vector<float>& ref = reference_logits[{reference_key, seed}];
  if (ref.empty()) {
    auto fp32 = MakeOnednnExecutor(reference, reference_weights, kCalibrationBatch, threads);
    if (!fp32.ok()) return fp32.status();
    for (int64_t done = 0; done < kQualityImages; done += kCalibrationBatch) {
      fill(done);
      const std::vector<float>& logits = (*fp32)->Run(images);
      ref.insert(ref.end(), logits.begin(), logits.end());
    }
  }
  auto candidate = MakeOnednnExecutor(net, weights, kCalibrationBatch, threads, q);
  if (!candidate.ok()) return candidate.status();
  QualityAccumulator acc;
  const size_t per_batch = per_image * static_cast<size_t>(kCalibrationBatch);
  for (int64_t done = 0; done < kQualityImages; done += kCalibrationBatch) {
    fill(done);
    const auto first = ref.begin() + static_cast<std::ptrdiff_t>(
                                         static_cast<size_t>(done / kCalibrationBatch) * per_batch);
    acc.Add(std::vector<float>(first, first + static_cast<std::ptrdiff_t>(per_batch)),
            (*candidate)->Run(images), per_image);
  }
  const Quality quality = acc.Finish(/*classifier=*/out.h == 1 && out.w == 1);
  cache.emplace(std::make_pair(key, seed), quality);
  return quality;
}

// A network workload: `net_` with `weights_` (pruned or not), run in fp32 or
// in int8 (`q_`), against `reference_` (the dense fp32 network) for quality.
class PreparedNet final : public PreparedWorkload {
 public:
  PreparedNet(Network reference, Weights reference_weights, std::optional<PrunedNet> pruned,
              std::optional<QuantizedNet> q, std::string reference_key, std::string key,
              std::unique_ptr<Executor> exec, int64_t batch, uint64_t seed, int threads)
      : reference_(std::move(reference)),
        reference_weights_(std::move(reference_weights)),
        pruned_(std::move(pruned)),
        q_(std::move(q)),
        reference_key_(std::move(reference_key)),
        key_(std::move(key)),
        exec_(std::move(exec)),
        batch_(batch),
        seed_(seed),
        threads_(threads) {
    const Node& in = reference_.nodes()[0];
    input_.resize(static_cast<size_t>(batch * in.h * in.w * in.c));
    FillImages(input_, batch, in.h, in.w, in.c, seed);
  }

  // The run network, first proven right against float64 node by node on the
  // executor's own inputs (int8 convolutions on the integers they were fed),
  // for the first and last image; then, for compressed variants, its
  // agreement with the dense fp32 network.
  Result<Fidelity> Verify() override {
    const Network& net = pruned_ ? pruned_->net : reference_;
    const Weights& weights = pruned_ ? pruned_->weights : reference_weights_;
    exec_->Run(input_);
    // Node by node: a badly conditioned network (EfficientNet's logits reach
    // the thousands) amplifies fp32 rounding end to end, not kernel faults.
    auto worst =
        VerifyNodes(net, weights, q_ ? &*q_ : nullptr, *exec_, batch_, kInt8KernelTolerance);
    if (!worst.ok()) return worst.status();
    if (!pruned_ && !q_) return Fidelity{*worst, 0, kFp32Tolerance};
    auto quality = MeasureQuality(reference_key_, key_, reference_, reference_weights_, net,
                                  weights, q_ ? &*q_ : nullptr, seed_);
    if (!quality.ok()) return quality.status();
    quality_ = *quality;
    return Fidelity{quality->rel_l2, 0, kCompressedTolerance};
  }

  void RunOnce() override { exec_->Run(input_); }
  std::string Implementation() const override { return exec_->Implementation(); }

  std::optional<Quantization> QuantizationInfo() const override {
    if (!q_) return std::nullopt;
    return DescribeQuantization(*q_,
                                "pooling, residual add, squeeze-excite multiply, concat "
                                "(quantize-dequantize around each convolution)");
  }
  std::optional<Compression> CompressionInfo() const override {
    if (!pruned_) return std::nullopt;
    return pruned_->info;
  }
  std::optional<Quality> QualityInfo() const override { return quality_; }

 private:
  Network reference_;
  Weights reference_weights_;
  std::optional<PrunedNet> pruned_;
  std::optional<QuantizedNet> q_;
  std::string reference_key_, key_;  // the dense network's and this variant's
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
    std::optional<PrunedNet> pruned;
    if (variant.sparsity != "dense") {
      auto result = Prune(*net, weights, variant.sparsity);
      if (!result.ok()) return result.status();
      pruned = std::move(result).value();
      // Pruning without fine-tuning: batch norm recalibrated on the pruned
      // network, as a post-training pipeline does.
      RecalibrateBatchNorm(pruned->net, pruned->weights, config.seed);
    }
    const Network& run = pruned ? pruned->net : *net;
    const Weights& run_weights = pruned ? pruned->weights : weights;
    std::optional<QuantizedNet> q;
    if (variant.precision == "int8") {
      auto scheme = ParseQuantScheme(variant.quantization);
      if (!scheme.ok()) return scheme.status();
      auto calibration = MakeOnednnExecutor(run, run_weights, kCalibrationBatch, config.threads);
      if (!calibration.ok()) return calibration.status();
      auto quantized = Quantize(run, run_weights, *scheme, **calibration, kCalibrationBatch,
                                kCalibrationImages, config.seed ^ 0xca11b);
      if (!quantized.ok()) return quantized.status();
      q = std::move(quantized).value();
    }
    std::unique_ptr<Executor> exec;
    if (variant.backend == "ref") {
      exec = q ? MakeRefInt8Executor(run, run_weights, *q, batch)
               : MakeRefExecutor(run, run_weights, batch);
    } else {
      auto onednn = MakeOnednnExecutor(run, run_weights, batch, config.threads, q ? &*q : nullptr,
                                       /*fuse_activations=*/variant.backend == "onednn");
      if (!onednn.ok()) return onednn.status();
      exec = std::move(onednn).value();
    }
    // The network and its shape parameters (batch aside: it changes no output).
    std::string reference_key = net->name();
    for (const auto& [k, v] : p) {
      if (k != "n") reference_key += "|" + k + "=" + std::to_string(v);
    }
    const std::string key = reference_key + "|" + variant.precision + "|" + variant.quantization +
                            "|" + variant.sparsity;
    return std::unique_ptr<PreparedWorkload>(std::make_unique<PreparedNet>(
        std::move(net).value(), std::move(weights), std::move(pruned), std::move(q), reference_key,
        key, std::move(exec), batch, config.seed, config.threads));
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
  f.facts = [build, name](const Params& p,
                          const Variant& variant) -> Result<std::map<std::string, double>> {
    // The same for every batch and backend: counted once per shape and sparsity.
    static std::mutex mu;
    static std::map<std::string, std::map<std::string, double>> cache;
    std::string key = name + "|" + variant.sparsity;
    for (const auto& [k, v] : p) {
      if (k != "n") key += "|" + k + "=" + std::to_string(v);
    }
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    auto net = build(p);
    if (!net.ok()) return net.status();
    if (variant.sparsity.rfind("channel", 0) == 0) {  // a smaller network: count it
      // The structure alone: no weights (ResNet-50's would be 100 MB).
      Weights none;
      none.w.resize(net->nodes().size());
      none.b.resize(net->nodes().size());
      auto pruned = Prune(*net, none, variant.sparsity);
      if (!pruned.ok()) return pruned.status();
      net = std::move(pruned->net);
    }
    const Node& out = net->nodes().back();
    return cache[key] = {{"parameters", static_cast<double>(net->Parameters())},
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
