// Ids of imported runs and results: derived from what was imported, so that
// importing the same file at the same revision twice stores nothing new.
#pragma once

#include <string>

namespace effbench::importers {

// A uuid (version 8: custom) from a SHA-256 of `seed`: the same seed, the same id.
std::string DerivedUuid(const std::string& seed);

}  // namespace effbench::importers
