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

#include "workloads/common/status.h"

namespace effbench::workloads {

struct Variant {
  std::string precision;           // fp32, bf16, int8
  std::string sparsity = "dense";  // dense, unstructured50, 2:4, ...
  std::string backend;             // ref, onednn, cuda
  std::string quantization;        // int8 scheme, e.g. pc_minmax; empty otherwise
};

// How far an output is from the float64 reference computed on the same
// real-valued inputs, and how far it may be for its precision.
struct Fidelity {
  double rel_l2 = 0;     // ||out - ref||_2 / ||ref||_2
  double max_abs = 0;    // max |out - ref|
  double tolerance = 0;  // the largest rel_l2 accepted for this precision
  bool within_tolerance() const { return rel_l2 <= tolerance; }
};

// How a workload's weights were compressed, for pruned and sparse variants.
struct Compression {
  std::string pattern;           // unstructured, 2:4, channel
  double target_sparsity = 0;    // fraction of weights asked to be zero
  double achieved_sparsity = 0;  // fraction of weights that are zero
  std::string format;            // csr, dense
  double model_bytes = 0;        // weights as stored, indices included
  bool sparse_kernel = false;    // whether the kernel skips the zeros
};

// How a quantized workload was quantized.
struct Quantization {
  std::string weights;      // "s8 symmetric per-channel"
  std::string activations;  // "u8 asymmetric per-tensor"
  std::string calibration;  // "minmax" or "percentile 99.99"
  int64_t calibration_inputs = 0;
  std::string accumulator = "s32";
  std::string requantization = "fp32";
  std::string fp32_ops;  // what stays in fp32
  int weight_bits = 8;   // 7 where the ISA saturates 8-bit products
  int activation_bits = 8;
  std::string remedy;  // what the ISA required and why; empty when nothing
};

// How closely a compressed model follows its fp32 counterpart on the same
// inputs: the fidelity figures of a quantized or pruned network.
struct Quality {
  int64_t inputs = 0;
  double rel_l2 = 0;
  double sqnr_db = 0;  // 10·log10(‖ref‖² / ‖out − ref‖²)
  double cosine = 0;   // mean over inputs of the cosine similarity of the logits
  // For classifiers only (a block's output has no classes):
  bool classifier = true;
  double top1_agreement = 0;
  int64_t reference_classes = 0;  // distinct top-1 classes of the fp32 run
  bool meets_mlperf_99 = false;   // MLPerf's rule: ≥ 99 % of fp32 quality (top-1 here)
};

struct RunConfig {
  int threads = 1;     // threads the backend may use
  uint64_t seed = 42;  // seeds every random input of this run
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
};

struct WorkloadSpec {
  std::string id;                                       // full id: gemm.int8/m1024n1024k1024@onednn
  std::string family;                                   // gemm
  std::vector<std::pair<std::string, int64_t>> params;  // shape, in order
  Variant variant;
  double flop = 0;   // floating-point (or integer) operations per run, 2 per MAC
  double bytes = 0;  // compulsory bytes moved per run (inputs read once, output written once)
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
