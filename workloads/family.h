// A workload family: the C++ side of a spec in workloads/specs/. The spec
// (JSON) names the shapes, variants and formulas; the family prepares one
// workload from a shape's parameters and a variant.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "workloads/workload.h"

namespace effbench::workloads {

// A shape's parameters, defaults and integer derived values, by name.
using Params = std::map<std::string, int64_t>;

struct Family {
  std::string name;                     // matches the spec's "family"
  std::vector<std::string> precisions;  // what the C++ implements
  std::vector<std::string> backends;
  // Backends that honour RunConfig::threads; the others run on one thread.
  std::vector<std::string> threaded_backends;
  // The parameters every shape must have (after defaults and derived values).
  std::vector<std::string> required_params;
  std::function<Result<std::unique_ptr<PreparedWorkload>>(const Params&, const Variant&,
                                                          const RunConfig&)>
      prepare;
  // Optional: facts about a shape that only the C++ knows (a network's
  // parameter and MAC counts), usable in the spec's formulas and listed with
  // the workload.
  std::function<Result<std::map<std::string, double>>(const Params&, const Variant&)> facts;
};

}  // namespace effbench::workloads
