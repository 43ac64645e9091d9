#include "workloads/catalog/relations.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace effbench::catalog {
namespace {

// "family|name=value,..." over the shape's params, those in `drop` left out,
// in name order so that both sides of a pair build the same text.
std::string KeyOf(const std::string& family, const Shape& shape,
                  const std::vector<std::string>& drop) {
  std::map<std::string, int64_t> kept;
  for (const auto& [name, value] : shape) {
    if (std::find(drop.begin(), drop.end(), name) == drop.end()) kept[name] = value;
  }
  std::string key = family + "|";
  for (const auto& [name, value] : kept) key += name + "=" + std::to_string(value) + ",";
  return key;
}

}  // namespace

Status Relations::Add(const std::string& family, const nlohmann::json& relations) {
  if (!declared_.insert(family).second) {
    return Status::InvalidArgument("relations of family " + family + " are declared twice");
  }
  if (relations.contains("standard_twin")) {
    const nlohmann::json& t = relations["standard_twin"];
    Twin twin;
    twin.family = t["family"];
    twin.label = t["label"];
    if (twin.family == family) {
      return Status::InvalidArgument("family " + family + " is its own standard twin");
    }
    if (t.contains("with")) {
      for (const auto& [name, value] : t["with"].items()) twin.with[name] = value.get<int64_t>();
    }
    twin.except = t.value("except", std::vector<std::string>{});
    twins_[family] = std::move(twin);
  }
  if (relations.contains("teacher")) {
    const std::string teacher = relations["teacher"]["family"];
    if (teacher == family) {
      return Status::InvalidArgument("family " + family + " is its own teacher");
    }
    teachers_[family] = teacher;
  }
  return Status::Ok();
}

std::optional<Relations::ArchitectureSlot> Relations::Architecture(const std::string& family,
                                                                   const Shape& shape) const {
  if (const auto twin = twins_.find(family); twin != twins_.end()) {
    return ArchitectureSlot{true, KeyOf(twin->second.family, shape, twin->second.except),
                            twin->second.label};
  }
  // The standard side: the params the twin relation fixes must hold, and then
  // drop out of the key with those the efficient side leaves unmatched.
  for (const auto& [efficient, twin] : twins_) {
    if (twin.family != family) continue;
    std::vector<std::string> drop = twin.except;
    bool fits = true;
    for (const auto& [name, value] : twin.with) {
      const auto it = std::find_if(shape.begin(), shape.end(),
                                   [&](const auto& param) { return param.first == name; });
      fits = fits && it != shape.end() && it->second == value;
      drop.push_back(name);
    }
    if (fits) return ArchitectureSlot{false, KeyOf(family, shape, drop), ""};
  }
  return std::nullopt;
}

std::optional<std::string> Relations::TeacherOf(const std::string& family) const {
  const auto it = teachers_.find(family);
  if (it == teachers_.end()) return std::nullopt;
  return it->second;
}

}  // namespace effbench::catalog
