#include "workloads/nets/net.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <set>

#include "workloads/common/numeric.h"
#include "workloads/common/random.h"

namespace effbench::workloads::nets {
namespace {

TEST_CASE("networks have the parameters and MACs of their papers", "[nets]") {
  // Parameters as torchvision (and Keras for MobileNet v1) count them;
  // multiply-accumulates per 224×224 image as the papers round them.
  struct Expected {
    Network net;
    int64_t parameters;
    double macs;
  };
  const Expected expected[] = {
      {MobileNetV1(), 4'231'976, 569e6},    {MobileNetV2(), 3'504'872, 300e6},
      {EfficientNetB0(), 5'288'548, 386e6}, {SqueezeNet11(), 1'235'496, 349e6},
      {ResNet50(), 25'557'032, 4.09e9},
  };
  for (const auto& e : expected) {
    INFO(e.net.name());
    CHECK(e.net.Parameters() == e.parameters);
    CHECK(static_cast<double>(e.net.Macs()) == Approx(e.macs).epsilon(0.003));
    const Node& out = e.net.nodes().back();
    CHECK(out.c == 1000);
    CHECK(out.h == 1);
  }
  CHECK(ResNet50().nodes()[2].h == 56);  // after conv1 and the max pool
  CHECK_FALSE(NetworkByName("alexnet").ok());
}

// A small network with every kind of node: grouped, depthwise and strided
// convolutions with each activation, ceil-mode max pooling, squeeze-excite,
// residual addition, concatenation, global pooling and a classifier.
Network TinyNetwork() {
  Network net("tiny", 17, 15, 3);
  int x = net.Conv(0, 8, 3, 2, Act::kRelu6);
  x = net.MaxPool(x, 3, 2, 0, /*ceil_mode=*/true);
  int y = net.Conv(x, 8, 3, 1, Act::kSilu, /*groups=*/8);
  int s = net.GlobalAvgPool(y);
  s = net.Conv(s, 2, 1, 1, Act::kRelu, 1, false, 0);
  s = net.Conv(s, 8, 1, 1, Act::kSigmoid, 1, false, 0);
  y = net.Mul(y, s);
  y = net.Conv(y, 8, 1, 1, Act::kNone, 2);
  x = net.Add(x, y, Act::kRelu);
  const int a = net.Conv(x, 6, 1, 1, Act::kRelu, 1, false, 0);
  const int b = net.Conv(x, 6, 5, 1, Act::kNone, 1, true, 2);
  x = net.Concat({a, b});
  net.Fc(net.GlobalAvgPool(x), 10);
  return net;
}

TEST_CASE("both executors match the float64 network on every node kind", "[nets]") {
  const Network net = TinyNetwork();
  const Weights weights = MakeWeights(net, 99);
  constexpr int64_t kBatch = 3;
  std::vector<float> input(static_cast<size_t>(kBatch * 17 * 15 * 3));
  FillUniform(input, -1.0f, 1.0f, 5);
  std::vector<double> ref;
  for (int64_t b = 0; b < kBatch; ++b) {
    const size_t image = input.size() / kBatch;
    const std::vector<double> one(input.begin() + static_cast<std::ptrdiff_t>(b * image),
                                  input.begin() + static_cast<std::ptrdiff_t>((b + 1) * image));
    const auto logits = RunReference<double>(net, weights, one, 1);
    ref.insert(ref.end(), logits.begin(), logits.end());
  }
  auto onednn = MakeOnednnExecutor(net, weights, kBatch, 2);
  INFO((onednn.ok() ? "" : onednn.status().message()));
  REQUIRE(onednn.ok());
  const auto ref_exec = MakeRefExecutor(net, weights, kBatch);
  for (Executor* exec : {ref_exec.get(), onednn->get()}) {
    INFO(exec->Implementation());
    const std::vector<float>& out = exec->Run(input);
    REQUIRE(out.size() == ref.size());
    ErrorAccumulator err;
    for (size_t i = 0; i < out.size(); ++i) err.Add(out[i], ref[i]);
    CHECK(err.RelL2() < 1e-5);
  }
}

TEST_CASE("recalibrated batch norm keeps a real network's logits apart", "[nets]") {
  const Network net = MobileNetV2();
  const Weights weights = MakeWeights(net, 7);
  constexpr int64_t kBatch = 8;
  std::vector<float> input(static_cast<size_t>(kBatch * 224 * 224 * 3));
  FillImages(input, kBatch, 224, 224, 3, 11);
  auto exec = MakeOnednnExecutor(net, weights, kBatch, 2);
  REQUIRE(exec.ok());
  const std::vector<float>& logits = (*exec)->Run(input);
  std::set<size_t> classes;
  double sum = 0, sum2 = 0;
  for (int64_t b = 0; b < kBatch; ++b) {
    const float* row = &logits[static_cast<size_t>(b * 1000)];
    classes.insert(static_cast<size_t>(std::max_element(row, row + 1000) - row));
  }
  for (float v : logits) {
    REQUIRE(std::isfinite(v));
    sum += v;
    sum2 += static_cast<double>(v) * v;
  }
  const double mean = sum / static_cast<double>(logits.size());
  const double stddev = std::sqrt(sum2 / static_cast<double>(logits.size()) - mean * mean);
  CHECK(stddev > 0.1);         // not collapsed to a constant
  CHECK(stddev < 1e3);         // not exploded
  CHECK(classes.size() >= 2);  // the synthetic images are not all one class
}

}  // namespace
}  // namespace effbench::workloads::nets

