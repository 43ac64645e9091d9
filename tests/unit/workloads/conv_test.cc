#include "workloads/conv/conv.h"

#include <catch2/catch.hpp>
#include <random>

#include "tests/test_util.h"

namespace effbench::workloads::conv {
namespace {

constexpr Precision kAll[] = {Precision::kFp32, Precision::kBf16, Precision::kInt8};

// Random convolutions with odd sizes, strides, padding and groups, and the
// depthwise and pointwise special cases.
std::vector<Shape> RandomShapes(uint64_t seed) {
  std::mt19937_64 gen(seed);
  const auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(gen);
  };
  std::vector<Shape> shapes;
  shapes.push_back({1, 9, 7, 5, 5, 3, 3, 1, 1, 5});    // depthwise 3×3
  shapes.push_back({2, 11, 11, 6, 6, 5, 5, 2, 2, 6});  // depthwise 5×5, stride 2, batch 2
  shapes.push_back({1, 13, 5, 17, 9, 1, 1, 1, 0, 1});  // pointwise
  shapes.push_back({1, 15, 15, 3, 8, 7, 7, 2, 3, 1});  // stem 7×7/2
  shapes.push_back({1, 6, 6, 8, 12, 3, 3, 1, 0, 4});   // grouped, no padding
  for (int i = 0; i < 4; ++i) {
    Shape s;
    s.n = pick(1, 2);
    s.h = pick(3, 17);
    s.w = pick(3, 17);
    s.groups = pick(1, 3);
    s.cin = s.groups * pick(1, 9);
    s.cout = s.groups * pick(1, 9);
    s.kh = pick(1, 3);
    s.kw = pick(1, 3);
    s.stride = pick(1, 3);
    s.pad = pick(0, 1);
    shapes.push_back(s);
  }
  return shapes;
}

TEST_CASE("both convolution backends match the float64 reference", "[conv]") {
  const uint64_t seed = testing::TestSeed();
  INFO("seed " << seed << " (EFFBENCH_TEST_SEED replays it)");
  for (const Shape& s : RandomShapes(seed)) {
    REQUIRE(Validate(s).ok());
    for (const Precision p : kAll) {
      INFO(PrecisionName(p) << " n" << s.n << " h" << s.h << " w" << s.w << " c" << s.cin << "->"
                            << s.cout << " k" << s.kh << "x" << s.kw << " s" << s.stride << " p"
                            << s.pad << " g" << s.groups);
      Operands ops;
      FillOperands(s, p, seed + static_cast<uint64_t>(s.h * 31 + s.cin), ops);

      MakeRefKernel()->Run(ops);
      auto ref = Verify(ops, seed);
      INFO((ref.ok() ? "" : ref.status().message()));
      REQUIRE(ref.ok());
      CHECK(ref->within_tolerance());

      auto onednn = MakeOnednnKernel(ops, 1);
      INFO((onednn.ok() ? "" : onednn.status().message()));
      const bool runnable = !testing::UnmetOnednnNeed(PrecisionName(p));
      CHECK(onednn.ok() == runnable);
      if (!runnable) continue;
      REQUIRE(onednn.ok());
      (*onednn)->Run(ops);
      auto fid = Verify(ops, seed);
      INFO((fid.ok() ? "" : fid.status().message()));
      REQUIRE(fid.ok());
      CHECK(fid->within_tolerance());
    }
  }
}

TEST_CASE("convolution verification catches a wrong output, padding included", "[conv]") {
  for (const Precision p : kAll) {
    INFO(PrecisionName(p));
    Operands ops;
    const Shape s{1, 8, 8, 4, 6, 3, 3, 1, 1, 1};
    FillOperands(s, p, 11, ops);
    MakeRefKernel()->Run(ops);
    REQUIRE(Verify(ops, 1).ok());
    // The corner pixel, whose taps half read the padding.
    if (p == Precision::kInt8) {
      ops.out_s32[2] -= 1;
    } else {
      ops.out_f32[2] *= 0.99f;
    }
    CHECK_FALSE(Verify(ops, 1).ok());
  }
}

TEST_CASE("inconsistent convolution shapes are rejected", "[conv]") {
  CHECK_FALSE(Validate(Shape{1, 8, 8, 6, 6, 3, 3, 1, 1, 4}).ok());  // groups do not divide
  CHECK_FALSE(Validate(Shape{1, 2, 2, 4, 4, 5, 5, 1, 0, 1}).ok());  // kernel larger than input
  CHECK_FALSE(Validate(Shape{1, 8, 8, 4, 4, 3, 3, 0, 1, 1}).ok());  // stride 0
  CHECK(Validate(Shape{1, 8, 8, 4, 4, 3, 3, 2, 1, 4}).ok());
}

}  // namespace
}  // namespace effbench::workloads::conv
