// The fleet protocol's messages: JSON objects with a protocol version "v" and
// a "type", each type described by schemas/protocol/<type>.schema.json and
// validated on receipt.
//
// A connection goes: coordinator sends challenge; agent answers hello (with
// its machine and its proof of the fleet token); coordinator sends welcome or
// error. Then the agent sends heartbeat, result and job_done frames, the
// coordinator job and ack frames. Either side may send bye or error, then
// closes.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/result/record_row.h"

namespace effbench::fleet {

inline constexpr int kProtocolVersion = 1;

// What an error frame says was wrong; the names are the schema's codes.
enum class ErrorCode {
  kMalformed,     // not JSON, not an object, no type
  kTooLarge,      // a frame over the maximum size
  kUnknownType,   // a type no schema describes
  kUnexpected,    // a known type out of order (e.g. result before hello)
  kInvalid,       // fails its schema, or a record fails the result schema
  kUnauthorized,  // wrong or missing proof of the token
  kVersion,       // another protocol version
  kTimeout,       // a frame not finished in time, or no heartbeat
  kOverloaded,    // the peer does not read: its send queue is full
  kInternal,      // the receiver failed (e.g. the database)
};
std::string_view ErrorCodeName(ErrorCode code);

struct ProtocolError {
  ErrorCode code;
  std::string message;
};

// Parses one frame's payload into `out` and validates it: JSON, an object,
// the protocol version, a known type, and that type's schema. Returns the
// error to send back otherwise.
std::optional<ProtocolError> ParseMessage(std::string_view payload, nlohmann::json* out);

// A result message decoded for the database without a JSON tree: its job, and
// each record validated against the result schema and made into its row.
struct ResultBatch {
  std::string job_id;
  std::vector<result::RecordRow> rows;
};
// Like ParseMessage, except that a "result" message goes into `*results`
// (leaving `*out` null), parsed by simdjson: the coordinator's ingest path,
// about ten times cheaper a record than a json tree. A record that fails the
// result schema makes the frame invalid, and the error names its index.
std::optional<ProtocolError> ParseMessage(std::string_view payload, nlohmann::json* out,
                                          std::optional<ResultBatch>* results);

// A message of `type` with the version set; the caller adds the fields.
nlohmann::json NewMessage(std::string_view type);
nlohmann::json ErrorMessage(const ProtocolError& error);
nlohmann::json ByeMessage(std::string_view reason);

// The frame of `message` (its JSON, length-prefixed).
std::string Frame(const nlohmann::json& message);

}  // namespace effbench::fleet
