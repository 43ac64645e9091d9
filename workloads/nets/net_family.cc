// The network families: prepare a network workload of workloads/specs/nets.json.
#include <cmath>
#include <random>

#include "workloads/common/numeric.h"
#include "workloads/common/random.h"
#include "workloads/nets/net.h"

namespace effbench::workloads::nets {
namespace {

class PreparedNet final : public PreparedWorkload {
 public:
  PreparedNet(Network net, Weights weights, std::unique_ptr<Executor> exec, int64_t batch,
              uint64_t seed)
      : net_(std::move(net)), weights_(std::move(weights)), exec_(std::move(exec)), batch_(batch) {
    const Node& in = net_.nodes()[0];
    input_.resize(static_cast<size_t>(batch * in.h * in.w * in.c));
    FillImages(input_, batch, in.h, in.w, in.c, seed);
  }

  // Compares the logits of the first and the last image with the network run
  // in float64 on the same weights and inputs.
  Result<Fidelity> Verify() override {
    const std::vector<float> logits = exec_->Run(input_);
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
    // fp32 through dozens of layers: accumulation error grows with depth.
    constexpr double kNetworkFp32Tolerance = 1e-4;
    return Fidelity{err.RelL2(), err.max_abs, kNetworkFp32Tolerance};
  }

  void RunOnce() override { exec_->Run(input_); }
  std::string Implementation() const override { return exec_->Implementation(); }

 private:
  Network net_;
  Weights weights_;
  std::unique_ptr<Executor> exec_;
  int64_t batch_;
  std::vector<float> input_;
};

std::function<Result<std::unique_ptr<PreparedWorkload>>(const Params&, const Variant&,
                                                        const RunConfig&)>
Preparer(const std::string& name) {
  return [name](const Params& p, const Variant& variant,
                const RunConfig& config) -> Result<std::unique_ptr<PreparedWorkload>> {
    auto net = NetworkByName(name);
    if (!net.ok()) return net.status();
    if (p.at("res") != 224) return Status::InvalidArgument("networks are built for 224x224");
    const int64_t batch = p.at("n");
    Weights weights = MakeWeights(*net, config.seed);
    std::unique_ptr<Executor> exec;
    if (variant.backend == "ref") {
      exec = MakeRefExecutor(*net, weights, batch);
    } else {
      auto onednn = MakeOnednnExecutor(*net, weights, batch, config.threads);
      if (!onednn.ok()) return onednn.status();
      exec = std::move(onednn).value();
    }
    return std::unique_ptr<PreparedWorkload>(std::make_unique<PreparedNet>(
        std::move(net).value(), std::move(weights), std::move(exec), batch, config.seed));
  };
}

}  // namespace

std::vector<Family> MakeFamilies() {
  std::vector<Family> families;
  for (const char* name :
       {"mobilenet_v1", "mobilenet_v2", "efficientnet_b0", "squeezenet1_1", "resnet50"}) {
    Family f{std::string("net.") + name,
             {"fp32"},
             {"ref", "onednn"},
             {"onednn"},
             {"n", "res"},
             Preparer(name),
             nullptr};
    f.facts = [name = std::string(name)](const Params&) -> Result<std::map<std::string, double>> {
      auto net = NetworkByName(name);
      if (!net.ok()) return net.status();
      return std::map<std::string, double>{{"parameters", static_cast<double>(net->Parameters())},
                                           {"macs", static_cast<double>(net->Macs())}};
    };
    families.push_back(std::move(f));
  }
  return families;
}

}  // namespace effbench::workloads::nets
