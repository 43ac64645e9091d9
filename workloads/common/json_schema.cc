#include "workloads/common/json_schema.h"

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <vector>

namespace effbench {

using nlohmann::json;

namespace {

// The schema compiled once into a tree: keywords parsed, patterns compiled,
// properties indexed. Validation walks it without allocating; the path of a
// failing field is only spelled out when there is a failure to report.
struct Node {
  bool is_bool = false;  // a boolean schema: true allows anything, false nothing
  bool allow = true;
  std::vector<std::string> types;  // "type", empty when absent
  std::optional<json> const_value, enum_values;
  std::optional<double> minimum, maximum, exclusive_minimum;
  std::optional<size_t> min_length, max_length, min_items, max_items, min_props, max_props;
  std::string pattern_source;
  std::optional<std::regex> pattern;
  std::unique_ptr<Node> items;
  std::vector<std::string> required;
  std::map<std::string, std::unique_ptr<Node>, std::less<>> properties;
  std::unique_ptr<Node> additional;  // null: any additional field is allowed
  std::unique_ptr<Node> if_, then_, else_;
};

}  // namespace

struct JsonSchema::Impl {
  std::unique_ptr<Node> root;
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
  switch (v.type()) {
    case json::value_t::null:
      return type == "null";
    case json::value_t::boolean:
      return type == "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return type == "integer" || type == "number";
    case json::value_t::number_float:
      return type == "number" ||
             (type == "integer" && v.get<double>() == static_cast<double>(v.get<int64_t>()));
    case json::value_t::string:
      return type == "string";
    case json::value_t::array:
      return type == "array";
    case json::value_t::object:
      return type == "object";
    default:
      return false;
  }
}

std::string Short(const json& v) {
  std::string s = v.dump();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

template <typename T>
std::optional<T> Get(const json& s, const char* key) {
  const auto it = s.find(key);
  if (it == s.end()) return std::nullopt;
  return it->get<T>();
}

std::unique_ptr<Node> Compile(const json& s) {
  auto n = std::make_unique<Node>();
  if (s.is_boolean()) {
    n->is_bool = true;
    n->allow = s.get<bool>();
    return n;
  }
  if (!s.is_object()) return n;  // allows anything
  if (auto it = s.find("type"); it != s.end()) {
    for (const json& t : it->is_array() ? *it : json::array({*it})) {
      n->types.push_back(t.get<std::string>());
    }
  }
  if (auto it = s.find("const"); it != s.end()) n->const_value = *it;
  if (auto it = s.find("enum"); it != s.end()) n->enum_values = *it;
  n->minimum = Get<double>(s, "minimum");
  n->maximum = Get<double>(s, "maximum");
  n->exclusive_minimum = Get<double>(s, "exclusiveMinimum");
  n->min_length = Get<size_t>(s, "minLength");
  n->max_length = Get<size_t>(s, "maxLength");
  n->min_items = Get<size_t>(s, "minItems");
  n->max_items = Get<size_t>(s, "maxItems");
  n->min_props = Get<size_t>(s, "minProperties");
  n->max_props = Get<size_t>(s, "maxProperties");
  if (auto it = s.find("pattern"); it != s.end()) {
    n->pattern_source = it->get<std::string>();
    n->pattern.emplace(n->pattern_source, std::regex::ECMAScript | std::regex::optimize);
  }
  if (auto it = s.find("items"); it != s.end()) n->items = Compile(*it);
  if (auto it = s.find("required"); it != s.end()) {
    for (const json& name : *it) n->required.push_back(name.get<std::string>());
  }
  if (auto it = s.find("properties"); it != s.end()) {
    for (const auto& [name, sub] : it->items()) n->properties.emplace(name, Compile(sub));
  }
  if (auto it = s.find("additionalProperties"); it != s.end()) n->additional = Compile(*it);
  if (auto it = s.find("if"); it != s.end()) {
    n->if_ = Compile(*it);
    if (auto t = s.find("then"); t != s.end()) n->then_ = Compile(*t);
    if (auto e = s.find("else"); e != s.end()) n->else_ = Compile(*e);
  }
  return n;
}

// The path to the value being checked, as pieces; spelled out on failure only.
struct Path {
  std::vector<std::string_view> keys;
  std::vector<size_t> indices;
  std::vector<size_t> order;    // per piece: index into keys, or into indices + (1 << 31)

  void PushKey(std::string_view k) {
    order.push_back(keys.size());
    keys.push_back(k);
  }
  void PushIndex(size_t i) {
    order.push_back(indices.size() | (size_t{1} << 31));
    indices.push_back(i);
  }
  void Pop() {
    const size_t last = order.back();
    order.pop_back();
    if (last & (size_t{1} << 31)) {
      indices.pop_back();
    } else {
      keys.pop_back();
    }
  }
  std::string Text(std::string_view extra = {}) const {
    std::string s;
    for (size_t o : order) {
      s += '/';
      if (o & (size_t{1} << 31)) {
        s += std::to_string(indices[o & ~(size_t{1} << 31)]);
      } else {
        s.append(keys[o]);
      }
    }
    if (!extra.empty()) s.append("/").append(extra);
    return s.empty() ? "(root)" : s;
  }
};

// Checks `v` against `n`. On failure returns false and, unless `error` is
// null (inside "if"), says why.
bool Check(const Node& n, const json& v, Path& path, std::string* error) {
  const auto fail = [&](const std::string& what, std::string_view child = {}) {
    if (error) *error = "field " + path.Text(child) + ": " + what;
    return false;
  };
  if (n.is_bool) return n.allow || fail("is not allowed");
  if (!n.types.empty()) {
    bool match = false;
    for (const std::string& t : n.types) match = match || HasType(v, t);
    if (!match) {
      std::string expected;
      for (const std::string& t : n.types) expected += (expected.empty() ? "" : " or ") + t;
      return fail("expected " + expected + ", got " + TypeName(v));
    }
  }
  if (n.const_value && v != *n.const_value) {
    return fail("must be " + n.const_value->dump() + ", got " + Short(v));
  }
  if (n.enum_values) {
    bool found = false;
    for (const json& e : *n.enum_values) found = found || e == v;
    if (!found) return fail("must be one of " + n.enum_values->dump() + ", got " + Short(v));
  }
  if (v.is_number()) {
    const double x = v.get<double>();
    if (n.minimum && x < *n.minimum)
      return fail("must be >= " + json(*n.minimum).dump() + ", got " + Short(v));
    if (n.maximum && x > *n.maximum)
      return fail("must be <= " + json(*n.maximum).dump() + ", got " + Short(v));
    if (n.exclusive_minimum && x <= *n.exclusive_minimum) {
      return fail("must be > " + json(*n.exclusive_minimum).dump() + ", got " + Short(v));
    }
  } else if (v.is_string()) {
    const auto& str = v.get_ref<const std::string&>();
    if (n.min_length && str.size() < *n.min_length) {
      return fail("must have at least " + std::to_string(*n.min_length) + " characters");
    }
    if (n.max_length && str.size() > *n.max_length) {
      return fail("must have at most " + std::to_string(*n.max_length) + " characters");
    }
    if (n.pattern && !std::regex_search(str, *n.pattern)) {
      return fail("must match " + n.pattern_source + ", got " + Short(v));
    }
  } else if (v.is_array()) {
    if (n.min_items && v.size() < *n.min_items) {
      return fail("must have at least " + std::to_string(*n.min_items) + " items, has " +
                  std::to_string(v.size()));
    }
    if (n.max_items && v.size() > *n.max_items) {
      return fail("must have at most " + std::to_string(*n.max_items) + " items");
    }
    if (n.items) {
      for (size_t i = 0; i < v.size(); ++i) {
        path.PushIndex(i);
        const bool ok = Check(*n.items, v[i], path, error);
        path.Pop();
        if (!ok) return false;
      }
    }
  } else if (v.is_object()) {
    if (n.min_props && v.size() < *n.min_props) {
      return fail("must have at least " + std::to_string(*n.min_props) + " fields");
    }
    if (n.max_props && v.size() > *n.max_props) {
      return fail("must have at most " + std::to_string(*n.max_props) + " fields");
    }
    for (const std::string& name : n.required) {
      if (!v.contains(name)) return fail("is required but missing", name);
    }
    for (auto it = v.begin(); it != v.end(); ++it) {
      const Node* child = nullptr;
      if (auto p = n.properties.find(it.key()); p != n.properties.end()) {
        child = p->second.get();
      } else if (n.additional) {
        if (n.additional->is_bool && !n.additional->allow)
          return fail("is not a known field", it.key());
        child = n.additional.get();
      }
      if (!child) continue;
      path.PushKey(it.key());
      const bool ok = Check(*child, it.value(), path, error);
      path.Pop();
      if (!ok) return false;
    }
  }
  if (n.if_) {
    const bool holds = Check(*n.if_, v, path, nullptr);
    const Node* branch = holds ? n.then_.get() : n.else_.get();
    if (branch && !Check(*branch, v, path, error)) return false;
  }
  return true;
}

}  // namespace

JsonSchema::JsonSchema(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsonSchema::JsonSchema(JsonSchema&&) noexcept = default;
JsonSchema& JsonSchema::operator=(JsonSchema&&) noexcept = default;
JsonSchema::~JsonSchema() = default;

Result<JsonSchema> JsonSchema::Parse(std::string_view schema_text) {
  auto impl = std::make_unique<Impl>();
  try {
    impl->root = Compile(json::parse(schema_text));
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("schema is not valid JSON: ") + e.what());
  } catch (const std::exception& e) {  // a malformed keyword or a bad regex
    return Status::InvalidArgument(std::string("schema is not valid: ") + e.what());
  }
  return JsonSchema(std::move(impl));
}

Status JsonSchema::Validate(const json& instance) const {
  Path path;
  std::string error;
  if (Check(*impl_->root, instance, path, &error)) return Status::Ok();
  return Status::InvalidArgument(error);
}

}  // namespace effbench
