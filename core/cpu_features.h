// What this CPU can run, under the one knob that caps it: EFFBENCH_MAX_ISA.
//
// effbench compares machines of every kind, so a developer on an AVX-512
// machine must be able to see what an AVX2 or a 2010 CPU sees. The cap
// (EFFBENCH_MAX_ISA=sse41|avx|avx2|avx2_vnni|avx512_core|avx512_core_vnni|
// avx512_core_bf16|avx512_core_amx|all, oneDNN's names) holds everything at
// once: effbench's own kernels (which pick their code path through CpuHas),
// the ISA flags the machine inventory reports (and so the capabilities and
// rooflines derived from them), and oneDNN's dispatch, which the kernel
// library caps from IsaCap() (workloads/common/cpu_isa.h).
//
// This is CPUID and the environment only: the machine layer reads it without
// linking a kernel.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace effbench::cpu {

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

// The cap EFFBENCH_MAX_ISA asks for (kAll when unset or empty, or an Arm
// level: core/arm_features.h), or why its value is not a level. Mains call
// this first and exit 2 on an error.
Result<IsaLevel> IsaCapFromEnvironment();

// The cap in force, read once per process (kAll when EFFBENCH_MAX_ISA is
// unset or invalid: mains refuse an invalid value before any of this runs).
IsaLevel IsaCap();

// The lowest level that provides x86 feature `flag` (a /proc/cpuinfo name:
// avx2, avx512_vnni, amx_int8, ...); nullopt for flags the cap does not
// touch (sse2, Arm features, ...).
std::optional<IsaLevel> FlagLevel(std::string_view flag);

// Whether the cap in force allows `flag`, x86 or Arm (always true for flags
// no level has).
bool IsaAllows(std::string_view flag);

// Whether this CPU has feature `flag` and the cap allows it: on x86-64 one of
// "avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", ...; on
// aarch64 one of core/arm_features.h's ("asimd", "asimddp", "i8mm", "sve").
// False for unknown flags and for another architecture's.
bool CpuHas(std::string_view flag);

// This CPU's features that decide kernels, capped, for messages:
// "avx2, fma" (or "sse4_2" ...; on Arm "i8mm, asimddp, asimd").
std::string CpuFeatureSummary();

}  // namespace effbench::cpu
