// The forms of an input tensor that each precision consumes: the real values
// (fp32), their bf16 rounding, or their int8 quantization. Activations are
// quantized asymmetric u8 with a zero point, weights symmetric s8 with zero
// point 0 (the TFLite/gemmlowp conventions).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "workloads/common/cpu_isa.h"
#include "workloads/common/numeric.h"
#include "workloads/workload.h"

namespace effbench::workloads {

enum class Precision { kFp32, kBf16, kInt8 };

const char* PrecisionName(Precision p);
// "fp32", "bf16" or "int8"; anything else is fp32.
Precision ParsePrecision(const std::string& name);

// The largest relative L2 error against the float64 result on the real-valued
// inputs accepted for each precision.
double Tolerance(Precision p);

struct ActivationForms {
  std::vector<float> real;
  std::vector<bf16_t> bf16;
  std::vector<uint8_t> u8;
  QuantParams q;  // asymmetric
  // The form a kernel of precision `p` reads: real, bf16 or u8.
  const void* Data(Precision p) const;
};

struct WeightForms {
  std::vector<float> real;
  std::vector<bf16_t> bf16;
  std::vector<int8_t> s8;
  QuantParams q;  // symmetric: zero_point 0
  // The form a kernel of precision `p` reads: real, bf16 or s8.
  const void* Data(Precision p) const;
};

// Fills the form `p` consumes from `real` (which must be set). int8 follows
// this ISA's kernel recipe (KernelInt8Recipe: 7-bit activations without VNNI).
void DeriveForms(Precision p, ActivationForms& a);
void DeriveForms(Precision p, WeightForms& w);

// Records `recipe` in `q`, whose weights and activations are already named:
// the bits, the reduced range beside the name of what lost a bit, the remedy.
void RecordRecipe(const Int8Recipe& recipe, Quantization& q);

// How a kernel workload of precision `p` was quantized (per-tensor, min-max
// over its own inputs, KernelInt8Recipe); nullopt unless `p` is int8.
std::optional<Quantization> DescribeQuantization(Precision p);

}  // namespace effbench::workloads
