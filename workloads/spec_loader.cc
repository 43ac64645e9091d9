#include "workloads/spec_loader.h"

#include <fnmatch.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/json_schema.h"
#include "schemas/embedded.h"
#include "workloads/capability.h"
#include "workloads/common/formula.h"

namespace effbench::workloads {
namespace {

using nlohmann::json;

Result<json> ParseAndValidate(const std::string& file, std::string_view text,
                              std::string_view schema_text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    return Status::InvalidArgument(file + ": not valid JSON: " + e.what());
  }
  auto schema = JsonSchema::Parse(schema_text);
  if (!schema.ok()) return schema.status();
  EFFBENCH_RETURN_IF_ERROR(schema->Validate(doc).WithContext(file));
  return doc;
}

double InBytes(const std::string& precision) {
  if (precision == "fp32") return 4;
  if (precision == "bf16" || precision == "fp16") return 2;
  return 1;  // int8
}

bool Contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// Replaces each {name} of `tmpl` by its value.
Result<std::string> FillTemplate(const std::string& tmpl, const Params& params,
                                 const Variant& variant) {
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '{') {
      out += tmpl[i];
      continue;
    }
    const size_t close = tmpl.find('}', i);
    if (close == std::string::npos) return Status::InvalidArgument("unclosed '{' in id " + tmpl);
    const std::string name = tmpl.substr(i + 1, close - i - 1);
    if (name == "precision") {
      out += variant.precision;
    } else if (name == "variant") {  // the precision, and the quantization or sparsity
      out += variant.precision;
      if (!variant.quantization.empty()) out += "_" + variant.quantization;
      if (variant.sparsity != "dense") out += "_" + variant.sparsity;
    } else if (name == "backend") {
      out += variant.backend;
    } else if (auto it = params.find(name); it != params.end()) {
      out += std::to_string(it->second);
    } else {
      return Status::InvalidArgument("id template " + tmpl + " names unknown param {" + name + "}");
    }
    i = close;
  }
  return out;
}

Result<std::vector<WorkloadSpec>> ExpandSpec(const json& spec, const Family& family) {
  std::vector<WorkloadSpec> out;
  const auto precisions = spec["precisions"].get<std::vector<std::string>>();
  const auto backends = spec["backends"].get<std::vector<std::string>>();
  for (const auto& p : precisions) {
    if (!Contains(family.precisions, p)) {
      return Status::InvalidArgument("precision " + p + " is not implemented by family " +
                                     family.name);
    }
  }
  for (const auto& b : backends) {
    if (!Contains(family.backends, b)) {
      return Status::InvalidArgument("backend " + b + " is not implemented by family " +
                                     family.name);
    }
  }
  for (size_t si = 0; si < spec["shapes"].size(); ++si) {
    const json& shape = spec["shapes"][si];
    const std::string where = "shapes[" + std::to_string(si) + "]";
    Params params;
    if (spec.contains("defaults")) {
      for (const auto& [k, v] : spec["defaults"].items()) params[k] = v.get<int64_t>();
    }
    for (const auto& [k, v] : shape.items()) {
      if (!spec["params"].contains(k)) {
        return Status::InvalidArgument(where + ": unknown param '" + k + "'");
      }
      params[k] = v.get<int64_t>();
    }
    for (const auto& [k, meaning] : spec["params"].items()) {
      if (!params.count(k)) return Status::InvalidArgument(where + ": param '" + k + "' missing");
    }
    std::map<std::string, double> vars(params.begin(), params.end());
    if (spec.contains("derived")) {
      for (const json& d : spec["derived"]) {
        const std::string name = d[0];
        auto value = EvaluateFormula(d[1].get<std::string>(), vars);
        if (!value.ok()) return value.status().WithContext(where + ": derived " + name);
        if (*value != std::floor(*value)) {
          return Status::InvalidArgument(where + ": derived " + name + " = " +
                                         std::to_string(*value) + " is not an integer");
        }
        vars[name] = *value;
        params[name] = static_cast<int64_t>(*value);
      }
    }
    for (const auto& required : family.required_params) {
      if (!params.count(required)) {
        return Status::InvalidArgument(where + ": family " + family.name + " needs param '" +
                                       required + "'");
      }
    }
    // Each precision; for int8 each quantization scheme the spec lists, and
    // for fp32 the dense variant and each sparsity it lists.
    struct Kind {
      std::string precision, quantization, sparsity;
    };
    std::vector<Kind> variants;
    for (const auto& precision : precisions) {
      if (precision == "int8" && spec.contains("quantizations")) {
        for (const auto& q : spec["quantizations"]) variants.push_back({precision, q, ""});
      } else {
        variants.push_back({precision, "", ""});
      }
      if (precision == "fp32" && spec.contains("sparsities")) {
        for (const auto& sp : spec["sparsities"]) variants.push_back({precision, "", sp});
      }
    }
    for (const auto& backend : backends) {
      for (const auto& [precision, quantization, sparsity] : variants) {
        WorkloadSpec w;
        w.family = family.name;
        w.variant =
            Variant{precision, sparsity.empty() ? "dense" : sparsity, backend, quantization};
        std::map<std::string, double> facts;
        if (family.facts) {
          auto computed = family.facts(params, w.variant);
          if (!computed.ok()) return computed.status().WithContext(where);
          facts = std::move(computed).value();
        }
        if (spec.contains("sparsity")) {
          auto filled = FillTemplate(spec["sparsity"].get<std::string>(), params, w.variant);
          if (!filled.ok()) return filled.status();
          w.variant.sparsity = *filled;
        }
        auto id = FillTemplate(spec["id"].get<std::string>(), params, w.variant);
        if (!id.ok()) return id.status();
        w.id = *id;
        w.needs = DeclaredNeeds(w.variant);
        if (spec.contains("needs")) {
          for (const auto& need : spec["needs"]) w.needs.push_back(need.get<std::string>());
        }
        for (const auto& [k, meaning] : spec["params"].items()) w.params.emplace_back(k, params[k]);
        std::map<std::string, double> work_vars = vars;
        for (const auto& [k, v] : facts) work_vars[k] = v;
        work_vars["in_bytes"] = InBytes(precision);
        work_vars["out_bytes"] = 4;
        for (const auto& b : backends) work_vars["backend_" + b] = b == backend ? 1 : 0;
        auto flop = EvaluateFormula(spec["flop"].get<std::string>(), work_vars);
        if (!flop.ok()) return flop.status().WithContext(w.id + ": flop");
        auto bytes = EvaluateFormula(spec["bytes"].get<std::string>(), work_vars);
        if (!bytes.ok()) return bytes.status().WithContext(w.id + ": bytes");
        w.flop = *flop;
        w.bytes = *bytes;
        if (spec.contains("weight_bytes")) {
          auto weights = EvaluateFormula(spec["weight_bytes"].get<std::string>(), work_vars);
          if (!weights.ok()) return weights.status().WithContext(w.id + ": weight_bytes");
          w.weight_bytes = *weights;
        }
        w.uses_threads = Contains(family.threaded_backends, backend);
        w.facts.assign(facts.begin(), facts.end());
        const auto prepare = family.prepare;
        w.prepare = [prepare, params, variant = w.variant](const RunConfig& config) {
          return prepare(params, variant, config);
        };
        out.push_back(std::move(w));
      }
    }
  }
  return out;
}

}  // namespace

