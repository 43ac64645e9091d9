#include "core/json_schema.h"

#include <simdjson.h>

#include <algorithm>
#include <boost/regex.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>
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
  uint8_t type_mask = 0;           // the same as bits of KindBit(); 0 when absent
  std::optional<json> const_value, enum_values;
  std::optional<double> minimum, maximum, exclusive_minimum;
  std::optional<size_t> min_length, max_length, min_items, max_items, min_props, max_props;
  std::string pattern_source;
  std::optional<boost::regex> pattern;
  std::unique_ptr<Node> items;
  std::vector<std::string> required;
  // Per property, its schema and, when it is required, its bit in a mask of
  // the required fields seen: one pass over an object's fields checks them.
  struct Property {
    std::string name;
    std::unique_ptr<Node> node;
    uint64_t required_bit = 0;
    uint64_t bit = 0;  // to notice a field given twice (first 64 properties)
  };
  std::vector<Property> properties;  // sorted by name

  // The property named `key`, or null. Objects tend to list their fields in
  // the same order every time (sorted, as nlohmann writes them), so the one
  // after the previous match (`*hint`) is tried before a binary search.
  const Property* Find(std::string_view key, size_t* hint) const {
    if (*hint < properties.size() && properties[*hint].name == key) return &properties[(*hint)++];
    const auto it =
        std::lower_bound(properties.begin(), properties.end(), key,
                         [](const Property& p, std::string_view k) { return p.name < k; });
    if (it == properties.end() || it->name != key) return nullptr;
    *hint = static_cast<size_t>(it - properties.begin()) + 1;
    return &*it;
  }
  uint64_t required_mask = 0;                   // the bits of all required properties
  std::vector<std::string> required_elsewhere;  // required, but not among the first 64 properties
  std::unique_ptr<Node> additional;             // null: any additional field is allowed
  std::unique_ptr<Node> if_, then_, else_;
};

}  // namespace

struct JsonSchema::Impl {
  std::unique_ptr<Node> root;
};

namespace {

// How Check sees a value, whichever parser produced it: nlohmann's tree (files,
// the CLI) or simdjson's DOM (the coordinator's ingest path).
enum class Kind { kNull, kBoolean, kInteger, kFloat, kString, kArray, kObject, kOther };

struct NlohmannValue {
  const json& v;

  Kind kind() const {
    switch (v.type()) {
      case json::value_t::null:
        return Kind::kNull;
      case json::value_t::boolean:
        return Kind::kBoolean;
      case json::value_t::number_integer:
      case json::value_t::number_unsigned:
        return Kind::kInteger;
      case json::value_t::number_float:
        return Kind::kFloat;
      case json::value_t::string:
        return Kind::kString;
      case json::value_t::array:
        return Kind::kArray;
      case json::value_t::object:
        return Kind::kObject;
      default:
        return Kind::kOther;
    }
  }
  double number() const { return v.get<double>(); }
  std::string_view string() const { return v.get_ref<const std::string&>(); }
  size_t size() const { return v.size(); }
  bool contains(const std::string& key) const { return v.contains(key); }
  template <typename F>
  bool ForEachItem(F&& f) const {  // f(index, value) -> bool; stops at false
    size_t i = 0;
    for (const json& item : v) {
      if (!f(i++, NlohmannValue{item})) return false;
    }
    return true;
  }
  template <typename F>
  bool ForEachField(F&& f) const {  // f(key, value) -> bool; stops at false
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!f(std::string_view(it.key()), NlohmannValue{it.value()})) return false;
    }
    return true;
  }
  bool Equals(const json& e) const { return e == v; }
  std::string Dump() const { return v.dump(); }
};

struct SimdjsonValue {
  simdjson::dom::element v;

