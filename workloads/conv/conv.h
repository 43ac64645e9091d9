// 2-D convolution workloads in NHWC: standard, pointwise (1×1), depthwise
// (groups = channels) and grouped, with symmetric zero padding, in fp32, bf16
// (bf16 inputs, fp32 accumulate and output) and int8 (u8 activations with a
// zero point × s8 symmetric weights → s32; padding is real zero, i.e. the zero
// point, as in TFLite).
//
// Layouts: input [n][h][w][cin], weights [kh][kw][cin/groups][groups][cout/groups]
// (oneDNN's hwigo; HWIO when groups = 1), output [n][oh][ow][cout]. Input
// channel g·cin_g + i feeds output channel g·cout_g + o.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "workloads/common/prepared_kernel.h"
#include "workloads/common/tensor_forms.h"
#include "workloads/family.h"
#include "workloads/workload.h"

namespace effbench::workloads::conv {

struct Shape {
  int64_t n = 1, h = 0, w = 0, cin = 0, cout = 0, kh = 1, kw = 1, stride = 1, pad = 0, groups = 1;
  int64_t oh() const { return (h + 2 * pad - kh) / stride + 1; }
  int64_t ow() const { return (w + 2 * pad - kw) / stride + 1; }
  int64_t cin_g() const { return cin / groups; }
  int64_t cout_g() const { return cout / groups; }
  double Macs() const { return static_cast<double>(n) * oh() * ow() * cout * cin_g() * kh * kw; }
};

// Returns InvalidArgument naming the first inconsistent dimension.
Status Validate(const Shape& s);

struct Operands {
  Shape shape;
  Precision precision = Precision::kFp32;
  ActivationForms input;  // real values ~ U(-0.25, 1)
  WeightForms weights;    // real values ~ U(-1, 1)
  std::vector<float> out_f32;
  std::vector<int32_t> out_s32;
};

void FillOperands(const Shape& shape, Precision precision, uint64_t seed, Operands& ops);

// Checks the output in `ops` against float64/int64 references on sampled
// output pixels (all of them for small convolutions), as gemm::Verify does.
Result<Fidelity> Verify(const Operands& ops, uint64_t seed);

using Kernel = OpKernel<Operands>;

std::unique_ptr<Kernel> MakeRefKernel();
Result<std::unique_ptr<Kernel>> MakeOnednnKernel(const Operands& ops, int threads);
// Depthwise and pointwise convolutions in Advanced SIMD on aarch64
// (workloads/common/neon_kernels.h), single-threaded; FailedPrecondition for
// other shapes and elsewhere.
Result<std::unique_ptr<Kernel>> MakeNeonKernel(const Operands& ops);

// The convolution families of workloads/specs/conv.json: conv.std, conv.pw,
// conv.dw and conv.r50 share one implementation.
std::vector<Family> MakeFamilies();

}  // namespace effbench::workloads::conv
