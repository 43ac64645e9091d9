// The SQLite results database: machines, revisions, runs, and results with
// every repetition's sample.
//
// The file is opened in WAL mode and migrated with the numbered SQL files of
// schemas/sql (tracked by PRAGMA user_version); it carries effbench's
// application_id, so a file that is not an effbench database is refused
// without being written to, and one whose pages fail PRAGMA quick_check is
// refused too. The file is only ever opened through SQLite (see CheckExisting
// in the .cc: a plain open and close would drop this process's locks). Writes are batched in
// transactions that roll back unless committed. Not thread-safe: one ResultStore per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "harness/result/record.h"
#include "harness/result/record_row.h"

namespace effbench::store {

inline constexpr int32_t kApplicationId = 0x45464642;  // "EFFB"

struct MachineRow {
  std::string fingerprint;
  std::string hostname;
  std::string cpu_model;
  std::string arch;
  std::string inventory_json;
  std::optional<std::string> calibration_json;
  std::string first_seen;
  std::string last_seen;
};

struct RunRow {
  std::string id;
  std::string machine_fingerprint;
  result::Revision revision;
  std::string suite;
  std::string started_at;
  std::optional<std::string> finished_at;
  std::string config_json;
  int64_t results_ok = 0;      // filled by Runs()
  int64_t results_failed = 0;  // filled by Runs()
};

// An agent of the fleet, as its coordinator last saw it.
struct AgentRow {
  std::string name;
  std::string machine_fingerprint;
  std::string version;
  std::string labels_json;  // JSON object of strings
  std::string first_seen;
  std::string last_seen;
};

// A job a coordinator queued for one agent: measure a suite as run `run_id`.
struct JobRow {
  std::string id;
  std::string agent;
  std::string run_id;
  std::string suite;
  std::string spec_json;  // JSON: workloads, revision, options
  std::string state;      // queued, dispatched, done, failed, cancelled
  std::string created_at;
  std::string updated_at;
  std::optional<std::string> error;
};

// One series' value at one commit: every repetition of every ok result of the
// series in the runs of that commit, pooled.
struct SeriesPoint {
  std::string commit;
  std::optional<std::string> commit_time;
  std::string first_run;  // the earliest run of the commit
  std::string first_run_started_at;
  std::vector<double> samples_ns;
};

// A series: a machine, a workload id and a thread count.
struct SeriesKey {
  std::string machine_fingerprint;
  std::string name;
  int threads = 1;
  auto operator<=>(const SeriesKey&) const = default;
};

// A change detected in a series' history.
struct RegressionRow {
  int64_t id = 0;  // assigned by the database
  SeriesKey series;
  std::string metric = "time";
  std::string last_good_commit, first_bad_commit, first_bad_run;
  double change = 0, pvalue = 1, mean_before = 0, mean_after = 0;
  int64_t points_before = 0, points_after = 0;
  std::string direction;      // regression, improvement
  std::string state = "new";  // new, acknowledged, fixed, false-positive, withdrawn
  std::string detected_at, updated_at;
  std::optional<std::string> reason;  // why withdrawn or fixed
  // A fixed regression's recovery: the last commit at the changed level and
  // the first back at the old one.
  std::optional<std::string> fixed_last_bad_commit, fixed_first_good_commit;
};

// How hard a commit is made durable. kNormal survives a killed process (WAL,
// synchronous=NORMAL); kFull also survives a power cut (fsync every commit),
// as a coordinator needs before it acknowledges a result.
enum class Durability { kNormal, kFull };

// PRAGMA integrity_check of the database at `path`, on a read-only
// connection (a damaged database, which Open refuses, can be checked): the
// problems found, empty for a sound database.
Result<std::vector<std::string>> CheckIntegrity(const std::string& path);

class ResultStore {
 public:
  // Opens (creating if absent) the database at `path`, or ":memory:".
  // Refuses, untouched, a file that is not an effbench database or was written
  // by a newer schema.
  static Result<std::unique_ptr<ResultStore>> Open(const std::string& path,
                                                   Durability durability = Durability::kNormal);
  ~ResultStore();

  // Whether the database takes a write now: rewrites its header's
  // application_id in a transaction (a few pages through the WAL).
  Status ProbeWrite();

