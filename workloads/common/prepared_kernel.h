// The prepared workload of a kernel-based family: operands filled once from
// the run's seed, a backend kernel built on them, the family's verification.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "workloads/workload.h"

namespace effbench::workloads {

template <typename Operands, typename Kernel>
class PreparedKernel final : public PreparedWorkload {
 public:
  using VerifyFn = Result<Fidelity> (*)(const Operands&, uint64_t seed);

  PreparedKernel(VerifyFn verify, uint64_t seed) : verify_(verify), seed_(seed) {}

  Operands& operands() { return ops_; }
  void set_kernel(std::unique_ptr<Kernel> kernel) { kernel_ = std::move(kernel); }

  Result<Fidelity> Verify() override {
    kernel_->Run(ops_);
    return verify_(ops_, seed_);
  }
  void RunOnce() override { kernel_->Run(ops_); }
  std::string Implementation() const override { return kernel_->Implementation(); }

 private:
  VerifyFn verify_;
  uint64_t seed_;
  Operands ops_;
  std::unique_ptr<Kernel> kernel_;
};

}  // namespace effbench::workloads
