// The fleet's agents and jobs in SQLite (FleetStore).
#include <SQLiteCpp/SQLiteCpp.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/store/result_store.h"
#include "harness/store/sqlite_internal.h"

namespace effbench::store {
namespace {

constexpr const char* kJobColumns =
    "id, agent, run_id, suite, spec, state, created_at, updated_at, error";
// The database's clock, in the stored form; and a lease's end, `?` seconds on.
constexpr const char* kDatabaseNow = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
constexpr const char* kLeaseUntil = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+' || ? || ' seconds')";

JobRow JobOf(SQLite::Statement& s) {
  return JobRow{Str(s.getColumn(0)), Str(s.getColumn(1)), Str(s.getColumn(2)),
                Str(s.getColumn(3)), Str(s.getColumn(4)), Str(s.getColumn(5)),
                Str(s.getColumn(6)), Str(s.getColumn(7)), OptStr(s.getColumn(8))};
}

// A duration as SQLite's date modifiers take it: seconds, to the millisecond.
std::string LeaseSeconds(std::chrono::milliseconds d) {
  return std::to_string(d.count() / 1000) + "." + std::to_string(1000 + d.count() % 1000).substr(1);
}

}  // namespace

Status ResultStore::RemoveAgent(const std::string& name) {
  return Guarded("remove agent " + name, [&]() -> Status {
    auto s_prepared = impl_->Prepare("DELETE FROM agents WHERE name = ?");
    SQLite::Statement& s = *s_prepared;
    s.bind(1, name);
    if (s.exec() != 1) return Status::NotFound("no agent " + name);
    return Status::Ok();
  });
}

Status ResultStore::UpsertAgent(const AgentRow& a) {
  return Guarded("store agent " + a.name, [&]() -> Status {
    auto s_prepared = impl_->Prepare(
        "INSERT INTO agents (name, machine_fingerprint, version, labels, first_seen,"
        " last_seen) VALUES (?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET"
        " machine_fingerprint = excluded.machine_fingerprint,"
        " version = excluded.version, labels = excluded.labels,"
        " last_seen = excluded.last_seen");
    SQLite::Statement& s = *s_prepared;
    s.bind(1, a.name);
    s.bind(2, a.machine_fingerprint);
    s.bind(3, a.version);
    s.bind(4, a.labels_json);
    s.bind(5, a.first_seen);
    s.bind(6, a.last_seen);
    s.exec();
    return Status::Ok();
  });
}

Result<std::vector<AgentRow>> ResultStore::Agents() {
  return Guarded("read agents", [&]() -> Result<std::vector<AgentRow>> {
    std::vector<AgentRow> rows;
    auto s_prepared = impl_->Prepare(
        "SELECT name, machine_fingerprint, version, labels, first_seen, last_seen"
        " FROM agents ORDER BY name");
    SQLite::Statement& s = *s_prepared;
    while (s.executeStep()) {
      rows.push_back(AgentRow{Str(s.getColumn(0)), Str(s.getColumn(1)), Str(s.getColumn(2)),
                              Str(s.getColumn(3)), Str(s.getColumn(4)), Str(s.getColumn(5))});
    }
    return rows;
  });
}

Result<std::vector<AgentKeyRow>> ResultStore::AgentKeys() {
  return Guarded("read agent keys", [&]() -> Result<std::vector<AgentKeyRow>> {
    std::vector<AgentKeyRow> rows;
    auto s_prepared = impl_->Prepare(
        "SELECT name, stored_key, enrolled_at, revoked_at FROM agent_keys ORDER BY name");
    SQLite::Statement& s = *s_prepared;
    while (s.executeStep()) {
      AgentKeyRow row{Str(s.getColumn(0)), Str(s.getColumn(1)), Str(s.getColumn(2)), std::nullopt};
      if (!s.getColumn(3).isNull()) row.revoked_at = Str(s.getColumn(3));
      rows.push_back(std::move(row));
    }
    return rows;
  });
}

Status ResultStore::PutAgentKey(const AgentKeyRow& key) {
  return Guarded("store the key of agent " + key.name, [&]() -> Status {
    auto s_prepared = impl_->Prepare(
        "INSERT INTO agent_keys (name, stored_key, enrolled_at, revoked_at) VALUES (?,?,?,?)"
        " ON CONFLICT(name) DO UPDATE SET stored_key = excluded.stored_key,"
        " enrolled_at = excluded.enrolled_at, revoked_at = excluded.revoked_at");
    SQLite::Statement& s = *s_prepared;
    s.bind(1, key.name);
    s.bind(2, key.stored_key);
    s.bind(3, key.enrolled_at);
    BindOptional(s, 4, key.revoked_at);
    s.exec();
    return Status::Ok();
  });
}

Status ResultStore::RevokeAgentKey(const std::string& name, const std::string& revoked_at) {
  return Guarded("revoke the key of agent " + name, [&]() -> Status {
    auto s_prepared = impl_->Prepare("UPDATE agent_keys SET revoked_at = ? WHERE name = ?");
    SQLite::Statement& s = *s_prepared;
    s.bind(1, revoked_at);
    s.bind(2, name);
    if (s.exec() != 1) return Status::NotFound("agent " + name + " is not enrolled");
    return Status::Ok();
  });
}

Status ResultStore::InsertJob(const JobRow& j) {
  return Guarded("store job " + j.id, [&]() -> Status {
    auto s_prepared = impl_->Prepare(
        "INSERT INTO jobs (id, agent, run_id, suite, spec, state, created_at,"
        " updated_at, error) VALUES (?,?,?,?,?,?,?,?,?)");
    SQLite::Statement& s = *s_prepared;
    s.bind(1, j.id);
    s.bind(2, j.agent);
    s.bind(3, j.run_id);
    s.bind(4, j.suite);
    s.bind(5, j.spec_json);
    s.bind(6, j.state);
    s.bind(7, j.created_at);
    s.bind(8, j.updated_at);
    BindOptional(s, 9, j.error);
    s.exec();
    return Status::Ok();
  });
}

Status ResultStore::InsertJobs(const std::vector<JobRow>& jobs) {
  return Guarded("store jobs", [&]() -> Status {
    SQLite::Transaction tx(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    for (const JobRow& j : jobs) EFFBENCH_RETURN_IF_ERROR(InsertJob(j));
    tx.commit();
    return Status::Ok();
  });
}

Status ResultStore::SetJobState(const std::string& job_id, const std::string& state,
                                const std::string& updated_at,
                                const std::optional<std::string>& error) {
  return Guarded("update job " + job_id, [&]() -> Status {
    auto s_prepared =
        impl_->Prepare("UPDATE jobs SET state = ?, updated_at = ?, error = ? WHERE id = ?");
    SQLite::Statement& s = *s_prepared;
    s.bind(1, state);
    s.bind(2, updated_at);
    BindOptional(s, 3, error);
    s.bind(4, job_id);
    if (s.exec() != 1) return Status::NotFound("no job " + job_id);
    return Status::Ok();
  });
}

Status ResultStore::EndUnfinishedJob(const std::string& job_id, const std::string& state,
                                     const std::string& updated_at, const std::string& reason) {
  return Guarded("end job " + job_id, [&]() -> Status {
    auto s_prepared = impl_->Prepare(
        "UPDATE jobs SET state = ?, updated_at = ?, error = ? WHERE id = ?"
        " AND state IN ('queued', 'dispatched')");
    SQLite::Statement& s = *s_prepared;
    s.bind(1, state);
    s.bind(2, updated_at);
    s.bind(3, reason);
    s.bind(4, job_id);
    if (s.exec() == 1) return Status::Ok();
    auto known_prepared = impl_->Prepare("SELECT state FROM jobs WHERE id = ?");
    SQLite::Statement& known = *known_prepared;
    known.bind(1, job_id);
    if (!known.executeStep()) return Status::NotFound("no job " + job_id);
    return Status::FailedPrecondition("job " + job_id + " is already " +
                                      known.getColumn(0).getString());
  });
}

Result<std::vector<JobRow>> ResultStore::Jobs() {
  return Guarded("read jobs", [&]() -> Result<std::vector<JobRow>> {
    std::vector<JobRow> rows;
    auto s_prepared = impl_->Prepare(std::string("SELECT ") + kJobColumns +
                                     " FROM jobs ORDER BY created_at, rowid");
    SQLite::Statement& s = *s_prepared;
    while (s.executeStep()) rows.push_back(JobOf(s));
    return rows;
  });
}

Result<std::vector<JobRow>> ResultStore::OpenJobs(const std::vector<std::string>& also) {
  return Guarded("read unfinished jobs", [&]() -> Result<std::vector<JobRow>> {
    std::vector<JobRow> rows;
    auto s_prepared = impl_->Prepare(std::string("SELECT ") + kJobColumns +
                                     " FROM jobs WHERE state IN ('queued', 'dispatched')"
                                     " ORDER BY created_at, rowid");
    SQLite::Statement& s = *s_prepared;
    while (s.executeStep()) rows.push_back(JobOf(s));
    auto one_prepared = impl_->Prepare(std::string("SELECT ") + kJobColumns +
                                       " FROM jobs WHERE id = ? AND state NOT IN ('queued', "
                                       "'dispatched')");
    SQLite::Statement& one = *one_prepared;
    for (const std::string& id : also) {
      one.reset();
      one.bind(1, id);
      if (one.executeStep()) rows.push_back(JobOf(one));
    }
    return rows;
  });
}

Result<std::optional<JobRow>> ResultStore::ClaimNextJob(const std::string& agent,
                                                        const std::string& coordinator,
                                                        std::chrono::milliseconds lease,
                                                        const std::string& updated_at) {
  return Guarded("claim a job of agent " + agent, [&]() -> Result<std::optional<JobRow>> {
    // One writer at a time holds a SQLite file: the transaction is the claim.
    SQLite::Transaction tx(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    auto pick_prepared = impl_->Prepare(
        "SELECT id FROM jobs WHERE agent = ? AND state IN ('queued', 'dispatched')"
        " ORDER BY state = 'queued', created_at, rowid LIMIT 1");
    SQLite::Statement& pick = *pick_prepared;
    pick.bind(1, agent);
    if (!pick.executeStep()) return std::optional<JobRow>();
    const std::string id = pick.getColumn(0).getString();
    pick.reset();
    auto claim_prepared = impl_->Prepare(
        "UPDATE jobs SET state = 'dispatched', updated_at = CASE WHEN state = 'queued'"
        " THEN ? ELSE updated_at END, lease_owner = ?, lease_until = " +
        std::string(kLeaseUntil) + " WHERE id = ?");
    SQLite::Statement& claim = *claim_prepared;
    claim.bind(1, updated_at);
    claim.bind(2, coordinator);
    claim.bind(3, LeaseSeconds(lease));
    claim.bind(4, id);
    claim.exec();
    auto read_prepared =
        impl_->Prepare(std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id = ?");
    SQLite::Statement& read = *read_prepared;
    read.bind(1, id);
    if (!read.executeStep()) return Status::Internal("claimed job " + id + " vanished");
    JobRow row = JobOf(read);
    read.reset();
    tx.commit();
    return std::optional<JobRow>(std::move(row));
  });
}

Status ResultStore::RenewJobLeases(const std::string& coordinator,
                                   const std::vector<std::string>& agents,
                                   std::chrono::milliseconds lease) {
  return Guarded("renew job leases", [&]() -> Status {
    auto s_prepared = impl_->Prepare(
        "UPDATE jobs SET lease_owner = ?, lease_until = " + std::string(kLeaseUntil) +
        " WHERE state = 'dispatched' AND agent IN (SELECT value FROM json_each(?))");
    SQLite::Statement& s = *s_prepared;
    s.bind(1, coordinator);
    s.bind(2, LeaseSeconds(lease));
    s.bind(3, nlohmann::json(agents).dump());
    s.exec();
    return Status::Ok();
  });
}

Status ResultStore::ExpireJobLease(const std::string& job_id, const std::string& updated_at,
                                   const std::string& reason) {
  return Guarded("end job " + job_id, [&]() -> Status {
    auto s_prepared = impl_->Prepare(
        "UPDATE jobs SET state = 'failed', updated_at = ?, error = ? WHERE id = ?"
        " AND state = 'dispatched' AND (lease_until IS NULL OR lease_until <= " +
        std::string(kDatabaseNow) + ")");
    SQLite::Statement& s = *s_prepared;
    s.bind(1, updated_at);
    s.bind(2, reason);
    s.bind(3, job_id);
    if (s.exec() == 1) return Status::Ok();
    auto known_prepared =
        impl_->Prepare("SELECT state, lease_owner, lease_until FROM jobs WHERE id = ?");
    SQLite::Statement& known = *known_prepared;
    known.bind(1, job_id);
    if (!known.executeStep()) return Status::NotFound("no job " + job_id);
    const std::string state = known.getColumn(0).getString();
    if (state != "dispatched") {
      return Status::FailedPrecondition("job " + job_id + " is already " + state);
    }
    return Status::FailedPrecondition("job " + job_id + " is leased to coordinator " +
                                      known.getColumn(1).getString() + " until " +
                                      known.getColumn(2).getString());
  });
}

Status ResultStore::PutAgentPresence(const AgentPresenceRow& p) {
  return Guarded("record agent " + p.name + "'s connection", [&]() -> Status {
    auto s_prepared = impl_->Prepare(
        "INSERT OR REPLACE INTO agent_presence (name, coordinator, state, job, done, total,"
        " spooled, remote, tls, credential, connected_at, last_heartbeat, heartbeat_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?," +
        std::string(kDatabaseNow) + ")");
    SQLite::Statement& s = *s_prepared;
    s.bind(1, p.name);
    s.bind(2, p.coordinator);
    s.bind(3, p.state);
    s.bind(4, p.job);
    s.bind(5, p.done);
    s.bind(6, p.total);
    s.bind(7, p.spooled);
    s.bind(8, p.remote);
    s.bind(9, p.tls ? 1 : 0);
    s.bind(10, p.credential);
    s.bind(11, p.connected_at);
    s.bind(12, p.last_heartbeat);
    s.exec();
    return Status::Ok();
  });
}

Status ResultStore::EndAgentPresence(const std::string& name, const std::string& coordinator) {
  return Guarded("record agent " + name + "'s disconnection", [&]() -> Status {
    auto s_prepared =
        impl_->Prepare("DELETE FROM agent_presence WHERE name = ? AND coordinator = ?");
    SQLite::Statement& s = *s_prepared;
    s.bind(1, name);
    s.bind(2, coordinator);
    s.exec();
    return Status::Ok();
  });
}

Result<bool> ResultStore::ClaimScheduledRun(const std::string& key, const std::string& coordinator,
                                            const std::string& claimed_at) {
  return Guarded("claim schedule " + key, [&]() -> Result<bool> {
    auto s_prepared = impl_->Prepare(
        "INSERT OR IGNORE INTO schedule_runs (key, coordinator, claimed_at) VALUES (?,?,?)");
    SQLite::Statement& s = *s_prepared;
    s.bind(1, key);
    s.bind(2, coordinator);
    s.bind(3, claimed_at);
    return s.exec() == 1;
  });
}

Result<std::vector<AgentPresenceRow>> ResultStore::AgentPresence(std::chrono::milliseconds fresh) {
  return Guarded("read connected agents", [&]() -> Result<std::vector<AgentPresenceRow>> {
    auto s_prepared = impl_->Prepare(
        "SELECT name, coordinator, state, job, done, total, spooled, remote, tls, credential,"
        " connected_at, last_heartbeat FROM agent_presence WHERE heartbeat_at >= "
        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || ? || ' seconds') ORDER BY name");
    SQLite::Statement& s = *s_prepared;
    s.bind(1, LeaseSeconds(fresh));
    std::vector<AgentPresenceRow> rows;
    while (s.executeStep()) {
      rows.push_back(AgentPresenceRow{
          Str(s.getColumn(0)), Str(s.getColumn(1)), Str(s.getColumn(2)), Str(s.getColumn(3)),
          s.getColumn(4).getInt64(), s.getColumn(5).getInt64(), s.getColumn(6).getInt64(),
          Str(s.getColumn(7)), s.getColumn(8).getInt() != 0, Str(s.getColumn(9)),
          Str(s.getColumn(10)), Str(s.getColumn(11))});
    }
    return rows;
  });
}

}  // namespace effbench::store
