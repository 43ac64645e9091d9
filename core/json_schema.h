// A JSON Schema validator for the subset of draft 2020-12 that effbench's
// schemas use: type, enum, const, properties, required, additionalProperties
// (boolean or schema), minProperties, maxProperties, items, minItems, maxItems, minimum, maximum,
// exclusiveMinimum, minLength, maxLength, pattern, and if/then/else.
// Unknown keywords are ignored, as the specification says. One compiled schema
// validates nlohmann::json documents and simdjson DOM elements alike, with the
// same messages; the coordinator's ingest path uses the latter.
//
// Kept by hand, measured against Debian's valijson 1.0 (libvalijson-dev;
// tests/bench/schema_validation.cc, one result record): 4.8 us here against
// valijson's 36 us on nlohmann::json, and 3.9 us on a simdjson DOM, which
// valijson has no adapter for. The coordinator spends about 20 us of CPU per
// ingested record in all; valijson would more than double it. Its messages
// also name less: "<root>[stats][median_ns]: Value type not permitted by 'type'
// constraint" against "field /stats/median_ns: expected number or null, got string".
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "core/status.h"

namespace simdjson::dom {
class element;
}  // namespace simdjson::dom

namespace effbench {

class JsonSchema {
 public:
  // Parses `schema_text`; returns InvalidArgument when it is not JSON.
  static Result<JsonSchema> Parse(std::string_view schema_text);

  JsonSchema(JsonSchema&&) noexcept;
  JsonSchema& operator=(JsonSchema&&) noexcept;
  ~JsonSchema();

  // Returns OK when `instance` is valid, else InvalidArgument naming the first
  // failing field as a JSON pointer and what was expected there, e.g.
  // "field /stats/median_ns: expected number, got string".
  Status Validate(const nlohmann::json& instance) const;
  // The same for an element of a document parsed by simdjson.
  Status ValidateSimdjson(const simdjson::dom::element& instance) const;

 private:
  struct Impl;
  explicit JsonSchema(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace effbench