  Kind kind() const {
    switch (v.type()) {
      case simdjson::dom::element_type::NULL_VALUE:
        return Kind::kNull;
      case simdjson::dom::element_type::BOOL:
        return Kind::kBoolean;
      case simdjson::dom::element_type::INT64:
      case simdjson::dom::element_type::UINT64:
        return Kind::kInteger;
      case simdjson::dom::element_type::DOUBLE:
        return Kind::kFloat;
      case simdjson::dom::element_type::STRING:
        return Kind::kString;
      case simdjson::dom::element_type::ARRAY:
        return Kind::kArray;
      case simdjson::dom::element_type::OBJECT:
        return Kind::kObject;
    }
    return Kind::kOther;
  }
  double number() const {
    switch (v.type()) {
      case simdjson::dom::element_type::INT64:
        return static_cast<double>(int64_t(v));
      case simdjson::dom::element_type::UINT64:
        return static_cast<double>(uint64_t(v));
      default:
        return double(v);
    }
  }
  std::string_view string() const { return std::string_view(v); }
  size_t size() const {
    if (v.is_array()) return simdjson::dom::array(v).size();
    return simdjson::dom::object(v).size();
  }
  bool contains(const std::string& key) const {
    return simdjson::dom::object(v)[key].error() == simdjson::SUCCESS;
  }
  template <typename F>
  bool ForEachItem(F&& f) const {
    size_t i = 0;
    for (simdjson::dom::element item : simdjson::dom::array(v)) {
      if (!f(i++, SimdjsonValue{item})) return false;
    }
    return true;
  }
  template <typename F>
  bool ForEachField(F&& f) const {
    for (simdjson::dom::key_value_pair field : simdjson::dom::object(v)) {
      if (!f(field.key, SimdjsonValue{field.value})) return false;
    }
    return true;
  }
  bool Equals(const json& e) const {
    switch (kind()) {
      case Kind::kNull:
        return e.is_null();
      case Kind::kBoolean:
        return e.is_boolean() && e.get<bool>() == bool(v);
      case Kind::kInteger:
      case Kind::kFloat:
        return e.is_number() && e.get<double>() == number();
      case Kind::kString:
        return e.is_string() && e.get_ref<const std::string&>() == string();
      default:  // arrays and objects: compare as nlohmann does
        return json::parse(Dump(), nullptr, false) == e;
    }
  }
  std::string Dump() const { return simdjson::minify(v); }
};

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kNull:
      return "null";
    case Kind::kBoolean:
      return "boolean";
    case Kind::kInteger:
      return "integer";
    case Kind::kFloat:
      return "number";
    case Kind::kString:
      return "string";
    case Kind::kArray:
      return "array";
    case Kind::kObject:
      return "object";
    default:
      return "unsupported";
  }
}

// The bits a value of `kind` has in a type mask: an integer is also a number.
constexpr uint8_t kNullBit = 1, kBooleanBit = 2, kIntegerBit = 4, kNumberBit = 8, kStringBit = 16,
                  kArrayBit = 32, kObjectBit = 64;

uint8_t TypeBit(const std::string& type) {
  if (type == "null") return kNullBit;
  if (type == "boolean") return kBooleanBit;
  if (type == "integer") return kIntegerBit;
  if (type == "number") return kNumberBit;
  if (type == "string") return kStringBit;
  if (type == "array") return kArrayBit;
  if (type == "object") return kObjectBit;
  return 0;
}

template <typename V>
bool HasType(const V& v, Kind kind, uint8_t mask) {
  switch (kind) {
    case Kind::kNull:
      return mask & kNullBit;
    case Kind::kBoolean:
      return mask & kBooleanBit;
    case Kind::kInteger:
      return mask & (kIntegerBit | kNumberBit);
    case Kind::kFloat: {
      if (mask & kNumberBit) return true;
      if (!(mask & kIntegerBit)) return false;
      const double x = v.number();
      return x == static_cast<double>(static_cast<int64_t>(x));
    }
    case Kind::kString:
      return mask & kStringBit;
    case Kind::kArray:
      return mask & kArrayBit;
    case Kind::kObject:
      return mask & kObjectBit;
    default:
      return false;
  }
}

