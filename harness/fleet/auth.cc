#include "harness/fleet/auth.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sys/stat.h>

#include <cstdio>

#include "core/file.h"

namespace effbench::fleet {
namespace {

constexpr std::string_view kClientKeyLabel = "effbench client key";

Key Hmac(const uint8_t* key, size_t key_len, std::string_view message) {
  Key out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key, static_cast<int>(key_len),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(), &len);
  return out;
}

Key ClientKey(std::string_view token) {
  return Hmac(reinterpret_cast<const uint8_t*>(token.data()), token.size(), kClientKeyLabel);
}

Key Sha256(const Key& k) {
  Key out{};
  SHA256(k.data(), k.size(), out.data());
  return out;
}

bool ParseHex(std::string_view hex, Key* out) {
  if (hex.size() != 2 * out->size()) return false;
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < out->size(); ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string Hex(const uint8_t* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    s[2 * i] = kDigits[data[i] >> 4];
    s[2 * i + 1] = kDigits[data[i] & 15];
  }
  return s;
}

Key StoredKeyFromToken(std::string_view token) { return Sha256(ClientKey(token)); }

Result<std::string> ReadTokenFile(const std::string& path) {
  const auto read = ReadFile(path);
  if (!read.ok()) return Status::NotFound("token file " + path + " cannot be read");
  const std::string& text = *read;
  const std::string_view token = Trim(text);
  if (token.empty()) return Status::InvalidArgument("token file " + path + " is empty");
  if (token.find('\n') != std::string_view::npos) {
    return Status::InvalidArgument("token file " + path + " holds more than one line");
  }
  return std::string(token);
}

std::optional<std::string> TokenFileExposure(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || (st.st_mode & 0044) == 0) return std::nullopt;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return "warning: token file " + path + " is readable by " +
         ((st.st_mode & 0004) != 0 ? std::string("everyone") : std::string("its group")) +
         " (mode " + mode + "); the token is the fleet's secret: chmod 600 " + path;
}

Result<Key> StoredKeyFromTokenFile(std::string_view content) {
  content = Trim(content);
  if (content.substr(0, sizeof kStoredKeyPrefix - 1) == kStoredKeyPrefix) {
    Key k{};
    if (!ParseHex(content.substr(sizeof kStoredKeyPrefix - 1), &k)) {
      return Status::InvalidArgument(std::string("a stored key is ") + kStoredKeyPrefix +
                                     " followed by 64 hex digits");
    }
    return k;
  }
  if (content.size() < 16) {
    return Status::InvalidArgument("the fleet token is too short (" +
                                   std::to_string(content.size()) +
                                   " characters; use at least 16, e.g. from `effbench token new`)");
  }
  return StoredKeyFromToken(content);
}

std::string NewNonceHex() {
  uint8_t bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) std::abort();  // no entropy: nothing is safe
  return Hex(bytes, sizeof bytes);
}

std::string AuthMessage(std::string_view nonce, std::string_view name,
                        std::string_view fingerprint) {
  std::string m;
  m.append(nonce).append(",").append(name).append(",").append(fingerprint);
  return m;
}

std::string ClientProof(std::string_view token, std::string_view auth_message) {
  const Key client = ClientKey(token);
  const Key stored = Sha256(client);
  const Key signature = Hmac(stored.data(), stored.size(), auth_message);
  Key proof{};
  for (size_t i = 0; i < proof.size(); ++i) proof[i] = client[i] ^ signature[i];
  return Hex(proof.data(), proof.size());
}

bool VerifyProof(const Key& stored, std::string_view auth_message, std::string_view proof_hex) {
  Key proof{};
  if (!ParseHex(proof_hex, &proof)) return false;
  const Key signature = Hmac(stored.data(), stored.size(), auth_message);
  Key client{};
  for (size_t i = 0; i < client.size(); ++i) client[i] = proof[i] ^ signature[i];
  const Key candidate = Sha256(client);
  return CRYPTO_memcmp(candidate.data(), stored.data(), stored.size()) == 0;
}

bool VerifyToken(const Key& stored, std::string_view token) {
  const Key candidate = StoredKeyFromToken(token);
  return CRYPTO_memcmp(candidate.data(), stored.data(), stored.size()) == 0;
}

}  // namespace effbench::fleet
