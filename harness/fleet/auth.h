// Fleet authentication with a shared token, SCRAM-style, so that neither the
// wire nor the coordinator's memory holds the token:
//   client_key = HMAC-SHA256(token, "effbench client key")
//   stored_key = SHA-256(client_key)                 (all the coordinator keeps)
//   message    = nonce "," agent name "," machine fingerprint
//   proof      = client_key XOR HMAC-SHA256(stored_key, message)
// The coordinator recovers client_key from the proof and checks its hash
// against stored_key in constant time. A captured proof is bound to its nonce;
// a stolen stored_key cannot make a proof. Inside TLS the agent may send the
// token itself instead, which is checked the same way.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace effbench::fleet {

using Key = std::array<uint8_t, 32>;

inline constexpr char kStoredKeyPrefix[] = "effbench-stored-key:";

Key StoredKeyFromToken(std::string_view token);

// Reads a token file: either the token itself (one line) or
// "effbench-stored-key:<64 hex>", which `effbench token hash` prints, so that a
// coordinator's disk need not hold the token either. Errors name the file.
Result<std::string> ReadTokenFile(const std::string& path);
// A warning when the token file at `path` can be read by its group or by
// everyone (a token is a secret: chmod 600 it); nullopt when it cannot.
std::optional<std::string> TokenFileExposure(const std::string& path);
// The stored key of a token file's content (either form).
Result<Key> StoredKeyFromTokenFile(std::string_view content);

// 32 random bytes from OpenSSL, as 64 lower-case hex digits.
std::string NewNonceHex();

std::string AuthMessage(std::string_view nonce, std::string_view name,
                        std::string_view fingerprint);
// The agent's proof, 64 hex digits.
std::string ClientProof(std::string_view token, std::string_view auth_message);
// Whether `proof_hex` proves the token behind `stored`; constant time.
bool VerifyProof(const Key& stored, std::string_view auth_message, std::string_view proof_hex);
// Whether `token` is the token behind `stored`; constant time.
bool VerifyToken(const Key& stored, std::string_view token);

std::string Hex(const uint8_t* data, size_t n);

}  // namespace effbench::fleet
