#include "core/json_schema.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "harness/result/record.h"
#include "schemas/embedded.h"
#include "tests/test_util.h"

namespace effbench {
namespace {

// A keyword the validator does not implement would be skipped silently, and
// the schema would let through what it was written to refuse (an "anyOf" on
// the result's name once did): such a schema is refused, naming the keyword.
TEST_CASE("a schema with a keyword the validator does not implement is refused", "[core]") {
  const auto any_of = JsonSchema::Parse(
      R"({"type": "object", "properties": {"name": {"anyOf": [{"pattern": "^a$"}]}}})");
  REQUIRE_FALSE(any_of.ok());
  CHECK_THAT(any_of.status().message(), Catch::Contains("keyword \"anyOf\" is not implemented"));
  CHECK_FALSE(JsonSchema::Parse(R"({"$ref": "#/defs/x"})").ok());
  // Annotations are fine.
  CHECK(JsonSchema::Parse(R"({"title": "t", "description": "d", "type": "string"})").ok());
}

TEST_CASE("every schema effbench ships compiles", "[core]") {
  for (const auto text :
       {schemas::ResultSchemaJson(), schemas::WorkloadSchemaJson(), schemas::SuiteSchemaJson()}) {
    const auto schema = JsonSchema::Parse(text);
    INFO(schema.status().message());
    CHECK(schema.ok());
  }
  for (const auto& s : schemas::ProtocolSchemas()) {
    INFO(s.json);
    CHECK(JsonSchema::Parse(s.json).ok());
  }
  // The result's name takes a workload id or an imported benchmark's, nothing else.
  const auto result = JsonSchema::Parse(schemas::ResultSchemaJson());
  REQUIRE(result.ok());
  nlohmann::json record = result::ToJson(testing::MakeRecord(result::NewUuid()));
  REQUIRE(result->Validate(record).ok());
  const auto name_ok = [&](const std::string& name) {
    record["name"] = name;
    const Status s = result->Validate(record);
    if (!s.ok()) CHECK_THAT(s.message(), Catch::Contains("/name"));
    return s.ok();
  };
  CHECK(name_ok("gemm.fp32/m1n2k3@onednn"));
  CHECK(name_ok("gbench/BM_Sort<int, 2>/256/real_time@native"));
  CHECK(name_ok("bmf/parse json@native"));
  CHECK_FALSE(name_ok("GEMM fp32 big"));
  CHECK_FALSE(name_ok("gbench/BM_Sort"));
  CHECK_FALSE(name_ok("other/BM_Sort/256@native"));  // a / in the shape: imports only
}

}  // namespace
}  // namespace effbench
