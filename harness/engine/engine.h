// The measurement engine: proves each workload right, times it through Google
// Benchmark and turns the runs into result records, one workload at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "harness/energy/energy_meter.h"
#include "harness/machine/calibration.h"
#include "harness/result/record.h"
#include "workloads/workload.h"

namespace effbench::engine {

struct EngineOptions {
  int repetitions = 5;         // Google Benchmark repetitions; each is one sample
  double min_time_s = 0.1;     // minimum time of each repetition
  int threads = 1;             // threads a multithreaded backend may use
  uint64_t seed = 0;           // seeds the inputs of every workload of the run
  std::string data_dir = "";   // datasets (empty: the default); see workloads::RunConfig
  std::string cache_dir = "";  // trained models (empty: the default)
  int prepare_threads = 0;     // threads for untimed preparations (training); 0: threads
  // What records are stamped with (started_at): an agent's is its
  // coordinator's time. It must outlive the engine.
  const Clock* clock = &Clock::System();
  // Told of a long preparation's progress (workloads::RunConfig::on_prepare).
  std::function<void(const workloads::PreparationProgress&)> on_prepare = {};
};

// What every record of the run shares.
struct RunContext {
  std::string run_id;
  std::string machine_fingerprint;
  result::Revision revision;
  std::optional<machine::Calibration> calibration;  // for roofline_fraction
};

// Called before each workload (index from 0) with its id, for progress lines.
using ProgressFn = std::function<void(size_t index, size_t total, const std::string& id)>;
// Called with each record as soon as it is measured. Returns an error to stop
// the run (e.g. the store could not write it).
using SinkFn = std::function<Status(const result::ResultRecord&)>;

class Engine {
 public:
  Engine(EngineOptions options, RunContext context, energy::EnergyMeter& meter);

  // Measures each workload in turn and hands its record to `sink`. A workload
  // that fails (cannot be prepared, gives a wrong answer, exceeds its
  // precision's tolerance, or errors while timed) yields a failed record and
  // the run goes on. Returns the first error of `sink`, else OK.
  Status Run(const std::vector<const workloads::WorkloadSpec*>& specs, const ProgressFn& progress,
             const SinkFn& sink);

  // Measures one workload; exposed for tests.
  result::ResultRecord Measure(const workloads::WorkloadSpec& spec);

  // A warning about the measurement conditions (CPU scaling on), once seen.
  const std::string& warning() const { return warning_; }

 private:
  result::ResultRecord NewRecord(const workloads::WorkloadSpec& spec) const;

  EngineOptions options_;
  RunContext context_;
  energy::EnergyMeter& meter_;
  std::string warning_;
};

}  // namespace effbench::engine