namespace effbench::workloads::nets {
namespace {

TEST_CASE("int8 executors agree with the float64 int8 reference", "[nets][int8]") {
  const Network net = TinyNetwork();
  const Weights weights = MakeWeights(net, 21);
  constexpr int64_t kBatch = 4;
  auto fp32 = MakeOnednnExecutor(net, weights, kBatch, 1);
  REQUIRE(fp32.ok());
  std::vector<float> input(static_cast<size_t>(kBatch * 17 * 15 * 3));
  FillImages(input, kBatch, 17, 15, 3, 3);
  for (const char* name : {"pt_minmax", "pc_minmax", "pt_pct", "pc_pct"}) {
    INFO(name);
    auto scheme = ParseQuantScheme(name);
    REQUIRE(scheme.ok());
    auto q = Quantize(net, weights, *scheme, **fp32, kBatch, 8, 77);
    REQUIRE(q.ok());
    CHECK(q->calibration_inputs == 8);
    const std::vector<double> input64(input.begin(), input.end());
    const std::vector<double> ref = RunReferenceInt8<double>(net, weights, *q, input64, kBatch);
    const std::vector<double> exact = RunReference<double>(net, weights, input64, kBatch);

    auto onednn = MakeOnednnExecutor(net, weights, kBatch, 1, &*q);
    INFO((onednn.ok() ? "" : onednn.status().message()));
    REQUIRE(onednn.ok());
    const auto ref_exec = MakeRefInt8Executor(net, weights, *q, kBatch);
    for (Executor* exec : {ref_exec.get(), onednn->get()}) {
      INFO(exec->Implementation());
      const std::vector<float>& out = exec->Run(input);
      ErrorAccumulator kernel, quantization;
      for (size_t i = 0; i < out.size(); ++i) {
        kernel.Add(out[i], ref[i]);
        quantization.Add(out[i], exact[i]);
      }
      CHECK(kernel.RelL2() < 1e-3);        // the same int8 computation
      CHECK(quantization.RelL2() > 1e-4);  // int8 is not fp32...
      CHECK(quantization.RelL2() < 0.3);   // ...but close to it
    }
  }
  CHECK_FALSE(ParseQuantScheme("int4").ok());
}

}  // namespace
}  // namespace effbench::workloads::nets

