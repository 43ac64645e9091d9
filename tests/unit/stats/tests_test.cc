#include "harness/stats/tests.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>

namespace effbench::stats {
namespace {

// The two-sided exact p by enumerating every split of the pooled ranks.
double BruteForceP(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> pooled = a;
  pooled.insert(pooled.end(), b.begin(), b.end());
  const size_t n = a.size(), total = pooled.size();
  const auto u_of = [&](const std::vector<bool>& in_a) {
    double u = 0;
    for (size_t i = 0; i < total; ++i) {
      for (size_t j = 0; j < total; ++j) {
        if (in_a[i] && !in_a[j]) u += pooled[i] > pooled[j] ? 1 : pooled[i] == pooled[j] ? 0.5 : 0;
      }
    }
    return u;
  };
  std::vector<bool> mask(total, false);
  std::fill(mask.begin(), mask.begin() + static_cast<ptrdiff_t>(n), true);
  std::vector<bool> actual = mask;
  const double observed = u_of(actual);
  const double nm = static_cast<double>(n * b.size());
  const double extreme = std::min(observed, nm - observed);
  size_t count = 0, as_low = 0;
  std::vector<bool> perm = mask;
  std::sort(perm.begin(), perm.end());
  do {
    ++count;
    as_low += u_of(perm) <= extreme + 1e-9;
  } while (std::next_permutation(perm.begin(), perm.end()));
  return std::min(1.0, 2.0 * static_cast<double>(as_low) / static_cast<double>(count));
}

TEST_CASE(
    "the median's distribution-free interval takes the order statistics binomial coverage gives",
    "[stats]") {
  // n = 20 at 95 %: x(6) .. x(15), coverage 1 - 2 P(B <= 5) = 0.9586 (B ~ Bin(20, 1/2)).
  std::vector<double> twenty;
  for (int i = 20; i >= 1; --i) twenty.push_back(i);  // unsorted on purpose
  const auto ci = MedianConfidenceInterval(twenty);
  CHECK(ci.median == 10.5);
  CHECK(ci.low == 6);
  CHECK(ci.high == 15);
  CHECK(ci.coverage == Approx(0.9586105346679688).epsilon(1e-12));
  // n = 5 cannot reach 95 %: min .. max, and the lower coverage is said.
  const auto five = MedianConfidenceInterval({3, 1, 2, 5, 4});
  CHECK(five.median == 3);
  CHECK(five.low == 1);
  CHECK(five.high == 5);
  CHECK(five.coverage == Approx(0.9375));
  // The coverage holds: over many normal samples of 10, the interval holds
  // the true median at least as often as it says (0.9785).
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal(100, 5);
  int hits = 0;
  const int trials = 4000;
  for (int t = 0; t < trials; ++t) {
    std::vector<double> x(10);
    for (double& v : x) v = normal(rng);
    const auto c = MedianConfidenceInterval(x);
    hits += c.low <= 100 && 100 <= c.high;
  }
  CHECK(static_cast<double>(hits) / trials > 0.97);
  CHECK(MedianConfidenceInterval({42}).coverage == 0);
}

TEST_CASE("quantiles interpolate between neighbours of the sorted values", "[stats]") {
  const std::vector<double> v = {1, 2, 3, 4};
  CHECK(Quantile(v, 0) == 1);
  CHECK(Quantile(v, 0.25) == Approx(1.75));
  CHECK(Quantile(v, 0.5) == Approx(2.5));
  CHECK(Quantile(v, 1) == 4);
  CHECK(Quantile(std::vector<double>{7}, 0.9) == 7);
}

TEST_CASE("Mann-Whitney U: exact p-values match enumeration", "[stats]") {
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0, 1);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<double> a(4), b(5);
    for (double& x : a) x = noise(rng) + 0.5 * (trial % 3);
    for (double& x : b) x = noise(rng);
    const MannWhitney r = MannWhitneyU(a, b);
    REQUIRE(r.exact);
    CHECK(r.p == Approx(BruteForceP(a, b)).epsilon(1e-12));
  }
}

TEST_CASE("Mann-Whitney U: separated samples and the smallest attainable p", "[stats]") {
  const std::vector<double> low = {1, 2, 3, 4, 5}, high = {6, 7, 8, 9, 10};
  const MannWhitney r = MannWhitneyU(low, high);
  CHECK(r.u == 0);
  CHECK(r.p == Approx(2.0 / 252));
  CHECK(MinimumMannWhitneyP(5, 5) == Approx(2.0 / 252));
  CHECK(MinimumMannWhitneyP(4, 4) == Approx(2.0 / 70));
  CHECK(MinimumMannWhitneyP(3, 3) > 0.05);  // three repetitions a side can never reach 0.05
  CHECK(MannWhitneyU(high, low).p == Approx(r.p));
  CHECK(MannWhitneyU({}, high).p == 1);
}

