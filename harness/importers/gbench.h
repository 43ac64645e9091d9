// Google Benchmark's JSON output (--benchmark_out_format=json) as an effbench
// run, so that any C++ project's benchmarks get history, comparison and
// regression detection. Reads what the library's JSON reporter writes from
// version 1.4 to 1.9: repetitions or not, aggregates only, errors, skipped
// benchmarks (1.8+), complexity rows (_BigO, _RMS), user counters and memory
// counters, real, CPU and manual time.
#pragma once

#include <string>
#include <vector>

#include "harness/result/record.h"
#include "harness/store/stores.h"

namespace effbench::importers {

struct ImportedRun {
  store::MachineRow machine;  // from the file's "context"
  store::RunRow run;
  std::vector<result::ResultRecord> records;
  size_t aggregates_only = 0;  // benchmarks that had only aggregates (one sample: the median)
  std::string sha256;          // of the file's text: the same file imported again is known
  std::vector<std::string> warnings;  // about the whole file (debug build, CPU scaling)
  size_t invalid_rows = 0;            // rows refused for their values and skipped (--skip-invalid)
};

struct ImportOptions {
  // A row whose values are no measurement (a negative or missing time, a
  // thread count that is no count, an unknown unit) refuses the whole file
  // unless this is set; then it is skipped, counted in invalid_rows and
  // named in its benchmark's warnings.
  bool skip_invalid = false;
};

// Converts the JSON text of a Google Benchmark output file.
// - Each benchmark (run_name, threads) is one record named
//   "gbench/RUN_NAME@native", with RUN_NAME verbatim (result::DisplayName
//   gives it back). Its samples are its repetitions' real time per iteration
//   (manual time where the benchmark used it), in ns.
// - cpu_time and every counter are metrics of the record, one value per
//   repetition, with their better direction: times and memory lower, rates
//   higher, a plain user counter "none".
// - A complexity fit (NAME_BigO, NAME_RMS) is one record "NAME_BigO" whose
//   sample is the real-time coefficient, with the CPU coefficient and the RMS
//   error as metrics; the unit names the complexity (ns/NlgN).
// - A benchmark that reported an error is a failed record with its message; a
//   skipped one (SkipWithMessage) is skipped with its message.
// Ids derive from the file and the revision, so importing the same file at
// the same revision twice stores nothing new. Errors name what is wrong in
// the file and where (the byte offset of the row, or of the parse error).
// The file is read with simdjson On-Demand, in place where `json_text` has
// simdjson's padding as spare capacity (ReadFile's text does), and freed
// once read: move a large file's text in.
Result<ImportedRun> ImportGoogleBenchmark(std::string json_text, const result::Revision& revision,
                                          const std::string& source_name,
                                          const ImportOptions& options = {});

}  // namespace effbench::importers
