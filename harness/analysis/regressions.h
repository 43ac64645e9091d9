// Regressions across history: each series' per-commit values searched for
// change points after every ingested run; what is found is stored with its
// commit range, size, p-value, direction and a state a user sets; changes at
// the same commit range on several machines are one alert.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "harness/stats/change_points.h"
#include "harness/store/stores.h"

namespace effbench::analysis {

struct DetectionOptions {
  // Otava's algorithm on ln(median time per commit), as research/regression.md
  // §8 recommends, windows of 30 (50 past 200 commits), p <= 0.001; changes
  // under 1.5 % are not reported (a 2 % floor lost half the 2 % steps to noise
  // in tests/bench/regression_eval).
  stats::ChangePointOptions change_points = stats::kDetectionDefaults;
  // A change is reported once this many commits stand on its new level
  // (research/regression.md §8: m = 4): fewer cannot tell a change from a
  // short excursion, nor place it (E-Divisive's segments have 2 points at least).
  size_t min_points_after = 4;
  // Machines whose series are not checked: emulated ones (qemu), whose
  // timings say nothing of real hardware. EmulatedMachines fills it.
  std::set<std::string> skip_machines;
};

// The fingerprints of `machines` whose inventory says they ran emulated.
std::set<std::string> EmulatedMachines(const std::vector<store::MachineRow>& machines);
// The default options with the database's emulated machines skipped: what
// every check of a database uses.
Result<DetectionOptions> DetectionOptionsFor(
    store::RunReader& db,
    const stats::ChangePointOptions& change_points = stats::kDetectionDefaults);

// The per-commit values of a series (the median of all its repetitions at
// that commit) and the change points in them, stored as regressions. Stored
// changes of the series still new that are no longer found are forgotten.
Result<std::vector<store::RegressionRow>> CheckSeries(store::HistoryStore& db,
                                                      const store::SeriesKey& series,
                                                      const DetectionOptions& options = {});

// Re-checks every series with results in `run_id` (all series when empty),
// reading their histories a pass of many series at a time, and then marks
// the run checked (RegressionStore::MarkRunChecked). Returns the changes
// found (old and new).
Result<std::vector<store::RegressionRow>> CheckRun(store::HistoryStore& db,
                                                   const std::string& run_id,
                                                   const DetectionOptions& options = {});

// CheckRun as every check of a database does it: with `change_points`, and
// the database's emulated machines skipped (DetectionOptionsFor). `runs` and
// `history` are the same database.
Result<std::vector<store::RegressionRow>> CheckRun(
    store::RunReader& runs, store::HistoryStore& history, const std::string& run_id,
    const stats::ChangePointOptions& change_points = stats::kDetectionDefaults);

// One line for each change that `run_id` introduced (its first bad run):
// "regression +10.0% in gemm.fp32/...@onednn since commit 1a2b3c4d5e (p 1.2e-05)".
std::vector<std::string> DescribeNewChanges(const std::vector<store::RegressionRow>& changes,
                                            const std::string& run_id);

// Changes with the same commit range and direction, across machines and
// workloads: one alert.
struct Alert {
  std::string last_good_commit, first_bad_commit, direction;
  std::vector<store::RegressionRow> changes;
  std::set<std::string> machines;
  // The group's name: "G" and the smallest id of its changes. "G12" is the
  // group of change 12 (any member's id names it: ids are never reused).
  std::string Name() const;
};
std::vector<Alert> GroupAlerts(const std::vector<store::RegressionRow>& rows);

}  // namespace effbench::analysis
