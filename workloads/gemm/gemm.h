// GEMM workloads: C[rows×cols] = A[rows×K] · B[K×cols], row-major, A the
// activations and B the weights, in fp32, bf16 (bf16 inputs, fp32 accumulate
// and output) and int8 (u8 activations with a zero point × s8 symmetric weights
// → s32, the gemmlowp/TFLite convention; real C = scale_a·scale_b·C_s32).
//
// Workload ids use DeepBench's M×N×K, where M is the output features (rows of
// the weight matrix), N the batch and K the reduction: the DeepBench problem
// m×n×k is Shape{n, m, k} here (N activation rows, M output columns), so that
// 3072×1×1024 is a batch-1 GEMV reading a 3072×1024 weight matrix.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "workloads/common/numeric.h"
#include "workloads/common/prepared_kernel.h"
#include "workloads/common/tensor_forms.h"
#include "workloads/family.h"
#include "workloads/workload.h"

namespace effbench::workloads::gemm {

struct Shape {
  int64_t m = 0, n = 0, k = 0;
};

// The real-valued inputs of one GEMM and the forms its precision consumes.
struct Operands {
  Shape shape;
  Precision precision = Precision::kFp32;
  ActivationForms a;           // real values ~ U(-0.25, 1)
  WeightForms b;               // real values ~ U(-1, 1)
  std::vector<float> c_f32;    // output of fp32 and bf16
  std::vector<int32_t> c_s32;  // output of int8
};

// Allocates and fills `ops` with seeded random inputs for `shape` at `precision`.
void FillOperands(Shape shape, Precision precision, uint64_t seed, Operands& ops);

// Checks the output in `ops` (computed by some backend) against references
// computed here in float64/int64 on sampled rows (all rows for small shapes):
// the kernel check compares with the exact product of the inputs the kernel
// consumed (bf16-rounded or quantized) and fails on anything beyond fp32
// rounding (int8: any difference); the fidelity compares with the product of
// the real-valued inputs.
Result<Fidelity> Verify(const Operands& ops, uint64_t seed);

// A backend's GEMM on prepared operands (weights may be packed at creation).
using Kernel = OpKernel<Operands>;

// Portable C++ reference kernels: the correctness oracle, single-threaded.
std::unique_ptr<Kernel> MakeRefKernel();
// oneDNN matmul primitives, weights reordered once to the primitive's layout.
Result<std::unique_ptr<Kernel>> MakeOnednnKernel(const Operands& ops, int threads);
// Advanced SIMD kernels on aarch64 (workloads/common/neon_kernels.h),
// single-threaded; FailedPrecondition elsewhere.
Result<std::unique_ptr<Kernel>> MakeNeonKernel(const Operands& ops);

// The GEMM family of workloads/specs/gemm.json.
Family MakeFamily();

}  // namespace effbench::workloads::gemm
