#include "harness/engine/workload_selection.h"

#include <fnmatch.h>

#include <algorithm>
#include <numeric>

#include "workloads/catalog.h"

namespace effbench::engine {
namespace {

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

}  // namespace

std::vector<std::string> CloseNames(const std::string& name, size_t limit) {
  // Glob characters say nothing about closeness; compare on the literal text.
  std::string literal;
  for (char c : name) {
    if (c != '*' && c != '?' && c != '[' && c != ']') literal += c;
  }
  std::vector<std::pair<size_t, std::string>> scored;
  for (const auto& spec : workloads::Catalog()) {
    scored.emplace_back(EditDistance(literal, spec.id), spec.id);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && out.size() < limit; ++i) out.push_back(scored[i].second);
  return out;
}

Result<std::vector<const workloads::WorkloadSpec*>> SelectWorkloads(
    const std::optional<std::string>& suite, const std::optional<std::string>& pattern) {
  std::vector<const workloads::WorkloadSpec*> candidates;
  if (suite) {
    auto members = workloads::Suite(*suite);
    if (!members.ok()) return members.status();
    candidates = std::move(members).value();
  } else {
    for (const auto& spec : workloads::Catalog()) candidates.push_back(&spec);
  }
  if (!pattern) return candidates;
  std::vector<const workloads::WorkloadSpec*> selected;
  for (const auto* spec : candidates) {
    if (fnmatch(pattern->c_str(), spec->id.c_str(), 0) == 0) selected.push_back(spec);
  }
  if (selected.empty()) {
    std::string message = "no workload matches '" + *pattern + "'";
    if (suite) message += " in suite " + *suite;
    message += "; closest:";
    for (const auto& name : CloseNames(*pattern)) message += "\n  " + name;
    message += "\n(list them all with: effbench workloads)";
    return Status::NotFound(message);
  }
  return selected;
}

}  // namespace effbench::engine