template <typename V>
std::string Short(const V& v) {
  std::string s = v.Dump();
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
  // A keyword this validator does not implement would be ignored, and the
  // schema would allow what its author meant to refuse: refuse the schema.
  static const std::set<std::string> kKeywords = {
      "type", "const", "enum", "minimum", "maximum", "exclusiveMinimum", "minLength", "maxLength",
      "minItems", "maxItems", "minProperties", "maxProperties", "pattern", "items", "required",
      "properties", "additionalProperties", "if", "then", "else",
      // annotations
      "$schema", "$id", "$comment", "title", "description", "default", "examples"};
  for (const auto& [key, value] : s.items()) {
    if (!kKeywords.count(key)) {
      throw std::invalid_argument("keyword \"" + key + "\" is not implemented by this validator");
    }
  }
  if (auto it = s.find("type"); it != s.end()) {
    for (const json& t : it->is_array() ? *it : json::array({*it})) {
      n->types.push_back(t.get<std::string>());
      n->type_mask |= TypeBit(n->types.back());
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
    n->pattern.emplace(n->pattern_source, boost::regex::ECMAScript | boost::regex::optimize);
  }
  if (auto it = s.find("items"); it != s.end()) n->items = Compile(*it);
  if (auto it = s.find("required"); it != s.end()) {
    for (const json& name : *it) n->required.push_back(name.get<std::string>());
  }
  if (auto it = s.find("properties"); it != s.end()) {
    for (const auto& [name, sub] : it->items()) n->properties.push_back({name, Compile(sub)});
    std::sort(n->properties.begin(), n->properties.end(),
              [](const Node::Property& a, const Node::Property& b) { return a.name < b.name; });
    for (size_t i = 0; i < n->properties.size() && i < 64; ++i) {
      n->properties[i].bit = uint64_t{1} << i;
    }
  }
  int bit = 0;
  for (const std::string& name : n->required) {
    const auto p = std::find_if(n->properties.begin(), n->properties.end(),
                                [&](const Node::Property& q) { return q.name == name; });
    if (p == n->properties.end() || bit == 64) {
      n->required_elsewhere.push_back(name);
    } else if (p->required_bit == 0) {
      p->required_bit = uint64_t{1} << bit++;
      n->required_mask |= p->required_bit;
    }
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
  std::vector<size_t> order;  // per piece: index into keys, or into indices + (1 << 31)

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
template <typename V>
bool Check(const Node& n, const V& v, Path& path, std::string* error) {
  const auto fail = [&](const std::string& what, std::string_view child = {}) {
    if (error) *error = "field " + path.Text(child) + ": " + what;
    return false;
  };
  if (n.is_bool) return n.allow || fail("is not allowed");
  const Kind kind = v.kind();
  if (!n.types.empty()) {
    if (!HasType(v, kind, n.type_mask)) {
      std::string expected;
      for (const std::string& t : n.types) expected += (expected.empty() ? "" : " or ") + t;
      return fail("expected " + expected + ", got " + KindName(kind));
    }
  }
  if (n.const_value && !v.Equals(*n.const_value)) {
    return fail("must be " + n.const_value->dump() + ", got " + Short(v));
  }
  if (n.enum_values) {
    bool found = false;
    for (const json& e : *n.enum_values) found = found || v.Equals(e);
    if (!found) return fail("must be one of " + n.enum_values->dump() + ", got " + Short(v));
  }
  if (kind == Kind::kInteger || kind == Kind::kFloat) {
    const double x = v.number();
    if (n.minimum && x < *n.minimum)
      return fail("must be >= " + json(*n.minimum).dump() + ", got " + Short(v));
    if (n.maximum && x > *n.maximum)
      return fail("must be <= " + json(*n.maximum).dump() + ", got " + Short(v));
    if (n.exclusive_minimum && x <= *n.exclusive_minimum) {
      return fail("must be > " + json(*n.exclusive_minimum).dump() + ", got " + Short(v));
    }
  } else if (kind == Kind::kString) {
    const std::string_view str = v.string();
    if (n.min_length && str.size() < *n.min_length) {
      return fail("must have at least " + std::to_string(*n.min_length) + " characters");
    }
    if (n.max_length && str.size() > *n.max_length) {
      return fail("must have at most " + std::to_string(*n.max_length) + " characters");
    }
    if (n.pattern && !boost::regex_search(str.begin(), str.end(), *n.pattern)) {
      return fail("must match " + n.pattern_source + ", got " + Short(v));
    }
  } else if (kind == Kind::kArray) {
    const size_t size = v.size();
    if (n.min_items && size < *n.min_items) {
      return fail("must have at least " + std::to_string(*n.min_items) + " items, has " +
                  std::to_string(size));
    }
    if (n.max_items && size > *n.max_items) {
      return fail("must have at most " + std::to_string(*n.max_items) + " items");
    }
    if (n.items) {
      const bool ok = v.ForEachItem([&](size_t i, const V& item) {
        path.PushIndex(i);
        const bool item_ok = Check(*n.items, item, path, error);
        path.Pop();
        return item_ok;
      });
      if (!ok) return false;
    }
  } else if (kind == Kind::kObject) {
    if (n.min_props || n.max_props) {
      const size_t size = v.size();
      if (n.min_props && size < *n.min_props) {
        return fail("must have at least " + std::to_string(*n.min_props) + " fields");
      }
      if (n.max_props && size > *n.max_props) {
        return fail("must have at most " + std::to_string(*n.max_props) + " fields");
      }
    }
    // One pass: each field is checked against its schema, and the required
    // ones are ticked off. A missing field is reported before a wrong one,
    // so the pass goes on (checking nothing more) after a field fails.
    uint64_t seen = 0, given = 0;
    size_t hint = 0;
    bool field_failed = false;
    std::string field_error, unknown, twice;
    v.ForEachField([&](std::string_view key, const V& value) {
      const Node* child = nullptr;
      if (const Node::Property* p = n.Find(key, &hint)) {
        // A parser that keeps both (simdjson) would store one and check the
        // other: a field given twice is refused.
        if ((given & p->bit) && twice.empty()) twice = key;
        given |= p->bit;
        seen |= p->required_bit;
        child = p->node.get();
      } else if (n.additional) {
        if (n.additional->is_bool && !n.additional->allow) {
          if (!field_failed) unknown = key;
          field_failed = true;
        }
        child = n.additional.get();
      }
      if (!child || field_failed) return true;
      path.PushKey(key);
      field_failed = !Check(*child, value, path, error ? &field_error : nullptr);
      path.Pop();
      return true;
    });
    if (seen != n.required_mask || !n.required_elsewhere.empty()) {
      for (const std::string& name : n.required) {
        size_t at = 0;
        const Node::Property* p = n.Find(name, &at);
        const bool present =
            p && p->required_bit != 0 ? (seen & p->required_bit) != 0 : v.contains(name);
        if (!present) return fail("is required but missing", name);
      }
    }
    if (!twice.empty()) return fail("is given more than once", twice);
    if (!unknown.empty()) return fail("is not a known field", unknown);
    if (field_failed) {
      if (error) *error = std::move(field_error);
      return false;
    }
  }
  if (n.if_) {
    const bool holds = Check(*n.if_, v, path, nullptr);
    const Node* branch = holds ? n.then_.get() : n.else_.get();
    if (branch && !Check(*branch, v, path, error)) return false;
  }
  return true;
}

template <typename V>
Status ValidateValue(const Node& root, const V& v) {
  Path path;
  std::string error;
  if (Check(root, v, path, &error)) return Status::Ok();
  return Status::InvalidArgument(error);
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
  return ValidateValue(*impl_->root, NlohmannValue{instance});
}

Status JsonSchema::ValidateSimdjson(const simdjson::dom::element& instance) const {
  return ValidateValue(*impl_->root, SimdjsonValue{instance});
}

}  // namespace effbench
