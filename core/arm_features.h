// What a 64-bit Arm CPU can run, as the kernel tells it, and the Arm levels
// of the one knob that caps it (EFFBENCH_MAX_ISA=armv8|dotprod|sve|all).
//
// The features come from getauxval(AT_HWCAP/AT_HWCAP2), never from
// /proc/cpuinfo: under qemu-user that file is the x86 host's. The bits are
// Linux's (arch/arm64/include/uapi/asm/hwcap.h), written out here so that
// the decoding compiles, and is tested, on any machine.
//
// The levels nest: armv8 (Advanced SIMD) < dotprod (+ SDOT/UDOT, v8.2) <
// sve (+ SVE, SVE2, I8MM, BF16: the v8.6/v9 server cores). A cap holds the
// inventory's flags, and so the capabilities and the kernels picked from them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace effbench::cpu {

// Linux's hwcap bits that effbench looks at.
inline constexpr uint64_t kHwcapAsimd = 1ull << 1;
inline constexpr uint64_t kHwcapAsimdDp = 1ull << 20;
inline constexpr uint64_t kHwcapSve = 1ull << 22;
inline constexpr uint64_t kHwcap2Sve2 = 1ull << 1;
inline constexpr uint64_t kHwcap2I8mm = 1ull << 13;
inline constexpr uint64_t kHwcap2Bf16 = 1ull << 14;

struct ArmFeatures {
  // /proc/cpuinfo's names, sorted: asimd, asimddp, bf16, i8mm, sve, sve2.
  std::vector<std::string> flags;
  int sve_bits = 0;  // the SVE vector length in bits; 0 without SVE
};

// The features of AT_HWCAP and AT_HWCAP2, with `sve_bits` (the length
// prctl(PR_SVE_GET_VL) gives, in bits) kept only where SVE is.
ArmFeatures ArmFeaturesFromHwcaps(uint64_t hwcap, uint64_t hwcap2, int sve_bits);

// The core MIDR_EL1 names: "Arm Cortex-A76 r4p1", "Arm Neoverse-N1 r3p1";
// an unknown part reads "Arm implementer 0x41 part 0xd99 r0p0".
std::string ArmCoreName(uint64_t midr);

// Whether /proc/cpuinfo text belongs to another architecture than `arch`
// (uname's machine): what qemu-user shows, the x86 host's, to an aarch64
// program. Such a machine runs emulated, and its timings say nothing of a
// real one.
bool CpuinfoOfAnotherArch(std::string_view cpuinfo, std::string_view arch);

enum class ArmLevel { kArmv8, kDotprod, kSve, kAll };

const char* ArmLevelName(ArmLevel level);
// "dotprod" → kDotprod; InvalidArgument listing the known ones otherwise.
Result<ArmLevel> ParseArmLevel(std::string_view name);
// The lowest level with Arm feature `flag`; nullopt for flags it does not
// touch (x86 ones, fphp, ...).
std::optional<ArmLevel> ArmFlagLevel(std::string_view flag);
// The feature that marks `level` ("asimd", "asimddp", "sve"; kAll: "sve"):
// a CPU has the level when it has the feature.
std::string_view ArmLevelFlag(ArmLevel level);
// The Arm cap EFFBENCH_MAX_ISA asks for: kAll when unset, empty or an x86
// level (which caps x86 only).
ArmLevel ArmCap();

// This CPU's Arm features and MIDR_EL1 (where the kernel exposes it), on
// aarch64; nullopt on other architectures.
struct ArmProbe {
  ArmFeatures features;
  std::optional<uint64_t> midr;
};
std::optional<ArmProbe> ProbeArm();

}  // namespace effbench::cpu
