#include "workloads/catalog.h"

#include <fnmatch.h>

#include <algorithm>
#include <oneapi/dnnl/dnnl.hpp>

#include "workloads/conv/conv.h"
#include "workloads/embedded_specs.h"
#include "workloads/family.h"
#include "workloads/gemm/gemm.h"
#include "workloads/kd/kd.h"
#include "workloads/nets/net.h"
#include "workloads/quant/quant.h"
#include "workloads/spec_loader.h"
#include "workloads/spmm/spmm.h"
#include "workloads/train/train_families.h"

namespace effbench::workloads {
namespace {

std::vector<Family> Families() {
  std::vector<Family> families = {gemm::MakeFamily(), spmm::MakeFamily()};
  for (auto& f : conv::MakeFamilies()) families.push_back(std::move(f));
  for (auto& f : nets::MakeFamilies()) families.push_back(std::move(f));
  for (auto& f : quant::MakeFamilies()) families.push_back(std::move(f));
  for (auto& f : kd::MakeFamilies()) families.push_back(std::move(f));
  for (auto& f : train::MakeFamilies()) families.push_back(std::move(f));
  return families;
}

struct Loaded {
  Status status;
  std::vector<WorkloadSpec> catalog;
  std::vector<SuiteDef> suites;
};

Loaded Load() {
  Loaded l;
  const std::vector<Family> families = Families();
  for (const auto& file : EmbeddedSpecFiles()) {
    auto specs = ExpandSpecFile("workloads/specs/" + file.name, file.text, families);
    if (!specs.ok()) return Loaded{specs.status(), {}, {}};
    for (auto& w : *specs) l.catalog.push_back(std::move(w));
  }
  std::vector<std::string> ids;
  for (const auto& w : l.catalog) ids.push_back(w.id);
  std::sort(ids.begin(), ids.end());
  if (auto dup = std::adjacent_find(ids.begin(), ids.end()); dup != ids.end()) {
    return Loaded{Status::InvalidArgument("workload id " + *dup + " is defined twice"), {}, {}};
  }
  for (const auto& file : EmbeddedSuiteFiles()) {
    auto suite = ParseSuiteFile("workloads/suites/" + file.name, file.text);
    if (!suite.ok()) return Loaded{suite.status(), {}, {}};
    l.suites.push_back(std::move(suite).value());
  }
  std::stable_sort(l.suites.begin(), l.suites.end(),
                   [](const SuiteDef& a, const SuiteDef& b) { return a.order < b.order; });
  return l;
}

const Loaded& Get() {
  static const Loaded loaded = Load();
  return loaded;
}

}  // namespace

const Status& CatalogStatus() { return Get().status; }

const std::vector<WorkloadSpec>& Catalog() { return Get().catalog; }

std::vector<SuiteInfo> Suites() {
  std::vector<SuiteInfo> out;
  for (const auto& s : Get().suites) out.push_back({s.name, s.description});
  return out;
}

std::optional<double> FirstRunEstimate(const std::string& id) {
  for (const auto& s : Get().suites) {
    for (const auto& [glob, seconds] : s.estimates) {
      if (fnmatch(glob.c_str(), id.c_str(), 0) == 0) return seconds;
    }
  }
  return std::nullopt;
}

std::vector<std::string> SuiteNames() {
  std::vector<std::string> out;
  for (const auto& s : Get().suites) out.push_back(s.name);
  return out;
}

Result<std::vector<const WorkloadSpec*>> Suite(std::string_view name) {
  for (const auto& s : Get().suites) {
    if (s.name == name) return SuiteMembers(s, Get().catalog);
  }
  std::string known;
  for (const auto& s : Get().suites) known += (known.empty() ? "" : ", ") + s.name;
  return Status::NotFound("unknown suite '" + std::string(name) + "' (known: " + known + ")");
}

std::vector<std::pair<std::string, std::string>> BackendVersions() {
  const dnnl_version_t* v = dnnl::version();
  return {{"onednn", std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                         std::to_string(v->patch)}};
}

}  // namespace effbench::workloads
