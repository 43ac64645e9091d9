// Choosing workloads by suite and glob, and suggesting close names when a
// pattern matches nothing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "workloads/workload.h"

namespace effbench::engine {

// The workloads of `suite` (the whole catalog when nullopt) whose ids match
// the shell glob `pattern` (all when nullopt). NotFound, naming the closest
// ids, when the pattern matches nothing.
Result<std::vector<const workloads::WorkloadSpec*>> SelectWorkloads(
    const std::optional<std::string>& suite, const std::optional<std::string>& pattern);

// Up to `limit` catalog ids closest to `name` by edit distance.
std::vector<std::string> CloseNames(const std::string& name, size_t limit = 3);

}  // namespace effbench::engine
