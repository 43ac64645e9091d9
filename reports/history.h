// The history of series over commits: each commit's median with its spread,
// and the changes found in it (change points, with their regression ids and
// commit ranges). harness/analysis builds it; this file renders it (console,
// Markdown, CSV, JSON, HTML with one SVG chart per series).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "reports/machine_comparison.h"

namespace effbench::reports {

struct HistoryPoint {
  std::string commit;
  std::string commit_time;  // may be empty
  std::string run_id;       // the commit's first run
  size_t repetitions = 0;   // pooled over the commit's runs
  double median_ns = 0;
  double q1_ns = 0, q3_ns = 0;  // the interquartile range of the pooled repetitions
};

// A change found in the series: drawn between its last good and first bad commit.
struct HistoryChange {
  int64_t id = 0;
  std::string direction;  // regression, improvement
  std::string state;      // new, acknowledged, fixed, false-positive, withdrawn
  std::string last_good_commit, first_bad_commit;
  double change = 0;  // fraction: +0.05 is 5 % slower
  double pvalue = 1;
};

struct HistorySeries {
  std::string anchor;  // "series-3": where links to this series' chart point
  std::string machine_label, fingerprint, name;
  int threads = 1;
  std::vector<HistoryPoint> points;  // commit order
  std::vector<HistoryChange> changes;
};

struct History {
  std::vector<HistorySeries> series;
};

std::string RenderHistory(const History& history, ComparisonFormat format);
// The HTML page with the filter form of the live page (action /history).
std::string RenderHistoryPage(const History& history, const PageFilters& filters);

}  // namespace effbench::reports
