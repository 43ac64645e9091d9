#include "workloads/spec_loader.h"

#include <algorithm>
#include <map>

#include "workloads/catalog/formula.h"

namespace effbench::workloads {
namespace {

double InBytes(const std::string& precision) {
  if (precision == "fp32") return 4;
  if (precision == "bf16" || precision == "fp16") return 2;
  return 1;  // int8
}

bool Contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

Status CheckFamilyTakes(const catalog::Entry& e, const Family& family) {
  if (!Contains(family.precisions, e.variant.precision)) {
    return Status::InvalidArgument("precision " + e.variant.precision +
                                   " is not implemented by family " + family.name);
  }
  if (!Contains(family.backends, e.variant.backend)) {
    return Status::InvalidArgument("backend " + e.variant.backend +
                                   " is not implemented by family " + family.name);
  }
  for (const auto& required : family.required_params) {
    if (!e.values.count(required)) {
      return Status::InvalidArgument("family " + family.name + " needs param '" + required + "'");
    }
  }
  return Status::Ok();
}

Result<WorkloadSpec> Bind(const catalog::Entry& e, const Family& family) {
  EFFBENCH_RETURN_IF_ERROR(CheckFamilyTakes(e, family).WithContext(e.id));
  WorkloadSpec w;
  w.id = e.id;
  w.family = e.family;
  w.params = e.shape;
  w.variant = e.variant;
  w.needs = e.needs;
  const Params params(e.values.begin(), e.values.end());
  std::map<std::string, double> facts;
  if (family.facts) {
    auto computed = family.facts(params, w.variant);
    if (!computed.ok()) return computed.status().WithContext(e.id);
    facts = std::move(computed).value();
  }
  std::map<std::string, double> vars(e.values.begin(), e.values.end());
  for (const auto& [k, v] : facts) vars[k] = v;
  vars["in_bytes"] = InBytes(w.variant.precision);
  vars["out_bytes"] = 4;
  for (const auto& b : e.formulas->backends) vars["backend_" + b] = b == w.variant.backend ? 1 : 0;
  auto flop = EvaluateFormula(e.formulas->flop, vars);
  if (!flop.ok()) return flop.status().WithContext(w.id + ": flop");
  auto bytes = EvaluateFormula(e.formulas->bytes, vars);
  if (!bytes.ok()) return bytes.status().WithContext(w.id + ": bytes");
  w.flop = *flop;
  w.bytes = *bytes;
  if (!e.formulas->weight_bytes.empty()) {
    auto weights = EvaluateFormula(e.formulas->weight_bytes, vars);
    if (!weights.ok()) return weights.status().WithContext(w.id + ": weight_bytes");
    w.weight_bytes = *weights;
  }
  w.uses_threads = Contains(family.threaded_backends, w.variant.backend);
  w.facts.assign(facts.begin(), facts.end());
  w.prepare = [prepare = family.prepare, params, variant = w.variant](const RunConfig& config) {
    return prepare(params, variant, config);
  };
  return w;
}

}  // namespace

Result<std::vector<WorkloadSpec>> BindFamilies(const std::vector<catalog::Entry>& entries,
                                               const std::vector<Family>& families) {
  std::vector<WorkloadSpec> out;
  out.reserve(entries.size());
  for (const catalog::Entry& e : entries) {
    const auto family = std::find_if(families.begin(), families.end(),
                                     [&](const Family& f) { return f.name == e.family; });
    if (family == families.end()) {
      return Status::InvalidArgument("no C++ family implements '" + e.family + "'");
    }
    auto bound = Bind(e, *family);
    if (!bound.ok()) return bound.status().WithContext("family " + e.family);
    out.push_back(std::move(bound).value());
  }
  return out;
}

Result<std::vector<WorkloadSpec>> ExpandSpecFile(const std::string& file, std::string_view text,
                                                 const std::vector<Family>& families) {
  auto entries = catalog::ExpandSpecFile(file, text);
  if (!entries.ok()) return entries.status();
  auto bound = BindFamilies(*entries, families);
  if (!bound.ok()) return bound.status().WithContext(file);
  return bound;
}

}  // namespace effbench::workloads
