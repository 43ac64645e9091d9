#include "harness/coordinator/internal/credentials.h"

namespace effbench::coordinator {

Status ValidateAgentName(const std::string& name) {
  const bool valid = !name.empty() && name.size() <= 128 &&
                     name.find_first_not_of(
                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "0123456789._-") == std::string::npos;
  if (valid) return Status::Ok();
  return Status::InvalidArgument("\"" + name +
                                 "\" is not an agent name (1 to 128 of A-Z a-z 0-9 . _ -)");
}

Status Credentials::Put(const store::AgentKeyRow& row) {
  auto stored = fleet::StoredKeyFromTokenFile(fleet::kStoredKeyPrefix + row.stored_key);
  if (!stored.ok() || row.stored_key.size() != 64) {
    return Status::InvalidArgument("agent " + row.name + ": its stored key is not 64 hex digits");
  }
  enrolled_[row.name] = Entry{row, *stored};
  return Status::Ok();
}

Status Credentials::Restore(const std::vector<store::AgentKeyRow>& rows) {
  for (const store::AgentKeyRow& row : rows) EFFBENCH_RETURN_IF_ERROR(Put(row));
  return Status::Ok();
}

void Credentials::Revoke(const std::string& name, const std::string& at) {
  if (auto e = enrolled_.find(name); e != enrolled_.end()) e->second.row.revoked_at = at;
}

std::vector<store::AgentKeyRow> Credentials::Enrolled() const {
  std::vector<store::AgentKeyRow> rows;
  for (const auto& [name, e] : enrolled_) rows.push_back(e.row);
  return rows;
}

std::string DescribeCredential(const store::AgentKeyRow* key, bool require_enrolled) {
  if (key == nullptr) return require_enrolled ? "not enrolled: refused" : "fleet token";
  return key->revoked_at ? "own key, revoked " + *key->revoked_at
                         : "own key, enrolled " + key->enrolled_at;
}

std::string Credentials::Describe(const std::string& name) const {
  return DescribeCredential(Find(name), require_enrolled_);
}

std::vector<std::string> Credentials::Sync(const std::vector<store::AgentKeyRow>& rows) {
  // Only what changed in the database since the last sync: a read that
  // began before this coordinator's own enrollment must not undo it.
  std::map<std::string, store::AgentKeyRow> now;
  std::vector<std::string> changed;
  for (const store::AgentKeyRow& row : rows) {
    now[row.name] = row;
    const auto before = synced_.find(row.name);
    const bool same = before != synced_.end() && before->second.stored_key == row.stored_key &&
                      before->second.enrolled_at == row.enrolled_at &&
                      before->second.revoked_at == row.revoked_at;
    if (same) continue;
    const store::AgentKeyRow* held = Find(row.name);
    const bool held_same = held != nullptr && held->stored_key == row.stored_key &&
                           held->enrolled_at == row.enrolled_at &&
                           held->revoked_at == row.revoked_at;
    if (held_same || !Put(row).ok()) continue;
    changed.push_back(row.name);
  }
  synced_ = std::move(now);
  return changed;
}

const store::AgentKeyRow* Credentials::Find(const std::string& name) const {
  const auto e = enrolled_.find(name);
  return e == enrolled_.end() ? nullptr : &e->second.row;
}

Result<std::string> Credentials::Check(const fleet::Hello& hello, const std::string& nonce,
                                       bool tls) const {
  const std::string& name = hello.name;
  const fleet::Key* key = &fleet_key_;
  std::string how = "the fleet token";
  if (const auto e = enrolled_.find(name); e != enrolled_.end()) {
    if (e->second.row.revoked_at) {
      return Status::FailedPrecondition("agent " + name + "'s key was revoked at " +
                                        *e->second.row.revoked_at);
    }
    key = &e->second.stored;
    how = "its own key";
  } else if (require_enrolled_) {
    return Status::FailedPrecondition("agent " + name +
                                      " is not enrolled, and this coordinator admits enrolled " +
                                      "agents only (effbench agents enroll " + name + ")");
  }
  bool proven = false;
  if (hello.token) {
    if (!tls) {
      return Status::FailedPrecondition(
          "the token was sent in clear: without TLS only the HMAC proof is accepted");
    }
    proven = fleet::VerifyToken(*key, *hello.token);
  } else {
    const std::string fingerprint = hello.machine.value("fingerprint", "");
    proven = fleet::VerifyProof(*key, fleet::AuthMessage(nonce, name, fingerprint),
                                hello.proof.value_or(""));
  }
  if (!proven) {
    return Status::FailedPrecondition(how == "the fleet token" ? "wrong fleet token"
                                                               : "wrong key for agent " + name);
  }
  return how;
}

}  // namespace effbench::coordinator
