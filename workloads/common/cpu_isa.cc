#include "workloads/common/cpu_isa.h"

#include <array>
#include <oneapi/dnnl/dnnl.hpp>
#include <utility>

namespace effbench::workloads {
namespace {

// oneDNN's name of each level effbench caps to.
constexpr std::array<std::pair<IsaLevel, dnnl::cpu_isa>, 9> kOnednnLevels = {{
    {IsaLevel::kSse41, dnnl::cpu_isa::sse41},
    {IsaLevel::kAvx, dnnl::cpu_isa::avx},
    {IsaLevel::kAvx2, dnnl::cpu_isa::avx2},
    {IsaLevel::kAvx2Vnni, dnnl::cpu_isa::avx2_vnni},
    {IsaLevel::kAvx512Core, dnnl::cpu_isa::avx512_core},
    {IsaLevel::kAvx512CoreVnni, dnnl::cpu_isa::avx512_core_vnni},
    {IsaLevel::kAvx512CoreBf16, dnnl::cpu_isa::avx512_core_bf16},
    {IsaLevel::kAvx512CoreAmx, dnnl::cpu_isa::avx512_core_amx},
    {IsaLevel::kAll, dnnl::cpu_isa::all},
}};

IsaLevel ReadAndApply() {
  const IsaLevel cap = cpu::IsaCap();
  if (cap == IsaLevel::kAll) return cap;
  for (const auto& [level, onednn] : kOnednnLevels) {
    if (level == cap) dnnl::set_max_cpu_isa(onednn);  // before any primitive exists
  }
  return cap;
}

}  // namespace

IsaLevel ApplyIsaCap() {
  static const IsaLevel cap = ReadAndApply();
  return cap;
}

std::optional<IsaLevel> OnednnIsaLevel() {
#if defined(__x86_64__)
  ApplyIsaCap();
  const dnnl::cpu_isa effective = dnnl::get_effective_cpu_isa();
  // The highest level whose ISA oneDNN reports: its value names exactly one.
  for (const auto& [level, onednn] : kOnednnLevels) {
    if (level != IsaLevel::kAll && onednn == effective) return level;
  }
  // Levels oneDNN knows and effbench does not name (e.g. avx512_mic) count as
  // the AVX-512 base.
  return IsaLevel::kAvx512Core;
#else
  return std::nullopt;
#endif
}

std::string OnednnIsa() {
  const auto level = OnednnIsaLevel();
  return level ? IsaLevelName(*level) : "none";
}

bool Int8SaturatesOnThisIsa() {
  const auto level = OnednnIsaLevel();
  if (!level) return false;  // Arm: sdot/udot or widening multiplies, no u8·s8 pair saturation
  return !IsaIncludes(*level, IsaLevel::kAvx2Vnni) &&
         !IsaIncludes(*level, IsaLevel::kAvx512CoreVnni);
}

namespace {

// `reduced` ("7-bit weights") where the ISA saturates, else the full recipe.
Int8Recipe RecipeFor(int weight_bits, int activation_bits, const char* reduced) {
  Int8Recipe r;
  if (!Int8SaturatesOnThisIsa()) return r;
  r.weight_bits = weight_bits;
  r.activation_bits = activation_bits;
  r.remedy = std::string(reduced) + ": oneDNN " + OnednnIsa() +
             " has no VNNI and multiplies u8 x s8 with vpmaddubsw, whose int16 pair sums "
             "saturate with full-range operands";
  return r;
}

}  // namespace

// Decided once: the ISA in force does not change within a process.
const Int8Recipe& KernelInt8Recipe() {
  static const Int8Recipe recipe = RecipeFor(8, 7, "7-bit activations (reduce-range, u8 0..127)");
  return recipe;
}

const Int8Recipe& NetworkInt8Recipe() {
  static const Int8Recipe recipe = RecipeFor(7, 8, "7-bit weights (±63)");
  return recipe;
}

}  // namespace effbench::workloads
