#include "workloads/common/tensor_forms.h"

#include <algorithm>
#include <string>

#include "workloads/common/cpu_isa.h"

namespace effbench::workloads {

const char* PrecisionName(Precision p) {
  switch (p) {
    case Precision::kFp32:
      return "fp32";
    case Precision::kBf16:
      return "bf16";
    case Precision::kInt8:
      return "int8";
  }
  return "?";
}

Precision ParsePrecision(const std::string& name) {
  if (name == "bf16") return Precision::kBf16;
  if (name == "int8") return Precision::kInt8;
  return Precision::kFp32;
}

double Tolerance(Precision p) {
  switch (p) {
    case Precision::kFp32:
      return 1e-5;
    case Precision::kBf16:
      return 1e-2;
    case Precision::kInt8:
      return 2e-2;
  }
  return 0;
}

const void* ActivationForms::Data(Precision p) const {
  if (p == Precision::kBf16) return bf16.data();
  if (p == Precision::kInt8) return u8.data();
  return real.data();
}

const void* WeightForms::Data(Precision p) const {
  if (p == Precision::kBf16) return bf16.data();
  if (p == Precision::kInt8) return s8.data();
  return real.data();
}

void DeriveForms(Precision p, ActivationForms& a) {
  if (p == Precision::kBf16) {
    a.bf16.resize(a.real.size());
    std::transform(a.real.begin(), a.real.end(), a.bf16.begin(), FloatToBf16);
  } else if (p == Precision::kInt8) {
    a.q = ChooseAsymmetricU8(a.real);
    a.u8.resize(a.real.size());
    QuantizeU8(a.real, a.q, a.u8);
  }
}

void DeriveForms(Precision p, WeightForms& w) {
  if (p == Precision::kBf16) {
    w.bf16.resize(w.real.size());
    std::transform(w.real.begin(), w.real.end(), w.bf16.begin(), FloatToBf16);
  } else if (p == Precision::kInt8) {
    w.bits = Int8RecipeForThisIsa().weight_bits;
    w.q = ChooseSymmetricS8(w.real, w.bits);
    w.s8.resize(w.real.size());
    QuantizeS8(w.real, w.q, w.s8, w.bits);
  }
}

void RecordWeightBits(int bits, Quantization& q) {
  q.weight_bits = bits;
  if (bits == 8) return;
  q.weights += ", " + std::to_string(bits) + "-bit range ±" + std::to_string(SymmetricMax(bits));
  q.remedy = Int8RecipeForThisIsa().remedy;
}

std::optional<Quantization> DescribeQuantization(Precision p, const WeightForms& w) {
  if (p != Precision::kInt8) return std::nullopt;
  Quantization q;
  q.weights = "s8 symmetric per-tensor";
  RecordWeightBits(w.bits, q);
  q.activations = "u8 asymmetric per-tensor";
  q.calibration = "minmax of the input";
  q.calibration_inputs = 1;
  q.fp32_ops = "none";
  return q;
}

}  // namespace effbench::workloads
