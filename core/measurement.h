// The vocabulary of a measurement, shared by the workloads that produce it and
// the result model that records it: which variant ran, how close its output is
// to the reference, how its weights were compressed or quantized. Plain
// structs, no behaviour beyond a comparison; a module that needs them needs
// nothing else of the workloads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace effbench {

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
  // Pruning of a trained model: fine-tuned after pruning (the mask kept),
  // for how many SGD steps.
  bool fine_tuned = false;
  int64_t fine_tune_steps = 0;
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

// A trained model's accuracy on a real test set, against its baseline on
// the same images (the fp32 model it was compressed from, or for a distilled
// student the same student trained on labels alone).
struct Accuracy {
  std::string dataset;         // "fashion-mnist"
  std::string dataset_sha256;  // of its files
  int64_t test_images = 0;
  double top1 = 0, top1_fp32 = 0;     // fractions
  double delta = 0;                   // top1 − top1_fp32
  double delta_lo = 0, delta_hi = 0;  // 95 % interval (paired bootstrap over test images)
  bool meets_mlperf_99 = false;       // top1 ≥ 0.99 · top1_fp32
  std::string baseline;               // what top1_fp32 is the accuracy of
  double model_bytes = 0;             // the weights as this variant stores them
};

// How a model was trained (the train.* workloads, and every variant built on
// the trained model).
struct Training {
  std::string model;
  int64_t epochs = 0, batch = 0, steps = 0;
  uint64_t seed = 0;
  double seconds = 0;            // of the training steps (evaluations excluded)
  double images_per_second = 0;  // over the whole training
  double top1 = 0;               // test accuracy at the end
  double target_top1 = 0;        // time-to-accuracy's target
  std::optional<double> seconds_to_target;
  std::optional<double> joules;  // of the training, where metered
  bool cache_hit = false;        // the weights were read from the cache, not trained now
  std::string cache_key;
  std::string teacher;  // distillation: the teacher model; empty otherwise
};

}  // namespace effbench
