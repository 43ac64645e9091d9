#include "harness/fleet/messages.h"

#include <catch2/catch.hpp>

#include "harness/fleet/frame.h"
#include "schemas/embedded.h"
#include "workloads/common/json_schema.h"

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
