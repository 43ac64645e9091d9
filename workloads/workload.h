// The workload model: what a workload is, how it is prepared, verified and run.
//
// A WorkloadSpec names one op at fixed shapes in one variant (precision,
// sparsity, backend), says how much work one run does, and prepares a
// PreparedWorkload. A prepared workload first proves it is right (Verify), then
// is timed (RunOnce). Nothing here depends on the harness.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/measurement.h"
#include "core/status.h"

namespace effbench::workloads {

// How far a long preparation is (training the model `what` for the cache):
// `done` of `total` epochs, after `seconds` of training; `detail` says how
// it goes ("loss 0.41, test top-1 88.2 %").
struct PreparationProgress {
  std::string what;
  int done = 0, total = 0;
  double seconds = 0;
  std::string detail;
};

struct RunConfig {
  int threads = 1;     // threads the backend may use
  uint64_t seed = 42;  // seeds every random input of this run
  // Where datasets are (empty: workloads/data's default, $EFFBENCH_DATA_DIR
  // or /usr/share/datasets/...) and where trained models are cached (empty:
  // $EFFBENCH_CACHE_DIR, else $XDG_CACHE_HOME/effbench or ~/.cache/effbench).
  std::string data_dir = "", cache_dir = "";
  // Threads a preparation that is not timed may use (training a model for
  // the cache); 0: `threads`.
  int prepare_threads = 0;
  // Told after each step of a long preparation; empty: it says nothing.
  std::function<void(const PreparationProgress&)> on_prepare = {};
};

class PreparedWorkload {
 public:
  virtual ~PreparedWorkload() = default;
  // Fills fresh random inputs, runs once and compares the output with the
  // float64 reference. Returns an error when the kernel's output is wrong
  // beyond rounding (the kernel is broken), otherwise its fidelity.
  virtual Result<Fidelity> Verify() = 0;
  // One iteration of the timed work. REQUIRES: Verify() succeeded.
  virtual void RunOnce() = 0;
  // For workloads timed by the device (WorkloadSpec::device_timed): one
  // iteration, returning the seconds the device measured for it (e.g. between
  // two CUDA events), which replace the host's wall clock.
  virtual double RunOnceDeviceSeconds() { return 0; }
  // The implementation the backend chose (e.g. oneDNN's "brg:avx512_core_vnni"),
  // empty when there is no choice to report.
  virtual std::string Implementation() const { return {}; }
  // How the weights were compressed, for pruned variants; nullopt otherwise.
  virtual std::optional<Compression> CompressionInfo() const { return std::nullopt; }
  // How the workload was quantized, for quantized variants; nullopt otherwise.
  virtual std::optional<Quantization> QuantizationInfo() const { return std::nullopt; }
  // Agreement with the fp32 model over many inputs, measured by Verify();
  // nullopt where it does not apply.
  virtual std::optional<Quality> QualityInfo() const { return std::nullopt; }
  // For workloads on a model trained on real data: its test accuracy against
  // its baseline, and how it was trained; nullopt otherwise.
  virtual std::optional<Accuracy> AccuracyInfo() const { return std::nullopt; }
  virtual std::optional<Training> TrainingInfo() const { return std::nullopt; }
};

struct WorkloadSpec {
  std::string id;                                       // full id: gemm.int8/m1024n1024k1024@onednn
  std::string family;                                   // gemm
  std::vector<std::pair<std::string, int64_t>> params;  // shape, in order
  Variant variant;
  double flop = 0;   // floating-point (or integer) operations per run, 2 per MAC
  double bytes = 0;  // compulsory bytes moved per run (inputs read once, output written once)
  // The weights as this variant stores them (the spec's weight_bytes
  // formula); 0 for a workload without weights.
  double weight_bytes = 0;
  bool uses_threads = false;  // false: runs on one thread whatever RunConfig says
  bool device_timed = false;  // true: timed by RunOnceDeviceSeconds (manual time)
  // What the variant needs from the machine ("isa:avx512_core",
  // "device:cuda"; see workloads/capability.h). Unmet: the result is skipped.
  std::vector<std::string> needs;
  // Facts about the workload beyond its shape, e.g. a network's "parameters"
  // and "macs" (per image), as its family computes them.
  std::vector<std::pair<std::string, double>> facts;
  std::function<Result<std::unique_ptr<PreparedWorkload>>(const RunConfig&)> prepare;
};

}  // namespace effbench::workloads
