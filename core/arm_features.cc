#include "core/arm_features.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <utility>

#include "core/level_names.h"
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#include <sys/prctl.h>
#endif

namespace effbench::cpu {
namespace {

struct Part {
  uint32_t implementer, part;
  const char* name;
};

// The parts of the boards and servers a fleet has (Arm's TRMs; Linux's
// arch/arm64/include/asm/cputype.h).
constexpr std::array<Part, 27> kParts = {{
    {0x41, 0xd03, "Arm Cortex-A53"},   {0x41, 0xd04, "Arm Cortex-A35"},
    {0x41, 0xd05, "Arm Cortex-A55"},   {0x41, 0xd07, "Arm Cortex-A57"},
    {0x41, 0xd08, "Arm Cortex-A72"},   {0x41, 0xd09, "Arm Cortex-A73"},
    {0x41, 0xd0a, "Arm Cortex-A75"},   {0x41, 0xd0b, "Arm Cortex-A76"},
    {0x41, 0xd0c, "Arm Neoverse-N1"},  {0x41, 0xd0d, "Arm Cortex-A77"},
    {0x41, 0xd40, "Arm Neoverse-V1"},  {0x41, 0xd41, "Arm Cortex-A78"},
    {0x41, 0xd44, "Arm Cortex-X1"},    {0x41, 0xd46, "Arm Cortex-A510"},
    {0x41, 0xd47, "Arm Cortex-A710"},  {0x41, 0xd48, "Arm Cortex-X2"},
    {0x41, 0xd49, "Arm Neoverse-N2"},  {0x41, 0xd4b, "Arm Cortex-A78C"},
    {0x41, 0xd4f, "Arm Neoverse-V2"},  {0x41, 0xd80, "Arm Cortex-A520"},
    {0x41, 0xd81, "Arm Cortex-A720"},  {0x41, 0xd82, "Arm Cortex-X4"},
    {0x41, 0xd8e, "Arm Neoverse-N3"},  {0x46, 0x001, "Fujitsu A64FX"},
    {0x4e, 0x004, "NVIDIA Carmel"},    {0x51, 0x805, "Qualcomm Kryo 4xx Silver"},
    {0xc0, 0xac3, "Ampere AmpereOne"},
}};

constexpr std::array<LevelName<ArmLevel>, 4> kLevels = {{
    {ArmLevel::kArmv8, "armv8"},
    {ArmLevel::kDotprod, "dotprod"},
    {ArmLevel::kSve, "sve"},
    {ArmLevel::kAll, "all"},
}};

constexpr std::array<std::pair<std::string_view, ArmLevel>, 7> kFlagLevels = {{
    {"asimd", ArmLevel::kArmv8},
    {"neon", ArmLevel::kArmv8},
    {"asimddp", ArmLevel::kDotprod},
    {"sve", ArmLevel::kSve},
    {"sve2", ArmLevel::kSve},
    {"i8mm", ArmLevel::kSve},
    {"bf16", ArmLevel::kSve},
}};

std::string Hex(uint64_t v) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(v));
  return text;
}

}  // namespace

ArmFeatures ArmFeaturesFromHwcaps(uint64_t hwcap, uint64_t hwcap2, int sve_bits) {
  ArmFeatures f;
  if (hwcap & kHwcapAsimd) f.flags.push_back("asimd");
  if (hwcap & kHwcapAsimdDp) f.flags.push_back("asimddp");
  if (hwcap2 & kHwcap2Bf16) f.flags.push_back("bf16");
  if (hwcap2 & kHwcap2I8mm) f.flags.push_back("i8mm");
  if (hwcap & kHwcapSve) {
    f.flags.push_back("sve");
    f.sve_bits = sve_bits;
  }
  if (hwcap2 & kHwcap2Sve2) f.flags.push_back("sve2");
  std::sort(f.flags.begin(), f.flags.end());
  return f;
}

std::string ArmCoreName(uint64_t midr) {
  const auto implementer = static_cast<uint32_t>((midr >> 24) & 0xff);
  const auto variant = static_cast<uint32_t>((midr >> 20) & 0xf);
  const auto part = static_cast<uint32_t>((midr >> 4) & 0xfff);
  const auto revision = static_cast<uint32_t>(midr & 0xf);
  const std::string rp = " r" + std::to_string(variant) + "p" + std::to_string(revision);
  for (const Part& p : kParts) {
    if (p.implementer == implementer && p.part == part) return p.name + rp;
  }
  return "Arm implementer " + Hex(implementer) + " part " + Hex(part) + rp;
}

bool CpuinfoOfAnotherArch(std::string_view cpuinfo, std::string_view arch) {
  const auto has = [&](std::string_view s) { return cpuinfo.find(s) != std::string_view::npos; };
  const bool x86_text = has("vendor_id") || has("GenuineIntel") || has("AuthenticAMD");
  const bool arm_text = has("CPU implementer") || has("Features\t") || has("Features :");
  if (arch == "aarch64" || arch == "arm64") return x86_text && !arm_text;
  if (arch == "x86_64") return arm_text && !x86_text;
  return false;
}

const char* ArmLevelName(ArmLevel level) { return NameOfLevel(kLevels, level); }

Result<ArmLevel> ParseArmLevel(std::string_view name) { return ParseLevel(kLevels, name, "Arm"); }

std::optional<ArmLevel> ArmFlagLevel(std::string_view flag) {
  for (const auto& [name, level] : kFlagLevels) {
    if (name == flag) return level;
  }
  return std::nullopt;
}

std::string_view ArmLevelFlag(ArmLevel level) {
  const ArmLevel wanted = level == ArmLevel::kAll ? ArmLevel::kSve : level;
  for (const auto& [name, l] : kFlagLevels) {
    if (l == wanted) return name;  // the table lists each level's marking feature first
  }
  return "sve";
}

ArmLevel ArmCap() {
  static const ArmLevel cap = [] {
    const char* value = std::getenv("EFFBENCH_MAX_ISA");
    if (value == nullptr) return ArmLevel::kAll;
    auto level = ParseArmLevel(value);
    return level.ok() ? *level : ArmLevel::kAll;
  }();
  return cap;
}

std::optional<ArmProbe> ProbeArm() {
#if defined(__aarch64__) && defined(__linux__)
  const uint64_t hwcap = getauxval(AT_HWCAP), hwcap2 = getauxval(AT_HWCAP2);
  int sve_bits = 0;
#ifdef PR_SVE_GET_VL
  if (hwcap & kHwcapSve) {
    const int vl = prctl(PR_SVE_GET_VL);
    if (vl > 0) sve_bits = (vl & PR_SVE_VL_LEN_MASK) * 8;
  }
#endif
  ArmProbe probe{ArmFeaturesFromHwcaps(hwcap, hwcap2, sve_bits), std::nullopt};
  std::ifstream in("/sys/devices/system/cpu/cpu0/regs/identification/midr_el1");
  std::string text;
  if (in >> text) {
    char* end = nullptr;
    const unsigned long long midr = std::strtoull(text.c_str(), &end, 16);
    if (end != text.c_str()) probe.midr = midr;
  }
  return probe;
#else
  return std::nullopt;
#endif
}

}  // namespace effbench::cpu