TEST_CASE("Mann-Whitney U with ties uses the corrected normal approximation", "[stats]") {
  const std::vector<double> a = {1, 2, 2, 3, 3, 3, 4, 5}, b = {3, 4, 4, 5, 5, 6, 6, 7};
  const MannWhitney r = MannWhitneyU(a, b);
  CHECK_FALSE(r.exact);
  CHECK(r.p > 0.001);
  CHECK(r.p < 0.05);
  CHECK(MannWhitneyU(a, a).p == Approx(1.0));
}

TEST_CASE("bootstrap interval of the ratio of medians", "[stats]") {
  std::mt19937 rng(11);
  std::normal_distribution<double> noise(0, 0.01);
  std::vector<double> base(10), slower(10), same(10);
  for (double& x : base) x = 100 * (1 + noise(rng));
  for (double& x : slower) x = 110 * (1 + noise(rng));
  for (double& x : same) x = 100 * (1 + noise(rng));
  const RatioInterval r = BootstrapMedianRatio(base, slower);
  CHECK(r.ratio == Approx(Median(slower) / Median(base)));
  CHECK(r.low <= r.ratio);
  CHECK(r.high >= r.ratio);
  CHECK(r.low > 1.05);  // a 10 % slowdown at 1 % noise: the interval excludes 1
  const RatioInterval s = BootstrapMedianRatio(base, same);
  CHECK(s.low < 1);
  CHECK(s.high > 1);
  const RatioInterval again = BootstrapMedianRatio(base, slower);
  CHECK(again.low == r.low);  // seeded: reproducible
}

// For n odd and distinct values x(1) < ... < x(n), the bootstrap median is at
// most x(k) exactly when at least (n+1)/2 of n draws fall at or below it:
// P = P(Binomial(n, k/n) >= (n+1)/2). With a baseline that never varies, the
// ratio's percentile interval must land on the order statistics where that
// distribution crosses the tails. For n = 11 the CDF is 0.0072 at x(2), 0.051
// at x(3), 0.95 at x(8) and 0.993 at x(9): the 95 % interval is [x(3), x(9)];
// at 50 %, [x(5), x(7)] (0.17, 0.38 and 0.62, 0.83 around the 25 and 75 %).
TEST_CASE("the bootstrap's interval matches the exact bootstrap distribution of the median",
          "[stats]") {
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> spread(0, 1);
  std::vector<double> x(11);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 100 + 10 * static_cast<double>(i) + spread(rng);
  std::shuffle(x.begin(), x.end(), rng);  // the order given must not matter
  std::vector<double> sorted = x;
  std::sort(sorted.begin(), sorted.end());
  const std::vector<double> ones(11, 1.0);
  for (uint64_t seed : {1, 2, 3, 99}) {
    const RatioInterval wide = BootstrapMedianRatio(ones, x, 0.95, 2000, seed);
    CHECK(wide.ratio == Approx(sorted[5]));
    CHECK(wide.low == Approx(sorted[2]));
    CHECK(wide.high == Approx(sorted[8]));
    const RatioInterval narrow = BootstrapMedianRatio(ones, x, 0.50, 2000, seed);
    CHECK(narrow.low == Approx(sorted[4]));
    CHECK(narrow.high == Approx(sorted[6]));
  }
  // Even n: the median averages the two middle values of each resample, so
  // every end of the interval is such an average or a value itself.
  const std::vector<double> even = {3, 1, 4, 1.5, 9, 2.6};
  const RatioInterval e = BootstrapMedianRatio(std::vector<double>(6, 2.0), even, 0.9);
  CHECK(e.ratio == Approx((2.6 + 3) / 2 / 2));
  CHECK(e.low >= 1.0 / 2);
  CHECK(e.high <= 9.0 / 2);
  CHECK(e.low < e.ratio);
  CHECK(e.high > e.ratio);
}

TEST_CASE("Benjamini-Hochberg adjusted p-values", "[stats]") {
  const std::vector<double> p = {0.01, 0.04, 0.03, 0.005};
  const auto q = BenjaminiHochberg(p);
  REQUIRE(q.size() == 4);
  CHECK(q[0] == Approx(0.02));
  CHECK(q[1] == Approx(0.04));
  CHECK(q[2] == Approx(0.04));
  CHECK(q[3] == Approx(0.02));
  CHECK(BenjaminiHochberg(std::vector<double>{0.9, 0.95})[0] == Approx(0.95));
  CHECK(BenjaminiHochberg(std::vector<double>{}).empty());
}

TEST_CASE("Median of odd and even counts", "[stats]") {
  CHECK(Median({3, 1, 2}) == 2);
  CHECK(Median({4, 1, 3, 2}) == 2.5);
}

}  // namespace
}  // namespace effbench::stats
