// The efficiency table: one row per result, with latency and its spread,
// throughput, fraction of the machine's roofline, speedup over the fp32 run of
// the same shape and backend, fidelity and energy; failed results listed apart
// with their error. Rendered as console text, Markdown, CSV or JSON records.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "harness/result/record.h"
#include "workloads/common/status.h"

namespace effbench::reports {

enum class Format { kConsole, kMarkdown, kCsv, kJson };

// Parses "console", "markdown", "csv" or "json".
Result<Format> ParseFormat(std::string_view name);

std::string RenderEfficiencyTable(const std::vector<result::ResultRecord>& records, Format format);

}  // namespace effbench::reports
