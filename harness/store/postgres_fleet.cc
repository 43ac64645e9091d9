// The fleet's agents and jobs in PostgreSQL (FleetStore).
#include <string>
#include <vector>

#include "harness/store/postgres_internal.h"
#include "harness/store/postgres_store.h"

namespace effbench::store {

Status PostgresStore::RemoveAgent(const std::string& name) {
  return PgGuarded("remove agent " + name, [&]() -> Status {
    if (impl_->Exec("DELETE FROM agents WHERE name = $1", {name}).Affected() != 1) {
      return Status::NotFound("no agent " + name);
    }
    return Status::Ok();
  });
}

Status PostgresStore::UpsertAgent(const AgentRow& a) {
  return PgGuarded("store agent " + a.name, [&]() -> Status {
    impl_->Exec(
        "INSERT INTO agents (name, machine_fingerprint, version, labels, first_seen, last_seen)"
        " VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (name) DO UPDATE SET"
        " machine_fingerprint = excluded.machine_fingerprint, version = excluded.version,"
        " labels = excluded.labels, last_seen = excluded.last_seen",
        {a.name, a.machine_fingerprint, a.version, a.labels_json, a.first_seen, a.last_seen});
    return Status::Ok();
  });
}

Result<std::vector<AgentRow>> PostgresStore::Agents() {
  return PgGuarded("read agents", [&]() -> Result<std::vector<AgentRow>> {
    const PgRows rows = impl_->Exec(
        "SELECT name, machine_fingerprint, version, labels, first_seen, last_seen"
        " FROM agents ORDER BY name COLLATE \"C\"");
    std::vector<AgentRow> out;
    for (int i = 0; i < rows.size(); ++i) {
      out.push_back(AgentRow{rows.Text(i, 0), rows.Text(i, 1), rows.Text(i, 2), rows.Text(i, 3),
                             rows.Text(i, 4), rows.Text(i, 5)});
    }
    return out;
  });
}

Result<std::vector<AgentKeyRow>> PostgresStore::AgentKeys() {
  return PgGuarded("read agent keys", [&]() -> Result<std::vector<AgentKeyRow>> {
    const PgRows rows = impl_->Exec(
        "SELECT name, stored_key, enrolled_at, revoked_at FROM agent_keys"
        " ORDER BY name COLLATE \"C\"");
    std::vector<AgentKeyRow> out;
    for (int i = 0; i < rows.size(); ++i) {
      out.push_back(AgentKeyRow{rows.Text(i, 0), rows.Text(i, 1), rows.Text(i, 2), rows.Opt(i, 3)});
    }
    return out;
  });
}

Status PostgresStore::PutAgentKey(const AgentKeyRow& key) {
  return PgGuarded("store the key of agent " + key.name, [&]() -> Status {
    impl_->Exec(
        "INSERT INTO agent_keys (name, stored_key, enrolled_at, revoked_at) VALUES ($1,$2,$3,$4)"
        " ON CONFLICT (name) DO UPDATE SET stored_key = excluded.stored_key,"
        " enrolled_at = excluded.enrolled_at, revoked_at = excluded.revoked_at",
        {key.name, key.stored_key, key.enrolled_at, key.revoked_at});
    return Status::Ok();
  });
}

Status PostgresStore::RevokeAgentKey(const std::string& name, const std::string& revoked_at) {
  return PgGuarded("revoke the key of agent " + name, [&]() -> Status {
    if (impl_->Exec("UPDATE agent_keys SET revoked_at = $1 WHERE name = $2", {revoked_at, name})
            .Affected() != 1) {
      return Status::NotFound("agent " + name + " is not enrolled");
    }
    return Status::Ok();
  });
}

Status PostgresStore::InsertJob(const JobRow& j) {
  return PgGuarded("store job " + j.id, [&]() -> Status {
    impl_->Exec(
        "INSERT INTO jobs (id, agent, run_id, suite, spec, state, created_at, updated_at, error)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
        {j.id, j.agent, j.run_id, j.suite, j.spec_json, j.state, j.created_at, j.updated_at,
         j.error});
    return Status::Ok();
  });
}

Status PostgresStore::InsertJobs(const std::vector<JobRow>& jobs) {
  return PgGuarded("store jobs", [&]() -> Status {
    PgTransaction tx(*impl_);
    for (const JobRow& j : jobs) EFFBENCH_RETURN_IF_ERROR(InsertJob(j));
    tx.Commit();
    return Status::Ok();
  });
}

Status PostgresStore::SetJobState(const std::string& job_id, const std::string& state,
                                  const std::string& updated_at,
                                  const std::optional<std::string>& error) {
  return PgGuarded("update job " + job_id, [&]() -> Status {
    if (impl_
            ->Exec("UPDATE jobs SET state = $1, updated_at = $2, error = $3 WHERE id = $4",
                   {state, updated_at, error, job_id})
            .Affected() != 1) {
      return Status::NotFound("no job " + job_id);
    }
    return Status::Ok();
  });
}

Status PostgresStore::EndUnfinishedJob(const std::string& job_id, const std::string& state,
                                       const std::string& updated_at, const std::string& reason) {
  return PgGuarded("end job " + job_id, [&]() -> Status {
    // One statement: of two coordinators ending the same job, one wins and
    // the other is told what it became.
    const PgRows ended = impl_->Exec(
        "UPDATE jobs SET state = $1, updated_at = $2, error = $3 WHERE id = $4"
        " AND state IN ('queued', 'dispatched')",
        {state, updated_at, reason, job_id});
    if (ended.Affected() == 1) return Status::Ok();
    const PgRows known = impl_->Exec("SELECT state FROM jobs WHERE id = $1", {job_id});
    if (known.size() == 0) return Status::NotFound("no job " + job_id);
    return Status::FailedPrecondition("job " + job_id + " is already " + known.Text(0, 0));
  });
}

Result<std::vector<JobRow>> PostgresStore::Jobs() {
  return PgGuarded("read jobs", [&]() -> Result<std::vector<JobRow>> {
    const PgRows rows = impl_->Exec(
        "SELECT id, agent, run_id, suite, spec, state, created_at, updated_at, error"
        " FROM jobs ORDER BY created_at, seq");
    std::vector<JobRow> out;
    for (int i = 0; i < rows.size(); ++i) {
      out.push_back(JobRow{rows.Text(i, 0), rows.Text(i, 1), rows.Text(i, 2), rows.Text(i, 3),
                           rows.Text(i, 4), rows.Text(i, 5), rows.Text(i, 6), rows.Text(i, 7),
                           rows.Opt(i, 8)});
    }
    return out;
  });
}

}  // namespace effbench::store
