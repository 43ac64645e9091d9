// Statistics for comparing two runs: the Mann–Whitney U test on repetition
// samples, a bootstrap confidence interval for the ratio of medians, and the
// Benjamini–Hochberg correction across many comparisons. Pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace effbench::stats {

double Median(std::vector<double> values);
// The value at fraction `q` in [0, 1] of `sorted` (ascending, not empty),
// interpolated linearly between neighbours.
double Quantile(std::span<const double> sorted, double q);

struct MannWhitney {
  double u = 0;       // U of the first sample: pairs (a, b) with a > b, ties count 1/2
  double p = 1;       // two-sided
  bool exact = true;  // exact distribution (no ties, small samples), else normal approximation
};
// Two-sided Mann–Whitney U test. p = 1 when either sample is empty.
MannWhitney MannWhitneyU(std::span<const double> a, std::span<const double> b);
// The smallest two-sided p an exact test can give samples of n and m
// (2 / C(n+m, n)): below alpha, the test can never reject.
double MinimumMannWhitneyP(size_t n, size_t m);

struct RatioInterval {
  double ratio = 1;  // median(candidate) / median(baseline)
  double low = 1, high = 1;
};
// Percentile bootstrap of median(candidate) / median(baseline), resampling
// each run's repetitions with replacement. Deterministic for a given seed.
RatioInterval BootstrapMedianRatio(std::span<const double> baseline,
                                   std::span<const double> candidate, double confidence = 0.95,
                                   int resamples = 2000, uint64_t seed = 1);

struct MedianInterval {
  double median = 0, low = 0, high = 0;
  double coverage = 0;  // the interval's actual confidence
};
// A distribution-free interval of the median: the order statistics x(k) and
// x(n+1-k) with the largest k whose coverage (binomial, p = 1/2) is at least
// `confidence`. Too few samples for it (n < 6 at 95 %): min..max, with its
// lower coverage stated. REQUIRES: samples is not empty.
MedianInterval MedianConfidenceInterval(std::vector<double> samples, double confidence = 0.95);

// Benjamini–Hochberg adjusted p-values (q-values), in the input's order: a
// test is a discovery at false discovery rate q when its value is <= q.
std::vector<double> BenjaminiHochberg(std::span<const double> p);

}  // namespace effbench::stats
