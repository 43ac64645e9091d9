// One run's records in the Bencher Metric Format, for `bencher run --adapter
// json` or any tool that reads it: {"NAME": {"latency": {"value": median ns,
// "lower_value": min, "upper_value": max}, "MEASURE": {...}}}.
#pragma once

#include <string>
#include <vector>

#include "harness/result/record.h"

namespace effbench::reports {

// Each ok record is a benchmark named as people read it (result::DisplayName;
// " (N threads)" appended where two records share a name). Its measures:
// latency (the median time per iteration, with the fastest and slowest
// repetitions as bounds), each metric (its median, bounds from its values),
// gflops where measured, and top-1 accuracy (a fraction) where judged. A
// metric "M.lower_value"/"M.upper_value" (kept by a BMF import) is the bound
// of M again, so a BMF file comes back as it went in. Failed and skipped
// records are left out (BMF has no place for them).
std::string RenderBmf(const std::vector<result::ResultRecord>& records);

}  // namespace effbench::reports
