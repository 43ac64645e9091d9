// The SpMM family: prepares a workload of workloads/specs/spmm.json.
#include "workloads/spmm/spmm.h"

namespace effbench::workloads::spmm {
namespace {

class PreparedSpmm final : public PreparedWorkload {
 public:
  PreparedSpmm(std::unique_ptr<Operands> ops, std::unique_ptr<Kernel> kernel, uint64_t seed)
      : ops_(std::move(ops)), kernel_(std::move(kernel)), seed_(seed) {}

  Result<Fidelity> Verify() override {
    kernel_->Run(*ops_);
    return spmm::Verify(*ops_, seed_);
  }
  void RunOnce() override { kernel_->Run(*ops_); }
  std::string Implementation() const override { return kernel_->Implementation(); }
  std::optional<Compression> CompressionInfo() const override {
    const double dense_bytes = static_cast<double>(ops_->weights.size() * sizeof(float));
    return Compression{"unstructured",
                       ops_->target_sparsity,
                       ops_->achieved_sparsity,
                       ops_->sparse ? "csr" : "dense",
                       ops_->sparse ? ops_->csr.Bytes() : dense_bytes,
                       ops_->sparse};
  }

 private:
  std::unique_ptr<Operands> ops_;
  std::unique_ptr<Kernel> kernel_;
  uint64_t seed_;
};

Result<std::unique_ptr<PreparedWorkload>> Prepare(const Params& p, const Variant& variant,
                                                  const RunConfig& config) {
  const Shape s{p.at("m"), p.at("n"), p.at("k")};
  const double target = static_cast<double>(p.at("sparsity")) / 100.0;
  if (target < 0 || target >= 1) {
    return Status::InvalidArgument("sparsity must be a percentage in [0, 100)");
  }
  const bool sparse = variant.backend == "csr";
  auto ops = std::make_unique<Operands>();
  FillOperands(s, target, sparse, config.seed, *ops);
  std::unique_ptr<Kernel> kernel;
  if (sparse) {
    kernel = MakeCsrKernel(config.threads);
  } else {
    auto dense = MakeOnednnDenseKernel(*ops, config.threads);
    if (!dense.ok()) return dense.status();
    kernel = std::move(dense).value();
  }
  return std::unique_ptr<PreparedWorkload>(
      std::make_unique<PreparedSpmm>(std::move(ops), std::move(kernel), config.seed));
}

}  // namespace

Family MakeFamily() {
  return Family{
      "spmm",  {"fp32"}, {"csr", "onednn"}, {"csr", "onednn"}, {"m", "n", "k", "sparsity"},
      Prepare, nullptr};
}

}  // namespace effbench::workloads::spmm
