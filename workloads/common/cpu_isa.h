// What this CPU can run, for the kernels: the CPU's features and the cap
// (EFFBENCH_MAX_ISA) come from core/cpu_features.h; this adds what only the
// kernel library knows, oneDNN's dispatch under the cap and the int8 recipe
// that keeps its products exact.
//
// The cap is applied to oneDNN once per process, on the first call of
// ApplyIsaCap(); every oneDNN engine of ours calls it before it is made, so
// oneDNN never dispatches above the cap.
#pragma once

#include <optional>
#include <string>

#include "core/cpu_features.h"

namespace effbench::workloads {

using cpu::CpuFeatureSummary;
using cpu::CpuHas;
using cpu::FlagLevel;
using cpu::IsaAllows;
using cpu::IsaCapFromEnvironment;
using cpu::IsaIncludes;
using cpu::IsaLevel;
using cpu::IsaLevelName;
using cpu::ParseIsaLevel;

// Applies the cap to oneDNN, once per process; returns the cap in force.
IsaLevel ApplyIsaCap();

// The ISA oneDNN dispatches to in this process, after the cap, in oneDNN's
// names ("avx2", "avx512_core_vnni"); "none" on a CPU oneDNN cannot use.
std::string OnednnIsa();
// The same as a level, for comparisons; nullopt on non-x86 machines.
std::optional<IsaLevel> OnednnIsaLevel();

// Whether oneDNN's int8 kernels multiply u8 × s8 through vpmaddubsw (no VNNI
// in the ISA in force), whose int16 pair sums saturate for 8-bit weights.
bool Int8SaturatesOnThisIsa();

// The int8 recipe that keeps oneDNN's integer products exact on the ISA in
// force. Where u8·s8 pairs go through vpmaddubsw (no VNNI), 255·127·2 does
// not fit int16; one operand gives up a bit. `remedy` says what was changed
// and why; empty when nothing was (VNNI, Arm).
struct Int8Recipe {
  int weight_bits = 8;
  int activation_bits = 8;
  std::string remedy;
};
// For kernels whose inputs effbench quantizes itself (gemm, conv):
// reduce-range activations, u8 in [0, 127] (127·127·2 = 32258), as PyTorch's
// x86 backend does. On 30,000 random GEMM shapes of the kernel tests it keeps
// the fidelity of full-range int8 (1 over the int8 tolerance, as with full
// range) where 7-bit weights put 56 over: a weight's rounding error is shared
// by every row of a narrow GEMM, an activation's by none.
const Int8Recipe& KernelInt8Recipe();
// For networks, whose activations oneDNN re-quantizes between layers and
// would saturate at 255, not 127, past the calibrated range: 7-bit weights
// (±63: 255·63·2 = 32130), oneDNN's own advice for such CPUs.
const Int8Recipe& NetworkInt8Recipe();

}  // namespace effbench::workloads
