// Reads workload spec files and suite files (JSON, validated against
// schemas/workload.schema.json and schemas/suite.schema.json) and expands
// them into the catalog: one WorkloadSpec per shape × precision × backend.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "workloads/family.h"
#include "workloads/workload.h"

namespace effbench::workloads {

// Expands the spec file `file` (its name, for messages) with text `text`.
// Errors name the file, the spec and the field or formula at fault.
Result<std::vector<WorkloadSpec>> ExpandSpecFile(const std::string& file, std::string_view text,
                                                 const std::vector<Family>& families);

struct SuiteDef {
  std::string name;
  std::string description;
  int order = 0;
  std::vector<std::string> include;  // shell globs over workload ids
  std::vector<std::string> exclude;
  // What a first run of matching workloads costs on a two-core machine,
  // preparation included: (glob over ids, seconds), the first match applies.
  std::vector<std::pair<std::string, double>> estimates;
};

Result<SuiteDef> ParseSuiteFile(const std::string& file, std::string_view text);

// The members of `suite` among `catalog`, in catalog order.
std::vector<const WorkloadSpec*> SuiteMembers(const SuiteDef& suite,
                                              const std::vector<WorkloadSpec>& catalog);

}  // namespace effbench::workloads
