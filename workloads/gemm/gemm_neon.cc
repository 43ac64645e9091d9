// The `neon` backend's GEMM (workloads/common/neon_kernels.h): fp32 on a
// register tile of FMAs, bf16 widened to fp32 once per call as the `ref`
// backend does, int8 on SDOT or USMMLA with the weights packed at creation.
#include <optional>
#include <string>
#include <vector>

#include "workloads/common/neon_kernels.h"
#include "workloads/gemm/gemm.h"

namespace effbench::workloads::gemm {
namespace {

class NeonKernel final : public Kernel {
 public:
  explicit NeonKernel(const Operands& ops) {
    if (ops.precision == Precision::kInt8) int8_.emplace(ops.b.s8.data(), ops.shape.k, ops.shape.n);
  }

  void Run(Operands& ops) override {
    const Shape s = ops.shape;
    switch (ops.precision) {
      case Precision::kFp32:
        neon::GemmF32(s.m, s.n, s.k, ops.a.real.data(), ops.b.real.data(), ops.c_f32.data());
        break;
      case Precision::kBf16:
        WidenBf16(ops.a.bf16, a_wide_);
        WidenBf16(ops.b.bf16, b_wide_);
        neon::GemmF32(s.m, s.n, s.k, a_wide_.data(), b_wide_.data(), ops.c_f32.data());
        break;
      case Precision::kInt8:
        int8_->Run(s.m, ops.a.u8.data(), ops.a.q.zero_point, ops.c_s32.data());
        break;
    }
  }

  std::string Implementation() const override {
    if (int8_) return int8_->kernel();
    return "neon:fp32-fma";
  }

 private:
  std::optional<neon::Int8Gemm> int8_;
  std::vector<float> a_wide_, b_wide_;  // bf16 inputs widened to fp32
};

}  // namespace

Result<std::unique_ptr<Kernel>> MakeNeonKernel(const Operands& ops) {
  if (!neon::Available())
    return Status::FailedPrecondition("the neon backend exists on aarch64 only");
  return std::unique_ptr<Kernel>(std::make_unique<NeonKernel>(ops));
}

}  // namespace effbench::workloads::gemm
