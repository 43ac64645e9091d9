#include "core/cpu_features.h"

#include <algorithm>
#include <array>
#if defined(__x86_64__)
#include <cpuid.h>
#endif
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "core/arm_features.h"
#include "core/level_names.h"

namespace effbench::cpu {
namespace {

constexpr std::array<LevelName<IsaLevel>, 9> kLevels = {{
    {IsaLevel::kSse41, "sse41"},
    {IsaLevel::kAvx, "avx"},
    {IsaLevel::kAvx2, "avx2"},
    {IsaLevel::kAvx2Vnni, "avx2_vnni"},
    {IsaLevel::kAvx512Core, "avx512_core"},
    {IsaLevel::kAvx512CoreVnni, "avx512_core_vnni"},
    {IsaLevel::kAvx512CoreBf16, "avx512_core_bf16"},
    {IsaLevel::kAvx512CoreAmx, "avx512_core_amx"},
    {IsaLevel::kAll, "all"},
}};

// Each x86 feature effbench looks at, and the lowest level that has it. The
// levels nest as oneDNN's do: avx2_vnni is AVX2 plus VEX-encoded VNNI, and
// sits below avx512_core, which does not include it.
constexpr std::array<std::pair<std::string_view, IsaLevel>, 16> kFlagLevels = {{
    {"sse4_1", IsaLevel::kSse41},
    {"sse4_2", IsaLevel::kSse41},
    {"avx", IsaLevel::kAvx},
    {"f16c", IsaLevel::kAvx},
    {"avx2", IsaLevel::kAvx2},
    {"fma", IsaLevel::kAvx2},
    {"avx_vnni", IsaLevel::kAvx2Vnni},
    {"avx512f", IsaLevel::kAvx512Core},
    {"avx512bw", IsaLevel::kAvx512Core},
    {"avx512vl", IsaLevel::kAvx512Core},
    {"avx512_vnni", IsaLevel::kAvx512CoreVnni},
    {"avx512_bf16", IsaLevel::kAvx512CoreBf16},
    {"avx512_fp16", IsaLevel::kAvx512CoreAmx},
    {"amx_tile", IsaLevel::kAvx512CoreAmx},
    {"amx_int8", IsaLevel::kAvx512CoreAmx},
    {"amx_bf16", IsaLevel::kAvx512CoreAmx},
}};

#if defined(__x86_64__)
struct CpuidBits {
  unsigned leaf1_ecx = 0, leaf7_ebx = 0, leaf7_ecx = 0, leaf7_edx = 0, leaf7_1_eax = 0;
  unsigned long long xcr0 = 0;
};

// Read from CPUID and XGETBV directly: __builtin_cpu_supports knows different
// feature names in GCC and clang (clang 14 has no "avxvnni"), and an AVX
// feature counts only when the OS saves its registers (XCR0).
CpuidBits ReadCpuid() {
  CpuidBits bits;
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return bits;
  bits.leaf1_ecx = ecx;
  if ((ecx & (1u << 27)) != 0) {  // OSXSAVE: XGETBV is usable
    unsigned lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    bits.xcr0 = (static_cast<unsigned long long>(hi) << 32) | lo;
  }
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) != 0) {
    bits.leaf7_ebx = ebx;
    bits.leaf7_ecx = ecx;
    bits.leaf7_edx = edx;
    const unsigned max_subleaf = eax;
    if (max_subleaf >= 1 && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) != 0)
      bits.leaf7_1_eax = eax;
  }
  return bits;
}
#endif

