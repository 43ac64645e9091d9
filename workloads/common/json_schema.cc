#include "workloads/common/json_schema.h"

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>

namespace effbench {

using nlohmann::json;

struct JsonSchema::Impl {
  json schema;
  // Compiled patterns, keyed by their source text.
  mutable std::mutex mu;
  mutable std::map<std::string, std::regex> patterns;

  const std::regex& Pattern(const std::string& source) const {
    std::lock_guard<std::mutex> lock(mu);
    auto it = patterns.find(source);
    if (it == patterns.end()) it = patterns.emplace(source, std::regex(source)).first;
    return it->second;
  }

  Status Check(const json& s, const json& v, const std::string& path) const;
};

namespace {

std::string TypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    case json::value_t::number_float:
      return "number";
    case json::value_t::string:
      return "string";
    case json::value_t::array:
      return "array";
    case json::value_t::object:
      return "object";
    default:
      return "unsupported";
  }
}

bool HasType(const json& v, const std::string& type) {
  if (type == "number") return v.is_number();
  if (type == "integer") {
    if (v.is_number_integer()) return true;
    return v.is_number_float() && v.get<double>() == static_cast<double>(v.get<int64_t>());
  }
  return TypeName(v) == type;
}

Status Fail(const std::string& path, const std::string& what) {
  return Status::InvalidArgument("field " + (path.empty() ? std::string("(root)") : path) + ": " +
                                 what);
}

std::string Short(const json& v) {
  std::string s = v.dump();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

}  // namespace

Status JsonSchema::Impl::Check(const json& s, const json& v, const std::string& path) const {
  if (s.is_boolean()) return s.get<bool>() ? Status::Ok() : Fail(path, "is not allowed");
  if (!s.is_object()) return Status::Ok();

  if (auto it = s.find("type"); it != s.end()) {
    bool match = false;
    std::string expected;
    for (const json& t : it->is_array() ? *it : json::array({*it})) {
      match = match || HasType(v, t.get<std::string>());
      expected += (expected.empty() ? "" : " or ") + t.get<std::string>();
    }
    if (!match) return Fail(path, "expected " + expected + ", got " + TypeName(v));
  }
  if (auto it = s.find("const"); it != s.end() && v != *it) {
    return Fail(path, "must be " + it->dump() + ", got " + Short(v));
  }
  if (auto it = s.find("enum"); it != s.end()) {
    bool found = false;
    for (const json& e : *it) found = found || e == v;
    if (!found) return Fail(path, "must be one of " + it->dump() + ", got " + Short(v));
  }
  if (v.is_number()) {
    const double x = v.get<double>();
    if (auto it = s.find("minimum"); it != s.end() && x < it->get<double>()) {
      return Fail(path, "must be >= " + it->dump() + ", got " + Short(v));
    }
    if (auto it = s.find("maximum"); it != s.end() && x > it->get<double>()) {
      return Fail(path, "must be <= " + it->dump() + ", got " + Short(v));
    }
    if (auto it = s.find("exclusiveMinimum"); it != s.end() && x <= it->get<double>()) {
      return Fail(path, "must be > " + it->dump() + ", got " + Short(v));
    }
  }
  if (v.is_string()) {
    const auto& str = v.get_ref<const std::string&>();
    if (auto it = s.find("minLength"); it != s.end() && str.size() < it->get<size_t>()) {
      return Fail(path, "must have at least " + it->dump() + " characters");
    }
    if (auto it = s.find("maxLength"); it != s.end() && str.size() > it->get<size_t>()) {
      return Fail(path, "must have at most " + it->dump() + " characters");
    }
    if (auto it = s.find("pattern"); it != s.end()) {
      if (!std::regex_search(str, Pattern(it->get<std::string>()))) {
        return Fail(path, "must match " + it->get<std::string>() + ", got " + Short(v));
      }
    }
  }
  if (v.is_array()) {
    if (auto it = s.find("minItems"); it != s.end() && v.size() < it->get<size_t>()) {
      return Fail(path,
                  "must have at least " + it->dump() + " items, has " + std::to_string(v.size()));
    }
    if (auto it = s.find("maxItems"); it != s.end() && v.size() > it->get<size_t>()) {
      return Fail(path, "must have at most " + it->dump() + " items");
    }
    if (auto it = s.find("items"); it != s.end()) {
      for (size_t i = 0; i < v.size(); ++i) {
        EFFBENCH_RETURN_IF_ERROR(Check(*it, v[i], path + "/" + std::to_string(i)));
      }
    }
  }
  if (v.is_object()) {
    if (auto it = s.find("minProperties"); it != s.end() && v.size() < it->get<size_t>()) {
      return Fail(path, "must have at least " + it->dump() + " fields");
    }
    if (auto it = s.find("maxProperties"); it != s.end() && v.size() > it->get<size_t>()) {
      return Fail(path, "must have at most " + it->dump() + " fields");
    }
    if (auto it = s.find("required"); it != s.end()) {
      for (const json& name : *it) {
        if (!v.contains(name.get<std::string>())) {
          return Fail(path + "/" + name.get<std::string>(), "is required but missing");
        }
      }
    }
    const json* props = s.contains("properties") ? &s["properties"] : nullptr;
    const json* extra = s.contains("additionalProperties") ? &s["additionalProperties"] : nullptr;
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string child = path + "/" + it.key();
      if (props && props->contains(it.key())) {
        EFFBENCH_RETURN_IF_ERROR(Check((*props)[it.key()], it.value(), child));
      } else if (extra) {
        if (extra->is_boolean() && !extra->get<bool>()) return Fail(child, "is not a known field");
        EFFBENCH_RETURN_IF_ERROR(Check(*extra, it.value(), child));
      }
    }
  }
  if (auto it = s.find("if"); it != s.end()) {
    const bool holds = Check(*it, v, path).ok();
    const char* branch = holds ? "then" : "else";
    if (s.contains(branch)) EFFBENCH_RETURN_IF_ERROR(Check(s[branch], v, path));
  }
  return Status::Ok();
}

JsonSchema::JsonSchema(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsonSchema::JsonSchema(JsonSchema&&) noexcept = default;
JsonSchema& JsonSchema::operator=(JsonSchema&&) noexcept = default;
JsonSchema::~JsonSchema() = default;

Result<JsonSchema> JsonSchema::Parse(std::string_view schema_text) {
  auto impl = std::make_unique<Impl>();
  try {
    impl->schema = json::parse(schema_text);
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("schema is not valid JSON: ") + e.what());
  }
  return JsonSchema(std::move(impl));
}

Status JsonSchema::Validate(const json& instance) const {
  try {
    return impl_->Check(impl_->schema, instance, "");
  } catch (const std::exception& e) {  // a malformed schema keyword or a bad regex
    return Status::Internal(std::string("schema error: ") + e.what());
  }
}

}  // namespace effbench
