// The catalog of every workload effbench can run: the entries of the spec
// catalog (workloads/catalog/specs.h: ids, suites, relations, no kernels),
// each bound to the C++ family that prepares it. Edit workloads/specs/ and
// workloads/suites/ and rebuild to add shapes or suites.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "workloads/workload.h"

namespace effbench::workloads {

// OK, or why the spec or suite files could not be loaded (then the catalog
// is empty). Check it before using the catalog.
const Status& CatalogStatus();

// Every workload, in a stable order. Built once; the references stay valid.
const std::vector<WorkloadSpec>& Catalog();

// The workloads of `suite` (the whole catalog when nullopt) whose ids match
// the shell glob `pattern` (all when nullopt), in catalog order; the
// catalog's error, NotFound for an unknown suite, or NotFound naming the
// closest ids when the pattern matches nothing (catalog::Select).
Result<std::vector<const WorkloadSpec*>> Select(const std::optional<std::string>& suite,
                                                const std::optional<std::string>& pattern);

// Backend and library versions compiled in, e.g. {"onednn", "2.6.3"}.
std::vector<std::pair<std::string, std::string>> BackendVersions();

}  // namespace effbench::workloads
