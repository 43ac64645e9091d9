// What the kernel-based families (gemm, conv, quant) share: the interface of a
// backend kernel on a family's operands, and the prepared workload that fills
// the operands from the run's seed, builds the backend's kernel on them and
// verifies with the family's reference.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"
#include "workloads/workload.h"

namespace effbench::workloads {

// A backend's kernel on operands of type Operands.
template <typename Operands>
class OpKernel {
 public:
  virtual ~OpKernel() = default;
  virtual void Run(Operands& ops) = 0;
  virtual std::string Implementation() const = 0;
};

template <typename Operands>
class PreparedKernel final : public PreparedWorkload {
 public:
  using Kernel = OpKernel<Operands>;
  using VerifyFn = Result<Fidelity> (*)(const Operands&, uint64_t seed);

  PreparedKernel(VerifyFn verify, uint64_t seed) : verify_(verify), seed_(seed) {}

  Operands& operands() { return ops_; }
  void set_kernel(std::unique_ptr<Kernel> kernel) { kernel_ = std::move(kernel); }
  void set_quantization(std::optional<Quantization> q) { quantization_ = std::move(q); }

  Result<Fidelity> Verify() override {
    kernel_->Run(ops_);
    return verify_(ops_, seed_);
  }
  void RunOnce() override { kernel_->Run(ops_); }
  std::string Implementation() const override { return kernel_->Implementation(); }
  std::optional<Quantization> QuantizationInfo() const override { return quantization_; }

 private:
  VerifyFn verify_;
  uint64_t seed_;
  Operands ops_;
  std::unique_ptr<Kernel> kernel_;
  std::optional<Quantization> quantization_;
};

// Prepares a kernel workload: `fill` sets up the operands, then the `ref`
// backend gets `make_ref()`, the `neon` backend `make_neon(operands)` and any
// other `make_onednn(operands, threads)`; `describe`, when given, says how the
// operands were quantized.
template <typename Operands>
Result<std::unique_ptr<PreparedWorkload>> PrepareKernel(
    typename PreparedKernel<Operands>::VerifyFn verify, const Variant& variant,
    const RunConfig& config, const std::function<void(Operands&)>& fill,
    const std::function<std::unique_ptr<OpKernel<Operands>>()>& make_ref,
    const std::function<Result<std::unique_ptr<OpKernel<Operands>>>(const Operands&, int)>&
        make_onednn,
    const std::function<std::optional<Quantization>(const Operands&)>& describe = nullptr,
    const std::function<Result<std::unique_ptr<OpKernel<Operands>>>(const Operands&)>& make_neon =
        nullptr) {
  auto prepared = std::make_unique<PreparedKernel<Operands>>(verify, config.seed);
  fill(prepared->operands());
  if (describe) prepared->set_quantization(describe(prepared->operands()));
  if (variant.backend == "ref") {
    prepared->set_kernel(make_ref());
  } else if (variant.backend == "neon") {
    if (!make_neon) return Status::FailedPrecondition("this family has no neon kernels");
    auto kernel = make_neon(prepared->operands());
    if (!kernel.ok()) return kernel.status();
    prepared->set_kernel(std::move(kernel).value());
  } else {
    auto kernel = make_onednn(prepared->operands(), config.threads);
    if (!kernel.ok()) return kernel.status();
    prepared->set_kernel(std::move(kernel).value());
  }
  return std::unique_ptr<PreparedWorkload>(std::move(prepared));
}

}  // namespace effbench::workloads
