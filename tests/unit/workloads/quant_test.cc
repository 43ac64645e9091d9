#include "workloads/quant/quant.h"

#include <catch2/catch.hpp>
#include <random>

#include "tests/test_util.h"

namespace effbench::workloads::quant {
namespace {

TEST_CASE("quantize and dequantize kernels are exact on fresh data", "[quant]") {
  const uint64_t seed = testing::TestSeed();
  INFO("seed " << seed << " (EFFBENCH_TEST_SEED replays it)");
  for (const Direction d : {Direction::kQuantize, Direction::kDequantize}) {
    for (const int64_t n : {int64_t{1}, int64_t{17}, int64_t{4099}}) {
      Operands ops;
      FillOperands(d, n, seed, ops);
      if (n > 1000) CHECK(ops.params.zero_point > 0);  // the range holds negative values
      MakeRefKernel()->Run(ops);
      auto ref = Verify(ops, seed);
      INFO((ref.ok() ? "" : ref.status().message()));
      REQUIRE(ref.ok());
      FillOperands(d, n, seed, ops);
      auto onednn = MakeOnednnKernel(ops, 1);
      REQUIRE(onednn.ok());
      (*onednn)->Run(ops);
      auto fid = Verify(ops, seed);
      INFO((fid.ok() ? "" : fid.status().message()));
      REQUIRE(fid.ok());
      if (n > 1000) CHECK(fid->rel_l2 > 0);  // quantization loses something...
      CHECK(fid->rel_l2 < 1e-2);             // ...less than half a step per value
    }
  }
}

TEST_CASE("quantization verification catches a wrong zero point", "[quant]") {
  Operands ops;
  FillOperands(Direction::kQuantize, 1000, 3, ops);
  ops.params.zero_point += 1;
  MakeRefKernel()->Run(ops);
  ops.params.zero_point -= 1;  // the kernel used the wrong zero point
  CHECK_FALSE(Verify(ops, 3).ok());
}

}  // namespace
}  // namespace effbench::workloads::quant
