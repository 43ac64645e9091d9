#include "harness/fleet/messages.h"

#include <catch2/catch.hpp>

#include "core/json_schema.h"
#include "harness/fleet/frame.h"
#include "schemas/embedded.h"
#include "tests/test_util.h"

namespace effbench::fleet {
namespace {

using nlohmann::json;

std::optional<ProtocolError> Parse(const std::string& text, json* out = nullptr) {
  json ignored;
  return ParseMessage(text, out ? out : &ignored);
}

TEST_CASE("every protocol schema parses and names its own type", "[fleet]") {
  REQUIRE(schemas::ProtocolSchemas().size() >= 10);
  for (const auto& s : schemas::ProtocolSchemas()) {
    INFO(s.type);
    REQUIRE(JsonSchema::Parse(s.json).ok());
    const json j = json::parse(s.json);
    CHECK(j["properties"]["type"]["const"] == std::string(s.type));
    CHECK(j["properties"]["v"]["const"] == kProtocolVersion);
  }
}

TEST_CASE("valid messages parse", "[fleet]") {
  json out;
  json hb = NewMessage("heartbeat");
  hb["state"] = "idle";
  REQUIRE_FALSE(Parse(hb.dump(), &out));
  CHECK(out["type"] == "heartbeat");
  CHECK_FALSE(Parse(ByeMessage("done").dump()));
  CHECK_FALSE(Parse(ErrorMessage({ErrorCode::kTimeout, "slow"}).dump()));
}

TEST_CASE("bad messages get the error code that names the problem", "[fleet]") {
  const auto code = [](const std::string& text) {
    auto e = Parse(text);
    REQUIRE(e);
    return std::string(ErrorCodeName(e->code));
  };
  CHECK(code("{not json") == "malformed");
  CHECK(code("[1,2]") == "malformed");
  CHECK(code("{\"v\":1}") == "malformed");
  CHECK(code("{\"v\":2,\"type\":\"heartbeat\",\"state\":\"idle\"}") == "version");
  CHECK(code("{\"type\":\"heartbeat\",\"state\":\"idle\"}") == "version");
  CHECK(code("{\"v\":1,\"type\":\"launch_missiles\"}") == "unknown_type");
  CHECK(code("{\"v\":1,\"type\":\"heartbeat\",\"state\":\"napping\"}") == "invalid");
  CHECK(code("{\"v\":1,\"type\":\"heartbeat\"}") == "invalid");
  CHECK(code("{\"v\":1,\"type\":\"heartbeat\",\"state\":\"idle\",\"extra\":1}") == "invalid");
  auto e = Parse("{\"v\":1,\"type\":\"ack\",\"ids\":[]}");
  REQUIRE(e);
  CHECK_THAT(e->message, Catch::Contains("ack message: field /ids"));
}

TEST_CASE("result frames decode into rows, and a bad record is named by its index", "[fleet]") {
  const std::string run = result::NewUuid();
  std::vector<result::ResultRecord> records = {testing::MakeRecord(run, 10),
                                               testing::MakeRecord(run, 10, "int8"),
                                               testing::MakeRecord(run, 10, "bf16")};
  json message = NewMessage("result");
  message["job_id"] = "job-1";
  for (const auto& r : records) message["records"].push_back(result::ToJson(r));

  json out;
  std::optional<ResultBatch> batch;
  REQUIRE_FALSE(ParseMessage(message.dump(), &out, &batch));
  REQUIRE(batch);
  CHECK(out.is_null());
  CHECK(batch->job_id == "job-1");
  REQUIRE(batch->rows.size() == 3);
  for (size_t i = 0; i < records.size(); ++i) {
    json expected = result::ToJson(records[i]);
    CHECK(json::parse(batch->rows[i].samples_json) == expected["samples_ns"]);
    expected.erase("samples_ns");
    CHECK(json::parse(batch->rows[i].record_json) == expected);
    CHECK(batch->rows[i].id == records[i].id);
    CHECK(batch->rows[i].precision == records[i].variant.precision);
  }
  // Without a place for rows the same frame is a json tree, as agents read.
  REQUIRE_FALSE(Parse(message.dump(), &out));
  CHECK(out["records"].size() == 3);

  message["records"][1]["stats"]["median_ns"] = "fast";
  batch.reset();
  auto e = ParseMessage(message.dump(), &out, &batch);
  REQUIRE(e);
  CHECK(e->code == ErrorCode::kInvalid);
  CHECK_THAT(e->message, Catch::StartsWith("result record 1: "));
  CHECK_THAT(e->message, Catch::Contains("/stats/median_ns"));
  CHECK_FALSE(batch);

  // The envelope is checked as for any other message.
  auto version = ParseMessage("{\"v\":2,\"type\":\"result\"}", &out, &batch);
  REQUIRE(version);
  CHECK(version->code == ErrorCode::kVersion);
  auto twice = ParseMessage(
      "{\"v\":1,\"type\":\"result\",\"job_id\":\"a\",\"job_id\":\"b\",\"records\":[{}]}", &out,
      &batch);
  REQUIRE(twice);
  CHECK(twice->code == ErrorCode::kInvalid);
  CHECK_THAT(twice->message, Catch::Contains("given more than once"));
}

TEST_CASE("a hello may carry a proof or a token, not both and not neither", "[fleet]") {
  json hello = NewMessage("hello");
  hello["name"] = "edge-1";
  hello["version"] = "x";
  hello["labels"] = {{"gpu", "none"}};
  hello["machine"] = {{"fingerprint", std::string(64, 'a')},
                      {"hostname", "h"},
                      {"cpu_model", "c"},
                      {"arch", "x86_64"},
                      {"inventory", json::object()}};
  hello["auth"] = {{"proof", std::string(64, 'b')}};
  CHECK_FALSE(Parse(hello.dump()));
  hello["auth"] = {{"token", "t"}};
  CHECK_FALSE(Parse(hello.dump()));
  hello["auth"] = {{"token", "t"}, {"proof", std::string(64, 'b')}};
  CHECK(Parse(hello.dump()));
  hello["auth"] = json::object();
  CHECK(Parse(hello.dump()));
  hello["auth"] = {{"proof", std::string(64, 'b')}};
  hello["name"] = "../etc";
  CHECK(Parse(hello.dump()));
}

TEST_CASE("Frame length-prefixes the message's JSON", "[fleet]") {
  const std::string f = Frame(ByeMessage("x"));
  FrameDecoder d;
  REQUIRE(d.Feed(f).ok());
  const auto payload = d.Next();
  REQUIRE(payload);
  CHECK(json::parse(*payload)["reason"] == "x");
}

}  // namespace
}  // namespace effbench::fleet
