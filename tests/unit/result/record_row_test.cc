#include "harness/result/record_row.h"

#include <simdjson.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/json_schema.h"
#include "tests/test_util.h"

namespace effbench::result {
namespace {

using nlohmann::json;

// `text` parsed by simdjson; the parser must outlive the element.
simdjson::dom::element Parse(simdjson::dom::parser& parser, const std::string& text) {
  simdjson::dom::element e;
  REQUIRE(parser.parse(text).get(e) == simdjson::SUCCESS);
  return e;
}

// Records' JSON texts in a document as a result frame holds them, with the
// padding CutRecords needs.
struct Frame {
  explicit Frame(const std::vector<std::string>& records) {
    text = "{\"records\": [";
    for (size_t i = 0; i < records.size(); ++i) text += (i ? ", " : "") + records[i];
    text += "]}";
    text.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  }
  std::vector<std::vector<RawField>> Cut() const {
    return CutRecords(text, text.capacity(), "records");
  }
  std::string text;
};

void CheckSameRow(const RecordRow& a, const RecordRow& b) {
  CHECK(a.id == b.id);
  CHECK(a.run_id == b.run_id);
  CHECK(a.name == b.name);
  CHECK(a.workload == b.workload);
  CHECK(a.precision == b.precision);
  CHECK(a.sparsity == b.sparsity);
  CHECK(a.backend == b.backend);
  CHECK(a.threads == b.threads);
  CHECK(a.ok == b.ok);
  CHECK(a.error == b.error);
  REQUIRE(a.stats.has_value() == b.stats.has_value());
  if (a.stats) {
    CHECK(a.stats->median_ns == b.stats->median_ns);
    CHECK(a.stats->mean_ns == b.stats->mean_ns);
    CHECK(a.stats->stddev_ns == b.stats->stddev_ns);
    CHECK(a.stats->cv == b.stats->cv);
    CHECK(a.stats->min_ns == b.stats->min_ns);
    CHECK(a.stats->max_ns == b.stats->max_ns);
  }
  CHECK(a.gflops == b.gflops);
  CHECK(a.gbps == b.gbps);
  CHECK(a.roofline_fraction == b.roofline_fraction);
  CHECK(a.joules_per_iter == b.joules_per_iter);
  CHECK(a.rel_l2 == b.rel_l2);
  CHECK(json::parse(a.record_json) == json::parse(b.record_json));
  CHECK(json::parse(a.samples_json) == json::parse(b.samples_json));
}

TEST_CASE("a record's row is the same from a ResultRecord, from its text, and from simdjson",
          "[result]") {
  std::vector<ResultRecord> records = {testing::MakeRecord(NewUuid(), 10),
                                       testing::MakeRecord(NewUuid(), 3, "int8")};
  records[0].samples_ns[3] = 1234.5678901234567;  // a double that needs all its digits
  records[0].stats = Summarize(records[0].samples_ns);
  records[1].ok = false;
  records[1].error = "fidelity: \"rel_l2\" 0.3 > 0.01\n(see the log)";  // escapes in a value
  records[1].samples_ns.clear();
  records[1].stats.reset();
  records[1].gflops.reset();
  records[1].gbps.reset();
  for (const ResultRecord& r : records) {
    INFO(r.name);
    auto expected = ToRow(r);
    REQUIRE(expected.ok());
    json j = ToJson(r);
    CHECK(json::parse(expected->samples_json) == j["samples_ns"]);
    for (const std::string& text : {j.dump(), j.dump(2)}) {  // compact, and with whitespace
      simdjson::dom::parser parser;
      const simdjson::dom::element e = Parse(parser, text);
      const Frame frame({text});
      const auto fields = frame.Cut();
      REQUIRE(fields.size() == 1);
      CHECK(fields[0].size() == j.size());
      auto cut = RowFromJson(e, fields[0]);
      REQUIRE(cut.ok());
      CheckSameRow(*cut, *expected);
      auto serialized = RowFromJson(e);
      REQUIRE(serialized.ok());
      CheckSameRow(*serialized, *expected);
    }
  }
}

TEST_CASE("a record whose keys are escaped is read by their meaning", "[result]") {
  const ResultRecord r = testing::MakeRecord(NewUuid(), 4);
  std::string text = ToJson(r).dump();
  const size_t at = text.find("\"samples_ns\"");
  REQUIRE(at != std::string::npos);
  text.replace(at, 12, "\"samples\\u005fns\"");
  // Between two plain records: the escaped one gets no fields (its row is
  // serialized), and its neighbours are still cut.
  const std::string plain = ToJson(testing::MakeRecord(NewUuid(), 2)).dump();
  const Frame frame({plain, text, plain});
  const auto fields = frame.Cut();
  REQUIRE(fields.size() == 3);
  CHECK(fields[0].size() == json::parse(plain).size());
  CHECK(fields[1].empty());
  CHECK(fields[2].size() == json::parse(plain).size());
  simdjson::dom::parser parser;
  auto row = RowFromJson(Parse(parser, text), fields[1]);
  REQUIRE(row.ok());
  CHECK(json::parse(row->samples_json) == json(r.samples_ns));
  CHECK_FALSE(json::parse(row->record_json).contains("samples_ns"));
}

// Every way to break a record that the tests below try.
std::vector<json> Mutations(const json& valid) {
  std::vector<json> out;
  const std::vector<json> wrong = {nullptr, true, -1, 2.5, "text", json::array(), json::object()};
  for (const auto& [key, value] : valid.items()) {
    json missing = valid;
    missing.erase(key);
    out.push_back(missing);
    for (const json& w : wrong) {
      json changed = valid;
      changed[key] = w;
      out.push_back(changed);
    }
    if (value.is_object()) {
      for (const auto& [inner, inner_value] : value.items()) {
        for (const json& w : wrong) {
          json changed = valid;
          changed[key][inner] = w;
          out.push_back(changed);
        }
      }
    }
  }
  json extra = valid;
  extra["extra_field"] = 1;
  out.push_back(extra);
  json integral = valid;
  integral["threads"] = 2.0;  // an integer written as a float is an integer
  out.push_back(integral);
  json samples = valid;
  samples["samples_ns"].push_back(-5);
  out.push_back(samples);
  return out;
}

TEST_CASE("the schema says the same of a record parsed by nlohmann or by simdjson", "[result]") {
  const json valid = ToJson(testing::MakeRecord(NewUuid(), 5));
  size_t refused = 0;
  for (const json& j : Mutations(valid)) {
    const std::string text = j.dump();
    INFO(text);
    simdjson::dom::parser parser;
    const Status by_tree = Validate(j);
    const Status by_simdjson = ValidateSimdjson(Parse(parser, text));
    CHECK(by_tree.ok() == by_simdjson.ok());
    CHECK(by_tree.message() == by_simdjson.message());
    refused += by_tree.ok() ? 0 : 1;
  }
  CHECK(refused > 100);  // the mutations do break records
}

TEST_CASE("statistics are all numbers or all null, whichever parser reads them", "[result]") {
  json j = ToJson(testing::MakeRecord(NewUuid(), 3));
  j["stats"]["mean_ns"] = nullptr;  // the schema allows it field by field
  REQUIRE(Validate(j).ok());
  auto from_tree = FromJson(j);
  REQUIRE_FALSE(from_tree.ok());
  CHECK_THAT(from_tree.status().message(), Catch::Contains("all numbers or all null"));
  const std::string text = j.dump();
  simdjson::dom::parser parser;
  const Frame frame({text});
  const auto fields = frame.Cut();
  REQUIRE(fields.size() == 1);
  auto row = RowFromJson(Parse(parser, text), fields[0]);  // an error, not an exception
  REQUIRE_FALSE(row.ok());
  CHECK(row.status().message() == from_tree.status().message());
}

TEST_CASE("a field given twice is refused, not stored once and checked once", "[result]") {
  std::string text = ToJson(testing::MakeRecord(NewUuid(), 2)).dump();
  text.insert(1, "\"threads\":-3,");
  simdjson::dom::parser parser;
  const Status s = ValidateSimdjson(Parse(parser, text));
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("/threads"));
}

}  // namespace
}  // namespace effbench::result
