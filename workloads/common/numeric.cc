#include "workloads/common/numeric.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace effbench::workloads {

bf16_t FloatToBf16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  if (std::isnan(value)) return static_cast<bf16_t>((bits >> 16) | 0x40);
  const uint32_t rounding_bias = 0x7fff + ((bits >> 16) & 1);
  return static_cast<bf16_t>((bits + rounding_bias) >> 16);
}

float Bf16ToFloat(bf16_t value) {
  const uint32_t bits = static_cast<uint32_t>(value) << 16;
  float out;
  std::memcpy(&out, &bits, sizeof out);
  return out;
}

void WidenBf16(std::span<const bf16_t> from, std::vector<float>& to) {
  to.resize(from.size());
  std::transform(from.begin(), from.end(), to.begin(), Bf16ToFloat);
}

int32_t UnsignedMax(int bits) { return (int32_t{1} << bits) - 1; }

QuantParams ChooseAsymmetricU8(std::span<const float> x, int bits) {
  const int32_t qmax = UnsignedMax(bits);
  float lo = 0, hi = 0;  // the range always holds zero, so zero is exact
  for (float v : x) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  QuantParams p;
  p.scale = hi > lo ? (hi - lo) / static_cast<float>(qmax) : 1.0f;
  p.zero_point = std::clamp(static_cast<int32_t>(std::lround(-lo / p.scale)), 0, qmax);
  return p;
}

int32_t SymmetricMax(int bits) { return (int32_t{1} << (bits - 1)) - 1; }

QuantParams ChooseSymmetricS8(std::span<const float> x, int bits) {
  float amax = 0;
  for (float v : x) amax = std::max(amax, std::fabs(v));
  return QuantParams{amax > 0 ? amax / static_cast<float>(SymmetricMax(bits)) : 1.0f, 0};
}

void QuantizeU8(std::span<const float> x, QuantParams p, std::span<uint8_t> out, int bits) {
  const long qmax = UnsignedMax(bits);
  for (size_t i = 0; i < x.size(); ++i) {
    const long q = std::lrint(x[i] / p.scale) + p.zero_point;  // nearest, ties to even
    out[i] = static_cast<uint8_t>(std::clamp<long>(q, 0, qmax));
  }
}

void QuantizeS8(std::span<const float> x, QuantParams p, std::span<int8_t> out, int bits) {
  const long qmax = SymmetricMax(bits);
  for (size_t i = 0; i < x.size(); ++i) {
    const long q = std::lrint(x[i] / p.scale) + p.zero_point;  // nearest, ties to even
    out[i] = static_cast<int8_t>(std::clamp<long>(q, -qmax, qmax));
  }
}

void ErrorAccumulator::Add(double out, double ref) {
  const double d = out - ref;
  err2 += d * d;
  ref2 += ref * ref;
  max_abs = std::max(max_abs, std::fabs(d));
}

double ErrorAccumulator::RelL2() const {
  if (ref2 == 0) return err2 == 0 ? 0 : INFINITY;
  return std::sqrt(err2 / ref2);
}

}  // namespace effbench::workloads
