// Validating a result record against schemas/result.schema.json: effbench's
// own validator (core/json_schema) on nlohmann::json and on a simdjson DOM,
// against valijson 1.0 (Debian's libvalijson-dev) on nlohmann::json. The
// coordinator validates every record it ingests, so this is on its hot path.
//   build/tests/bench/effbench_schema_bench [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "core/json_schema.h"
#include "harness/result/record.h"
#include "schemas/embedded.h"
#include "tests/test_util.h"

namespace {

using effbench::JsonSchema;

const nlohmann::json& Record() {
  static const nlohmann::json record = effbench::result::ToJson(
      effbench::testing::MakeRecord("01a2272e-0000-7000-8000-000000000000", 10));
  return record;
}

void BM_Ours_Nlohmann(benchmark::State& state) {
  const auto schema = JsonSchema::Parse(effbench::schemas::ResultSchemaJson());
  const nlohmann::json& doc = Record();
  for (auto _ : state) {
    if (!schema->Validate(doc).ok()) state.SkipWithError("invalid");
  }
}
BENCHMARK(BM_Ours_Nlohmann);

void BM_Ours_Simdjson(benchmark::State& state) {
  const auto schema = JsonSchema::Parse(effbench::schemas::ResultSchemaJson());
  const std::string text = Record().dump();
  simdjson::dom::parser parser;
  const simdjson::dom::element doc = parser.parse(text);
  for (auto _ : state) {
    if (!schema->ValidateSimdjson(doc).ok()) state.SkipWithError("invalid");
  }
}
BENCHMARK(BM_Ours_Simdjson);

void BM_Valijson_Nlohmann(benchmark::State& state) {
  const nlohmann::json schema_doc = nlohmann::json::parse(effbench::schemas::ResultSchemaJson());
  valijson::Schema schema;
  valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
  valijson::adapters::NlohmannJsonAdapter schema_adapter(schema_doc);
  parser.populateSchema(schema_adapter, schema);
  const nlohmann::json& doc = Record();
  valijson::Validator validator;
  valijson::adapters::NlohmannJsonAdapter adapter(doc);
  for (auto _ : state) {
    valijson::ValidationResults results;
    if (!validator.validate(schema, adapter, &results)) state.SkipWithError("invalid");
  }
}
BENCHMARK(BM_Valijson_Nlohmann);

// The same with a wrong field, for what each says about it.
void BM_Valijson_Message(benchmark::State& state) {
  const nlohmann::json schema_doc = nlohmann::json::parse(effbench::schemas::ResultSchemaJson());
  valijson::Schema schema;
  valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
  valijson::adapters::NlohmannJsonAdapter schema_adapter(schema_doc);
  parser.populateSchema(schema_adapter, schema);
  nlohmann::json doc = Record();
  doc["stats"]["median_ns"] = "fast";
  valijson::Validator validator;
  valijson::adapters::NlohmannJsonAdapter adapter(doc);
  std::string message;
  for (auto _ : state) {
    valijson::ValidationResults results;
    validator.validate(schema, adapter, &results);
    valijson::ValidationResults::Error error;
    if (results.popError(error)) {
      message.clear();
      for (const auto& part : error.context) message += part;
      message.append(": ").append(error.description);
    }
  }
  const auto ours = JsonSchema::Parse(effbench::schemas::ResultSchemaJson())->Validate(doc);
  std::string label = "valijson: ";
  label.append(message).append(" | ours: ").append(ours.message());
  state.SetLabel(label);
}
BENCHMARK(BM_Valijson_Message);

}  // namespace

BENCHMARK_MAIN();
