#include "workloads/capability.h"

#include <string_view>

#include "core/arm_features.h"
#include "workloads/common/cpu_isa.h"
#include "workloads/data/fashion_mnist.h"

namespace effbench::workloads {
namespace {

#if defined(__x86_64__)
// The CPU flags a level stands for, enough to tell whether the CPU has it.
bool CpuHasLevel(IsaLevel level) {
  switch (level) {
    case IsaLevel::kSse41:
      return CpuHas("sse4_1");
    case IsaLevel::kAvx:
      return CpuHas("avx");
    case IsaLevel::kAvx2:
      return CpuHas("avx2") && CpuHas("fma");
    case IsaLevel::kAvx2Vnni:
      return CpuHas("avx_vnni");
    case IsaLevel::kAvx512Core:
      return CpuHas("avx512f") && CpuHas("avx512bw") && CpuHas("avx512vl");
    case IsaLevel::kAvx512CoreVnni:
      return CpuHasLevel(IsaLevel::kAvx512Core) && CpuHas("avx512_vnni");
    case IsaLevel::kAvx512CoreBf16:
      return CpuHasLevel(IsaLevel::kAvx512CoreVnni) && CpuHas("avx512_bf16");
    case IsaLevel::kAvx512CoreAmx:
    case IsaLevel::kAll:
      return false;  // no workload asks for AMX yet; never claim it
  }
  return false;
}
#endif

std::optional<std::string> UnmetArm(cpu::ArmLevel level, const std::string& what) {
#if !defined(__aarch64__)
  (void)level;
  return what + " (this CPU is not aarch64)";
#else
  if (!CpuHas(cpu::ArmLevelFlag(level))) return what + " (this CPU: " + CpuFeatureSummary() + ")";
  return std::nullopt;
#endif
}

std::optional<std::string> UnmetIsa(std::string_view level_name, const Variant& variant) {
  const std::string what =
      "needs " + std::string(level_name) + " for " + variant.backend + " " + variant.precision;
  if (const auto arm = cpu::ParseArmLevel(level_name); arm.ok()) return UnmetArm(*arm, what);
  const auto level = ParseIsaLevel(level_name);
  if (!level.ok()) return "needs unknown ISA level " + std::string(level_name);
#if !defined(__x86_64__)
  return what + " (this CPU is not x86-64)";
#else
  if (!CpuHasLevel(*level)) return what + " (this CPU: " + CpuFeatureSummary() + ")";
  const auto backend = OnednnIsaLevel();
  if (!backend || !IsaIncludes(*backend, *level)) {
    return what + " (oneDNN dispatches " + OnednnIsa() + " here)";
  }
  return std::nullopt;
#endif
}

}  // namespace

std::optional<std::string> UnmetNeed(const WorkloadSpec& spec, const RunConfig& config) {
  for (const std::string& need : spec.needs) {
    const size_t colon = need.find(':');
    const std::string kind = need.substr(0, colon);
    const std::string what = colon == std::string::npos ? "" : need.substr(colon + 1);
    if (kind == "isa") {
      if (auto why = UnmetIsa(what, spec.variant)) return why;
    } else if (kind == "dataset") {
      if (auto why = data::MissingDataset(what, config.data_dir)) return why;
    } else if (kind == "device") {
      return "needs a " + what + " device (none on this machine)";
    } else {
      return "needs " + need + ", which this build cannot check";
    }
  }
  return std::nullopt;
}

}  // namespace effbench::workloads
