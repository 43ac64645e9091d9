// The efficiency table: one row per result, with latency and its spread,
// throughput, fraction of the machine's roofline, speedup over the fp32 run of
// the same shape and backend, fidelity and energy; failed results listed apart
// with their error. Rendered as console text, Markdown, CSV or JSON records.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "harness/result/record.h"

namespace effbench::reports {

enum class Format { kConsole, kMarkdown, kCsv, kJson };

// Parses "console", "markdown", "csv" or "json".
Result<Format> ParseFormat(std::string_view name);

struct TableOptions {
  // An "implementation" column: the kernel the backend chose
  // (jit:avx2, brg:avx512_core_vnni, cxx:csr-...:avx2), which often explains
  // why the same workload differs between machines.
  bool implementation = false;
};

// Skipped results are rows with n/a and their reason as a footnote; a
// roofline fraction above 100 % by more than the calibration's spread is
// marked with a footnote too. Failed results are listed apart.
std::string RenderEfficiencyTable(const std::vector<result::ResultRecord>& records, Format format,
                                  const TableOptions& options = {});

}  // namespace effbench::reports
