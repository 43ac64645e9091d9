// The workloads effbench knows, as its spec files name them, and the suites
// built from them: each workload's id, shape, variant and needs, and how the
// reports relate families. No kernel is here: the coordinator and the store
// resolve suites through this library, and the kernel library binds its C++
// families to these entries (workloads/catalog.h).
//
// Spec and suite files (JSON, validated against schemas/workload.schema.json
// and schemas/suite.schema.json) live in workloads/specs/ and
// workloads/suites/ and are compiled in.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/measurement.h"
#include "core/status.h"
#include "workloads/catalog/relations.h"

namespace effbench::catalog {

// What a spec says one run of its workloads costs, as formulas over the
// shape's values and the family's facts (workloads/catalog/formula.h).
struct Formulas {
  std::string flop, bytes, weight_bytes;  // weight_bytes empty: no weights
  std::vector<std::string> backends;      // the spec's, for backend_NAME
};

// One workload of a spec: one shape in one variant.
struct Entry {
  std::string id;      // gemm.int8/m1024n1024k1024@onednn
  std::string family;  // gemm
  Shape shape;         // the spec's params, in its order
  // The params with their defaults and the derived values.
  std::map<std::string, int64_t> values;
  Variant variant;
  // What it needs from the machine ("isa:avx512_core", "dataset:...").
  std::vector<std::string> needs;
  std::shared_ptr<const Formulas> formulas;
};

struct Suite {
  std::string name;
  std::string description;
  int order = 0;
  std::vector<std::string> include;  // shell globs over workload ids
  std::vector<std::string> exclude;
  // What a first run of matching workloads costs on a two-core machine,
  // preparation included: (glob over ids, seconds), the first match applies.
  std::vector<std::pair<std::string, double>> estimates;
  bool Has(const std::string& id) const;
};

// Expands the spec file `file` (its name, for messages) with text `text`:
// one entry per shape × variant × backend. The families' relations go into
// `relations` when given. Errors name the file, the spec and the field or
// formula at fault.
Result<std::vector<Entry>> ExpandSpecFile(const std::string& file, std::string_view text,
                                          Relations* relations = nullptr);

Result<Suite> ParseSuiteFile(const std::string& file, std::string_view text);

// The needs of `variant` of `family` that follow from its backend (the ISA a
// backend's kernels need for a precision). Specs may add their own.
std::vector<std::string> DeclaredNeeds(std::string_view family, const Variant& variant);

// The compiled-in catalog.

// OK, or why the spec or suite files could not be loaded (then the catalog
// is empty). Check it before using the catalog.
const Status& SpecsStatus();

// Every workload, in a stable order. Built once; the references stay valid.
const std::vector<Entry>& Entries();

// The suites, smallest first.
const std::vector<Suite>& Suites();

// The families' relations, from every spec.
const Relations& KnownRelations();

// The entries (indexes into Entries()) of `suite` (the whole catalog when
// nullopt) whose ids match the shell glob `pattern` (all when nullopt), in
// catalog order. NotFound for an unknown suite (naming the known ones), or,
// naming the closest ids, when the pattern matches nothing.
Result<std::vector<size_t>> Select(const std::optional<std::string>& suite,
                                   const std::optional<std::string>& pattern);

// Up to `limit` ids closest to `name` by edit distance.
std::vector<std::string> CloseIds(const std::string& name, size_t limit = 3);

// What a first run of workload `id` costs on a two-core machine, preparation
// (training) included, as a suite estimates it; nullopt where none does.
std::optional<double> FirstRunEstimate(const std::string& id);

}  // namespace effbench::catalog
