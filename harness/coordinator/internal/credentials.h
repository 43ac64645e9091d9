// Who may connect to the coordinator under which name. An agent proves
// either the fleet token, or a key of its own (`effbench agents enroll`):
// once a name is enrolled, only its own key opens it, so a board's key
// cannot be used under another agent's name, and revoking it refuses the
// name without re-keying the fleet. With `require_enrolled` the fleet token
// opens no agent name at all (it stays the operators' key to the HTTP API).
// Only stored keys are kept, never a key itself (fleet/auth.h).
// Thread-safety: none; the network thread's only.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "harness/fleet/auth.h"
#include "harness/fleet/protocol.h"
#include "harness/store/stores.h"

namespace effbench::coordinator {

// Whether `name` may be an agent's name (what the hello's schema allows).
Status ValidateAgentName(const std::string& name);

class Credentials {
 public:
  Credentials(fleet::Key fleet_key, bool require_enrolled)
      : fleet_key_(fleet_key), require_enrolled_(require_enrolled) {}

  // The enrolled agents the database holds. InvalidArgument naming the row
  // whose stored key is not 64 hex digits (the database was edited by hand).
  Status Restore(const std::vector<store::AgentKeyRow>& rows);
  // Enrolls an agent with the stored form of its key, or replaces its key.
  Status Put(const store::AgentKeyRow& row);
  // The database's enrolled agents at a sync of several coordinators: the
  // rows that changed since the previous sync's (enrolled, re-keyed or
  // revoked through another coordinator) are put. Their names. A row that
  // is not a stored key is left out.
  std::vector<std::string> Sync(const std::vector<store::AgentKeyRow>& rows);
  void Revoke(const std::string& name, const std::string& at);

  // Every enrolled agent, revoked ones included, by name.
  std::vector<store::AgentKeyRow> Enrolled() const;
  // How agent `name` must prove its name, for people: "fleet token", "not
  // enrolled: refused" (require_enrolled), "own key, enrolled T" or "own key,
  // revoked T".
  std::string Describe(const std::string& name) const;
  // The agent's enrollment, or null when it has none.
  const store::AgentKeyRow* Find(const std::string& name) const;

  // Whether `hello`, answering the challenge `nonce` on a connection (TLS or
  // not), proves the right to connect under its name. How ("its own key",
  // "the fleet token"); otherwise FailedPrecondition saying why not.
  Result<std::string> Check(const fleet::Hello& hello, const std::string& nonce, bool tls) const;

 private:
  struct Entry {
    store::AgentKeyRow row;
    fleet::Key stored;
  };
  fleet::Key fleet_key_;
  bool require_enrolled_;
  std::map<std::string, Entry> enrolled_;
  std::map<std::string, store::AgentKeyRow> synced_;  // the database's rows at the last sync
};

// How an agent must prove its name (Credentials::Describe), from its
// enrollment (null: none).
std::string DescribeCredential(const store::AgentKeyRow* key, bool require_enrolled);

}  // namespace effbench::coordinator
