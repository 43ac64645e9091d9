// The `neon` backend: it runs where the catalog says it can and nowhere else,
// and on aarch64 every kernel (fp32 FMA, int8 SDOT and USMMLA, depthwise)
// matches the float64/int64 reference on fresh random data of odd shapes.
// On x86-64 only the first holds; the rest runs in the aarch64 build's unit
// tests under qemu-aarch64 (make test-aarch64).
#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "tests/test_util.h"
#include "workloads/capability.h"
#include "workloads/catalog.h"
#include "workloads/common/neon_kernels.h"
#include "workloads/conv/conv.h"
#include "workloads/gemm/gemm.h"

namespace effbench::workloads {
namespace {

constexpr Precision kAll[] = {Precision::kFp32, Precision::kBf16, Precision::kInt8};

TEST_CASE("neon variants run on aarch64 with what they need, and are skipped elsewhere, named",
          "[neon]") {
  int seen = 0;
  for (const WorkloadSpec& spec : Catalog()) {
    if (spec.variant.backend != "neon") continue;
    ++seen;
    INFO(spec.id);
    const auto why = UnmetNeed(spec, RunConfig{});
#if defined(__aarch64__)
    const bool needs_dotprod = spec.variant.precision == "int8" && spec.family != "conv.dw";
    CHECK(why.has_value() == (needs_dotprod && !cpu::CpuHas("asimddp")));
    if (why) CHECK(why->find("needs dotprod for neon int8 (this CPU: ") == 0);
#else
    REQUIRE(why);
    CHECK(why->find("(this CPU is not aarch64)") != std::string::npos);
#endif
  }
  CHECK(seen > 30);  // gemm, conv.dw and conv.pw at every shape and precision

  gemm::Operands ops;
  gemm::FillOperands(gemm::Shape{3, 5, 7}, Precision::kFp32, testing::TestSeed(), ops);
  auto kernel = gemm::MakeNeonKernel(ops);
  CHECK(kernel.ok() == neon::Available());
  if (!kernel.ok()) CHECK(kernel.status().message().find("aarch64 only") != std::string::npos);
}

TEST_CASE("neon GEMMs match the float64 reference on random odd shapes", "[neon]") {
  if (!neon::Available()) return;  // an x86-64 build: the case above checks the skip
  const uint64_t seed = testing::TestSeed();
  INFO("seed " << seed << " (EFFBENCH_TEST_SEED replays it)");
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<int64_t> dim(1, 70);
  std::vector<gemm::Shape> shapes = {
      {1, 1, 1}, {1, 67, 33}, {5, 17, 9}, {4, 16, 256}, {9, 33, 300}};
  for (int i = 0; i < 6; ++i) shapes.push_back({dim(gen), dim(gen), dim(gen)});
  for (const gemm::Shape s : shapes) {
    for (const Precision p : kAll) {
      if (p == Precision::kInt8 && !cpu::CpuHas("asimddp")) continue;
      INFO(PrecisionName(p) << " " << s.m << "x" << s.n << "x" << s.k);
      gemm::Operands ops;
      gemm::FillOperands(s, p, seed + static_cast<uint64_t>(s.m * 131 + s.n), ops);
      auto kernel = gemm::MakeNeonKernel(ops);
      REQUIRE(kernel.ok());
      (*kernel)->Run(ops);
      auto fid = gemm::Verify(ops, seed);
      INFO((fid.ok() ? "" : fid.status().message()));
      REQUIRE(fid.ok());
      CHECK(fid->within_tolerance());
      if (p == Precision::kInt8) {
        CHECK((*kernel)->Implementation() == (cpu::CpuHas("i8mm") ? "neon:usmmla" : "neon:sdot"));
      } else {
        CHECK((*kernel)->Implementation() == "neon:fp32-fma");
      }
    }
  }
}

TEST_CASE("both int8 NEON kernels give the exact integer product", "[neon]") {
  if (!neon::Available()) return;
  const uint64_t seed = testing::TestSeed();
  INFO("seed " << seed << " (EFFBENCH_TEST_SEED replays it)");
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<int64_t> dim(1, 45);
  std::uniform_int_distribution<int> u8(0, 255), s8(-128, 127);
  int checked = 0;
  for (const auto kernel : {neon::Int8Gemm::Kernel::kSdot, neon::Int8Gemm::Kernel::kUsmmla}) {
    const bool sdot = kernel == neon::Int8Gemm::Kernel::kSdot;
    if (!cpu::CpuHas(sdot ? "asimddp" : "i8mm")) continue;
    for (int trial = 0; trial < 8; ++trial) {
      const int64_t rows = dim(gen), cols = dim(gen), k = dim(gen);
      const int32_t zero_point = u8(gen);
      std::vector<uint8_t> a(static_cast<size_t>(rows * k));
      std::vector<int8_t> b(static_cast<size_t>(k * cols));
      for (auto& v : a) v = static_cast<uint8_t>(u8(gen));  // the full range, both extremes
      for (auto& v : b) v = static_cast<int8_t>(s8(gen));
      a[0] = 255;
      b[0] = -128;
      std::vector<int32_t> c(static_cast<size_t>(rows * cols), -1);
      neon::Int8Gemm gemm(b.data(), k, cols, kernel);
      CHECK(gemm.kernel() == (sdot ? "neon:sdot" : "neon:usmmla"));
      // The same packed weights for all the rows, then for one row fewer
      // (what a second call with an odd count leaves of the first).
      for (const int64_t n : {rows, rows > 1 ? rows - 1 : rows}) {
        std::fill(c.begin(), c.end(), -1);
        gemm.Run(n, a.data(), zero_point, c.data());
        INFO(gemm.kernel() << " " << n << "x" << cols << "x" << k << " zero point " << zero_point);
        int64_t wrong = 0;
        for (int64_t i = 0; i < n; ++i) {
          for (int64_t j = 0; j < cols; ++j) {
            int64_t want = 0;
            for (int64_t p = 0; p < k; ++p)
              want += (int64_t{a[i * k + p]} - zero_point) * b[p * cols + j];
            wrong += c[i * cols + j] != want;
          }
        }
        CHECK(wrong == 0);
      }
      ++checked;
    }
  }
  CHECK(checked >= (cpu::CpuHas("asimddp") ? 8 : 0));
}

TEST_CASE("neon depthwise and pointwise convolutions match the float64 reference", "[neon]") {
  if (!neon::Available()) return;
  const uint64_t seed = testing::TestSeed();
  INFO("seed " << seed << " (EFFBENCH_TEST_SEED replays it)");
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<int64_t> side(1, 13), channels(1, 37);
  for (int trial = 0; trial < 8; ++trial) {
    const int64_t c = channels(gen), k = trial % 2 == 0 ? 3 : 5, stride = 1 + trial % 3 / 2;
    conv::Shape dw{1 + trial % 2, side(gen), side(gen), c, c, k, k, stride, k / 2, c};
    conv::Shape pw{1, side(gen), side(gen), channels(gen), channels(gen), 1, 1, 1, 0, 1};
    for (const conv::Shape& s : {dw, pw}) {
      REQUIRE(conv::Validate(s).ok());
      for (const Precision p : kAll) {
        const bool depthwise = s.groups > 1 || (s.kh > 1);
        if (p == Precision::kInt8 && !depthwise && !cpu::CpuHas("asimddp")) continue;
        INFO(PrecisionName(p) << (depthwise ? " depthwise" : " pointwise") << " n" << s.n << "h"
                              << s.h << "w" << s.w << "c" << s.cin << "o" << s.cout << "k" << s.kh
                              << "s" << s.stride);
        conv::Operands ops;
        conv::FillOperands(s, p, seed + static_cast<uint64_t>(trial), ops);
        auto kernel = conv::MakeNeonKernel(ops);
        REQUIRE(kernel.ok());
        (*kernel)->Run(ops);
        auto fid = conv::Verify(ops, seed);
        INFO((fid.ok() ? "" : fid.status().message()));
        REQUIRE(fid.ok());
        CHECK(fid->within_tolerance());
        if (depthwise) CHECK((*kernel)->Implementation() == "neon:depthwise");
      }
    }
  }
  // A standard 3×3 convolution has no neon kernel: an error, not a wrong one.
  conv::Operands ops;
  conv::FillOperands(conv::Shape{1, 8, 8, 4, 8, 3, 3, 1, 1, 1}, Precision::kFp32, seed, ops);
  auto standard = conv::MakeNeonKernel(ops);
  REQUIRE_FALSE(standard.ok());
  CHECK(standard.status().message().find("depthwise and pointwise") != std::string::npos);
}

}  // namespace
}  // namespace effbench::workloads
