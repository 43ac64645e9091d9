// The SQLite results database: machines, revisions, runs, and results with
// every repetition's sample; series, regressions, and the fleet's agents and
// jobs. It implements the interfaces of stores.h.
//
// The file is opened in WAL mode and migrated with the numbered SQL files of
// schemas/sql (tracked by PRAGMA user_version); it carries effbench's
// application_id, so a file that is not an effbench database is refused
// without being written to, and one whose pages fail PRAGMA quick_check is
// refused too. The file is only ever opened through SQLite (see CheckExisting
// in the .cc: a plain open and close would drop this process's locks). Writes are batched in
// transactions that roll back unless committed. Not thread-safe: one ResultStore per thread.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "harness/result/record.h"
#include "harness/result/record_row.h"
#include "harness/store/stores.h"

namespace effbench::store {

inline constexpr int32_t kApplicationId = 0x45464642;  // "EFFB"

// PRAGMA integrity_check of the database at `path`, on a read-only
// connection (a damaged database, which Open refuses, can be checked): the
// problems found, empty for a sound database.
Result<std::vector<std::string>> CheckIntegrity(const std::string& path);

class ResultStore final : public Store {
 public:
  // Opens (creating if absent) the database at `path`, or ":memory:".
  // Refuses, untouched, a file that is not an effbench database or was written
  // by a newer schema.
  static Result<std::unique_ptr<ResultStore>> Open(const std::string& path,
                                                   Durability durability = Durability::kNormal,
                                                   OpenCheck check = OpenCheck::kQuickCheck);
  ~ResultStore();

  // Whether the database takes a write now: rewrites its header's
  // application_id in a transaction (a few pages through the WAL).
  Status ProbeWrite() override;

  // The schema version after migration.
  int SchemaVersion() const override;
  Status ReadRows(const Table& table,
                  const std::function<Status(std::vector<Row>&&)>& chunk) override;
  Status WriteRows(const Table& table, const std::vector<Row>& rows) override;
  Result<PruneCounts> PruneBefore(const std::string& before, const std::string& now) override;

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

 private:
  struct Impl;
  // What a transaction adds to each run's counts (ok, failed, skipped).
  using RunCounts = std::map<std::string, std::array<int64_t, 3>>;
  explicit ResultStore(std::unique_ptr<Impl> impl);
  // Inserts `rows` in the open transaction, adding to `added`; throws
  // SQLite::Exception (the callers are Guarded).
  size_t InsertRows(const std::vector<result::RecordRow>& rows, RunCounts& added);
  void AddRunCounts(const RunCounts& added);
  std::unique_ptr<Impl> impl_;
};

}  // namespace effbench::store