namespace effbench::workloads::nets {
namespace {

TEST_CASE("per-node verification catches a wrong node and names it", "[nets][int8]") {
  // An executor that returns another executor's activations, one node spoiled.
  class Spoiled final : public Executor {
   public:
    Spoiled(Executor& inner, int node, size_t elements) : inner_(inner), node_(node) {
      spoiled_.resize(elements);
    }
    const std::vector<float>& Run(const std::vector<float>& input) override {
      const auto& out = inner_.Run(input);
      std::copy_n(inner_.Activation(node_), spoiled_.size(), spoiled_.begin());
      spoiled_[3] += 1.0f;
      return out;
    }
    std::string Implementation() const override { return "spoiled"; }
    const float* Activation(int i) const override {
      return i == node_ ? spoiled_.data() : inner_.Activation(i);
    }

   private:
    Executor& inner_;
    int node_;
    std::vector<float> spoiled_;
  };
  const Network net = TinyNetwork();
  const Weights weights = MakeWeights(net, 21);
  auto fp32 = MakeOnednnExecutor(net, weights, 2, 1);
  REQUIRE(fp32.ok());
  auto q = Quantize(net, weights, QuantScheme{true, false}, **fp32, 2, 4, 1);
  REQUIRE(q.ok());
  auto int8 = MakeOnednnExecutor(net, weights, 2, 1, &*q);
  REQUIRE(int8.ok());
  std::vector<float> input(static_cast<size_t>(2 * 17 * 15 * 3));
  FillImages(input, 2, 17, 15, 3, 3);
  (*int8)->Run(input);
  CHECK(VerifyNodes(net, weights, &*q, **int8, 2, 1e-5).ok());

  const Node& target = net.nodes()[3];  // the depthwise convolution
  Spoiled spoiled(**int8, 3, static_cast<size_t>(2 * target.h * target.w * target.c));
  spoiled.Run(input);
  const auto s = VerifyNodes(net, weights, &*q, spoiled, 2, 1e-5);
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().message().find("node 3 ") != std::string::npos);
}

}  // namespace
}  // namespace effbench::workloads::nets

namespace effbench::workloads::nets {
namespace {

TEST_CASE("blocks run right fused and unfused, fp32 and int8", "[nets][blocks]") {
  struct Case {
    const char* name;
    std::function<void(Network&)> build;
  };
  const Case cases[] = {
      {"dws", [](Network& n) { DepthwiseSeparable(n, 0, 16, 24, 2); }},
      {"ir", [](Network& n) { InvertedResidual(n, 0, 16, 16, 6, 1); }},
      {"mbconv_se", [](Network& n) { MbConv(n, 0, 16, 16, 6, 5, 1); }},
      {"fire", [](Network& n) { Fire(n, 0, 8, 16); }},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Network net(c.name, 13, 11, 16);
    c.build(net);
    const Weights weights = MakeWeights(net, 5);
    constexpr int64_t kBatch = 2;
    std::vector<float> input(static_cast<size_t>(kBatch * 13 * 11 * 16));
    FillImages(input, kBatch, 13, 11, 16, 9);
    auto fp32 = MakeOnednnExecutor(net, weights, kBatch, 1);
    REQUIRE(fp32.ok());
    auto q = Quantize(net, weights, QuantScheme{true, false}, **fp32, kBatch, 4, 2);
    REQUIRE(q.ok());
    const QuantizedNet* int8 = &*q;
    for (const QuantizedNet* quantized : {static_cast<const QuantizedNet*>(nullptr), int8}) {
      for (const bool fuse : {true, false}) {
        auto exec = MakeOnednnExecutor(net, weights, kBatch, 1, quantized, fuse);
        INFO((exec.ok() ? "" : exec.status().message()));
        REQUIRE(exec.ok());
        (*exec)->Run(input);
        const auto s = VerifyNodes(net, weights, quantized, **exec, kBatch, 1e-5);
        INFO("int8 " << (quantized != nullptr) << " fused " << fuse << ": "
                     << (s.ok() ? "" : s.status().message()));
        REQUIRE(s.ok());
        CHECK(*s < 1e-5);
      }
    }
  }
}

}  // namespace
}  // namespace effbench::workloads::nets
