#include "workloads/catalog.h"

#include <oneapi/dnnl/dnnl.hpp>

#include "workloads/gemm/gemm.h"

namespace effbench::workloads {
namespace {

// The quick suite: every precision of every backend once, on shapes that keep
// it under a minute on two cores (the large DeepBench shapes are in standard).
bool InQuickSuite(const WorkloadSpec& spec) {
  if (spec.family != "gemm") return false;
  const bool small = spec.id.find("/m35n700k2048@") != std::string::npos ||
                     spec.id.find("/m3072n1k1024@") != std::string::npos;
  const bool square = spec.id.find("/m1024n1024k1024@") != std::string::npos;
  return small || (square && spec.variant.backend == "onednn");
}

}  // namespace

const std::vector<WorkloadSpec>& Catalog() {
  static const std::vector<WorkloadSpec> catalog = [] {
    std::vector<WorkloadSpec> all;
    for (auto& spec : gemm::Workloads()) all.push_back(std::move(spec));
    return all;
  }();
  return catalog;
}

std::vector<std::string> SuiteNames() { return {"quick", "standard"}; }

Result<std::vector<const WorkloadSpec*>> Suite(std::string_view name) {
  std::vector<const WorkloadSpec*> out;
  if (name == "quick") {
    for (const auto& spec : Catalog()) {
      if (InQuickSuite(spec)) out.push_back(&spec);
    }
  } else if (name == "standard") {
    for (const auto& spec : Catalog()) out.push_back(&spec);
  } else {
    return Status::NotFound("unknown suite '" + std::string(name) + "' (known: quick, standard)");
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> BackendVersions() {
  const dnnl_version_t* v = dnnl::version();
  return {{"onednn", std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                         std::to_string(v->patch)}};
}

}  // namespace effbench::workloads
