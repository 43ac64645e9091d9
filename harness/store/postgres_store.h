// The PostgreSQL results database: the same tables as SQLite's (schemas/sql,
// with PostgreSQL's dialect in schemas/sql/postgres), behind the same
// interfaces (stores.h), through libpq. What a fleet uses when it outgrows
// one coordinator: several coordinators share one database.
//
// Results go in with binary COPY straight into results, and where one of
// them is already stored (the unique key says so), through a per-connection
// staging table and INSERT ... ON CONFLICT DO NOTHING instead: a bounded
// number of round trips per batch whatever its size, and a result stored
// once however often it is sent, whichever coordinator receives it. results
// is partitioned by the month of its run.
//
// Not thread-safe: one PostgresStore (one connection) per thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "harness/store/stores.h"

namespace effbench::store {

class PostgresStore final : public Store {
 public:
  // Connects to `location`, a libpq URI (postgresql://...; what it leaves
  // out comes from the PG* environment variables) and migrates the
  // database. Refuses a database that holds tables but no effbench schema,
  // or one written by a newer effbench.
  // Unless `transport` allows otherwise, a connection to a server not on
  // this machine that ends up without TLS is refused (stores.h).
  // With kAsFound the schema is left as it is (effbench db check): only
  // its version is read (SchemaVersion), and a store opened so is for
  // CheckConsistency alone.
  enum class SchemaChange { kMigrate, kAsFound };
  static Result<std::unique_ptr<PostgresStore>> Open(
      const std::string& location, Durability durability = Durability::kNormal,
      ServerTransport transport = ServerTransport::kTlsUnlessLocal,
      SchemaChange change = SchemaChange::kMigrate);
  ~PostgresStore();

  // What `effbench db grant` does (stores.h, GrantAccess).
  Result<std::vector<std::string>> Grant(const std::string& role, Access access);

  // What `effbench db check` reports (stores.h, CheckDatabase).
  Result<std::vector<std::string>> CheckConsistency();

  // The plans of the statements behind the reads of a large database (one
  // series' history, a run's results and series, the series matching a
  // glob), as EXPLAIN shows them with sequential scans disabled: a
  // "Seq Scan on results" that remains is a read no index serves.
  struct QueryPlan {
    std::string sql, plan;
  };
  Result<std::vector<QueryPlan>> ExplainReads(const SeriesKey& series, const std::string& run_id);

  // What ingest cannot beat: `rows` sent with binary COPY, `batch` at a time
  // in a transaction each, on a connection of its own, into a table made and
  // dropped again: `indexed`, one like results with its key and indexes (not
  // partitioned); else one of the rows' bare shape, without a key or index.
  // Its rate, in rows per second. tests/bench/fleet_load prints it beside
  // the coordinator's.
  static Result<double> RawCopyRate(const std::string& location,
                                    const std::vector<result::RecordRow>& rows, size_t batch,
                                    bool indexed);

  // Whether the database takes a write now (a small write transaction).
  Status ProbeWrite() override;
  Status ReadRows(const Table& table,
                  const std::function<Status(std::vector<Row>&&)>& chunk) override;
  Status WriteRows(const Table& table, const std::vector<Row>& rows) override;
  Status FinishCopy() override;
  Result<PruneCounts> PruneBefore(const std::string& before, const std::string& now) override;
  // The schema version after migration.
  int SchemaVersion() const override;

  // RunStore
  Status UpsertMachine(const MachineRow& machine) override;
  Result<std::optional<std::string>> MachineCalibration(const std::string& fingerprint) override;
  Result<std::vector<MachineRow>> Machines() override;
  Status BeginRun(const RunRow& run) override;
  Status FinishRun(const std::string& run_id, const std::string& finished_at) override;
  Result<std::vector<RunRow>> Runs() override;
  Status DeleteRun(const std::string& run_id) override;
  Result<size_t> InsertResults(const std::vector<result::ResultRecord>& records) override;
  Result<size_t> InsertResults(const std::vector<result::RecordRow>& rows) override;
  Result<std::vector<result::ResultRecord>> Results(const std::string& run_id) override;
  Result<int64_t> ResultCount() override;
  Result<int64_t> ResultCountOfRun(const std::string& run_id) override;
  // SeriesStore
  Result<std::vector<SeriesKey>> SeriesOf(const std::string& run_id) override;
  Result<std::vector<SeriesKey>> SeriesMatching(const std::string& glob) override;
  Result<std::vector<SeriesPoint>> SeriesHistory(const SeriesKey& series) override;
  Result<std::vector<std::vector<SeriesPoint>>> SeriesHistories(
      const std::vector<SeriesKey>& series) override;
  // RegressionStore
  Status UpsertRegression(const RegressionRow& row) override;
  Result<std::vector<RegressionRow>> RegressionsOf(const SeriesKey& series) override;
  Status ResolveRegression(int64_t id, const std::string& state, const std::string& reason,
                           const std::optional<std::string>& fixed_last_bad,
                           const std::optional<std::string>& fixed_first_good,
                           const std::string& updated_at) override;
  Result<std::vector<RegressionRow>> Regressions(const std::string& since,
                                                 const std::string& state) override;
  Status SetRegressionState(int64_t id, const std::string& state,
                            const std::string& updated_at) override;
  Status MarkRunChecked(const std::string& run_id, const std::string& checked_at) override;
  Result<bool> RunChecked(const std::string& run_id) override;
  // FleetStore
  Status UpsertAgent(const AgentRow& agent) override;
  Result<std::vector<AgentRow>> Agents() override;
  Status RemoveAgent(const std::string& name) override;
  Result<std::vector<AgentKeyRow>> AgentKeys() override;
  Status PutAgentKey(const AgentKeyRow& key) override;
  Status RevokeAgentKey(const std::string& name, const std::string& revoked_at) override;
  Status InsertJob(const JobRow& job) override;
  Status InsertJobs(const std::vector<JobRow>& jobs) override;
  Status SetJobState(const std::string& job_id, const std::string& state,
                     const std::string& updated_at,
                     const std::optional<std::string>& error) override;
  Status EndUnfinishedJob(const std::string& job_id, const std::string& state,
                          const std::string& updated_at, const std::string& reason) override;
  Result<std::vector<JobRow>> Jobs() override;
  Result<std::vector<JobRow>> OpenJobs(const std::vector<std::string>& also) override;
  Result<std::vector<AgentPresenceRow>> AgentPresence(std::chrono::milliseconds fresh) override;
  Result<std::optional<JobRow>> ClaimNextJob(const std::string& agent,
                                             const std::string& coordinator,
                                             std::chrono::milliseconds lease,
                                             const std::string& updated_at) override;
  Status RenewJobLeases(const std::string& coordinator, const std::vector<std::string>& agents,
                        std::chrono::milliseconds lease) override;
  Status ExpireJobLease(const std::string& job_id, const std::string& updated_at,
                        const std::string& reason) override;
  Status PutAgentPresence(const AgentPresenceRow& row) override;
  Status EndAgentPresence(const std::string& name, const std::string& coordinator) override;
  Result<bool> ClaimScheduledRun(const std::string& key, const std::string& coordinator,
                                 const std::string& claimed_at) override;

  // The connection (postgres_internal.h), for the store's own files.
  struct Impl;

 private:
  // Inserts `rows` through the staging table with ON CONFLICT DO NOTHING, in
  // the open transaction; how many were new. Throws PgError.
  size_t InsertStaged(const std::vector<result::RecordRow>& rows);
  explicit PostgresStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace effbench::store