bool CpuSupports(std::string_view flag) {
#if defined(__x86_64__)
  static const CpuidBits bits = ReadCpuid();
  const auto bit = [](unsigned reg, int n) { return (reg >> n & 1u) != 0; };
  const bool avx_state = (bits.xcr0 & 0x6) == 0x6;                    // XMM and YMM
  const bool avx512_state = avx_state && (bits.xcr0 & 0xe0) == 0xe0;  // opmask, ZMM
  const bool amx_state = (bits.xcr0 & 0x60000) == 0x60000;            // TILECFG, TILEDATA
  if (flag == "sse4_1") return bit(bits.leaf1_ecx, 19);
  if (flag == "sse4_2") return bit(bits.leaf1_ecx, 20);
  if (flag == "avx") return avx_state && bit(bits.leaf1_ecx, 28);
  if (flag == "f16c") return avx_state && bit(bits.leaf1_ecx, 29);
  if (flag == "fma") return avx_state && bit(bits.leaf1_ecx, 12);
  if (flag == "avx2") return avx_state && bit(bits.leaf7_ebx, 5);
  if (flag == "avx_vnni") return avx_state && bit(bits.leaf7_1_eax, 4);
  if (flag == "avx512f") return avx512_state && bit(bits.leaf7_ebx, 16);
  if (flag == "avx512bw") return avx512_state && bit(bits.leaf7_ebx, 30);
  if (flag == "avx512vl") return avx512_state && bit(bits.leaf7_ebx, 31);
  if (flag == "avx512_vnni") return avx512_state && bit(bits.leaf7_ecx, 11);
  if (flag == "avx512_bf16") return avx512_state && bit(bits.leaf7_1_eax, 5);
  if (flag == "avx512_fp16") return avx512_state && bit(bits.leaf7_edx, 23);
  if (flag == "amx_bf16") return amx_state && bit(bits.leaf7_edx, 22);
  if (flag == "amx_tile") return amx_state && bit(bits.leaf7_edx, 24);
  if (flag == "amx_int8") return amx_state && bit(bits.leaf7_edx, 25);
#elif defined(__aarch64__)
  static const std::vector<std::string> flags = [] {
    const auto probe = ProbeArm();
    return probe ? probe->features.flags : std::vector<std::string>{};
  }();
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
#else
  (void)flag;
#endif
  return false;
}

}  // namespace

bool IsaIncludes(IsaLevel have, IsaLevel need) {
  if (have == IsaLevel::kAll) return true;
  if (need == IsaLevel::kAvx2Vnni) return have == IsaLevel::kAvx2Vnni;
  if (have == IsaLevel::kAvx2Vnni)
    return static_cast<int>(need) <= static_cast<int>(IsaLevel::kAvx2);
  return static_cast<int>(need) <= static_cast<int>(have);
}

const char* IsaLevelName(IsaLevel level) { return NameOfLevel(kLevels, level); }

Result<IsaLevel> ParseIsaLevel(std::string_view name) { return ParseLevel(kLevels, name, "ISA"); }

Result<IsaLevel> IsaCapFromEnvironment() {
  const char* value = std::getenv("EFFBENCH_MAX_ISA");
  if (value == nullptr || *value == '\0') return IsaLevel::kAll;
  auto level = ParseIsaLevel(value);
  if (level.ok()) return level;
  // An Arm level caps Arm features only (core/arm_features.h).
  if (ParseArmLevel(value).ok()) return IsaLevel::kAll;
  return Status::InvalidArgument(
      "EFFBENCH_MAX_ISA: unknown ISA level '" + std::string(value) +
      "' (x86: sse41, avx, avx2, avx2_vnni, avx512_core, avx512_core_vnni, avx512_core_bf16, "
      "avx512_core_amx; Arm: armv8, dotprod, sve; or all)");
}

IsaLevel IsaCap() {
  static const IsaLevel cap = [] {
    auto level = IsaCapFromEnvironment();
    return level.ok() ? *level : IsaLevel::kAll;
  }();
  return cap;
}

std::optional<IsaLevel> FlagLevel(std::string_view flag) {
  for (const auto& [name, level] : kFlagLevels) {
    if (name == flag) return level;
  }
  return std::nullopt;
}

bool IsaAllows(std::string_view flag) {
  if (const auto arm = ArmFlagLevel(flag)) {
    return static_cast<int>(*arm) <= static_cast<int>(ArmCap());
  }
  const auto level = FlagLevel(flag);
  // A cap of avx512_core keeps the AVX-512 features but drops AVX-VNNI, as
  // oneDNN's own cap does.
  return !level || IsaIncludes(IsaCap(), *level);
}

bool CpuHas(std::string_view flag) { return CpuSupports(flag) && IsaAllows(flag); }

std::string CpuFeatureSummary() {
#if defined(__aarch64__)
  std::string arm;
  for (std::string_view f : {"sve2", "sve", "i8mm", "bf16", "asimddp", "asimd"}) {
    if (CpuHas(f)) arm += (arm.empty() ? "" : ", ") + std::string(f);
  }
  return arm.empty() ? "no Advanced SIMD" : arm;
#endif
  // Highest first; the base of a family (avx512f, avx2) ends the list, since
  // it implies everything below it.
  static constexpr std::array<std::string_view, 9> kShown = {
      "avx512_bf16", "avx512_vnni", "avx512f", "avx_vnni", "avx2",
      "fma",         "avx",         "sse4_2",  "sse4_1"};
  std::string out;
  for (std::string_view f : kShown) {
    if (!CpuHas(f)) continue;
    out += (out.empty() ? "" : ", ") + std::string(f);
    if (f == "avx512f" || f == "fma" || f == "avx" || f == "sse4_2") break;
  }
  return out.empty() ? "no SSE4" : out;
}

}  // namespace effbench::cpu
