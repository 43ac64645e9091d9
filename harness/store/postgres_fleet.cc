// The fleet's agents and jobs in PostgreSQL (FleetStore).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/store/postgres_internal.h"
#include "harness/store/postgres_store.h"

namespace effbench::store {
namespace {

constexpr const char* kJobColumns =
    "id, agent, run_id, suite, spec, state, created_at, updated_at, error";

JobRow JobOf(const PgRows& rows, int i) {
  return JobRow{rows.Text(i, 0), rows.Text(i, 1), rows.Text(i, 2), rows.Text(i, 3), rows.Text(i, 4),
                rows.Text(i, 5), rows.Text(i, 6), rows.Text(i, 7), rows.Opt(i, 8)};
}

}  // namespace

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
    const PgRows rows =
        impl_->Exec(std::string("SELECT ") + kJobColumns + " FROM jobs ORDER BY created_at, seq");
    std::vector<JobRow> out;
    for (int i = 0; i < rows.size(); ++i) out.push_back(JobOf(rows, i));
    return out;
  });
}

Result<std::vector<JobRow>> PostgresStore::OpenJobs(const std::vector<std::string>& also) {
  return PgGuarded("read unfinished jobs", [&]() -> Result<std::vector<JobRow>> {
    const PgRows open = impl_->Exec(std::string("SELECT ") + kJobColumns +
                                    " FROM jobs WHERE state IN ('queued', 'dispatched')"
                                    " ORDER BY created_at, seq");
    std::vector<JobRow> out;
    for (int i = 0; i < open.size(); ++i) out.push_back(JobOf(open, i));
    if (also.empty()) return out;
    const PgRows ended =
        impl_->Exec(std::string("SELECT ") + kJobColumns +
                        " FROM jobs WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb))"
                        " AND state NOT IN ('queued', 'dispatched') ORDER BY created_at, seq",
                    {nlohmann::json(also).dump()});
    for (int i = 0; i < ended.size(); ++i) out.push_back(JobOf(ended, i));
    return out;
  });
}

Result<std::optional<JobRow>> PostgresStore::ClaimNextJob(const std::string& agent,
                                                          const std::string& coordinator,
                                                          std::chrono::milliseconds lease,
                                                          const std::string& updated_at) {
  return PgGuarded("claim a job of agent " + agent, [&]() -> Result<std::optional<JobRow>> {
    // One statement: the agent's dispatched job if it has one (resent, its
    // lease taken over), else its oldest queued job not locked by another
    // coordinator's claim at this moment.
    const PgRows claimed = impl_->Exec(
        "WITH current AS (SELECT id FROM jobs WHERE agent = $1 AND state = 'dispatched'"
        "   ORDER BY created_at, seq LIMIT 1),"
        " next AS (SELECT id FROM jobs WHERE agent = $1 AND state = 'queued'"
        "   AND NOT EXISTS (SELECT 1 FROM current) ORDER BY created_at, seq LIMIT 1"
        "   FOR UPDATE SKIP LOCKED)"
        " UPDATE jobs SET state = 'dispatched',"
        "   updated_at = CASE WHEN state = 'queued' THEN $2 ELSE updated_at END,"
        "   lease_owner = $3, lease_until = now() + $4::bigint * interval '1 millisecond'"
        " WHERE id IN (SELECT id FROM current UNION ALL SELECT id FROM next)"
        "   AND state IN ('queued', 'dispatched')"
        " RETURNING " +
            std::string(kJobColumns),
        {agent, updated_at, coordinator, PgInt(lease.count())});
    if (claimed.size() == 0) return std::optional<JobRow>();
    return std::optional<JobRow>(JobOf(claimed, 0));
  });
}

Status PostgresStore::RenewJobLeases(const std::string& coordinator,
                                     const std::vector<std::string>& agents,
                                     std::chrono::milliseconds lease) {
  return PgGuarded("renew job leases", [&]() -> Status {
    impl_->Exec(
        "UPDATE jobs SET lease_owner = $1,"
        " lease_until = now() + $2::bigint * interval '1 millisecond'"
        // Rows locked in id order: two coordinators renewing at once (an
        // agent between them) wait for each other, never deadlock.
        " WHERE id IN (SELECT id FROM jobs WHERE state = 'dispatched' AND agent IN"
        " (SELECT jsonb_array_elements_text($3::jsonb)) ORDER BY id FOR UPDATE)",
        {coordinator, PgInt(lease.count()), nlohmann::json(agents).dump()});
    return Status::Ok();
  });
}

