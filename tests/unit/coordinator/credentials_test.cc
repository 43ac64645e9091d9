#include "harness/coordinator/internal/credentials.h"

#include <catch2/catch.hpp>

namespace effbench::coordinator {
namespace {

constexpr char kFleetToken[] = "the-fleet-token-0123456789";
const std::string kMachine(64, 'c');

store::AgentKeyRow Enrolled(const std::string& name, const std::string& key) {
  const fleet::Key stored = fleet::StoredKeyFromToken(key);
  return store::AgentKeyRow{name, fleet::Hex(stored.data(), stored.size()), "2026-12-07T12:00:00Z",
                            std::nullopt};
}

// `name`'s hello answering `nonce` with the HMAC proof of `secret`.
fleet::Hello HelloOf(const std::string& name, const std::string& secret, const std::string& nonce) {
  fleet::Hello h;
  h.name = name;
  h.machine = {{"fingerprint", kMachine}};
  h.proof = fleet::ClientProof(secret, fleet::AuthMessage(nonce, name, kMachine));
  return h;
}

TEST_CASE("credentials: an enrolled name opens only with its own key", "[coordinator]") {
  Credentials c(fleet::StoredKeyFromToken(kFleetToken), false);
  const std::string key_a = fleet::NewNonceHex(), key_b = fleet::NewNonceHex();
  REQUIRE(c.Put(Enrolled("board-a", key_a)).ok());
  REQUIRE(c.Put(Enrolled("board-b", key_b)).ok());
  const std::string nonce = fleet::NewNonceHex();

  // Not enrolled: the fleet token, as before.
  auto plain = c.Check(HelloOf("x86-1", kFleetToken, nonce), nonce, false);
  REQUIRE(plain.ok());
  CHECK(*plain == "the fleet token");
  // Enrolled: its own key, and not the fleet token.
  auto own = c.Check(HelloOf("board-a", key_a, nonce), nonce, false);
  REQUIRE(own.ok());
  CHECK(*own == "its own key");
  auto fleet_token = c.Check(HelloOf("board-a", kFleetToken, nonce), nonce, false);
  CHECK_FALSE(fleet_token.ok());
  CHECK_THAT(fleet_token.status().message(), Catch::Contains("wrong key for agent board-a"));
  // Impersonation: a's key under b's name, or under a name not enrolled.
  CHECK_FALSE(c.Check(HelloOf("board-b", key_a, nonce), nonce, false).ok());
  auto leaked = c.Check(HelloOf("x86-1", key_a, nonce), nonce, false);
  CHECK_FALSE(leaked.ok());
  CHECK_THAT(leaked.status().message(), Catch::Contains("wrong fleet token"));
  // A proof made for another nonce (a replay) fails.
  CHECK_FALSE(c.Check(HelloOf("board-a", key_a, nonce), fleet::NewNonceHex(), false).ok());

  // Inside TLS the key itself may be sent; in clear it may not.
  fleet::Hello with_key = HelloOf("board-a", key_a, nonce);
  with_key.proof.reset();
  with_key.token = key_a;
  CHECK(c.Check(with_key, nonce, true).ok());
  auto clear = c.Check(with_key, nonce, false);
  CHECK_FALSE(clear.ok());
  CHECK_THAT(clear.status().message(), Catch::Contains("sent in clear"));

  CHECK(c.Describe("x86-1") == "fleet token");
  CHECK(c.Describe("board-a") == "own key, enrolled 2026-12-07T12:00:00Z");
  // Revoked: refused, whatever it proves; a new key opens it again.
  c.Revoke("board-a", "2026-12-07T13:00:00Z");
  CHECK(c.Describe("board-a") == "own key, revoked 2026-12-07T13:00:00Z");
  auto revoked = c.Check(HelloOf("board-a", key_a, nonce), nonce, false);
  CHECK_FALSE(revoked.ok());
  CHECK_THAT(revoked.status().message(), Catch::Contains("revoked at 2026-12-07T13:00:00Z"));
  CHECK(c.Check(HelloOf("board-b", key_b, nonce), nonce, false).ok());
  const std::string rotated = fleet::NewNonceHex();
  REQUIRE(c.Put(Enrolled("board-a", rotated)).ok());
  CHECK(c.Check(HelloOf("board-a", rotated, nonce), nonce, false).ok());
  CHECK_FALSE(c.Check(HelloOf("board-a", key_a, nonce), nonce, false).ok());
}

TEST_CASE("credentials: require_enrolled refuses the fleet token, and bad rows are named",
          "[coordinator]") {
  Credentials c(fleet::StoredKeyFromToken(kFleetToken), true);
  const std::string key = fleet::NewNonceHex(), nonce = fleet::NewNonceHex();
  REQUIRE(c.Restore({Enrolled("board-a", key)}).ok());
  auto refused = c.Check(HelloOf("x86-1", kFleetToken, nonce), nonce, false);
  CHECK_FALSE(refused.ok());
  CHECK_THAT(refused.status().message(), Catch::Contains("x86-1 is not enrolled") &&
                                             Catch::Contains("effbench agents enroll x86-1"));
  CHECK(c.Check(HelloOf("board-a", key, nonce), nonce, false).ok());
  CHECK(c.Describe("x86-1") == "not enrolled: refused");

  store::AgentKeyRow bad = Enrolled("board-z", key);
  bad.stored_key = "not hex";
  const Status restored = c.Restore({bad});
  CHECK(restored.code() == Status::Code::kInvalidArgument);
  CHECK_THAT(restored.message(), Catch::Contains("board-z"));
  CHECK(c.Find("board-z") == nullptr);

  CHECK(ValidateAgentName("pi5-lab.2_a").ok());
  CHECK_FALSE(ValidateAgentName("").ok());
  CHECK_FALSE(ValidateAgentName("a/b").ok());
  CHECK_FALSE(ValidateAgentName(std::string(129, 'a')).ok());
}

TEST_CASE("credentials: a sync applies what changed in the database since the last, only",
          "[coordinator]") {
  Credentials c(fleet::StoredKeyFromToken(kFleetToken), false);
  const std::string key_a = fleet::NewNonceHex(), key_b = fleet::NewNonceHex();
  const store::AgentKeyRow a = Enrolled("board-a", key_a);
  REQUIRE(c.Restore({a}).ok());
  // The first sync reads what was restored: nothing changed.
  CHECK(c.Sync({a}).empty());
  // Revoked, and another enrolled, through another coordinator.
  store::AgentKeyRow revoked = a;
  revoked.revoked_at = "2026-12-07T13:00:00Z";
  const store::AgentKeyRow b = Enrolled("board-b", key_b);
  CHECK(c.Sync({revoked, b}) == std::vector<std::string>{"board-a", "board-b"});
  CHECK(c.Find("board-a")->revoked_at == revoked.revoked_at);
  const std::string nonce = fleet::NewNonceHex();
  CHECK_FALSE(c.Check(HelloOf("board-a", key_a, nonce), nonce, false).ok());
  CHECK(c.Check(HelloOf("board-b", key_b, nonce), nonce, false).ok());
  // Re-keyed here; a reading from before it must not undo it.
  const std::string key_b2 = fleet::NewNonceHex();
  REQUIRE(c.Put(Enrolled("board-b", key_b2)).ok());
  CHECK(c.Sync({revoked, b}).empty());
  CHECK(c.Check(HelloOf("board-b", key_b2, nonce), nonce, false).ok());
}

}  // namespace
}  // namespace effbench::coordinator
