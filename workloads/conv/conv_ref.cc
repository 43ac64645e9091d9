// Portable reference convolution: direct loops over output pixels, kernel
// taps and channels, single-threaded; the correctness oracle. Dense and
// grouped convolutions run the output channels innermost (contiguous in
// weights and output), depthwise ones the channels. bf16 is widened to fp32
// once per call.
#include "workloads/conv/conv_ref.h"

#include <algorithm>
#include <vector>

#include "workloads/conv/conv.h"

namespace effbench::workloads::conv {
namespace {

float Identity(float v) { return v; }

class RefKernel final : public Kernel {
 public:
  void Run(Operands& ops) override {
    const Shape& s = ops.shape;
    switch (ops.precision) {
      case Precision::kFp32:
        ReferenceConv(s, ops.input.real.data(), ops.weights.real.data(), ops.out_f32.data(),
                      Identity, Identity);
        break;
      case Precision::kBf16:
        WidenBf16(ops.input.bf16, in_wide_);
        WidenBf16(ops.weights.bf16, w_wide_);
        ReferenceConv(s, in_wide_.data(), w_wide_.data(), ops.out_f32.data(), Identity, Identity);
        break;
      case Precision::kInt8: {
        const int32_t zp = ops.input.q.zero_point;
        ReferenceConv(
            s, ops.input.u8.data(), ops.weights.s8.data(), ops.out_s32.data(),
            [zp](uint8_t v) { return static_cast<int32_t>(v) - zp; },
            [](int8_t v) { return static_cast<int32_t>(v); });
        break;
      }
    }
  }
  std::string Implementation() const override { return "cxx:reference"; }

 private:
  std::vector<float> in_wide_, w_wide_;
};

}  // namespace

std::unique_ptr<Kernel> MakeRefKernel() { return std::make_unique<RefKernel>(); }

}  // namespace effbench::workloads::conv
