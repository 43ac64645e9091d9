// Quantize and dequantize kernels (the conversions an int8 network runs
// between fp32 and int8 layers): fp32 → u8 with a per-tensor scale and zero
// point (asymmetric activations) and u8 → fp32, on NHWC activation tensors.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "workloads/common/numeric.h"
#include "workloads/common/prepared_kernel.h"
#include "workloads/family.h"

namespace effbench::workloads::quant {

enum class Direction { kQuantize, kDequantize };

struct Operands {
  Direction direction = Direction::kQuantize;
  QuantParams params;
  std::vector<float> real;  // input of quantize, output of dequantize
  std::vector<uint8_t> q;   // output of quantize, input of dequantize
};

void FillOperands(Direction direction, int64_t elements, uint64_t seed, Operands& ops);

// Quantize: every element within one quantization step of the exact
// round-to-nearest (ties may round either way), and exact on all others;
// dequantize: exact up to fp32 rounding. Fidelity: the round trip against
// the real values.
Result<Fidelity> Verify(const Operands& ops, uint64_t seed);

using Kernel = OpKernel<Operands>;

std::unique_ptr<Kernel> MakeRefKernel();
Result<std::unique_ptr<Kernel>> MakeOnednnKernel(const Operands& ops, int threads);

// The families quant.quantize and quant.dequantize of workloads/specs/quant.json.
std::vector<Family> MakeFamilies();

}  // namespace effbench::workloads::quant
