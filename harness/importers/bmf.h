// The Bencher Metric Format (https://bencher.dev/docs/reference/bencher-metric-format/):
// {"BENCHMARK": {"MEASURE": {"value": V, "lower_value": L, "upper_value": U}}},
// several measures per benchmark, as effbench records.
#pragma once

#include <string>

#include "harness/importers/gbench.h"

namespace effbench::importers {

// Converts a BMF document. Each benchmark is a record "bmf/NAME@native".
// The measure named `time_measure` (Bencher's "latency", in ns) is its time,
// one sample; every other measure is a metric, with Bencher's direction for
// its built-in measures (throughput higher; latency, file-size, build-time
// lower) and "none" for others. lower_value and upper_value are kept as the
// metrics "MEASURE.lower_value" and "MEASURE.upper_value", so that an export
// gives them back. A benchmark without the time measure is an error naming
// it. Ids derive from the text and the revision, as for Google Benchmark.
Result<ImportedRun> ImportBencherMetricFormat(const std::string& json_text,
                                              const result::Revision& revision,
                                              const std::string& source_name,
                                              const std::string& time_measure = "latency");

}  // namespace effbench::importers
