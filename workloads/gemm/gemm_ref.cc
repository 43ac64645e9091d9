// Portable reference GEMM kernels: plain C++ loops in i-k-j order, blocked so
// that a panel of B stays in cache. Single-threaded; the correctness oracle.
#include <algorithm>

#include "workloads/gemm/gemm.h"

namespace effbench::workloads::gemm {
namespace {

constexpr int64_t kBlockK = 128;
constexpr int64_t kBlockN = 512;

// C = A·B with A and B in any element type convertible by `load_a`/`load_b`
// and an accumulator type Acc.
template <typename Acc, typename TA, typename TB, typename TC, typename LoadA, typename LoadB>
void BlockedGemm(Shape s, const TA* a, const TB* b, TC* c, LoadA load_a, LoadB load_b) {
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

class RefKernel final : public Kernel {
 public:
  void Run(Operands& ops) override {
    const Shape s = ops.shape;
    switch (ops.precision) {
      case Precision::kFp32:
        BlockedGemm<float>(
            s, ops.a.data(), ops.b.data(), ops.c_f32.data(), [](float v) { return v; },
            [](float v) { return v; });
        break;
      case Precision::kBf16:
        BlockedGemm<float>(s, ops.a_bf16.data(), ops.b_bf16.data(), ops.c_f32.data(), Bf16ToFloat,
                           Bf16ToFloat);
        break;
      case Precision::kInt8: {
        const int32_t za = ops.qa.zero_point;
        BlockedGemm<int32_t>(
            s, ops.a_u8.data(), ops.b_s8.data(), ops.c_s32.data(),
            [za](uint8_t v) { return static_cast<int32_t>(v) - za; },
            [](int8_t v) { return static_cast<int32_t>(v); });
        break;
      }
    }
  }
  std::string Implementation() const override { return "cxx:blocked-ikj"; }
};

}  // namespace

std::unique_ptr<Kernel> MakeRefKernel() { return std::make_unique<RefKernel>(); }

}  // namespace effbench::workloads::gemm
