#include "workloads/spmm/spmm.h"

#include <catch2/catch.hpp>
#include <random>

#include "tests/test_util.h"

namespace effbench::workloads::spmm {
namespace {

TEST_CASE("magnitude pruning zeroes the smallest weights to the target", "[spmm]") {
  std::vector<float> w = {0.5f, -0.1f, 0.3f, -0.9f, 0.05f, 0.7f, -0.2f, 0.0001f, 1.0f, -0.4f};
  const double achieved = MagnitudePrune(w, 0.5);
  CHECK(achieved == 0.5);
  // The five smallest magnitudes were 0.0001, 0.05, 0.1, 0.2, 0.3.
  CHECK(w == std::vector<float>{0.5f, 0, 0, -0.9f, 0, 0.7f, 0, 0, 1.0f, -0.4f});

  std::vector<float> big(10007);
  std::mt19937 gen(3);
  std::uniform_real_distribution<float> dist(-1, 1);
  for (float& v : big) v = dist(gen);
  CHECK(MagnitudePrune(big, 0.9) == Approx(0.9).margin(1e-4));
}

TEST_CASE("CSR holds exactly the non-zeros, row by row", "[spmm]") {
  const std::vector<float> dense = {0, 2, 0, 0, 0, 0, 3, 4, 5, 0, 0, 6};
  const Csr csr = ToCsr(dense, 3, 4);
  CHECK(csr.row_ptr == std::vector<int64_t>{0, 1, 3, 5});
  CHECK(csr.col == std::vector<int32_t>{1, 2, 3, 0, 3});
  CHECK(csr.values == std::vector<float>{2, 3, 4, 5, 6});
}

TEST_CASE("the CSR and dense kernels match the float64 product", "[spmm]") {
  const uint64_t seed = testing::TestSeed();
  INFO("seed " << seed << " (EFFBENCH_TEST_SEED replays it)");
  const Shape shapes[] = {{37, 1, 53}, {41, 70, 29}, {19, 131, 64}, {64, 64, 64}};
  for (const Shape s : shapes) {
    for (const double sparsity : {0.0, 0.5, 0.9, 0.95}) {
      INFO(s.m << "x" << s.n << "x" << s.k << " at " << sparsity);
      for (const bool sparse : {true, false}) {
        Operands ops;
        FillOperands(s, sparsity, sparse, seed, ops);
        CHECK(ops.achieved_sparsity == Approx(sparsity).margin(1.0 / (s.m * s.k)));
        if (sparse) {
          MakeCsrKernel(2)->Run(ops);
        } else {
          auto dense = MakeOnednnDenseKernel(ops, 1);
          REQUIRE(dense.ok());
          (*dense)->Run(ops);
        }
        auto fid = Verify(ops, seed);
        INFO((fid.ok() ? "" : fid.status().message()));
        REQUIRE(fid.ok());
        CHECK(fid->rel_l2 < 1e-5);
      }
    }
  }
}

TEST_CASE("SpMM verification catches a wrong output", "[spmm]") {
  Operands ops;
  FillOperands({33, 70, 40}, 0.9, true, 5, ops);
  MakeCsrKernel(1)->Run(ops);
  REQUIRE(Verify(ops, 1).ok());
  ops.y_mn[5 * 70 + 69] += 0.5f;  // the last column, in the partial chunk
  CHECK_FALSE(Verify(ops, 1).ok());
}

}  // namespace
}  // namespace effbench::workloads::spmm
