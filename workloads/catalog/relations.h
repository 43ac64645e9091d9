// What the reports compare a family with, as its spec declares it under
// "relations" (schemas/workload.schema.json):
//   standard_twin  an efficient architecture's standard counterpart on the
//                  same input (block.dws against conv.std at k = 3), whose
//                  speed the machine comparison's "architecture" rows divide;
//   teacher        a distilled student's teacher at the same shape, whose
//                  speed and accuracy the student's are compared with.
// A trained model's compressed variants need no relation: they are the
// variants (quantizations, sparsities) of its own family.
//
// The analysis asks these questions with a result's family and shape
// parameters, and knows no workload by name: a new family reaches the
// reports through its spec alone.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace effbench::catalog {

// A workload's shape: each param and its value.
using Shape = std::vector<std::pair<std::string, int64_t>>;

class Relations {
 public:
  // Reads the "relations" object of family `family`'s spec. A family may be
  // declared once.
  Status Add(const std::string& family, const nlohmann::json& relations);

  // Where a workload stands among efficient architectures and their twins:
  // whether it is the efficient side, the key both sides share (the twin's
  // family with the shape both have) and, for the efficient side, what its
  // speedup is over. nullopt when the workload is neither, or when its shape
  // does not match what its twin relation requires (a 1×1 standard conv).
  struct ArchitectureSlot {
    bool efficient = false;
    std::string key;
    std::string label;
  };
  std::optional<ArchitectureSlot> Architecture(const std::string& family, const Shape& shape) const;

  // The family of a distilled student's teacher; nullopt for other families.
  std::optional<std::string> TeacherOf(const std::string& family) const;

 private:
  struct Twin {
    std::string family;
    std::map<std::string, int64_t> with;
    std::vector<std::string> except;
    std::string label;
  };
  std::map<std::string, Twin> twins_;            // by the efficient family
  std::map<std::string, std::string> teachers_;  // by the student family
  std::set<std::string> declared_;               // families whose relations were read
};

}  // namespace effbench::catalog
