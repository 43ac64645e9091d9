#include "workloads/catalog/specs.h"

#include <fnmatch.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>

#include "core/json_schema.h"
#include "schemas/embedded.h"
#include "workloads/catalog/embedded_specs.h"
#include "workloads/catalog/formula.h"

namespace effbench::catalog {
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

// Replaces each {name} of `tmpl` by its value.
Result<std::string> FillTemplate(const std::string& tmpl,
                                 const std::map<std::string, int64_t>& values,
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
    } else if (auto it = values.find(name); it != values.end()) {
      out += std::to_string(it->second);
    } else {
      return Status::InvalidArgument("id template " + tmpl + " names unknown param {" + name + "}");
    }
    i = close;
  }
  return out;
}

// The shape's values: its params over the spec's defaults, then the derived
// values in order. `where` names the shape in errors.
Result<std::map<std::string, int64_t>> ShapeValues(const json& spec, const json& shape,
                                                   const std::string& where) {
  std::map<std::string, int64_t> values;
  if (spec.contains("defaults")) {
    for (const auto& [k, v] : spec["defaults"].items()) values[k] = v.get<int64_t>();
  }
  for (const auto& [k, v] : shape.items()) {
    if (!spec["params"].contains(k)) {
      return Status::InvalidArgument(where + ": unknown param '" + k + "'");
    }
    values[k] = v.get<int64_t>();
  }
  for (const auto& [k, meaning] : spec["params"].items()) {
    if (!values.count(k)) return Status::InvalidArgument(where + ": param '" + k + "' missing");
  }
  std::map<std::string, double> vars(values.begin(), values.end());
  const json no_derived = json::array();
  for (const json& d : spec.contains("derived") ? spec["derived"] : no_derived) {
    const std::string name = d[0];
    auto value = EvaluateFormula(d[1].get<std::string>(), vars);
    if (!value.ok()) return value.status().WithContext(where + ": derived " + name);
    if (*value != std::floor(*value)) {
      return Status::InvalidArgument(where + ": derived " + name + " = " + std::to_string(*value) +
                                     " is not an integer");
    }
    vars[name] = *value;
    values[name] = static_cast<int64_t>(*value);
  }
  return values;
}

// Each precision; for int8 each quantization scheme the spec lists, and for
// fp32 the dense variant and each sparsity it lists (before the spec's
// sparsity template is filled in).
std::vector<Variant> VariantsOf(const json& spec, const std::string& backend) {
  std::vector<Variant> variants;
  for (const std::string precision : spec["precisions"]) {
    if (precision == "int8" && spec.contains("quantizations")) {
      for (const std::string q : spec["quantizations"]) {
        variants.push_back({precision, "dense", backend, q});
      }
    } else {
      variants.push_back({precision, "dense", backend, ""});
    }
    if (precision == "fp32" && spec.contains("sparsities")) {
      for (const std::string sp : spec["sparsities"]) {
        variants.push_back({precision, sp, backend, ""});
      }
    }
  }
  return variants;
}

Result<std::vector<Entry>> ExpandSpec(const json& spec) {
  std::vector<Entry> out;
  auto formulas = std::make_shared<Formulas>();
  formulas->flop = spec["flop"];
  formulas->bytes = spec["bytes"];
  formulas->weight_bytes = spec.value("weight_bytes", "");
  formulas->backends = spec["backends"].get<std::vector<std::string>>();
  for (size_t si = 0; si < spec["shapes"].size(); ++si) {
    const std::string where = "shapes[" + std::to_string(si) + "]";
    auto values = ShapeValues(spec, spec["shapes"][si], where);
    if (!values.ok()) return values.status();
    for (const auto& backend : formulas->backends) {
      for (Variant variant : VariantsOf(spec, backend)) {
        if (spec.contains("sparsity")) {
          auto filled = FillTemplate(spec["sparsity"].get<std::string>(), *values, variant);
          if (!filled.ok()) return filled.status();
          variant.sparsity = *filled;
        }
        Entry e;
        e.family = spec["family"];
        auto id = FillTemplate(spec["id"].get<std::string>(), *values, variant);
        if (!id.ok()) return id.status();
        e.id = *id;
        e.variant = std::move(variant);
        e.values = *values;
        for (const auto& [k, meaning] : spec["params"].items())
          e.shape.emplace_back(k, e.values[k]);
        e.needs = DeclaredNeeds(e.family, e.variant);
        if (spec.contains("needs")) {
          for (const auto& need : spec["needs"]) e.needs.push_back(need);
        }
        e.formulas = formulas;
        out.push_back(std::move(e));
      }
    }
  }
  return out;
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), 0);
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

bool MatchesAny(const std::vector<std::string>& globs, const std::string& id) {
  return std::any_of(globs.begin(), globs.end(),
                     [&](const std::string& g) { return fnmatch(g.c_str(), id.c_str(), 0) == 0; });
}

struct Loaded {
  Status status;
  std::vector<Entry> entries;
  std::vector<Suite> suites;
  Relations relations;
};

Loaded Load() {
  Loaded l;
  for (const auto& file : EmbeddedSpecFiles()) {
    auto entries = ExpandSpecFile("workloads/specs/" + file.name, file.text, &l.relations);
    if (!entries.ok()) return Loaded{entries.status(), {}, {}, {}};
    for (auto& e : *entries) l.entries.push_back(std::move(e));
  }
  std::vector<std::string> ids;
  for (const auto& e : l.entries) ids.push_back(e.id);
  std::sort(ids.begin(), ids.end());
  if (auto dup = std::adjacent_find(ids.begin(), ids.end()); dup != ids.end()) {
    return Loaded{Status::InvalidArgument("workload id " + *dup + " is defined twice"), {}, {}, {}};
  }
  for (const auto& file : EmbeddedSuiteFiles()) {
    auto suite = ParseSuiteFile("workloads/suites/" + file.name, file.text);
    if (!suite.ok()) return Loaded{suite.status(), {}, {}, {}};
    l.suites.push_back(std::move(suite).value());
  }
  std::stable_sort(l.suites.begin(), l.suites.end(),
                   [](const Suite& a, const Suite& b) { return a.order < b.order; });
  return l;
}

