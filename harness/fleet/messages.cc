#include "harness/fleet/messages.h"

#include <map>

#include "harness/fleet/frame.h"
#include "schemas/embedded.h"
#include "workloads/common/json_schema.h"

namespace effbench::fleet {
namespace {

using nlohmann::json;

const std::map<std::string, JsonSchema, std::less<>>& Schemas() {
  static const auto* schemas = [] {
    auto* m = new std::map<std::string, JsonSchema, std::less<>>;
    for (const schemas::ProtocolSchema& s : schemas::ProtocolSchemas()) {
      auto parsed = JsonSchema::Parse(s.json);
      if (!parsed.ok()) std::abort();  // embedded at build time; a test parses each
      m->emplace(std::string(s.type), std::move(*parsed));
    }
    return m;
  }();
  return *schemas;
}

}  // namespace

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kMalformed:
      return "malformed";
    case ErrorCode::kTooLarge:
      return "too_large";
    case ErrorCode::kUnknownType:
      return "unknown_type";
    case ErrorCode::kUnexpected:
      return "unexpected";
    case ErrorCode::kInvalid:
      return "invalid";
    case ErrorCode::kUnauthorized:
      return "unauthorized";
    case ErrorCode::kVersion:
      return "version";
    case ErrorCode::kTimeout:
      return "timeout";
    case ErrorCode::kOverloaded:
      return "overloaded";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

std::optional<ProtocolError> ParseMessage(std::string_view payload, json* out) {
  json j = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return ProtocolError{ErrorCode::kMalformed, "frame is not valid JSON"};
  if (!j.is_object()) {
    return ProtocolError{ErrorCode::kMalformed,
                         std::string("frame is JSON ") + j.type_name() + ", not an object"};
  }
  const auto type = j.find("type");
  if (type == j.end() || !type->is_string()) {
    return ProtocolError{ErrorCode::kMalformed, "frame has no string field \"type\""};
  }
  const auto v = j.find("v");
  if (v == j.end() || !v->is_number_integer() || v->get<int64_t>() != kProtocolVersion) {
    return ProtocolError{ErrorCode::kVersion,
                         "protocol version " + (v == j.end() ? std::string("missing") : v->dump()) +
                             " is not supported; this side speaks version " +
                             std::to_string(kProtocolVersion)};
  }
  const auto& schemas = Schemas();
  const auto schema = schemas.find(type->get<std::string>());
  if (schema == schemas.end()) {
    return ProtocolError{ErrorCode::kUnknownType,
                         "unknown message type \"" + type->get<std::string>() + "\""};
  }
  if (Status s = schema->second.Validate(j); !s.ok()) {
    return ProtocolError{ErrorCode::kInvalid, schema->first + " message: " + s.message()};
  }
  *out = std::move(j);
  return std::nullopt;
}

json NewMessage(std::string_view type) {
  return json{{"v", kProtocolVersion}, {"type", std::string(type)}};
}

json ErrorMessage(const ProtocolError& error) {
  json m = NewMessage("error");
  m["code"] = std::string(ErrorCodeName(error.code));
  m["message"] = error.message.substr(0, 4000);
  return m;
}

json ByeMessage(std::string_view reason) {
  json m = NewMessage("bye");
  m["reason"] = std::string(reason);
  return m;
}

std::string Frame(const json& message) {
  return EncodeFrame(message.dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace effbench::fleet
