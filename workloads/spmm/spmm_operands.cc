// Pruning, CSR conversion, operands and verification of the SpMM workloads.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "workloads/common/numeric.h"
#include "workloads/common/random.h"
#include "workloads/spmm/spmm.h"

namespace effbench::workloads::spmm {

double MagnitudePrune(std::vector<float>& w, double target) {
  const size_t prune = static_cast<size_t>(std::llround(target * static_cast<double>(w.size())));
  if (prune > 0) {
    std::vector<size_t> order(w.size());
    std::iota(order.begin(), order.end(), 0);
    std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(prune - 1),
                     order.end(), [&](size_t a, size_t b) {
                       const float ma = std::fabs(w[a]), mb = std::fabs(w[b]);
                       return ma < mb || (ma == mb && a < b);
                     });
    for (size_t i = 0; i < prune; ++i) w[order[i]] = 0.0f;
  }
  const size_t zeros = static_cast<size_t>(std::count(w.begin(), w.end(), 0.0f));
  return w.empty() ? 0 : static_cast<double>(zeros) / static_cast<double>(w.size());
}

Csr ToCsr(const std::vector<float>& dense, int64_t rows, int64_t cols) {
  Csr csr;
  csr.rows = rows;
  csr.cols = cols;
  csr.row_ptr.reserve(static_cast<size_t>(rows + 1));
  csr.row_ptr.push_back(0);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const float v = dense[static_cast<size_t>(r * cols + c)];
      if (v != 0.0f) {
        csr.col.push_back(static_cast<int32_t>(c));
        csr.values.push_back(v);
      }
    }
    csr.row_ptr.push_back(static_cast<int64_t>(csr.values.size()));
  }
  return csr;
}

void FillOperands(Shape s, double target_sparsity, bool sparse, uint64_t seed, Operands& ops) {
  ops = Operands{};
  ops.shape = s;
  ops.sparse = sparse;
  ops.target_sparsity = target_sparsity;
  ops.weights.resize(static_cast<size_t>(s.m * s.k));
  FillUniform(ops.weights, -1.0f, 1.0f, seed ^ 0x9e3779b97f4a7c15ull);
  ops.achieved_sparsity = MagnitudePrune(ops.weights, target_sparsity);
  ops.x_nk.resize(static_cast<size_t>(s.n * s.k));
  FillUniform(ops.x_nk, -0.25f, 1.0f, seed);
  if (sparse) {
    ops.csr = ToCsr(ops.weights, s.m, s.k);
    ops.x_kn.resize(ops.x_nk.size());
    for (int64_t n = 0; n < s.n; ++n) {
      for (int64_t k = 0; k < s.k; ++k) ops.x_kn[k * s.n + n] = ops.x_nk[n * s.k + k];
    }
    ops.y_mn.assign(static_cast<size_t>(s.m * s.n), std::nanf(""));
  } else {
    ops.y_nm.assign(static_cast<size_t>(s.n * s.m), std::nanf(""));
  }
}

Result<Fidelity> Verify(const Operands& ops, uint64_t seed) {
  const Shape s = ops.shape;
  constexpr int64_t kSampledRows = 64;
  std::vector<int64_t> rows;
  if (s.m <= kSampledRows) {
    rows.resize(static_cast<size_t>(s.m));
    std::iota(rows.begin(), rows.end(), 0);
  } else {
    std::mt19937_64 gen(seed);
    std::uniform_int_distribution<int64_t> pick(0, s.m - 1);
    rows = {0, s.m - 1};
    while (static_cast<int64_t>(rows.size()) < kSampledRows) rows.push_back(pick(gen));
  }
  ErrorAccumulator err;
  std::vector<double> ref(static_cast<size_t>(s.n));
  for (int64_t m : rows) {
    std::fill(ref.begin(), ref.end(), 0.0);
    for (int64_t k = 0; k < s.k; ++k) {
      const double w = ops.weights[static_cast<size_t>(m * s.k + k)];
      if (w == 0) continue;
      for (int64_t n = 0; n < s.n; ++n) ref[n] += w * ops.x_nk[static_cast<size_t>(n * s.k + k)];
    }
    for (int64_t n = 0; n < s.n; ++n) {
      const double out = ops.sparse ? ops.y_mn[static_cast<size_t>(m * s.n + n)]
                                    : ops.y_nm[static_cast<size_t>(n * s.m + m)];
      if (!std::isfinite(out)) {
        return Status::Internal("output[m=" + std::to_string(m) + ",n=" + std::to_string(n) +
                                "] is not finite (not written?)");
      }
      err.Add(out, ref[n]);
    }
  }
  // fp32 arithmetic on fp32 inputs: the kernel check and the fidelity are one.
  Fidelity f{err.RelL2(), err.max_abs, 1e-5};
  if (!f.within_tolerance()) {
    return Status::Internal("output differs from the float64 product: rel_l2 " +
                            std::to_string(f.rel_l2));
  }
  return f;
}

}  // namespace effbench::workloads::spmm
