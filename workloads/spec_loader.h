// Binds the C++ families to the catalog's entries (workloads/catalog/specs.h):
// each entry becomes a WorkloadSpec with its work per run (the spec's
// formulas over the shape and the family's facts) and a way to prepare it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "workloads/catalog/specs.h"
#include "workloads/family.h"
#include "workloads/workload.h"

namespace effbench::workloads {

// The workload of each entry, in order. An entry whose family no C++ family
// implements, or whose precision, backend or params its family does not
// take, is an error naming it; so is a formula that does not evaluate.
Result<std::vector<WorkloadSpec>> BindFamilies(const std::vector<catalog::Entry>& entries,
                                               const std::vector<Family>& families);

// Expands the spec file `file` (its name, for messages) with text `text`
// and binds it. Errors name the file, the spec and the field or formula at
// fault.
Result<std::vector<WorkloadSpec>> ExpandSpecFile(const std::string& file, std::string_view text,
                                                 const std::vector<Family>& families);

}  // namespace effbench::workloads
