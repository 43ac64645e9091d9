// The catalog of every workload effbench knows, and the suites built from it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "workloads/common/status.h"
#include "workloads/workload.h"

namespace effbench::workloads {

// Every workload, in a stable order. Built once; the references stay valid.
const std::vector<WorkloadSpec>& Catalog();

// The names of the suites, smallest first.
std::vector<std::string> SuiteNames();

// The workloads of suite `name`, in catalog order, or NotFound.
Result<std::vector<const WorkloadSpec*>> Suite(std::string_view name);

// Backend and library versions compiled in, e.g. {"onednn", "2.6.3"}.
std::vector<std::pair<std::string, std::string>> BackendVersions();

}  // namespace effbench::workloads
