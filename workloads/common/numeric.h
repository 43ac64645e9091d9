// Number formats shared by the reference kernels and the backends: bfloat16
// rounding and the int8 affine quantization of gemmlowp/TFLite
// (real = scale * (q - zero_point), zero exactly representable).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace effbench::workloads {

// bfloat16 as its raw 16 bits (the upper half of an IEEE float).
using bf16_t = uint16_t;

// Rounds to the nearest bfloat16, ties to even; NaN stays NaN.
bf16_t FloatToBf16(float value);
float Bf16ToFloat(bf16_t value);
// `from` widened to fp32 into `to` (resized): what kernels without bf16
// arithmetic multiply.
void WidenBf16(std::span<const bf16_t> from, std::vector<float>& to);

// Per-tensor affine quantization parameters.
struct QuantParams {
  float scale = 1;
  int32_t zero_point = 0;
};

// Asymmetric uint8 parameters covering [min(x), max(x)] and zero, over
// [0, 255], or [0, 2^bits - 1] for fewer bits (reduce-range activations).
QuantParams ChooseAsymmetricU8(std::span<const float> x, int bits = 8);
// The largest unsigned value of `bits` bits: 255 for 8.
int32_t UnsignedMax(int bits);
// Symmetric int8 parameters: zero point 0, range [-127, 127] (TFLite weights),
// or [-(2^(bits-1) - 1), 2^(bits-1) - 1] for fewer bits (7-bit weights on x86
// without VNNI, where oneDNN's u8·s8 pair sums saturate int16).
QuantParams ChooseSymmetricS8(std::span<const float> x, int bits = 8);
// The largest magnitude of a symmetric weight of `bits` bits: 127 for 8.
int32_t SymmetricMax(int bits);

void QuantizeU8(std::span<const float> x, QuantParams p, std::span<uint8_t> out, int bits = 8);
void QuantizeS8(std::span<const float> x, QuantParams p, std::span<int8_t> out, int bits = 8);

// Accumulates the squared error and the largest absolute error of `out`
// against `ref`; the relative L2 error is sqrt(err2 / ref2).
struct ErrorAccumulator {
  double err2 = 0;
  double ref2 = 0;
  double max_abs = 0;
  void Add(double out, double ref);
  double RelL2() const;
};

}  // namespace effbench::workloads
