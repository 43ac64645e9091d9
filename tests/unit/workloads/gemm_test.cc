#include "workloads/gemm/gemm.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <random>
#include <set>

#include "tests/test_util.h"
#include "workloads/catalog.h"
#include "workloads/common/cpu_isa.h"

namespace effbench::workloads::gemm {
namespace {

constexpr Precision kAll[] = {Precision::kFp32, Precision::kBf16, Precision::kInt8};

// Random shapes with odd sizes, plus the edge cases 1×1×1 and a GEMV.
std::vector<Shape> RandomShapes(uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<int64_t> dim(1, 97);
  std::vector<Shape> shapes = {{1, 1, 1}, {61, 1, 129}, {1, 67, 33}, {33, 17, 513}};
  for (int i = 0; i < 6; ++i) shapes.push_back({dim(gen), dim(gen), dim(gen)});
  return shapes;
}

TEST_CASE("int8 operands stay in the range the ISA's recipe allows", "[gemm]") {
  // Without VNNI oneDNN's u8·s8 pair sums must fit int16: activations in
  // [0, 127]; with it, the full [0, 255]. Weights keep ±127 either way.
  const Int8Recipe& recipe = KernelInt8Recipe();
  CHECK(recipe.weight_bits == 8);
  CHECK(recipe.activation_bits == (Int8SaturatesOnThisIsa() ? 7 : 8));
  CHECK(recipe.remedy.empty() == !Int8SaturatesOnThisIsa());
  Operands ops;
  const uint64_t seed = testing::TestSeed();
  INFO("seed " << seed << " (EFFBENCH_TEST_SEED replays it)");
  FillOperands(Shape{64, 48, 96}, Precision::kInt8, seed, ops);
  const int max_u8 = *std::max_element(ops.a.u8.begin(), ops.a.u8.end());
  CHECK(max_u8 == UnsignedMax(recipe.activation_bits));  // the range is used, not only bounded
  for (int8_t w : ops.b.s8) CHECK(std::abs(int{w}) <= 127);
  const auto q = DescribeQuantization(Precision::kInt8);
  REQUIRE(q);
  CHECK(q->activation_bits == recipe.activation_bits);
  CHECK(q->remedy == recipe.remedy);
  CHECK_FALSE(DescribeQuantization(Precision::kFp32));
}

TEST_CASE("both GEMM backends match the float64 reference on random odd shapes", "[gemm]") {
  const uint64_t seed = testing::TestSeed();
  INFO("seed " << seed << " (EFFBENCH_TEST_SEED replays it)");
  for (const Shape s : RandomShapes(seed)) {
    for (const Precision p : kAll) {
      INFO(PrecisionName(p) << " " << s.m << "x" << s.n << "x" << s.k);
      Operands ops;
      FillOperands(s, p, seed + static_cast<uint64_t>(s.m * 131 + s.n), ops);

      MakeRefKernel()->Run(ops);
      auto ref = Verify(ops, seed);
      REQUIRE(ref.ok());
      CHECK(ref->within_tolerance());

      auto onednn = MakeOnednnKernel(ops, 1);
      // A variant this machine cannot run must be one the capability model
      // skips, and only such a one: the declared needs are checked here.
      const bool runnable = !testing::UnmetOnednnNeed(PrecisionName(p));
      CHECK(onednn.ok() == runnable);
      if (!runnable) continue;
      REQUIRE(onednn.ok());
      (*onednn)->Run(ops);
      auto fid = Verify(ops, seed);
      INFO((fid.ok() ? "" : fid.status().message()));
      REQUIRE(fid.ok());
      CHECK(fid->within_tolerance());
      if (p == Precision::kFp32) CHECK(fid->rel_l2 < 1e-5);
      // bf16 and int8 lose precision to their input rounding: their error
      // against the real-valued product is far from zero yet within tolerance.
      if (p != Precision::kFp32 && s.k >= 16) CHECK(fid->rel_l2 > 1e-5);
    }
  }
}

TEST_CASE("verification catches a wrong kernel", "[gemm]") {
  for (const Precision p : kAll) {
    INFO(PrecisionName(p));
    Operands ops;
    FillOperands({37, 29, 41}, p, 7, ops);
    MakeRefKernel()->Run(ops);
    REQUIRE(Verify(ops, 1).ok());
    if (p == Precision::kInt8) {
      ops.c_s32[5 * 29 + 3] += 1;  // one integer off by one
    } else {
      ops.c_f32[5 * 29 + 3] *= 1.01f;  // one element off by 1 %
    }
    CHECK_FALSE(Verify(ops, 1).ok());
  }
}

TEST_CASE("verification catches an unwritten output", "[gemm]") {
  Operands ops;
  FillOperands({8, 8, 8}, Precision::kFp32, 3, ops);
  CHECK_FALSE(Verify(ops, 1).ok());  // outputs start as NaN
}

TEST_CASE("fresh seeds give fresh, nonzero data", "[gemm]") {
  Operands a, b;
  FillOperands({16, 16, 16}, Precision::kInt8, 1, a);
  FillOperands({16, 16, 16}, Precision::kInt8, 2, b);
  CHECK(a.a.real != b.a.real);
  CHECK(a.a.q.zero_point > 0);   // activations are asymmetric: the zero point matters
  CHECK(a.b.q.zero_point == 0);  // weights are symmetric
  size_t nonzero = 0;
  for (float v : a.b.real) nonzero += v != 0;
  CHECK(nonzero == a.b.real.size());
}

TEST_CASE("bf16 rounding is round-to-nearest-even", "[gemm]") {
  CHECK(FloatToBf16(1.0f) == 0x3f80);
  CHECK(Bf16ToFloat(FloatToBf16(1.00390625f)) == 1.0f);       // tie rounds to even
  CHECK(Bf16ToFloat(FloatToBf16(1.01171875f)) == 1.015625f);  // tie rounds up to even
  CHECK(Bf16ToFloat(FloatToBf16(-2.5f)) == -2.5f);
}

TEST_CASE("the catalog names every GEMM variant once, with its work", "[gemm]") {
  const auto& catalog = Catalog();
  std::set<std::string> ids;
  for (const auto& spec : catalog) {
    CHECK(ids.insert(spec.id).second);
    CHECK(spec.flop > 0);
    CHECK(spec.bytes > 0);
  }
  CHECK(ids.count("gemm.int8/m1024n1024k1024@onednn"));
  CHECK(ids.count("gemm.fp32/m5124n700k2048@ref"));
  CHECK(ids.count("gemm.bf16/m3072n1k1024@onednn"));
  auto quick = Select("quick", std::nullopt);
  REQUIRE(quick.ok());
  CHECK(quick->size() < catalog.size());
  CHECK_FALSE(Select("nightly", std::nullopt).ok());
}

}  // namespace
}  // namespace effbench::workloads::gemm
