// Whole networks at 224×224 built from the layer tables of their papers
// (torchvision's definitions where the paper leaves a choice): MobileNet v1,
// MobileNet v2, EfficientNet-B0, SqueezeNet 1.1 and ResNet-50 v1.5, in NHWC,
// inference, with batch norm folded into the convolutions.
//
// Seeded He-uniform weights; each batch norm is then recalibrated on a seeded
// input (run in float64, per-channel mean and variance of the convolution's
// output folded into its weights and bias), as a trained network's batch norm
// would be, so activations keep their scale through the network; the
// the classifier is centred on the same image so that the logits do not share
// one large offset that picks the same class for every input.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "workloads/common/numeric.h"
#include "workloads/family.h"
#include "workloads/workload.h"

namespace effbench::workloads::nets {

enum class Act { kNone, kRelu, kRelu6, kSilu, kSigmoid };

struct Node {
  enum class Kind { kInput, kConv, kMaxPool, kGlobalAvgPool, kAdd, kMul, kConcat };
  Kind kind = Kind::kInput;
  std::vector<int> inputs;  // indices of earlier nodes
  // kConv: a convolution (a fully connected layer is a 1×1 one on a 1×1 map).
  int64_t cout = 0, k = 1, stride = 1, pad = 0, groups = 1;
  bool batch_norm = false;  // folded BN (γ, β in the original) rather than a plain bias
  // kConv and kAdd: the activation applied to the output.
  Act act = Act::kNone;
  // kMaxPool: window, stride, padding before (top, left) and after (bottom,
  // right); more padding after than before is ceil mode.
  int64_t pool_k = 0, pool_stride = 1, pool_pad_l = 0, pool_pad_b = 0, pool_pad_r = 0;
  // Output shape (per image), filled by Network::Add.
  int64_t h = 0, w = 0, c = 0;
};

class Network {
 public:
  Network(std::string name, int64_t h, int64_t w, int64_t c);

