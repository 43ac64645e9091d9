#include "harness/stats/change_points.h"

#include <algorithm>
#include <array>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>
#include <set>

#include "harness/stats/tests.h"

namespace effbench::stats {
namespace {

struct Moments {
  double mean = 0, std = 0;  // std with ddof = 0
};

Moments MomentsOf(std::span<const double> x) {
  Moments m;
  if (x.empty()) return m;
  for (double v : x) m.mean += v;
  m.mean /= static_cast<double>(x.size());
  double ss = 0;
  for (double v : x) ss += (v - m.mean) * (v - m.mean);
  m.std = std::sqrt(ss / static_cast<double>(x.size()));
  return m;
}

double Magnitude(double before, double after) {
  if (before == 0 || after == 0)
    return before == after ? 0 : std::numeric_limits<double>::infinity();
  return std::max(std::fabs(after / before - 1), std::fabs(before / after - 1));
}

// The best split of z[a, b) by Otava's energy statistic with κ search: the τ
// (a + 2 <= τ <= b - 2) of the largest Q over right ends κ (τ + 2 <= κ <= b).
// Returns b when the interval is too short.
size_t BestSplit(std::span<const double> z, size_t a, size_t b) {
  const size_t len = b - a;
  if (len < 4) return b;
  // col(c, r) = sum of |z[a+l] - z[a+c]| for l < r: every partial sum in
  // O(1). One flat table, kept by the thread: this runs for every window of
  // every series, and allocating it each time was an eighth of the time.
  thread_local std::vector<double> table;
  const size_t stride = len + 1;
  table.assign(len * stride, 0.0);
  const auto col = [&](size_t c, size_t r) -> double& { return table[c * stride + r]; };
  for (size_t c = 0; c < len; ++c) {
    for (size_t r = 0; r < len; ++r) col(c, r + 1) = col(c, r) + std::fabs(z[a + r] - z[a + c]);
  }
  double best_q = -std::numeric_limits<double>::infinity();
  size_t best = b;
  double within_x = 0;  // sum over pairs of z[a, a+t)
  for (size_t t = 1; t < len; ++t) {
    within_x += col(t - 1, t - 1);  // pairs (l, t-1), l < t-1
    if (t < 2 || t > len - 2) continue;
    const double n = static_cast<double>(t);
    double within_y = 0, cross = 0;
    for (size_t k = t + 1; k <= len; ++k) {
      const size_t y = k - 1;  // the point added to the right sample
      within_y += col(y, y) - col(y, t);
      cross += col(y, t);
      if (k - t < 2) continue;
      const double m = static_cast<double>(k - t);
      const double q = 2 / (n + m) * cross - 2 * m / ((n + m) * (n - 1)) * within_x -
                       2 * n / ((n + m) * (m - 1)) * within_y;
      if (q > best_q) {
        best_q = q;
        best = a + t;
      }
    }
  }
  return best;
}

double SegmentP(std::span<const double> z, size_t a, size_t t, size_t b) {
  const Moments l = MomentsOf(z.subspan(a, t - a)), r = MomentsOf(z.subspan(t, b - t));
  return PooledTTestP(l.mean, l.std, t - a, r.mean, r.std, b - t);
}

// E-Divisive on z[0, len): each interval between the change points found so
// far proposes its best split (largest Q); the most significant proposal by
// its t-test against its neighbouring segments is added while it passes
// `max_p`. (Otava tests the proposal of largest Q and stops when it fails;
// taking the most significant one instead does not stop at a large but noisy
// split while another interval holds a clear one.)
std::vector<size_t> EDivisive(std::span<const double> z, double max_p) {
  std::vector<size_t> cps;
  for (;;) {
    std::vector<size_t> bounds = {0};
    bounds.insert(bounds.end(), cps.begin(), cps.end());
    bounds.push_back(z.size());
    size_t best = 0;
    double best_p = 2;
    for (size_t i = 0; i + 1 < bounds.size(); ++i) {
      const size_t t = BestSplit(z, bounds[i], bounds[i + 1]);
      if (t == bounds[i + 1]) continue;
      const double p = SegmentP(z, bounds[i], t, bounds[i + 1]);
      if (p < best_p) {
        best_p = p;
        best = t;
      }
    }
    if (best_p > max_p) break;
    cps.insert(std::upper_bound(cps.begin(), cps.end(), best), best);
  }
  return cps;
}

// Otava's split step: E-Divisive in windows of `window`, step window / 2.
std::set<size_t> WeakChangePoints(std::span<const double> z, size_t from, size_t window,
                                  double relaxed_p) {
  std::set<size_t> weak;
  window = std::max<size_t>(window, 4);
  const size_t step = std::max<size_t>(1, window / 2);
  size_t start = from;
  while (start < z.size()) {
    const size_t end = std::min(start + window, z.size());
    size_t last = 0;
    for (size_t c : EDivisive(z.subspan(start, end - start), relaxed_p)) {
      weak.insert(start + c);
      last = std::max(last, start + c);
    }
    if (end == z.size()) break;
    start = std::max(last, start + step);
  }
  return weak;
}

// Otava's merge step: re-test each weak change point against its whole
// neighbouring segments; drop the least significant, then the smallest, until
// all pass.
std::vector<ChangePoint> Merge(std::span<const double> z, std::span<const double> original,
                               std::set<size_t> cps, const ChangePointOptions& o) {
  for (;;) {
    std::vector<ChangePoint> out;
    std::vector<size_t> idx(cps.begin(), cps.end());
    for (size_t i = 0; i < idx.size(); ++i) {
      const size_t a = i == 0 ? 0 : idx[i - 1];
      const size_t b = i + 1 == idx.size() ? z.size() : idx[i + 1];
      ChangePoint cp;
      cp.index = idx[i];
      cp.pvalue = SegmentP(z, a, idx[i], b);
      const Moments l = MomentsOf(original.subspan(a, idx[i] - a));
      const Moments r = MomentsOf(original.subspan(idx[i], b - idx[i]));
      cp.mean_before = l.mean;
      cp.std_before = l.std;
      cp.mean_after = r.mean;
      cp.std_after = r.std;
      cp.magnitude = Magnitude(l.mean, r.mean);
      out.push_back(cp);
    }
    if (out.empty()) return out;
    const auto worst = std::max_element(
        out.begin(), out.end(), [](const auto& x, const auto& y) { return x.pvalue < y.pvalue; });
    if (worst->pvalue >= o.max_pvalue) {
      cps.erase(worst->index);
      continue;
    }
    const auto smallest =
        std::min_element(out.begin(), out.end(),
                         [](const auto& x, const auto& y) { return x.magnitude < y.magnitude; });
    if (o.min_magnitude > 0 && smallest->magnitude <= o.min_magnitude) {
      cps.erase(smallest->index);
      continue;
    }
    return out;
  }
}

double RelaxedP(double p) {
  if (p < 0.05) return p * 10;
  if (p < 0.5) return p * 2;
  return p;
}

// The series with its outliers replaced (when the guard is on): the values
// whose segment means a change point reports.
std::vector<double> Guarded(std::span<const double> series, const ChangePointOptions& o) {
  std::vector<double> z(series.begin(), series.end());
  if (o.outlier_guard && z.size() >= 5) {
    // A run of up to three points far from the median of their neighbours,
    // on one side, followed by a point that is not (back near it, or off to
    // the other side), is an outlier: shift, then revert.
    constexpr size_t kHalf = 5, kLongest = 3;
    // The median of the up to 2 * kHalf neighbours of point i, and the
    // threshold of an outlier from it (5 scaled MADs), on the stack: this runs
    // for every point of every series.
    const auto median_of = [](double* v, size_t n) {
      for (size_t k = 1; k < n; ++k) {  // insertion sort: at most 10 values
        const double x = v[k];
        size_t j = k;
        for (; j > 0 && v[j - 1] > x; --j) v[j] = v[j - 1];
        v[j] = x;
      }
      const size_t mid = n / 2;
      return n % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
    };
    const auto around = [&](size_t i, double* threshold) {
      std::array<double, 2 * kHalf> near{}, dev{};
      size_t n = 0;
      for (size_t j = i >= kHalf ? i - kHalf : 0; j <= std::min(z.size() - 1, i + kHalf); ++j) {
        if (j != i) near[n++] = z[j];
      }
      const double med = median_of(near.data(), n);
      for (size_t k = 0; k < n; ++k) dev[k] = std::fabs(near[k] - med);
      *threshold = std::max(5 * 1.4826 * median_of(dev.data(), n), 0.0025 * std::fabs(med));
      return med;
    };
    std::vector<double> cleaned = z;
    for (size_t i = 0; i + 1 < z.size();) {
      double threshold = 0;
      const double med = around(i, &threshold);
      if (std::fabs(z[i] - med) <= threshold) {
        ++i;
        continue;
      }
      const bool up = z[i] > med;
      size_t end = i + 1;  // the run is [i, end)
      while (end < z.size() && end - i < kLongest && (z[end] > med) == up &&
             std::fabs(z[end] - med) > threshold) {
        ++end;
      }
      // Replaced unless the excursion lasts longer or reaches the end.
      const bool still_out =
          end < z.size() && (z[end] > med) == up && std::fabs(z[end] - med) > threshold;
      if (end < z.size() && !still_out) {
        for (size_t k = i; k < end; ++k) {
          double t = 0;
          cleaned[k] = around(k, &t);
        }
      }
      i = end;
    }
    z = std::move(cleaned);
  }
  return z;
}

// What the detector tests: the guarded values, as logs if asked.
std::vector<double> Tested(const std::vector<double>& guarded, const ChangePointOptions& o) {
  if (!o.log_scale) return guarded;
  std::vector<double> z = guarded;
  for (double& v : z) v = v > 0 ? std::log(v) : std::log(std::numeric_limits<double>::min());
  return z;
}

}  // namespace

double PooledTTestP(double mean1, double std1, size_t n1, double mean2, double std2, size_t n2) {
  if (n1 + n2 <= 2) return 1;
  const double a = static_cast<double>(n1), b = static_cast<double>(n2);
  const double df = a + b - 2;
  // ttest_ind_from_stats treats the given std as the sample std (ddof = 1).
  const double pooled = ((a - 1) * std1 * std1 + (b - 1) * std2 * std2) / df;
  const double se = std::sqrt(pooled * (1 / a + 1 / b));
  if (se == 0) return mean1 == mean2 ? 1 : 0;
  const double t = std::fabs(mean1 - mean2) / se;
  // In double: by default Boost promotes to long double, which took a third
  // of the detector's time for no decision it changes.
  using Policy = boost::math::policies::policy<boost::math::policies::promote_double<false>>;
  const boost::math::students_t_distribution<double, Policy> dist(df);
  return std::min(1.0, 2 * boost::math::cdf(boost::math::complement(dist, t)));
}

std::vector<ChangePoint> DetectChangePoints(std::span<const double> series,
                                            const ChangePointOptions& options) {
  const std::vector<double> original = Guarded(series, options);
  const std::vector<double> z = Tested(original, options);
  return Merge(z, original, WeakChangePoints(z, 0, options.window, RelaxedP(options.max_pvalue)),
               options);
}

std::vector<ChangePoint> UpdateChangePoints(std::span<const double> series,
                                            const std::vector<ChangePoint>& previous,
                                            size_t appended, const ChangePointOptions& options) {
  const std::vector<double> original = Guarded(series, options);
  const std::vector<double> z = Tested(original, options);
  const size_t w = std::max<size_t>(options.window, 4);
  const size_t span = (appended / w + 4) * w;
  const size_t rescan = series.size() > span ? series.size() - span : 0;
  size_t anchor = 0;
  std::set<size_t> cps;
  for (const ChangePoint& cp : previous) {
    if (cp.index < rescan) anchor = std::max(anchor, cp.index);
  }
  for (const ChangePoint& cp : previous) {
    if (cp.index <= anchor && cp.index > 0) cps.insert(cp.index);
  }
  for (size_t c : WeakChangePoints(z, anchor, w, RelaxedP(options.max_pvalue))) cps.insert(c);
  return Merge(z, original, cps, options);
}

std::vector<double> QHat(std::span<const double> z, bool python2_division) {
  const size_t len = z.size();
  std::vector<double> q(len, 0);
  for (size_t t = 0; t < len; ++t) {
    const size_t n = t, m = len - t;
    if (n == 0 || m == 0) continue;
    if (python2_division && (n < 2 || m < 3)) continue;  // its loop ran τ in [2, N-2)
    double xy = 0, xx = 0, yy = 0;
    for (size_t i = 0; i < t; ++i) {
      for (size_t j = t; j < len; ++j) xy += std::fabs(z[i] - z[j]);
      for (size_t k = i + 1; k < t; ++k) xx += std::fabs(z[i] - z[k]);
    }
    for (size_t i = t; i < len; ++i) {
      for (size_t k = i + 1; k < len; ++k) yy += std::fabs(z[i] - z[k]);
    }
    const double dn = static_cast<double>(n), dm = static_cast<double>(m);
    const double scale =
        python2_division ? static_cast<double>((n * m) / (n + m)) : dn * dm / (dn + dm);
    const double cx = n > 1 ? dn * (dn - 1) / 2 : 1, cy = m > 1 ? dm * (dm - 1) / 2 : 1;
    q[t] = scale * (2 * xy / (dn * dm) - xx / cx - yy / cy);
  }
  return q;
}

}  // namespace effbench::stats
