// The comparison of two runs (or commits, or two Google Benchmark files),
// series by series and measure by measure: what effbench compare prints.
#pragma once

#include <string>
#include <vector>

#include "reports/efficiency_table.h"

namespace effbench::reports {

// One series (machine × workload × threads) compared on one measure: its
// time per iteration, or a metric of the record (cpu_time, a counter).
struct ComparisonRow {
  std::string machine;  // fingerprint
  std::string host;     // the machine's hostname, for people
  std::string name;     // gemm.int8/m1024n1024k1024@onednn, gbench/BM_Sort/256@native
  int threads = 1;
  std::string metric = "time";  // time (per iteration), or the metric's name
  std::string unit = "ns";
  std::string better = "lower";                      // lower, higher or none
  size_t baseline_n = 0, candidate_n = 0;            // repetitions pooled on each side
  double baseline_median = 0, candidate_median = 0;  // in `unit`
  double ratio = 1, ratio_low = 1, ratio_high = 1;   // candidate / baseline median, bootstrap CI
  double pvalue = 1;                                 // Mann–Whitney U, two-sided
  double qvalue = 1;                                 // Benjamini–Hochberg across all rows
  // regression or improvement (confirmed: q <= alpha and |change| >= the
  // threshold; "changed" for a measure with no better direction), unchanged
  // (the CI lies inside the threshold), inconclusive (the CI straddles it).
  std::string verdict;
  std::string warning;  // e.g. too few repetitions to ever reach alpha
};

// A series of the baseline with no result to compare in the candidate.
struct MissingSeries {
  std::string host, name;
  int threads = 1;
  std::string reason;  // "failed: device lost", "skipped: ...", "absent"
};

// The geometric mean of one measure's ratios over the series compared.
struct Geomean {
  std::string metric;
  size_t series = 0;
  double ratio = 1;
};

struct Comparison {
  std::string baseline, candidate;  // what was compared, as the user named it
  double threshold = 0.02, alpha = 0.05, confidence = 0.95;
  std::vector<ComparisonRow> rows;
  std::vector<MissingSeries> missing;  // in the baseline, failed or absent in the candidate
  size_t only_in_baseline = 0, only_in_candidate = 0;
  std::vector<Geomean> geomeans;
  size_t regressions() const;
  size_t improvements() const;
};

// What the verdict means for this row's measure: slower/faster for a time,
// worse/better for another measure, changed, unchanged, inconclusive.
std::string VerdictWord(const ComparisonRow& row);

// Console: changes first, then the rest; Markdown, for a pull-request
// comment: a summary of what got slower or faster with intervals, then the
// table (under <details> past 20 rows); JSON: everything; CSV: one line a row.
std::string RenderComparison(const Comparison& comparison, Format format);

}  // namespace effbench::reports