  const std::string& name() const { return name_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  int output() const { return static_cast<int>(nodes_.size()) - 1; }

  // Each returns the index of the new node.
  int Conv(int in, int64_t cout, int64_t k, int64_t stride, Act act, int64_t groups = 1,
           bool batch_norm = true, int64_t pad = -1 /* -1: k/2 */);
  int MaxPool(int in, int64_t k, int64_t stride, int64_t pad, bool ceil_mode);
  int GlobalAvgPool(int in);
  int Add(int a, int b, Act act = Act::kNone);
  int Mul(int x, int channel_scale);  // x[n,h,w,c] · s[n,1,1,c]
  int Concat(const std::vector<int>& ins);
  int Fc(int in, int64_t cout);  // 1×1 convolution with bias on a 1×1 map

  // Parameters of the original network: convolution and FC weights, plus
  // two per channel of each batch norm (γ, β) or one per channel of bias.
  int64_t Parameters() const;
  // Multiply-accumulates of one image: convolutions (padding taps included,
  // as papers count them) and FC layers.
  int64_t Macs() const;

 private:
  int Push(Node node);
  std::string name_;
  std::vector<Node> nodes_;
};

// The blocks the networks are made of, each appended to `net` after node `x`;
// they return their output node. Without batch_norm, convolutions have a
// plain bias (a network to train: workloads/train).
int DepthwiseSeparable(Network& net, int x, int64_t cin, int64_t cout, int64_t stride,
                       bool batch_norm = true);
int InvertedResidual(Network& net, int x, int64_t cin, int64_t cout, int64_t t, int64_t stride);
int MbConv(Network& net, int x, int64_t cin, int64_t cout, int64_t expand, int64_t k,
           int64_t stride);
int Fire(Network& net, int x, int64_t squeeze, int64_t expand);

Network MobileNetV1();
Network MobileNetV2();
Network EfficientNetB0();
Network SqueezeNet11();
Network ResNet50();

// The network named `name` (mobilenet_v1, mobilenet_v2, efficientnet_b0,
// squeezenet1_1, resnet50), or NotFound.
Result<Network> NetworkByName(const std::string& name);

// Weights of every convolution, layout [kh][kw][cin/g][g][cout/g], and bias.
struct Weights {
  std::vector<std::vector<float>> w, b;  // per node; empty for nodes without
};

// Seeded He-uniform weights with batch norm recalibrated on a seeded input.
Weights MakeWeights(const Network& net, uint64_t seed);

// Refolds every batch norm from the statistics of its convolution's output on
// a seeded image (and re-centres the classifier), as one does after pruning.
void RecalibrateBatchNorm(const Network& net, Weights& weights, uint64_t seed);

// Runs `net` on `input` ([n][h][w][c]) with the portable reference kernels in
// precision T (float for the ref backend, double for verification); returns
// the output node's tensor ([n][classes]).
template <typename T>
std::vector<T> RunReference(const Network& net, const Weights& weights, const std::vector<T>& input,
                            int64_t batch);

class Executor {
 public:
  virtual ~Executor() = default;
  // Runs on `input`, [n][h][w][c] fp32; returns the logits [n][classes].
  virtual const std::vector<float>& Run(const std::vector<float>& input) = 0;
  virtual std::string Implementation() const = 0;
  // The output of node `i` of the last Run, [n][h][w][c] fp32; nullptr when
  // the executor does not keep it.
  virtual const float* Activation(int /*i*/) const { return nullptr; }
  // For an int8 convolution node `i`: the u8 input it was fed in the last
  // Run, [n][h][w][c]; nullptr when the executor does not keep it.
  virtual const uint8_t* QuantizedInput(int /*i*/) const { return nullptr; }
};

// Post-training int8 quantization of a network (weights s8 symmetric,
// activations u8 asymmetric per tensor, int32 accumulation, requantization
// in fp32): every convolution runs in int8 on its quantized input and writes
// fp32; pooling, additions, multiplications and concatenations stay in fp32
// (quantize-dequantize around each convolution).
struct QuantScheme {
  bool per_channel = true;  // weight scales per output channel, else per tensor
  bool percentile = false;  // activation ranges from the 0.01 %/99.99 % percentiles, else min/max
};

// "pt_minmax", "pc_minmax", "pt_pct" or "pc_pct".
Result<QuantScheme> ParseQuantScheme(const std::string& name);

struct QuantizedNet {
  QuantScheme scheme;
  int64_t calibration_inputs = 0;
  std::vector<std::optional<QuantParams>> act;  // per node: its output as a convolution input
  std::vector<std::vector<int8_t>> wq;          // per convolution: quantized weights
  std::vector<std::vector<float>> w_scale;      // per convolution: one scale per output channel
};

// Quantizes `net`: weights from `weights`, activation ranges from running
// `calibration` (an fp32 executor of batch `batch` that keeps activations) on
// `images` seeded calibration images.
Result<QuantizedNet> Quantize(const Network& net, const Weights& weights, QuantScheme scheme,
                              Executor& calibration, int64_t batch, int64_t images, uint64_t seed);
// The same, calibrated on real images ([count][h][w][c]; whole batches of them).
Result<QuantizedNet> Quantize(const Network& net, const Weights& weights, QuantScheme scheme,
                              Executor& calibration, int64_t batch,
                              const std::vector<float>& images);

// How `q` quantized its network, for a record; `fp32_ops` says what stays in
// fp32. The ISA's recipe (7-bit weights without VNNI) included.
Quantization DescribeQuantization(const QuantizedNet& q, const std::string& fp32_ops);

// The quantized network run by the reference kernels in precision T.
template <typename T>
std::vector<T> RunReferenceInt8(const Network& net, const Weights& weights, const QuantizedNet& q,
                                const std::vector<T>& input, int64_t batch);

// Checks every node of the last Run of `exec` (which must keep its
// activations) for the first and last image: the node recomputed in float64 on
// the executor's own inputs must match its output (rel_l2 ≤ 1e-5, or
// `int8_tolerance` for int8 convolutions, whose input quantization may round
// a value differently). Errors name the node. Checking node by node keeps a
// rounding difference in one layer from being amplified by the next ones.
// Returns the largest relative L2 error of any node.
Result<double> VerifyNodes(const Network& net, const Weights& weights, const QuantizedNet* q,
                           const Executor& exec, int64_t batch, double int8_tolerance);

std::unique_ptr<Executor> MakeRefExecutor(const Network& net, const Weights& weights,
                                          int64_t batch);
// oneDNN primitives, one per node; activations fused into convolutions and
// additions as post-ops. With `quantized`, convolutions run in int8 (a
// reorder quantizes their input) as QuantizedNet describes.
// With `fuse_activations` false, every activation runs as an eltwise
// primitive of its own, as a framework without fusion would.
Result<std::unique_ptr<Executor>> MakeOnednnExecutor(const Network& net, const Weights& weights,
                                                     int64_t batch, int threads,
                                                     const QuantizedNet* quantized = nullptr,
                                                     bool fuse_activations = true);
std::unique_ptr<Executor> MakeRefInt8Executor(const Network& net, const Weights& weights,
                                              const QuantizedNet& quantized, int64_t batch);

// A pruned network: the same network with zeros ("2:4", "unstructured50"),
// run by dense kernels, or a smaller one ("channel25", "channel50": the
// channels between a convolution and its only consumer, kept by the L1 norm
// of their filters), with how it was compressed. For channel pruning,
// `weights` may hold empty layers: then only the structure is computed (all
// norms tie, the first channels are kept) and the layers stay empty.
struct PrunedNet {
  Network net;
  Weights weights;
  Compression info;
};
Result<PrunedNet> Prune(const Network& net, const Weights& weights, const std::string& sparsity);

// The families of workloads/specs/nets.json (net.mobilenet_v1, ...) and
// workloads/specs/blocks.json (block.dws, block.ir, block.mbconv_se, block.fire).
std::vector<Family> MakeFamilies();

}  // namespace effbench::workloads::nets
