#include "workloads/common/cpu_isa.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace effbench::workloads {
namespace {

// The flags the Linux kernel lists for the first CPU, or empty where there is
// no /proc/cpuinfo (or no "flags" line: not x86).
std::set<std::string> KernelCpuFlags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    std::set<std::string> flags;
    for (std::string w; words >> w;) flags.insert(w);
    return flags;
  }
  return {};
}

TEST_CASE("CPUID detection agrees with the kernel's flags, under the cap", "[isa]") {
  const std::set<std::string> kernel = KernelCpuFlags();
  if (kernel.empty()) {
    WARN("no x86 flags in /proc/cpuinfo: nothing to compare");
    return;
  }
  for (const char* flag : {"sse4_1", "sse4_2", "avx", "f16c", "fma", "avx2", "avx_vnni", "avx512f",
                           "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16",
                           "amx_tile", "amx_int8", "amx_bf16"}) {
    INFO(flag);
    REQUIRE(FlagLevel(flag).has_value());
    CHECK(CpuHas(flag) == (kernel.count(flag) == 1 && IsaAllows(flag)));
  }
  CHECK_FALSE(CpuHas("no_such_flag"));
}

TEST_CASE("ISA levels nest as oneDNN's do", "[isa]") {
  CHECK(IsaIncludes(IsaLevel::kAvx512Core, IsaLevel::kAvx2));
  CHECK_FALSE(IsaIncludes(IsaLevel::kAvx2, IsaLevel::kAvx512Core));
  CHECK(IsaIncludes(IsaLevel::kAvx2Vnni, IsaLevel::kAvx2));
  CHECK_FALSE(IsaIncludes(IsaLevel::kAvx512CoreVnni, IsaLevel::kAvx2Vnni));
  CHECK(IsaIncludes(IsaLevel::kAll, IsaLevel::kAvx512CoreAmx));
  auto parsed = ParseIsaLevel("avx2");
  REQUIRE(parsed.ok());
  CHECK(*parsed == IsaLevel::kAvx2);
  auto bad = ParseIsaLevel("avx3");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(), Catch::Contains("sse41"));
}

}  // namespace
}  // namespace effbench::workloads
