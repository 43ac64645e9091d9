#include "harness/engine/internal/record_reporter.h"

namespace effbench::engine {

bool RecordReporter::ReportContext(const Context& context) {
  if (context.cpu_info.scaling == benchmark::CPUInfo::ENABLED) {
    warning_ =
        "CPU frequency scaling is on, so timings will vary: set the governor to "
        "performance (cpupower frequency-set -g performance)";
  }
  return true;
}

void RecordReporter::ReportRuns(const std::vector<Run>& runs) {
  for (const Run& run : runs) {
    if (run.run_type != Run::RT_Iteration) continue;  // we compute our own statistics
    if (run.error_occurred) {
      error_ = run.error_message;
      continue;
    }
    if (run.iterations <= 0) continue;
    record_.samples_ns.push_back(run.real_accumulated_time * 1e9 /
                                 static_cast<double>(run.iterations));
  }
}

void RecordReporter::Finish(std::optional<double> joules, double iterations) {
  if (!error_.empty() || record_.samples_ns.empty()) {
    record_.ok = false;
    record_.error = error_.empty() ? "no repetition completed" : "while timed: " + error_;
    record_.samples_ns.clear();
    return;
  }
  record_.ok = true;
  record_.stats = result::Summarize(record_.samples_ns);
  const double seconds = record_.stats->median_ns * 1e-9;
  record_.gflops = record_.flop / seconds / 1e9;
  record_.gbps = record_.bytes / seconds / 1e9;
  if (calibration_) {
    const double attainable = machine::AttainableGflops(
        *calibration_, record_.variant.precision, record_.threads, record_.flop, record_.bytes);
    if (attainable > 0) {
      record_.roofline_fraction = *record_.gflops / attainable;
      record_.roofline_note = machine::RooflineExcess(*calibration_, *record_.roofline_fraction);
    }
  }
  if (joules && iterations > 0) record_.joules_per_iter = *joules / iterations;
}

}  // namespace effbench::engine
