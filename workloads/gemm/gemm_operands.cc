// Operand generation and verification of the GEMM workloads.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>

#include "workloads/common/random.h"
#include "workloads/gemm/gemm.h"

namespace effbench::workloads::gemm {

void FillOperands(Shape shape, Precision precision, uint64_t seed, Operands& ops) {
  ops = Operands{};
  ops.shape = shape;
  ops.precision = precision;
  const size_t mk = static_cast<size_t>(shape.m * shape.k);
  const size_t kn = static_cast<size_t>(shape.k * shape.n);
  const size_t mn = static_cast<size_t>(shape.m * shape.n);
  ops.a.real.resize(mk);
  ops.b.real.resize(kn);
  FillUniform(ops.a.real, -0.25f, 1.0f, seed);
  FillUniform(ops.b.real, -1.0f, 1.0f, seed ^ 0x9e3779b97f4a7c15ull);
  DeriveForms(precision, ops.a);
  DeriveForms(precision, ops.b);
  if (precision == Precision::kInt8) {
    ops.c_s32.assign(mn, INT32_MIN);
  } else {
    ops.c_f32.assign(mn, std::nanf(""));
  }
}

namespace {

// The rows to check: all of them when the full float64 product is cheap,
// otherwise the first, the last and a random sample.
std::vector<int64_t> RowsToCheck(Shape s, uint64_t seed) {
  constexpr double kFullCheckMacs = 1 << 26;
  constexpr int64_t kSampledRows = 48;
  std::vector<int64_t> rows;
  if (static_cast<double>(s.m) * s.n * s.k <= kFullCheckMacs || s.m <= kSampledRows) {
    rows.resize(static_cast<size_t>(s.m));
    std::iota(rows.begin(), rows.end(), 0);
    return rows;
  }
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<int64_t> pick(1, s.m - 2);
  rows = {0, s.m - 1};
  while (rows.size() < kSampledRows) rows.push_back(pick(gen));
  return rows;
}

}  // namespace

Result<Fidelity> Verify(const Operands& ops, uint64_t seed) {
  const Shape s = ops.shape;
  const std::vector<int64_t> rows = RowsToCheck(s, seed);
  ErrorAccumulator kernel_err, fidelity_err;
  std::vector<double> exact(static_cast<size_t>(s.n)), real(static_cast<size_t>(s.n));
  std::vector<int64_t> exact_int(static_cast<size_t>(s.n));
  const double dequant = static_cast<double>(ops.a.q.scale) * ops.b.q.scale;

  for (int64_t i : rows) {
    std::fill(exact.begin(), exact.end(), 0.0);
    std::fill(real.begin(), real.end(), 0.0);
    std::fill(exact_int.begin(), exact_int.end(), 0);
    for (int64_t p = 0; p < s.k; ++p) {
      const size_t ai = static_cast<size_t>(i * s.k + p);
      const double a_real = ops.a.real[ai];
      const float* b_row = &ops.b.real[static_cast<size_t>(p * s.n)];
      for (int64_t j = 0; j < s.n; ++j) real[j] += a_real * b_row[j];
      switch (ops.precision) {
        case Precision::kFp32:
          break;
        case Precision::kBf16: {
          const double a = Bf16ToFloat(ops.a.bf16[ai]);
          const bf16_t* b = &ops.b.bf16[static_cast<size_t>(p * s.n)];
          for (int64_t j = 0; j < s.n; ++j) exact[j] += a * Bf16ToFloat(b[j]);
          break;
        }
        case Precision::kInt8: {
          const int64_t a = static_cast<int64_t>(ops.a.u8[ai]) - ops.a.q.zero_point;
          const int8_t* b = &ops.b.s8[static_cast<size_t>(p * s.n)];
          for (int64_t j = 0; j < s.n; ++j) exact_int[j] += a * b[j];
          break;
        }
      }
    }
    for (int64_t j = 0; j < s.n; ++j) {
      const size_t ci = static_cast<size_t>(i * s.n + j);
      double out = 0;
      if (ops.precision == Precision::kInt8) {
        if (ops.c_s32[ci] != exact_int[j]) {
          return Status::Internal("int8 output C[" + std::to_string(i) + "," + std::to_string(j) +
                                  "] = " + std::to_string(ops.c_s32[ci]) +
                                  ", exact integer product is " + std::to_string(exact_int[j]));
        }
        out = dequant * ops.c_s32[ci];
      } else {
        out = ops.c_f32[ci];
        if (!std::isfinite(out)) {
          return Status::Internal("output C[" + std::to_string(i) + "," + std::to_string(j) +
                                  "] is not finite (not written?)");
        }
        kernel_err.Add(out, ops.precision == Precision::kBf16 ? exact[j] : real[j]);
      }
      fidelity_err.Add(out, real[j]);
    }
  }
  // fp32 accumulation in any order stays well inside this bound for K ≤ 1e5.
  constexpr double kAccumulationTolerance = 1e-5;
  if (kernel_err.RelL2() > kAccumulationTolerance) {
    return Status::Internal("output differs from the float64 product of its own inputs: rel_l2 " +
                            std::to_string(kernel_err.RelL2()) + " > " +
                            std::to_string(kAccumulationTolerance));
  }
  return Fidelity{fidelity_err.RelL2(), fidelity_err.max_abs, Tolerance(ops.precision)};
}

}  // namespace effbench::workloads::gemm
