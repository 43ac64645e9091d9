// The GEMM family: prepares a GEMM workload of workloads/specs/gemm.json.
#include <string>

#include "workloads/gemm/gemm.h"

namespace effbench::workloads::gemm {
namespace {

class PreparedGemm final : public PreparedWorkload {
 public:
  PreparedGemm(std::unique_ptr<Kernel> kernel, uint64_t seed)
      : kernel_(std::move(kernel)), seed_(seed) {}
  Operands& operands() { return ops_; }
  void set_kernel(std::unique_ptr<Kernel> kernel) { kernel_ = std::move(kernel); }

  Result<Fidelity> Verify() override {
    kernel_->Run(ops_);
    return gemm::Verify(ops_, seed_);
  }
  void RunOnce() override { kernel_->Run(ops_); }
  std::string Implementation() const override { return kernel_->Implementation(); }

 private:
  Operands ops_;
  std::unique_ptr<Kernel> kernel_;
  uint64_t seed_;
};

Result<std::unique_ptr<PreparedWorkload>> Prepare(const Params& params, const Variant& variant,
                                                  const RunConfig& config) {
  // DeepBench's M×N×K: N activation rows × M output features, reduced over K.
  const Shape matmul{params.at("n"), params.at("m"), params.at("k")};
  auto prepared = std::make_unique<PreparedGemm>(nullptr, config.seed);
  FillOperands(matmul, ParsePrecision(variant.precision), config.seed, prepared->operands());
  if (variant.backend == "ref") {
    prepared->set_kernel(MakeRefKernel());
  } else {
    auto kernel = MakeOnednnKernel(prepared->operands(), config.threads);
    if (!kernel.ok()) return kernel.status();
    prepared->set_kernel(std::move(kernel).value());
  }
  return std::unique_ptr<PreparedWorkload>(std::move(prepared));
}

}  // namespace

Family MakeFamily() {
  return Family{"gemm",     {"fp32", "bf16", "int8"}, {"ref", "onednn"},
                {"onednn"}, {"m", "n", "k"},          Prepare};
}

}  // namespace effbench::workloads::gemm
