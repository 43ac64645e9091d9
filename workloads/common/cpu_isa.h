// What this CPU can run, under the one knob that caps it: EFFBENCH_MAX_ISA.
//
// effbench compares machines of every kind, so a developer on an AVX-512
// machine must be able to see what an AVX2 or a 2010 CPU sees. The cap
// (EFFBENCH_MAX_ISA=sse41|avx|avx2|avx2_vnni|avx512_core|avx512_core_vnni|
// avx512_core_bf16|avx512_core_amx|all, oneDNN's names) holds everything at
// once: oneDNN's dispatch (dnnl::set_max_cpu_isa), effbench's own kernels
// (which pick their code path through CpuHas), the ISA flags the machine
// inventory reports, and so the capabilities and rooflines derived from them.
//
// The cap is read and applied once per process, on the first call of any
// function here; every oneDNN engine of ours calls ApplyIsaCap() before it is
// made, so oneDNN never dispatches above the cap.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace effbench::workloads {

// The x86-64 levels, lowest first (oneDNN's cpu_isa names). kAll: no cap.
enum class IsaLevel {
  kSse41,
  kAvx,
  kAvx2,
  kAvx2Vnni,
  kAvx512Core,
  kAvx512CoreVnni,
  kAvx512CoreBf16,
  kAvx512CoreAmx,
  kAll
};

const char* IsaLevelName(IsaLevel level);

// Whether an ISA at level `have` includes level `need`. The levels nest in
// order, except avx2_vnni: AVX2 plus VEX-encoded VNNI, included by no
// AVX-512 level (as in oneDNN).
bool IsaIncludes(IsaLevel have, IsaLevel need);
// "avx2" → kAvx2; an unknown name is an error that lists the known ones.
Result<IsaLevel> ParseIsaLevel(std::string_view name);

// The cap EFFBENCH_MAX_ISA asks for (kAll when unset or empty), or why its
// value is not a level. Mains call this first and exit 2 on an error.
Result<IsaLevel> IsaCapFromEnvironment();

// Applies the cap to oneDNN, once per process; returns the cap in force (kAll
// when EFFBENCH_MAX_ISA is unset or invalid: mains refuse an invalid value
// before any of this runs).
IsaLevel ApplyIsaCap();

// The lowest level that provides x86 feature `flag` (a /proc/cpuinfo name:
// avx2, avx512_vnni, amx_int8, ...); nullopt for flags the cap does not
// touch (sse2, Arm features, ...).
std::optional<IsaLevel> FlagLevel(std::string_view flag);

// Whether the cap in force allows `flag` (always true for flags it does not
// touch).
bool IsaAllows(std::string_view flag);

// Whether this CPU has x86 feature `flag` ("avx2", "fma", "avx512f",
// "avx512_vnni", "avx_vnni", "avx512_bf16") and the cap allows it. False for
// unknown flags and on other architectures.
bool CpuHas(std::string_view flag);

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

// This CPU's features that decide kernels, capped, for messages:
// "avx2, fma" (or "sse4_2" ...).
std::string CpuFeatureSummary();

}  // namespace effbench::workloads
