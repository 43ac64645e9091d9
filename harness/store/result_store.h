// The SQLite results database: machines, revisions, runs, results and every
// repetition's sample.
//
// The file is opened in WAL mode and migrated with the numbered SQL files of
// schemas/sql (tracked by PRAGMA user_version); it carries effbench's
// application_id, so a file that is not an effbench database is refused
// without being written to. Writes are batched in transactions that roll back
// unless committed. Not thread-safe: one ResultStore per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/result/record.h"
#include "workloads/common/status.h"

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
  std::string state;      // queued, dispatched, done, failed
  std::string created_at;
  std::string updated_at;
  std::optional<std::string> error;
};

// How hard a commit is made durable. kNormal survives a killed process (WAL,
// synchronous=NORMAL); kFull also survives a power cut (fsync every commit),
// as a coordinator needs before it acknowledges a result.
enum class Durability { kNormal, kFull };

// A record ready for the database: validated, with its JSON (everything but
// samples_ns, which go row by row) already serialized. Preparing is pure CPU
// work, so a server can do it on its network thread and leave its one writer
// thread nothing but SQLite.
struct StorableRecord {
  result::ResultRecord record;
  std::string json_without_samples;
};
// Validates `record` (naming the failing field) and serializes it.
Result<StorableRecord> PrepareRecord(result::ResultRecord record);
// The same for a record that arrived as JSON: `j` is validated, converted,
// and serialized as it came (without samples_ns).
Result<StorableRecord> PrepareRecord(nlohmann::json j);

class ResultStore {
 public:
  // Opens (creating if absent) the database at `path`, or ":memory:".
  // Refuses, untouched, a file that is not an effbench database or was written
  // by a newer schema.
  static Result<std::unique_ptr<ResultStore>> Open(const std::string& path,
                                                   Durability durability = Durability::kNormal);
  ~ResultStore();

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
  // The same for prepared records (see PrepareRecord).
  Result<size_t> InsertResults(const std::vector<StorableRecord>& records);
  // The records of `run_id` (all runs when empty), validated on the way out.
  Result<std::vector<result::ResultRecord>> Results(const std::string& run_id);
  // How many results are stored, all runs together.
  Result<int64_t> ResultCount();

  // The fleet (coordinator only).
  // Inserts the agent, or updates everything but first_seen.
  Status UpsertAgent(const AgentRow& agent);
  Result<std::vector<AgentRow>> Agents();
  Status InsertJob(const JobRow& job);
  // Moves a job to `state`. NotFound when there is no such job.
  Status SetJobState(const std::string& job_id, const std::string& state,
                     const std::string& updated_at, const std::optional<std::string>& error);
  // Every job, oldest first.
  Result<std::vector<JobRow>> Jobs();

 private:
  struct Impl;
  explicit ResultStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace effbench::store
