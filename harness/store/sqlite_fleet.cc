// The fleet's agents and jobs in SQLite (FleetStore).
#include <SQLiteCpp/SQLiteCpp.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/store/result_store.h"
#include "harness/store/sqlite_internal.h"

namespace effbench::store {

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
    SQLite::Transaction tx(impl_->db);
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
    auto s_prepared = impl_->Prepare(
        "SELECT id, agent, run_id, suite, spec, state, created_at, updated_at,"
        " error FROM jobs ORDER BY created_at, rowid");
    SQLite::Statement& s = *s_prepared;
    while (s.executeStep()) {
      rows.push_back(JobRow{Str(s.getColumn(0)), Str(s.getColumn(1)), Str(s.getColumn(2)),
                            Str(s.getColumn(3)), Str(s.getColumn(4)), Str(s.getColumn(5)),
                            Str(s.getColumn(6)), Str(s.getColumn(7)), OptStr(s.getColumn(8))});
    }
    return rows;
  });
}

}  // namespace effbench::store
