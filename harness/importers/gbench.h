// Google Benchmark's JSON output (--benchmark_out_format=json, with or
// without repetitions) as an effbench run, so that any C++ project's
// benchmarks get history, comparison and regression detection.
#pragma once

#include <string>
#include <vector>

#include "harness/result/record.h"
#include "harness/store/result_store.h"

namespace effbench::importers {

struct ImportedRun {
  store::MachineRow machine;  // from the file's "context"
  store::RunRow run;
  std::vector<result::ResultRecord> records;
  size_t aggregates_only = 0;  // benchmarks that had only aggregates (one sample: the median)
};

// Converts the JSON text of a Google Benchmark output file. Each benchmark
// (its run_name, threads) is one record whose samples are its repetitions'
// real time per iteration, in ns; a benchmark that reported an error is a
// failed record. Ids derive from the file and the revision, so importing the
// same file twice stores nothing new. Errors name what is wrong in the file.
Result<ImportedRun> ImportGoogleBenchmark(const std::string& json_text,
                                          const result::Revision& revision,
                                          const std::string& source_name);

}  // namespace effbench::importers
