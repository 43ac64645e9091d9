// The one Google Benchmark reporter of effbench: it receives every repetition
// of the benchmark being run and turns them into a result record's samples,
// statistics, efficiency and energy. Results never pass through console text.
#pragma once

#include <benchmark/benchmark.h>

#include <optional>
#include <string>
#include <vector>

#include "harness/machine/calibration.h"
#include "harness/result/record.h"

namespace effbench::engine {

class RecordReporter final : public benchmark::BenchmarkReporter {
 public:
  // `record` is filled in place; it outlives the reporter's use.
  RecordReporter(result::ResultRecord& record, const std::optional<machine::Calibration>& cal)
      : record_(record), calibration_(cal) {}

  bool ReportContext(const Context& context) override;
  void ReportRuns(const std::vector<Run>& runs) override;

  // Completes the record from the collected samples; `joules` and
  // `iterations` are the energy and iterations counted around every timed
  // loop. Marks the record failed when no repetition completed.
  void Finish(std::optional<double> joules, double iterations);

  // The warning Google Benchmark's context implies (CPU scaling on), if any.
  const std::string& warning() const { return warning_; }

 private:
  result::ResultRecord& record_;
  const std::optional<machine::Calibration>& calibration_;
  std::string error_;
  std::string warning_;
};

}  // namespace effbench::engine
