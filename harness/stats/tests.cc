#include "harness/stats/tests.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace effbench::stats {

namespace {

// The median of `v`, reordering it (no copy: the bootstrap calls this
// millions of times on buffers it refills anyway).
double MedianInPlace(std::vector<double>& v) {
  if (v.empty()) return 0;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(mid), v.end());
  if (v.size() % 2) return v[mid];
  const double upper = v[mid];
  return (*std::max_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(mid)) + upper) / 2;
}

}  // namespace

double Median(std::vector<double> v) { return MedianInPlace(v); }

double Quantile(std::span<const double> sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(sorted.size() - 1, lo + 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

double MinimumMannWhitneyP(size_t n, size_t m) {
  if (n == 0 || m == 0) return 1;
  double log_c = std::lgamma(static_cast<double>(n + m + 1)) -
                 std::lgamma(static_cast<double>(n + 1)) - std::lgamma(static_cast<double>(m + 1));
  return std::min(1.0, 2 * std::exp(-log_c));
}

namespace {

// P(U <= u) under the null for sizes n, m without ties, by counting: the
// number of arrangements with U = k follows f(n, m, k) = f(n-1, m, k-m) + f(n, m-1, k).
double ExactCdf(size_t n, size_t m, double u) {
  const size_t max_u = n * m;
  // counts[j][k]: arrangements of i (current) and j values with U = k.
  std::vector<std::vector<double>> prev(m + 1, std::vector<double>(max_u + 1, 0));
  for (size_t j = 0; j <= m; ++j) prev[j][0] = 1;  // i = 0
  for (size_t i = 1; i <= n; ++i) {
    std::vector<std::vector<double>> cur(m + 1, std::vector<double>(max_u + 1, 0));
    cur[0][0] = 1;
    for (size_t j = 1; j <= m; ++j) {
      for (size_t k = 0; k <= i * j; ++k) {
        // The largest value belongs to the first sample (beats all j) or not.
        cur[j][k] = (k >= j ? prev[j][k - j] : 0) + cur[j - 1][k];
      }
    }
    prev = std::move(cur);
  }
  const auto& counts = prev[m];
  const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
  double below = 0;
  for (size_t k = 0; k <= max_u && static_cast<double>(k) <= u + 1e-9; ++k) below += counts[k];
  return below / total;
}

}  // namespace

MannWhitney MannWhitneyU(std::span<const double> a, std::span<const double> b) {
  MannWhitney r;
  const size_t n = a.size(), m = b.size();
  if (n == 0 || m == 0) return r;
  // Ranks of the pooled sample, ties averaged.
  std::vector<std::pair<double, int>> pooled;
  for (double x : a) pooled.push_back({x, 0});
  for (double y : b) pooled.push_back({y, 1});
  std::sort(pooled.begin(), pooled.end(),
            [](const auto& l, const auto& r2) { return l.first < r2.first; });
  double rank_sum_a = 0, tie_term = 0;
  bool ties = false;
  for (size_t i = 0; i < pooled.size();) {
    size_t j = i;
    while (j < pooled.size() && pooled[j].first == pooled[i].first) ++j;
    const double rank = (static_cast<double>(i + j) + 1) / 2;  // 1-based average
    const double t = static_cast<double>(j - i);
    if (t > 1) {
      ties = true;
      tie_term += t * t * t - t;
    }
    for (size_t k = i; k < j; ++k) {
      if (pooled[k].second == 0) rank_sum_a += rank;
    }
    i = j;
  }
  const double dn = static_cast<double>(n), dm = static_cast<double>(m);
  r.u = rank_sum_a - dn * (dn + 1) / 2;
  const double mean = dn * dm / 2;
  if (!ties && n * m <= 2500) {
    r.exact = true;
    const double lower = std::min(r.u, dn * dm - r.u);
    r.p = std::min(1.0, 2 * ExactCdf(n, m, lower));
    return r;
  }
  r.exact = false;
  const double N = dn + dm;
  const double var = dn * dm / 12 * ((N + 1) - tie_term / (N * (N - 1)));
  if (var <= 0) {
    r.p = 1;
    return r;
  }
  const double z = (std::fabs(r.u - mean) - 0.5) / std::sqrt(var);  // continuity correction
  r.p = std::min(1.0, std::erfc(std::max(0.0, z) / std::sqrt(2.0)));
  return r;
}

namespace {

// SplitMix64 (Steele, Lea and Flood, 2014): one add and two multiplies per
// 64 random bits. Enough for picking resample indices, and about ten times
// cheaper than std::mt19937_64 with std::uniform_int_distribution, which was
// most of an efficiency table's time on a large database.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t operator()() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

// A uniform index in [0, n), unbiased: Lemire's multiply-shift with rejection
// ("Fast random integer generation in an interval", 2019). REQUIRES: 0 < n < 2^32.
uint32_t UniformIndex(SplitMix64& rng, uint32_t n) {
  uint64_t m = static_cast<uint64_t>(static_cast<uint32_t>(rng())) * n;
  if (static_cast<uint32_t>(m) < n) {
    const uint32_t threshold = static_cast<uint32_t>(-n) % n;
    while (static_cast<uint32_t>(m) < threshold) {
      m = static_cast<uint64_t>(static_cast<uint32_t>(rng())) * n;
    }
  }
  return static_cast<uint32_t>(m >> 32);
}

// Draws a resample of `sorted` with replacement and returns its median. Only
// how often each value was drawn matters, so the median is found by walking
// the counts in order: no copy and no selection. `counts` is scratch of
// sorted.size() entries.
double ResampleMedian(std::span<const double> sorted, std::vector<uint32_t>& counts,
                      SplitMix64& rng) {
  const auto n = static_cast<uint32_t>(sorted.size());
  std::fill(counts.begin(), counts.end(), 0);
  for (uint32_t i = 0; i < n; ++i) ++counts[UniformIndex(rng, n)];
  // The 0-based ranks of the two middle values (the same one when n is odd).
  const uint32_t lower_rank = (n - 1) / 2, upper_rank = n / 2;
  uint32_t seen = 0;
  double lower = 0;
  for (uint32_t v = 0; v < n; ++v) {
    if (counts[v] == 0) continue;
    if (seen <= lower_rank && lower_rank < seen + counts[v]) lower = sorted[v];
    seen += counts[v];
    if (upper_rank < seen) return (lower + sorted[v]) / 2;
  }
  return lower;  // unreachable: the counts add up to n
}

// Quantile() of `values` as if sorted, by selection: the two order
// statistics it interpolates between, in linear time (sorting the resampled
// ratios cost as much as drawing them).
double SelectQuantile(std::vector<double>& values, double q) {
  const double pos = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<ptrdiff_t>(std::floor(pos));
  std::nth_element(values.begin(), values.begin() + lo, values.end());
  const double at_lo = values[static_cast<size_t>(lo)];
  if (static_cast<size_t>(lo) + 1 >= values.size()) return at_lo;
  const double at_hi = *std::min_element(values.begin() + lo + 1, values.end());
  return at_lo + (pos - static_cast<double>(lo)) * (at_hi - at_lo);
}

}  // namespace

RatioInterval BootstrapMedianRatio(std::span<const double> baseline,
                                   std::span<const double> candidate, double confidence,
                                   int resamples, uint64_t seed) {
  RatioInterval out;
  if (baseline.empty() || candidate.empty()) return out;
  std::vector<double> sorted_b(baseline.begin(), baseline.end()),
      sorted_c(candidate.begin(), candidate.end());
  std::sort(sorted_b.begin(), sorted_b.end());
  std::sort(sorted_c.begin(), sorted_c.end());
  const double base = Quantile(sorted_b, 0.5);
  out.ratio = base != 0 ? Quantile(sorted_c, 0.5) / base : 1;
  SplitMix64 rng(seed);
  std::vector<double> ratios;
  ratios.reserve(static_cast<size_t>(std::max(resamples, 0)));
  std::vector<uint32_t> counts_b(sorted_b.size()), counts_c(sorted_c.size());
  for (int i = 0; i < resamples; ++i) {
    const double mb = ResampleMedian(sorted_b, counts_b, rng);
    const double mc = ResampleMedian(sorted_c, counts_c, rng);
    if (mb != 0) ratios.push_back(mc / mb);
  }
  if (ratios.empty()) return out;
  const double tail = (1 - confidence) / 2;
  out.low = SelectQuantile(ratios, tail);
  out.high = SelectQuantile(ratios, 1 - tail);
  return out;
}

MedianInterval MedianConfidenceInterval(std::vector<double> samples, double confidence) {
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  MedianInterval out;
  out.median = Quantile(samples, 0.5);
  // P(x(k) <= median <= x(n+1-k)) = 1 - 2 P(B <= k - 1), B ~ Binomial(n, 1/2).
  // Computed in logs: n may be in the thousands.
  const auto log_choose = [](double total, double k) {
    return std::lgamma(total + 1) - std::lgamma(k + 1) - std::lgamma(total - k + 1);
  };
  const double nd = static_cast<double>(n);
  double below = 0;  // P(B <= k - 1)
  size_t k = 1;
  out.coverage = 1 - 2 * std::pow(0.5, nd);
  for (size_t j = 1; 2 * j <= n + 1; ++j) {
    below += std::exp(log_choose(nd, static_cast<double>(j - 1)) - nd * std::log(2.0));
    const double coverage_j = 1 - 2 * below;
    if (coverage_j < confidence) break;
    k = j;
    out.coverage = coverage_j;
  }
  if (n == 1) out.coverage = 0;
  out.low = samples[k - 1];
  out.high = samples[n - k];
  return out;
}

std::vector<double> BenjaminiHochberg(std::span<const double> p) {
  const size_t n = p.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
  std::vector<double> q(n);
  double running = 1;
  for (size_t k = n; k-- > 0;) {
    const size_t i = order[k];
    running = std::min(running, p[i] * static_cast<double>(n) / static_cast<double>(k + 1));
    q[i] = std::min(1.0, running);
  }
  return q;
}

}  // namespace effbench::stats
