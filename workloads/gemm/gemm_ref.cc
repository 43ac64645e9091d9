// Portable reference GEMM kernels: plain C++ loops, single-threaded; the
// correctness oracle. Wide outputs run in i-k-j order, blocked so a panel of B
// stays in cache; narrow outputs (GEMV-like, N < 8) as dot products along K.
// bf16 is widened to fp32 once per call, then multiplied in fp32.
#include <algorithm>
#include <vector>

#include "workloads/gemm/gemm.h"

namespace effbench::workloads::gemm {
namespace {

constexpr int64_t kBlockK = 128;
constexpr int64_t kBlockN = 512;
constexpr int64_t kNarrowN = 8;

// C = op(A)·op(B) where `load_a`/`load_b` widen an element to the accumulator
// type Acc.
template <typename Acc, typename TA, typename TB, typename TC, typename LoadA, typename LoadB>
void ReferenceGemm(Shape s, const TA* a, const TB* b, TC* c, LoadA load_a, LoadB load_b) {
  if (s.n < kNarrowN) {
    for (int64_t i = 0; i < s.m; ++i) {
      for (int64_t j = 0; j < s.n; ++j) {
        Acc sum = 0;
        for (int64_t p = 0; p < s.k; ++p) sum += load_a(a[i * s.k + p]) * load_b(b[p * s.n + j]);
        c[i * s.n + j] = sum;
      }
    }
    return;
  }
  std::fill(c, c + s.m * s.n, TC{0});
  for (int64_t j0 = 0; j0 < s.n; j0 += kBlockN) {
    const int64_t j1 = std::min(s.n, j0 + kBlockN);
    for (int64_t p0 = 0; p0 < s.k; p0 += kBlockK) {
      const int64_t p1 = std::min(s.k, p0 + kBlockK);
      for (int64_t i = 0; i < s.m; ++i) {
        TC* c_row = c + i * s.n;
        for (int64_t p = p0; p < p1; ++p) {
          const Acc av = load_a(a[i * s.k + p]);
          const TB* b_row = b + p * s.n;
          for (int64_t j = j0; j < j1; ++j) c_row[j] += av * load_b(b_row[j]);
        }
      }
    }
  }
}

float Identity(float v) { return v; }

class RefKernel final : public Kernel {
 public:
  void Run(Operands& ops) override {
    const Shape s = ops.shape;
    switch (ops.precision) {
      case Precision::kFp32:
        ReferenceGemm<float>(s, ops.a.real.data(), ops.b.real.data(), ops.c_f32.data(), Identity,
                             Identity);
        break;
      case Precision::kBf16:
        WidenBf16(ops.a.bf16, a_wide_);
        WidenBf16(ops.b.bf16, b_wide_);
        ReferenceGemm<float>(s, a_wide_.data(), b_wide_.data(), ops.c_f32.data(), Identity,
                             Identity);
        break;
      case Precision::kInt8: {
        const int32_t za = ops.a.q.zero_point;
        ReferenceGemm<int32_t>(
            s, ops.a.u8.data(), ops.b.s8.data(), ops.c_s32.data(),
            [za](uint8_t v) { return static_cast<int32_t>(v) - za; },
            [](int8_t v) { return static_cast<int32_t>(v); });
        break;
      }
    }
  }
  std::string Implementation() const override { return "cxx:reference"; }

 private:
  std::vector<float> a_wide_, b_wide_;  // bf16 inputs widened to fp32
};

}  // namespace

std::unique_ptr<Kernel> MakeRefKernel() { return std::make_unique<RefKernel>(); }

}  // namespace effbench::workloads::gemm
