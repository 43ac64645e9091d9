// The named levels of a CPU capability cap (x86's in cpu_features.cc, Arm's
// in arm_features.cc): a level's name, and a name's level.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace effbench::cpu {

template <typename Level>
struct LevelName {
  Level level;
  const char* name;
};

template <typename Level, size_t N>
const char* NameOfLevel(const std::array<LevelName<Level>, N>& levels, Level level) {
  for (const LevelName<Level>& l : levels) {
    if (l.level == level) return l.name;
  }
  return "?";
}

// The level named `name`; InvalidArgument "unknown KIND level 'NAME' (known:
// ...)" otherwise.
template <typename Level, size_t N>
Result<Level> ParseLevel(const std::array<LevelName<Level>, N>& levels, std::string_view name,
                         std::string_view kind) {
  std::string known;
  for (const LevelName<Level>& l : levels) {
    if (name == l.name) return l.level;
    known += (known.empty() ? "" : ", ") + std::string(l.name);
  }
  return Status::InvalidArgument("unknown " + std::string(kind) + " level '" + std::string(name) +
                                 "' (known: " + known + ")");
}

}  // namespace effbench::cpu
