// Unstructured magnitude pruning and sparse × dense products (DeepBench's
// sparse GEMM): weights W[M×K] (M output features) pruned to a target
// fraction of zeros by magnitude, times activations X (N×K, N the batch).
//
// Two kernels run on the same pruned weights: `csr`, our sparse kernel (W in
// CSR, activations transposed to K×N, output M×N), and `onednn`, the dense
// matmul (activations N×K × Wᵀ prepacked, output N×M) that ignores the zeros.
// fp32 only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "workloads/common/prepared_kernel.h"
#include "workloads/family.h"
#include "workloads/workload.h"

namespace effbench::workloads::spmm {

struct Shape {
  int64_t m = 0, n = 0, k = 0;
};

// CSR storage of a row-major M×K matrix.
struct Csr {
  int64_t rows = 0, cols = 0;
  std::vector<int64_t> row_ptr;  // rows + 1 offsets into col/values
  std::vector<int32_t> col;
  std::vector<float> values;
  double Bytes() const {
    return static_cast<double>(row_ptr.size() * sizeof(int64_t) + col.size() * sizeof(int32_t) +
                               values.size() * sizeof(float));
  }
};

// Zeroes the `target` fraction of `w` with the smallest magnitudes (ties
// broken by position) and returns the fraction of zeros it then holds.
double MagnitudePrune(std::vector<float>& w, double target);

Csr ToCsr(const std::vector<float>& dense, int64_t rows, int64_t cols);

struct Operands {
  Shape shape;
  double target_sparsity = 0;
  double achieved_sparsity = 0;
  std::vector<float> weights;  // pruned W, M×K row-major
  Csr csr;                     // the same W in CSR
  std::vector<float> x_nk;     // activations, N×K (dense kernel)
  std::vector<float> x_kn;     // the same activations, K×N (sparse kernel)
  std::vector<float> y_mn;     // sparse kernel output, M×N
  std::vector<float> y_nm;     // dense kernel output, N×M
  bool sparse = true;          // which kernel's output to verify
};

void FillOperands(Shape shape, double target_sparsity, bool sparse, uint64_t seed, Operands& ops);

// Checks the output against the float64 product on sampled output features.
Result<Fidelity> Verify(const Operands& ops, uint64_t seed);

using Kernel = OpKernel<Operands>;

// Y[M×N] = W_csr · Xᵀ, rows split across `threads` OpenMP threads.
std::unique_ptr<Kernel> MakeCsrKernel(int threads);
// Y[N×M] = X · Wᵀ with oneDNN's dense matmul on the pruned weights.
Result<std::unique_ptr<Kernel>> MakeOnednnDenseKernel(const Operands& ops, int threads);

// The family of workloads/specs/spmm.json.
Family MakeFamily();

}  // namespace effbench::workloads::spmm