Result<std::vector<WorkloadSpec>> ExpandSpecFile(const std::string& file, std::string_view text,
                                                 const std::vector<Family>& families) {
  auto doc = ParseAndValidate(file, text, schemas::WorkloadSchemaJson());
  if (!doc.ok()) return doc.status();
  std::vector<WorkloadSpec> out;
  for (size_t i = 0; i < doc->size(); ++i) {
    const json& spec = (*doc)[i];
    const std::string name = spec["family"];
    const auto family = std::find_if(families.begin(), families.end(),
                                     [&](const Family& f) { return f.name == name; });
    const std::string where = file + ": spec " + std::to_string(i) + " (" + name + ")";
    if (family == families.end()) {
      return Status::InvalidArgument(where + ": no C++ family implements '" + name + "'");
    }
    auto expanded = ExpandSpec(spec, *family);
    if (!expanded.ok()) return expanded.status().WithContext(where);
    for (auto& w : *expanded) out.push_back(std::move(w));
  }
  return out;
}

Result<SuiteDef> ParseSuiteFile(const std::string& file, std::string_view text) {
  auto doc = ParseAndValidate(file, text, schemas::SuiteSchemaJson());
  if (!doc.ok()) return doc.status();
  SuiteDef s;
  s.name = (*doc)["name"];
  s.description = (*doc)["description"];
  s.order = doc->value("order", 0);
  s.include = (*doc)["include"].get<std::vector<std::string>>();
  if (doc->contains("exclude")) s.exclude = (*doc)["exclude"].get<std::vector<std::string>>();
  for (const auto& e : doc->value("estimates", nlohmann::json::array())) {
    s.estimates.emplace_back(e["workloads"].get<std::string>(), e["seconds"].get<double>());
  }
  return s;
}

std::vector<const WorkloadSpec*> SuiteMembers(const SuiteDef& suite,
                                              const std::vector<WorkloadSpec>& catalog) {
  const auto matches = [](const std::vector<std::string>& globs, const std::string& id) {
    return std::any_of(globs.begin(), globs.end(), [&](const std::string& g) {
      return fnmatch(g.c_str(), id.c_str(), 0) == 0;
    });
  };
  std::vector<const WorkloadSpec*> out;
  for (const auto& w : catalog) {
    if (matches(suite.include, w.id) && !matches(suite.exclude, w.id)) out.push_back(&w);
  }
  return out;
}

}  // namespace effbench::workloads
