// Change points in a series' history: E-Divisive means with a t-test
// significance test, as Apache Otava does it (Fleming et al., ICPE 2023), plus
// a guard against single-point outliers and an incremental mode for appended
// points. See ../shared/research/regression.md §1 and §8.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace effbench::stats {

struct ChangePointOptions {
  size_t window = 50;         // E-Divisive runs in windows of this many points, step window/2
  double max_pvalue = 0.001;  // a change point must reach this in the final pass
  double min_magnitude = 0;   // ... and change the mean by at least this fraction
  bool log_scale = false;     // test on ln(values) (values must be > 0): ratios, not offsets
  bool outlier_guard = true;  // isolated spikes are not changes (see DetectChangePoints)
};

// The one set of defaults every detector of effbench uses: the CSV tool
// (`changepoints`) and every check of a database (`regressions check`, `run`,
// `import`, `exec`, the coordinator). Chosen on tests/bench/regression_eval
// (README, "Change detection"); each of those commands takes the same flags
// to change them: --window, --pvalue, --min-change, --linear,
// --no-outlier-guard.
inline constexpr ChangePointOptions kDetectionDefaults{30, 0.001, 0.015, true, true};

struct ChangePoint {
  size_t index = 0;  // the first point of the new segment
  double pvalue = 1;
  double magnitude = 0;  // max(|after/before - 1|, |before/after - 1|) of the segment means
  double mean_before = 0, mean_after = 0, std_before = 0, std_after = 0;
  double change() const { return mean_before != 0 ? mean_after / mean_before - 1 : 0; }
};

// The change points of `series`, in order. Otava's algorithm: E-Divisive in
// sliding windows at a relaxed p (10x max_pvalue) finds weak change points;
// each is then re-tested against its whole neighbouring segments (two-sided
// Student t-test, pooled variance), and the least significant, then the
// smallest, are dropped until every one left passes max_pvalue and
// min_magnitude. With the outlier guard, a run of up to three points far from
// the median of their neighbours (over 5 scaled MADs, at least 0.25 % of the
// level, on one side) followed by a point that is not is replaced by those
// medians first; a run that reaches the end of the series is kept, since it
// may be the start of a change.
std::vector<ChangePoint> DetectChangePoints(std::span<const double> series,
                                            const ChangePointOptions& options = {});

// The same after `appended` points were added to a series whose change points
// were `previous`: only the tail (from the last earlier change point before
// the last four windows and the new points) is searched again.
std::vector<ChangePoint> UpdateChangePoints(std::span<const double> series,
                                            const std::vector<ChangePoint>& previous,
                                            size_t appended,
                                            const ChangePointOptions& options = {});

// MongoDB's E-Divisive statistic q̂(τ) for every split τ of the whole series
// (signal-processing-algorithms v1, no κ search), for checking this port
// against its published fixtures. `python2_division` reproduces the variant
// that rounds n·m/(n+m) down and leaves τ < 2 and τ > N - 3 at 0.
std::vector<double> QHat(std::span<const double> series, bool python2_division = false);

// Two-sided p of Student's t-test between two samples given as mean, standard
// deviation (ddof = 0) and size, with pooled variance (scipy's
// ttest_ind_from_stats(equal_var=True)). 1 when n1 + n2 <= 2.
double PooledTTestP(double mean1, double std1, size_t n1, double mean2, double std2, size_t n2);

}  // namespace effbench::stats