const Loaded& Get() {
  static const Loaded loaded = Load();
  return loaded;
}

}  // namespace

bool Suite::Has(const std::string& id) const {
  return MatchesAny(include, id) && !MatchesAny(exclude, id);
}

Result<std::vector<Entry>> ExpandSpecFile(const std::string& file, std::string_view text,
                                          Relations* relations) {
  auto doc = ParseAndValidate(file, text, schemas::WorkloadSchemaJson());
  if (!doc.ok()) return doc.status();
  std::vector<Entry> out;
  for (size_t i = 0; i < doc->size(); ++i) {
    const json& spec = (*doc)[i];
    const std::string name = spec["family"];
    const std::string where = file + ": spec " + std::to_string(i) + " (" + name + ")";
    auto expanded = ExpandSpec(spec);
    if (!expanded.ok()) return expanded.status().WithContext(where);
    for (auto& e : *expanded) out.push_back(std::move(e));
    if (relations != nullptr && spec.contains("relations")) {
      EFFBENCH_RETURN_IF_ERROR(relations->Add(name, spec["relations"]).WithContext(where));
    }
  }
  return out;
}

Result<Suite> ParseSuiteFile(const std::string& file, std::string_view text) {
  auto doc = ParseAndValidate(file, text, schemas::SuiteSchemaJson());
  if (!doc.ok()) return doc.status();
  Suite s;
  s.name = (*doc)["name"];
  s.description = (*doc)["description"];
  s.order = doc->value("order", 0);
  s.include = (*doc)["include"].get<std::vector<std::string>>();
  if (doc->contains("exclude")) s.exclude = (*doc)["exclude"].get<std::vector<std::string>>();
  for (const auto& e : doc->value("estimates", json::array())) {
    s.estimates.emplace_back(e["workloads"].get<std::string>(), e["seconds"].get<double>());
  }
  return s;
}

std::vector<std::string> DeclaredNeeds(std::string_view family, const Variant& variant) {
  const bool onednn = variant.backend.rfind("onednn", 0) == 0;
  // oneDNN 2.6 has bf16 kernels from avx512_core up (emulated there, native
  // with avx512_core_bf16); below it no bf16 primitive can be created.
  if (onednn && variant.precision == "bf16") return {"isa:avx512_core"};
  // The NEON kernels (workloads/common/neon_kernels.h) are Arm's: Advanced
  // SIMD, and SDOT for int8 products (the 8-bit dot products of Armv8.2),
  // except the depthwise convolution's, which widens to 16 bits per tap.
  if (variant.backend == "neon") {
    if (variant.precision == "int8" && family != "conv.dw") return {"isa:dotprod"};
    return {"isa:armv8"};
  }
  return {};
}

const Status& SpecsStatus() { return Get().status; }

const std::vector<Entry>& Entries() { return Get().entries; }

const std::vector<Suite>& Suites() { return Get().suites; }

const Relations& KnownRelations() { return Get().relations; }

Result<std::vector<size_t>> Select(const std::optional<std::string>& suite,
                                   const std::optional<std::string>& pattern) {
  const Suite* in = nullptr;
  if (suite) {
    for (const Suite& s : Suites()) {
      if (s.name == *suite) in = &s;
    }
    if (in == nullptr) {
      std::string known;
      for (const Suite& s : Suites()) known += (known.empty() ? "" : ", ") + s.name;
      return Status::NotFound("unknown suite '" + *suite + "' (known: " + known + ")");
    }
  }
  std::vector<size_t> selected;
  const std::vector<Entry>& entries = Entries();
  for (size_t i = 0; i < entries.size(); ++i) {
    if (in != nullptr && !in->Has(entries[i].id)) continue;
    if (pattern && fnmatch(pattern->c_str(), entries[i].id.c_str(), 0) != 0) continue;
    selected.push_back(i);
  }
  if (selected.empty() && pattern) {
    std::string message = "no workload matches '" + *pattern + "'";
    if (suite) message += " in suite " + *suite;
    message += "; closest:";
    for (const auto& name : CloseIds(*pattern)) message += "\n  " + name;
    message += "\n(list them all with: effbench workloads)";
    return Status::NotFound(message);
  }
  return selected;
}

std::vector<std::string> CloseIds(const std::string& name, size_t limit) {
  // Glob characters say nothing about closeness; compare on the literal text.
  std::string literal;
  for (char c : name) {
    if (c != '*' && c != '?' && c != '[' && c != ']') literal += c;
  }
  std::vector<std::pair<size_t, std::string>> scored;
  for (const Entry& e : Entries()) scored.emplace_back(EditDistance(literal, e.id), e.id);
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && out.size() < limit; ++i) out.push_back(scored[i].second);
  return out;
}

std::optional<double> FirstRunEstimate(const std::string& id) {
  for (const Suite& s : Suites()) {
    for (const auto& [glob, seconds] : s.estimates) {
      if (fnmatch(glob.c_str(), id.c_str(), 0) == 0) return seconds;
    }
  }
  return std::nullopt;
}

}  // namespace effbench::catalog
