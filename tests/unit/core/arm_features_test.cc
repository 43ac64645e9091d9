#include "core/arm_features.h"

#include <catch2/catch.hpp>
#include <cstdlib>

#include "core/cpu_features.h"

namespace effbench::cpu {
namespace {

TEST_CASE("Arm features come from the kernel's hwcaps, as qemu's CPUs have them", "[core]") {
  // qemu-aarch64 -cpu cortex-a72: Advanced SIMD only.
  const ArmFeatures a72 = ArmFeaturesFromHwcaps(kHwcapAsimd | 1 /* fp */, 0, 0);
  CHECK(a72.flags == std::vector<std::string>{"asimd"});
  CHECK(a72.sve_bits == 0);
  // -cpu neoverse-n1: and the dot product.
  const ArmFeatures n1 = ArmFeaturesFromHwcaps(kHwcapAsimd | kHwcapAsimdDp, 0, 256);
  CHECK(n1.flags == std::vector<std::string>{"asimd", "asimddp"});
  CHECK(n1.sve_bits == 0);  // a length without SVE is not kept
  // The default (max) CPU: SVE, SVE2, I8MM and BF16 too, with its length.
  const ArmFeatures max = ArmFeaturesFromHwcaps(kHwcapAsimd | kHwcapAsimdDp | kHwcapSve,
                                                kHwcap2Sve2 | kHwcap2I8mm | kHwcap2Bf16, 512);
  CHECK(max.flags == std::vector<std::string>{"asimd", "asimddp", "bf16", "i8mm", "sve", "sve2"});
  CHECK(max.sve_bits == 512);
}

TEST_CASE("an Arm core is named from its MIDR_EL1", "[core]") {
  CHECK(ArmCoreName(0x414fd0b1) == "Arm Cortex-A76 r4p1");  // Raspberry Pi 5
  CHECK(ArmCoreName(0x413fd0c1) == "Arm Neoverse-N1 r3p1");
  CHECK(ArmCoreName(0x410fd083) == "Arm Cortex-A72 r0p3");  // Raspberry Pi 4
  CHECK(ArmCoreName(0x4e0f0040) == "NVIDIA Carmel r0p0");   // Jetson Xavier
  CHECK(ArmCoreName(0x410fd990) == "Arm implementer 0x41 part 0xd99 r0p0");
}

TEST_CASE("an emulated CPU shows another architecture's /proc/cpuinfo", "[core]") {
  const std::string x86 =
      "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu vme avx2\nmodel name\t: AMD "
      "EPYC\n";
  const std::string arm =
      "processor\t: 0\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd asimddp\nCPU implementer\t: 0x41\n";
  CHECK(CpuinfoOfAnotherArch(x86, "aarch64"));  // qemu-aarch64 on an x86 host
  CHECK_FALSE(CpuinfoOfAnotherArch(arm, "aarch64"));
  CHECK_FALSE(CpuinfoOfAnotherArch(x86, "x86_64"));
  CHECK(CpuinfoOfAnotherArch(arm, "x86_64"));
  CHECK_FALSE(CpuinfoOfAnotherArch("", "aarch64"));  // unreadable: nothing to say
}

TEST_CASE("the Arm levels nest, and EFFBENCH_MAX_ISA takes them", "[core]") {
  CHECK(ArmFlagLevel("asimd") == ArmLevel::kArmv8);
  CHECK(ArmFlagLevel("asimddp") == ArmLevel::kDotprod);
  CHECK(ArmFlagLevel("i8mm") == ArmLevel::kSve);
  CHECK(ArmFlagLevel("sve2") == ArmLevel::kSve);
  CHECK_FALSE(ArmFlagLevel("avx2").has_value());
  CHECK_FALSE(FlagLevel("asimddp").has_value());  // and x86's levels leave Arm's flags alone
  // Each level's marking feature is one of that level.
  CHECK(ArmLevelFlag(ArmLevel::kArmv8) == "asimd");
  CHECK(ArmLevelFlag(ArmLevel::kDotprod) == "asimddp");
  CHECK(ArmLevelFlag(ArmLevel::kSve) == "sve");
  for (const ArmLevel level : {ArmLevel::kArmv8, ArmLevel::kDotprod, ArmLevel::kSve})
    CHECK(ArmFlagLevel(ArmLevelFlag(level)) == level);
  REQUIRE(ParseArmLevel("dotprod").ok());
  CHECK(*ParseArmLevel("dotprod") == ArmLevel::kDotprod);
  const auto unknown = ParseArmLevel("neon");
  CHECK_THAT(unknown.status().message(), Catch::Contains("armv8, dotprod, sve, all"));

  // An Arm level is a valid cap (of Arm features only); a name of neither
  // kind is refused naming both kinds.
  const char* before = std::getenv("EFFBENCH_MAX_ISA");
  const std::string saved = before ? before : "";
  ::setenv("EFFBENCH_MAX_ISA", "sve", 1);
  const auto arm_cap = IsaCapFromEnvironment();
  ::setenv("EFFBENCH_MAX_ISA", "sve3", 1);
  const auto bad = IsaCapFromEnvironment();
  if (before) {
    ::setenv("EFFBENCH_MAX_ISA", saved.c_str(), 1);
  } else {
    ::unsetenv("EFFBENCH_MAX_ISA");
  }
  REQUIRE(arm_cap.ok());
  CHECK(*arm_cap == IsaLevel::kAll);
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(), Catch::Contains("Arm: armv8, dotprod, sve"));
}

}  // namespace
}  // namespace effbench::cpu
