#include "workloads/common/tensor_forms.h"

#include <algorithm>
#include <string>

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
    const int bits = KernelInt8Recipe().activation_bits;
    a.q = ChooseAsymmetricU8(a.real, bits);
    a.u8.resize(a.real.size());
    QuantizeU8(a.real, a.q, a.u8, bits);
  }
}

void DeriveForms(Precision p, WeightForms& w) {
  if (p == Precision::kBf16) {
    w.bf16.resize(w.real.size());
    std::transform(w.real.begin(), w.real.end(), w.bf16.begin(), FloatToBf16);
  } else if (p == Precision::kInt8) {
    const int bits = KernelInt8Recipe().weight_bits;
    w.q = ChooseSymmetricS8(w.real, bits);
    w.s8.resize(w.real.size());
    QuantizeS8(w.real, w.q, w.s8, bits);
  }
}

void RecordRecipe(const Int8Recipe& recipe, Quantization& q) {
  q.weight_bits = recipe.weight_bits;
  q.activation_bits = recipe.activation_bits;
  q.remedy = recipe.remedy;
  const auto range = [](int bits, const std::string& values) {
    return ", " + std::to_string(bits) + "-bit range " + values;
  };
  if (recipe.weight_bits != 8) {
    q.weights += range(recipe.weight_bits, "±" + std::to_string(SymmetricMax(recipe.weight_bits)));
  }
  if (recipe.activation_bits != 8) {
    q.activations +=
        range(recipe.activation_bits, "0.." + std::to_string(UnsignedMax(recipe.activation_bits)));
  }
}

std::optional<Quantization> DescribeQuantization(Precision p) {
  if (p != Precision::kInt8) return std::nullopt;
  Quantization q;
  q.weights = "s8 symmetric per-tensor";
  q.activations = "u8 asymmetric per-tensor";
  q.calibration = "minmax of the input";
  q.calibration_inputs = 1;
  q.fp32_ops = "none";
  RecordRecipe(KernelInt8Recipe(), q);
  return q;
}

}  // namespace effbench::workloads
