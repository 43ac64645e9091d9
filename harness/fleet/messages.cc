#include "harness/fleet/messages.h"

#include <simdjson.h>

#include <map>

#include "core/json_schema.h"
#include "harness/fleet/frame.h"
#include "harness/fleet/protocol.h"
#include "schemas/embedded.h"

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

// A record's row; what the schema let through but the reading code cannot
// read (a simdjson exception) is an invalid record, never a crash.
Result<result::RecordRow> ReadRow(const simdjson::dom::element& record,
                                  std::span<const result::RawField> fields) {
  try {
    return result::RowFromJson(record, fields);
  } catch (const simdjson::simdjson_error& e) {
    return Status::InvalidArgument(std::string("cannot be read: ") + e.what());
  }
}

// What nlohmann::json::type_name() says of a value of this type.
std::string_view TypeName(simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::ARRAY:
      return "array";
    case simdjson::dom::element_type::OBJECT:
      return "object";
    case simdjson::dom::element_type::STRING:
      return "string";
    case simdjson::dom::element_type::BOOL:
      return "boolean";
    case simdjson::dom::element_type::NULL_VALUE:
      return "null";
    default:
      return "number";
  }
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
  return ParseMessage(payload, out, nullptr);
}

std::optional<ProtocolError> ParseMessage(std::string_view payload, json* out,
                                          std::optional<ResultBatch>* results) {
  // simdjson checks the envelope of every frame; only a message other than
  // results is parsed again, into the json tree its handlers read.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(payload.data(), payload.size()).get(doc) != simdjson::SUCCESS) {
    return ProtocolError{ErrorCode::kMalformed, "frame is not valid JSON"};
  }
  if (!doc.is_object()) {
    return ProtocolError{ErrorCode::kMalformed,
                         "frame is JSON " + std::string(TypeName(doc)) + ", not an object"};
  }
  std::string_view type;
  if (doc["type"].get(type) != simdjson::SUCCESS) {
    return ProtocolError{ErrorCode::kMalformed, "frame has no string field \"type\""};
  }
  simdjson::dom::element v;
  const bool has_v = doc["v"].get(v) == simdjson::SUCCESS;
  if (!has_v || !(v.is_int64() || v.is_uint64()) ||
      v.get_int64().value_unsafe() != kProtocolVersion) {
    return ProtocolError{ErrorCode::kVersion, "protocol version " +
                                                  (has_v ? simdjson::minify(v) : "missing") +
                                                  " is not supported; this side speaks version " +
                                                  std::to_string(kProtocolVersion)};
  }
  const auto& schemas = Schemas();
  const auto schema = schemas.find(type);
  if (schema == schemas.end()) {
    return ProtocolError{ErrorCode::kUnknownType,
                         "unknown message type \"" + std::string(type) + "\""};
  }
  if (results && type == "result") {
    if (Status s = schema->second.ValidateSimdjson(doc); !s.ok()) {
      return ProtocolError{ErrorCode::kInvalid, schema->first + " message: " + s.message()};
    }
    ResultBatch batch;
    batch.job_id = std::string_view(doc["job_id"]);
    const simdjson::dom::array records(doc["records"]);
    // Each record's fields as they came, for its row to be cut from rather
    // than serialized. On-Demand reads SIMDJSON_PADDING bytes past the text.
    thread_local std::string padded;
    padded.reserve(payload.size() + simdjson::SIMDJSON_PADDING);
    padded.assign(payload);
    std::vector<std::vector<result::RawField>> fields =
        result::CutRecords(padded, padded.capacity(), "records");
    if (fields.size() != records.size()) fields.assign(records.size(), {});  // serialize instead
    batch.rows.reserve(records.size());
    size_t i = 0;
    for (const simdjson::dom::element record : records) {
      Result<result::RecordRow> row = ReadRow(record, fields[i]);
      if (!row.ok()) {
        return ProtocolError{ErrorCode::kInvalid,
                             "result record " + std::to_string(i) + ": " + row.status().message()};
      }
      batch.rows.push_back(std::move(*row));
      ++i;
    }
    *out = nullptr;
    *results = std::move(batch);
    return std::nullopt;
  }
  json j = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return ProtocolError{ErrorCode::kMalformed, "frame is not valid JSON"};
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
  return ToJson(Error{std::string(ErrorCodeName(error.code)), error.message.substr(0, 4000)});
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
