// The catalog of every workload effbench knows, and the suites built from it,
// expanded from the JSON files of workloads/specs/ and workloads/suites/
// (compiled into the binary; edit them and rebuild to add shapes or suites).
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

struct SuiteInfo {
  std::string name;
  std::string description;
};

// The suites, smallest first.
std::vector<SuiteInfo> Suites();
std::vector<std::string> SuiteNames();

// The workloads of suite `name`, in catalog order, or NotFound.
Result<std::vector<const WorkloadSpec*>> Suite(std::string_view name);

// What a first run of workload `id` costs on a two-core machine, preparation
// (training) included, as a suite estimates it; nullopt where none does.
std::optional<double> FirstRunEstimate(const std::string& id);

// Backend and library versions compiled in, e.g. {"onednn", "2.6.3"}.
std::vector<std::pair<std::string, std::string>> BackendVersions();

}  // namespace effbench::workloads
