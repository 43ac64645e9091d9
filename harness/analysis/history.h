// The history of series over commits, with the changes found in them: what
// `effbench history` prints and `effbench serve --http` shows at /history.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/store/stores.h"
#include "reports/history.h"

namespace effbench::analysis {

struct HistoryOptions {
  std::vector<std::string> machines;  // selectors (see MachineDirectory); empty: all
  std::string workloads;              // a shell glob on the workload id; empty: all
  std::optional<int> threads;
  size_t max_series = 500;  // more matching series is an error asking for a narrower filter
};

// Every matching series with its points (commit order, repetitions pooled
// per commit) and the changes stored for it (withdrawn ones left out).
// NotFound when no series matches; InvalidArgument past max_series.
Result<reports::History> BuildHistory(store::QueryStore& db, const HistoryOptions& options);

}  // namespace effbench::analysis