Status PostgresStore::ExpireJobLease(const std::string& job_id, const std::string& updated_at,
                                     const std::string& reason) {
  return PgGuarded("end job " + job_id, [&]() -> Status {
    const PgRows ended = impl_->Exec(
        "UPDATE jobs SET state = 'failed', updated_at = $1, error = $2 WHERE id = $3"
        " AND state = 'dispatched' AND (lease_until IS NULL OR lease_until <= now())",
        {updated_at, reason, job_id});
    if (ended.Affected() == 1) return Status::Ok();
    const PgRows known = impl_->Exec(
        "SELECT state, coalesce(lease_owner, ''), coalesce(lease_until::text, '') FROM jobs"
        " WHERE id = $1",
        {job_id});
    if (known.size() == 0) return Status::NotFound("no job " + job_id);
    if (known.Text(0, 0) != "dispatched") {
      return Status::FailedPrecondition("job " + job_id + " is already " + known.Text(0, 0));
    }
    return Status::FailedPrecondition("job " + job_id + " is leased to coordinator " +
                                      known.Text(0, 1) + " until " + known.Text(0, 2));
  });
}

Status PostgresStore::PutAgentPresence(const AgentPresenceRow& p) {
  return PgGuarded("record agent " + p.name + "'s connection", [&]() -> Status {
    impl_->Exec(
        "INSERT INTO agent_presence (name, coordinator, state, job, done, total, spooled,"
        " remote, tls, credential, connected_at, last_heartbeat, heartbeat_at)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12, now()) ON CONFLICT (name) DO UPDATE SET"
        " coordinator = excluded.coordinator, state = excluded.state, job = excluded.job,"
        " done = excluded.done, total = excluded.total, spooled = excluded.spooled,"
        " remote = excluded.remote, tls = excluded.tls, credential = excluded.credential,"
        " connected_at = excluded.connected_at, last_heartbeat = excluded.last_heartbeat,"
        " heartbeat_at = excluded.heartbeat_at",
        {p.name, p.coordinator, p.state, p.job, PgInt(p.done), PgInt(p.total), PgInt(p.spooled),
         p.remote, std::string(p.tls ? "true" : "false"), p.credential, p.connected_at,
         p.last_heartbeat});
    return Status::Ok();
  });
}

Status PostgresStore::EndAgentPresence(const std::string& name, const std::string& coordinator) {
  return PgGuarded("record agent " + name + "'s disconnection", [&]() -> Status {
    impl_->Exec("DELETE FROM agent_presence WHERE name = $1 AND coordinator = $2",
                {name, coordinator});
    return Status::Ok();
  });
}

Result<bool> PostgresStore::ClaimScheduledRun(const std::string& key,
                                              const std::string& coordinator,
                                              const std::string& claimed_at) {
  return PgGuarded("claim schedule " + key, [&]() -> Result<bool> {
    return impl_
               ->Exec(
                   "INSERT INTO schedule_runs (key, coordinator, claimed_at) VALUES ($1,$2,$3)"
                   " ON CONFLICT (key) DO NOTHING",
                   {key, coordinator, claimed_at})
               .Affected() == 1;
  });
}

Result<std::vector<AgentPresenceRow>> PostgresStore::AgentPresence(
    std::chrono::milliseconds fresh) {
  return PgGuarded("read connected agents", [&]() -> Result<std::vector<AgentPresenceRow>> {
    const PgRows rows = impl_->Exec(
        "SELECT name, coordinator, state, job, done, total, spooled, remote, tls, credential,"
        " connected_at, last_heartbeat FROM agent_presence"
        " WHERE heartbeat_at >= now() - $1::bigint * interval '1 millisecond'"
        " ORDER BY name COLLATE \"C\"",
        {PgInt(fresh.count())});
    std::vector<AgentPresenceRow> out;
    for (int i = 0; i < rows.size(); ++i) {
      out.push_back(AgentPresenceRow{rows.Text(i, 0), rows.Text(i, 1), rows.Text(i, 2),
                                     rows.Text(i, 3), rows.Int(i, 4), rows.Int(i, 5),
                                     rows.Int(i, 6), rows.Text(i, 7), rows.Text(i, 8) == "t",
                                     rows.Text(i, 9), rows.Text(i, 10), rows.Text(i, 11)});
    }
    return out;
  });
}

}  // namespace effbench::store
