#include "workloads/catalog.h"

#include <algorithm>
#include <oneapi/dnnl/dnnl.hpp>

#include "workloads/catalog/specs.h"
#include "workloads/conv/conv.h"
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
};

Loaded Load() {
  if (!catalog::SpecsStatus().ok()) return Loaded{catalog::SpecsStatus(), {}};
  auto bound = BindFamilies(catalog::Entries(), Families());
  if (!bound.ok()) return Loaded{bound.status(), {}};
  return Loaded{Status::Ok(), std::move(bound).value()};
}

const Loaded& Get() {
  static const Loaded loaded = Load();
  return loaded;
}

}  // namespace

const Status& CatalogStatus() { return Get().status; }

const std::vector<WorkloadSpec>& Catalog() { return Get().catalog; }

Result<std::vector<const WorkloadSpec*>> Select(const std::optional<std::string>& suite,
                                                const std::optional<std::string>& pattern) {
  EFFBENCH_RETURN_IF_ERROR(CatalogStatus());
  auto selected = catalog::Select(suite, pattern);
  if (!selected.ok()) return selected.status();
  // BindFamilies keeps the entries' order: an entry's index is its spec's.
  std::vector<const WorkloadSpec*> out;
  for (size_t i : *selected) out.push_back(&Catalog()[i]);
  return out;
}

std::vector<std::pair<std::string, std::string>> BackendVersions() {
  const dnnl_version_t* v = dnnl::version();
  return {{"onednn", std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                         std::to_string(v->patch)}};
}

}  // namespace effbench::workloads
