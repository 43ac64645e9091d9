// The GEMM entries of the workload catalog.
#include <string>

#include "workloads/gemm/gemm.h"

namespace effbench::workloads::gemm {
namespace {

// 1024³ and the DeepBench inference shapes (baidu-research/DeepBench
// gemm_problems.h) as DeepBench writes them: M (output features) × N (batch) × K.
constexpr Shape kShapes[] = {
    {1024, 1024, 1024}, {35, 700, 2048}, {5124, 700, 2048}, {3072, 1500, 1024}, {3072, 1, 1024},
};
constexpr Precision kPrecisions[] = {Precision::kFp32, Precision::kBf16, Precision::kInt8};

size_t ElementBytes(Precision p, bool output) {
  if (output) return 4;  // fp32 or s32
  return p == Precision::kFp32 ? 4 : p == Precision::kBf16 ? 2 : 1;
}

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

WorkloadSpec MakeSpec(Shape s, Precision p, const std::string& backend) {
  WorkloadSpec spec;
  spec.family = "gemm";
  spec.id = std::string("gemm.") + PrecisionName(p) + "/m" + std::to_string(s.m) + "n" +
            std::to_string(s.n) + "k" + std::to_string(s.k) + "@" + backend;
  spec.params = {{"m", s.m}, {"n", s.n}, {"k", s.k}};
  spec.variant = Variant{PrecisionName(p), "dense", backend};
  spec.flop = 2.0 * s.m * s.n * s.k;
  spec.bytes = static_cast<double>(ElementBytes(p, false) * (s.m * s.k + s.k * s.n) +
                                   ElementBytes(p, true) * s.m * s.n);
  spec.uses_threads = backend == "onednn";
  spec.prepare = [s, p,
                  backend](const RunConfig& config) -> Result<std::unique_ptr<PreparedWorkload>> {
    auto prepared = std::make_unique<PreparedGemm>(nullptr, config.seed);
    const Shape matmul{s.n, s.m, s.k};  // N activation rows × M output features
    FillOperands(matmul, p, config.seed, prepared->operands());
    if (backend == "ref") {
      prepared->set_kernel(MakeRefKernel());
    } else {
      auto kernel = MakeOnednnKernel(prepared->operands(), config.threads);
      if (!kernel.ok()) return kernel.status();
      prepared->set_kernel(std::move(kernel).value());
    }
    return std::unique_ptr<PreparedWorkload>(std::move(prepared));
  };
  return spec;
}

}  // namespace

std::vector<WorkloadSpec> Workloads() {
  std::vector<WorkloadSpec> specs;
  for (const char* backend : {"ref", "onednn"}) {
    for (Shape s : kShapes) {
      for (Precision p : kPrecisions) specs.push_back(MakeSpec(s, p, backend));
    }
  }
  return specs;
}

}  // namespace effbench::workloads::gemm
