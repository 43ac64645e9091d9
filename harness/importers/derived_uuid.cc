#include "harness/importers/derived_uuid.h"

#include "harness/machine/inventory.h"

namespace effbench::importers {

std::string DerivedUuid(const std::string& seed) {
  std::string h = machine::Sha256Hex(seed).substr(0, 32);
  h[12] = '8';
  h[16] = "89ab"[std::stoi(h.substr(16, 1), nullptr, 16) & 3];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

}  // namespace effbench::importers
