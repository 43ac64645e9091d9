// The comparison of two runs (or commits), series by series: what effbench
// compare prints.
#pragma once

#include <string>
#include <vector>

#include "reports/efficiency_table.h"

namespace effbench::reports {

// One series (machine × workload × threads) compared on its time per iteration.
struct ComparisonRow {
  std::string machine;  // fingerprint
  std::string host;     // the machine's hostname, for people
  std::string name;     // gemm.int8/m1024n1024k1024@onednn
  int threads = 1;
  size_t baseline_n = 0, candidate_n = 0;  // repetitions pooled on each side
  double baseline_median_ns = 0, candidate_median_ns = 0;
  double ratio = 1, ratio_low = 1, ratio_high = 1;  // candidate / baseline median, bootstrap CI
  double pvalue = 1;                                // Mann–Whitney U, two-sided
  double qvalue = 1;                                // Benjamini–Hochberg across all rows
  std::string verdict;                              // regression, improvement, unchanged
  std::string warning;                              // e.g. too few repetitions to ever reach alpha
};

struct Comparison {
  std::string baseline, candidate;  // what was compared, as the user named it
  double threshold = 0.02, alpha = 0.05, confidence = 0.95;
  std::vector<ComparisonRow> rows;
  size_t only_in_baseline = 0, only_in_candidate = 0;
  size_t regressions() const;
  size_t improvements() const;
};

// Console: changes first, then the rest; Markdown, for a pull-request
// comment: a summary of what got slower or faster with intervals, then the
// table (under <details> past 20 rows); JSON: everything; CSV: one line a row.
std::string RenderComparison(const Comparison& comparison, Format format);

}  // namespace effbench::reports
