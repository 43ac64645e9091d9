#include "harness/fleet/auth.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "tests/test_util.h"

namespace effbench::fleet {
namespace {

constexpr char kToken[] = "0123456789abcdef-fleet-token";

TEST_CASE("a proof made with the token verifies against the stored key only", "[fleet]") {
  const Key stored = StoredKeyFromToken(kToken);
  const std::string nonce = NewNonceHex();
  const std::string message = AuthMessage(nonce, "edge-1", std::string(64, 'a'));
  const std::string proof = ClientProof(kToken, message);
  CHECK(proof.size() == 64);
  CHECK(VerifyProof(stored, message, proof));
  // Another token, another nonce, another name: refused.
  CHECK_FALSE(VerifyProof(stored, message, ClientProof("0123456789abcdef-wrong", message)));
  CHECK_FALSE(
      VerifyProof(stored, AuthMessage(NewNonceHex(), "edge-1", std::string(64, 'a')), proof));
  CHECK_FALSE(VerifyProof(stored, AuthMessage(nonce, "edge-2", std::string(64, 'a')), proof));
  CHECK_FALSE(VerifyProof(stored, message, "not hex"));
  // The proof is not the token, and the stored key cannot forge a proof: a
  // "proof" built from the stored key as if it were the token fails.
  CHECK(proof.find(kToken) == std::string::npos);
  CHECK_FALSE(
      VerifyProof(stored, message, ClientProof(Hex(stored.data(), stored.size()), message)));
}

TEST_CASE("tokens compare through their stored key", "[fleet]") {
  const Key stored = StoredKeyFromToken(kToken);
  CHECK(VerifyToken(stored, kToken));
  CHECK_FALSE(VerifyToken(stored, "0123456789abcdef-fleet-tokeN"));
  CHECK_FALSE(VerifyToken(stored, ""));
}

TEST_CASE("a token file holds the token or its stored key", "[fleet]") {
  testing::TempDir dir;
  const std::string path = dir.File("fleet.token");
  std::ofstream(path) << "  " << kToken << "\n";
  auto token = ReadTokenFile(path);
  REQUIRE(token.ok());
  CHECK(*token == kToken);
  const Key from_token = *StoredKeyFromTokenFile(*token);
  const std::string line = kStoredKeyPrefix + Hex(from_token.data(), from_token.size());
  auto from_line = StoredKeyFromTokenFile(line);
  REQUIRE(from_line.ok());
  CHECK(*from_line == from_token);

  CHECK_FALSE(StoredKeyFromTokenFile("short").ok());
  CHECK_FALSE(StoredKeyFromTokenFile(std::string(kStoredKeyPrefix) + "zz").ok());
  CHECK_FALSE(ReadTokenFile(dir.File("missing")).ok());
  std::ofstream(dir.File("empty")) << "\n";
  CHECK_THAT(ReadTokenFile(dir.File("empty")).status().message(), Catch::Contains("is empty"));
}

TEST_CASE("nonces are fresh", "[fleet]") {
  CHECK(NewNonceHex() != NewNonceHex());
  CHECK(NewNonceHex().size() == 64);
}

}  // namespace
}  // namespace effbench::fleet
