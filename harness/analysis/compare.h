// Comparing two sets of runs series by series, and choosing runs by id or
// commit: what `effbench compare` does.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "harness/result/record.h"
#include "harness/store/result_store.h"
#include "reports/comparison_table.h"

namespace effbench::analysis {

struct CompareOptions {
  double threshold = 0.02;  // the smallest change worth reporting, as a fraction
  double alpha = 0.05;      // false discovery rate across the series compared
  double confidence = 0.95;
  int resamples = 2000;
  // The measures compared: "time" (per iteration) and metric names; empty:
  // every measure the records carry.
  std::set<std::string> metrics = {"time", "cpu_time"};
  // A glob on the name people read (result::DisplayName); empty: all.
  std::string filter;
};

// Pairs the series (machine × workload × threads) of `baseline` and
// `candidate`, pooling the repetitions of records of the same series (runs of
// one commit), and compares each pair on each measure: ratio of medians with
// a bootstrap interval, Mann–Whitney U, Benjamini–Hochberg across all pairs,
// the verdict from the measure's better direction. A series of the baseline
// that failed, was skipped or is absent in the candidate is listed in
// `missing` with the reason. `hosts` maps fingerprints to hostnames.
reports::Comparison CompareRecords(const std::vector<result::ResultRecord>& baseline,
                                   const std::vector<result::ResultRecord>& candidate,
                                   const std::map<std::string, std::string>& hosts,
                                   const CompareOptions& options = {});

}  // namespace effbench::analysis