  // The schema version after migration.
  int SchemaVersion() const;

  // Inserts the machine, or updates its last_seen (and its calibration when
  // the row carries one).
  Status UpsertMachine(const MachineRow& machine);
  // The stored calibration JSON of a machine, nullopt if none.
  Result<std::optional<std::string>> MachineCalibration(const std::string& fingerprint);
  Result<std::vector<MachineRow>> Machines();

  // Records the start of a run; nothing happens when the run is already
  // stored. NotFound when its machine is not.
  Status BeginRun(const RunRow& run);
  Status FinishRun(const std::string& run_id, const std::string& finished_at);
  // Runs, newest first.
  Result<std::vector<RunRow>> Runs();

  // Validates every record, then inserts them with their samples in one
  // transaction; a record whose id is already stored is skipped (ingest is
  // idempotent). Returns how many were new. Nothing is written on error.
  Result<size_t> InsertResults(const std::vector<result::ResultRecord>& records);
  // The same for rows already made (result::ToRow, result::RowFromJson): what
  // the coordinator's writer thread calls, leaving it nothing but SQLite.
  Result<size_t> InsertResults(const std::vector<result::RecordRow>& rows);
  // The records of `run_id` (all runs when empty), validated on the way out.
  Result<std::vector<result::ResultRecord>> Results(const std::string& run_id);
  // How many results are stored, all runs together, or of `run_id`.
  Result<int64_t> ResultCount();
  Result<int64_t> ResultCountOfRun(const std::string& run_id);

  // Series and regressions.
  // The series with results in `run_id` (every series when empty).
  Result<std::vector<SeriesKey>> SeriesOf(const std::string& run_id);
  // The history of a series, one point per commit, ordered by commit time
  // (where known) and then by the time of the commit's first run.
  Result<std::vector<SeriesPoint>> SeriesHistory(const SeriesKey& series);
  // Inserts a detected change, or refreshes its numbers. Its state is kept,
  // except that a withdrawn change found again is new again (same id). Ids
  // are never reused: an id once shown names its change forever.
  Status UpsertRegression(const RegressionRow& row);
  // Every change stored for `series`, in any state, oldest first.
  Result<std::vector<RegressionRow>> RegressionsOf(const SeriesKey& series);
  // Moves a change to `state` (withdrawn, fixed) with the reason and, for
  // fixed, the commit range of the recovery. Never deletes it.
  Status ResolveRegression(int64_t id, const std::string& state, const std::string& reason,
                           const std::optional<std::string>& fixed_last_bad,
                           const std::optional<std::string>& fixed_first_good,
                           const std::string& updated_at);
  // Changes detected at or after `since` (ISO 8601; all when empty), in
  // `state` (any when empty), newest first.
  Result<std::vector<RegressionRow>> Regressions(const std::string& since,
                                                 const std::string& state);
  // NotFound when there is no such regression.
  Status SetRegressionState(int64_t id, const std::string& state, const std::string& updated_at);

  // The fleet (coordinator only).
  // Inserts the agent, or updates everything but first_seen.
  Status UpsertAgent(const AgentRow& agent);
  Result<std::vector<AgentRow>> Agents();
  // Forgets an agent (its jobs and results stay). NotFound when unknown.
  Status RemoveAgent(const std::string& name);
  Status InsertJob(const JobRow& job);
  // Every job, or none, in one transaction.
  Status InsertJobs(const std::vector<JobRow>& jobs);
  // Moves a job to `state`. NotFound when there is no such job.
  Status SetJobState(const std::string& job_id, const std::string& state,
                     const std::string& updated_at, const std::optional<std::string>& error);
  // Ends a job that is still queued or dispatched (cancelled, or failed when
  // its lease runs out); FailedPrecondition, changing nothing, when it has
  // already ended (a job_done committed first). NotFound when unknown.
  Status EndUnfinishedJob(const std::string& job_id, const std::string& state,
                          const std::string& updated_at, const std::string& reason);
  // Every job, oldest first.
  Result<std::vector<JobRow>> Jobs();

 private:
  struct Impl;
  explicit ResultStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace effbench::store
