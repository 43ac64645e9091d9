// The `neon` backend's convolutions (workloads/common/neon_kernels.h): the
// depthwise kernel over channels, and the pointwise convolution as the GEMM
// of pixels × channels (input [n·h·w][cin] · weights [cin][cout]). bf16 is
// widened to fp32 once per call, as the `ref` backend does. Other
// convolutions have no neon kernel.
#include <optional>
#include <string>
#include <vector>

#include "workloads/common/neon_kernels.h"
#include "workloads/conv/conv.h"

namespace effbench::workloads::conv {
namespace {

bool Depthwise(const Shape& s) { return s.groups == s.cin && s.cout == s.cin; }
bool Pointwise(const Shape& s) {
  return s.kh == 1 && s.kw == 1 && s.stride == 1 && s.pad == 0 && s.groups == 1;
}

class NeonKernel final : public Kernel {
 public:
  explicit NeonKernel(const Operands& ops) : depthwise_(Depthwise(ops.shape)) {
    const Shape& s = ops.shape;
    if (!depthwise_ && ops.precision == Precision::kInt8)
      int8_.emplace(ops.weights.s8.data(), s.cin, s.cout);
  }

  void Run(Operands& ops) override {
    const float* in = ops.input.real.data();
    const float* w = ops.weights.real.data();
    if (ops.precision == Precision::kBf16) {
      WidenBf16(ops.input.bf16, in_wide_);
      WidenBf16(ops.weights.bf16, w_wide_);
      in = in_wide_.data();
      w = w_wide_.data();
    }
    const Shape& s = ops.shape;
    if (depthwise_) {
      const neon::DepthwiseShape d{s.n, s.h, s.w, s.cin, s.kh, s.kw, s.stride, s.pad};
      if (ops.precision == Precision::kInt8) {
        neon::DepthwiseInt8(d, ops.input.u8.data(), ops.input.q.zero_point, ops.weights.s8.data(),
                            ops.out_s32.data());
      } else {
        neon::DepthwiseF32(d, in, w, ops.out_f32.data());
      }
    } else if (int8_) {
      int8_->Run(s.n * s.h * s.w, ops.input.u8.data(), ops.input.q.zero_point, ops.out_s32.data());
    } else {
      neon::GemmF32(s.n * s.h * s.w, s.cout, s.cin, in, w, ops.out_f32.data());
    }
  }

  std::string Implementation() const override {
    if (depthwise_) return "neon:depthwise";
    if (int8_) return int8_->kernel();
    return "neon:fp32-fma";
  }

 private:
  bool depthwise_;
  std::optional<neon::Int8Gemm> int8_;
  std::vector<float> in_wide_, w_wide_;
};

}  // namespace

Result<std::unique_ptr<Kernel>> MakeNeonKernel(const Operands& ops) {
  if (!neon::Available())
    return Status::FailedPrecondition("the neon backend exists on aarch64 only");
  if (!Depthwise(ops.shape) && !Pointwise(ops.shape)) {
    return Status::FailedPrecondition(
        "the neon backend has depthwise and pointwise convolutions only");
  }
  return std::unique_ptr<Kernel>(std::make_unique<NeonKernel>(ops));
}

}  // namespace effbench::workloads::conv
