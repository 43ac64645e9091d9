// The results database as its callers see it: four narrow interfaces, one
// per concern, each with the rows it reads and writes. The SQLite
// implementation (result_store.h) implements all four; another backend
// (PostgreSQL, postgres_store.h) implements them without any caller changing. Callers
// take the interface they need: the analysis reads series and regressions,
// the importers write runs, the coordinator keeps its fleet.
//
// Thread-safety: an implementation's object is used by one thread at a time
// (the coordinator gives its writer thread its own, and each reader its own).
// Every method returns IoError when the database fails, never throws.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "harness/result/record.h"
#include "harness/result/record_row.h"
#include "harness/store/tables.h"

namespace effbench::store {

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
  int64_t results_ok = 0;       // filled by Runs()
  int64_t results_failed = 0;   // filled by Runs()
  int64_t results_skipped = 0;  // filled by Runs()
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

// An agent's own credential (`effbench agents enroll`): only the stored form
// of its key, which cannot make a proof (fleet/auth.h).
struct AgentKeyRow {
  std::string name;
  std::string stored_key;  // 64 hex digits
  std::string enrolled_at;
  std::optional<std::string> revoked_at;  // set: the name is refused
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

// An agent's connection as the coordinator holding it last recorded it:
// what every coordinator on the same database shows of the agent.
struct AgentPresenceRow {
  std::string name;
  std::string coordinator;  // the holder's id (CoordinatorOptions::id)
  std::string state;        // idle, running, paused
  std::string job;          // empty when none
  int64_t done = 0, total = 0, spooled = 0;
  std::string remote;
  bool tls = false;
  std::string credential;  // how it proved its name
  std::string connected_at, last_heartbeat;
};

// One series' value at one commit: every repetition of every ok result of the
// series in the runs of that commit, pooled.
struct SeriesPoint {
  std::string commit;
  std::optional<std::string> commit_time;
  std::string first_run;  // the earliest run of the commit
  std::string first_run_started_at;
  // The time per iteration of each repetition at the commit, in ns; for a
  // metric's series, the metric's values.
  std::vector<double> samples_ns;
  std::string better = "lower";  // the measure's better direction: lower or higher
};

// A series: a machine, a workload id, a thread count and the measure: "time"
// (per iteration), or a metric of the records with a better direction
// (an imported benchmark's cpu_time, items_per_second, ...).
struct SeriesKey {
  std::string machine_fingerprint;
  std::string name;
  int threads = 1;
  std::string metric = "time";
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
  // When `effbench db prune` removed results of its series: the change stays
  // as its numbers summarise it, and is never withdrawn for want of them.
  std::optional<std::string> pruned_at;
};

// What a prune removed.
struct PruneCounts {
  int64_t runs = 0, results = 0;
  int64_t regressions_kept = 0;    // changes marked pruned_at, kept
  int64_t partitions_dropped = 0;  // PostgreSQL: whole months of results
  int64_t runs_kept_for_jobs = 0;  // runs of jobs still queued or dispatched
};

// Machines, runs and their results, as readers see them.
class RunReader {
 public:
  virtual ~RunReader() = default;
  // The stored calibration JSON of a machine, nullopt if none.
  virtual Result<std::optional<std::string>> MachineCalibration(const std::string& fingerprint) = 0;
  virtual Result<std::vector<MachineRow>> Machines() = 0;
  // Runs, newest first.
  virtual Result<std::vector<RunRow>> Runs() = 0;
  // The records of `run_id` (all runs when empty), validated on the way out.
  virtual Result<std::vector<result::ResultRecord>> Results(const std::string& run_id) = 0;
  // How many results are stored, all runs together, or of `run_id`.
  virtual Result<int64_t> ResultCount() = 0;
  virtual Result<int64_t> ResultCountOfRun(const std::string& run_id) = 0;
};

// Machines, runs and their results: reads and writes.
class RunStore : public virtual RunReader {
 public:
  // Inserts the machine, or updates its last_seen (and its calibration when
  // the row carries one).
  virtual Status UpsertMachine(const MachineRow& machine) = 0;

  // Records the start of a run; nothing happens when the run is already
  // stored. NotFound when its machine is not.
  virtual Status BeginRun(const RunRow& run) = 0;
  virtual Status FinishRun(const std::string& run_id, const std::string& finished_at) = 0;
  // Removes the run and its results in one transaction; NotFound when there
  // is no such run. The caller re-checks the series it touched.
  virtual Status DeleteRun(const std::string& run_id) = 0;

  // Validates every record, then inserts them with their samples in one
  // transaction; a record whose id is already stored is skipped (ingest is
  // idempotent). Returns how many were new. Nothing is written on error.
  virtual Result<size_t> InsertResults(const std::vector<result::ResultRecord>& records) = 0;
  // The same for rows already made (result::ToRow, result::RowFromJson): what
  // the coordinator's writer thread calls, leaving it nothing but SQLite.
  virtual Result<size_t> InsertResults(const std::vector<result::RecordRow>& rows) = 0;
};

// Series and their history across commits (reads only).
class SeriesStore {
 public:
  virtual ~SeriesStore() = default;
  // The series with results in `run_id` (every series when empty).
  virtual Result<std::vector<SeriesKey>> SeriesOf(const std::string& run_id) = 0;
  // The series whose workload id matches `glob` (shell wildcards * ? [...],
  // case-sensitive; empty: every series), ordered. A glob with a literal
  // prefix reads only the matching results' index entries.
  virtual Result<std::vector<SeriesKey>> SeriesMatching(const std::string& glob) = 0;
  // The history of a series, one point per commit, ordered by commit time
  // (where known) and then by the time of the commit's first run.
  virtual Result<std::vector<SeriesPoint>> SeriesHistory(const SeriesKey& series) = 0;
  // The histories of many series, in the order of `series`: one pass over
  // each machine's results instead of one per series, so that checking a run
  // of 100,000 benchmarks reads its machine's results once, not 100,000 times.
  virtual Result<std::vector<std::vector<SeriesPoint>>> SeriesHistories(
      const std::vector<SeriesKey>& series) = 0;
};

// Changes detected in series, and their states, as readers see them.
class RegressionReader {
 public:
  virtual ~RegressionReader() = default;
  // Every change stored for `series`, in any state, oldest first.
  virtual Result<std::vector<RegressionRow>> RegressionsOf(const SeriesKey& series) = 0;
  // Changes detected at or after `since` (ISO 8601; all when empty), in
  // `state` (any when empty), newest first.
  virtual Result<std::vector<RegressionRow>> Regressions(const std::string& since,
                                                         const std::string& state) = 0;
  virtual Result<bool> RunChecked(const std::string& run_id) = 0;
};

// Changes detected in series, and their states: reads and writes.
class RegressionStore : public virtual RegressionReader {
 public:
  // Inserts a detected change, or refreshes its numbers. Its state is kept,
  // except that a withdrawn change found again is new again (same id). Ids
  // are never reused: an id once shown names its change forever.
  virtual Status UpsertRegression(const RegressionRow& row) = 0;
  // Moves a change to `state` (withdrawn, fixed) with the reason and, for
  // fixed, the commit range of the recovery. Never deletes it.
  virtual Status ResolveRegression(int64_t id, const std::string& state, const std::string& reason,
                                   const std::optional<std::string>& fixed_last_bad,
                                   const std::optional<std::string>& fixed_first_good,
                                   const std::string& updated_at) = 0;
  // NotFound when there is no such regression.
  virtual Status SetRegressionState(int64_t id, const std::string& state,
                                    const std::string& updated_at) = 0;
  // Records that every series of `run_id` was checked for changes. A run
  // stored but not marked (its check interrupted, or it failed) is checked
  // again when it is met again: `effbench import` of the same file, say.
  virtual Status MarkRunChecked(const std::string& run_id, const std::string& checked_at) = 0;
};

// What the regression analysis reads and writes: series and their changes.
class HistoryStore : public virtual SeriesStore, public RegressionStore {};

// The fleet's agents and jobs, as readers see them.
class FleetReader {
 public:
  virtual ~FleetReader() = default;
  virtual Result<std::vector<AgentRow>> Agents() = 0;
  // Every enrolled agent's key, revoked ones included, by name.
  virtual Result<std::vector<AgentKeyRow>> AgentKeys() = 0;
  // Every job, oldest first.
  virtual Result<std::vector<JobRow>> Jobs() = 0;
  // The unfinished jobs (queued, dispatched), oldest first, then those of
  // `also` that have ended.
  virtual Result<std::vector<JobRow>> OpenJobs(const std::vector<std::string>& also) = 0;
  // The connected agents as their coordinators last recorded them, by name:
  // rows recorded within `fresh` (the database's clock) only, so that a
  // coordinator that died stops speaking for its agents.
  virtual Result<std::vector<AgentPresenceRow>> AgentPresence(std::chrono::milliseconds fresh) = 0;
};

// The fleet's agents and jobs (coordinator only): reads and writes.
class FleetStore : public virtual FleetReader {
 public:
  // Inserts the agent, or updates everything but first_seen.
  virtual Status UpsertAgent(const AgentRow& agent) = 0;
  // Forgets an agent (its jobs and results stay). NotFound when unknown.
  virtual Status RemoveAgent(const std::string& name) = 0;
  // Enrolls an agent with `key`, or gives an enrolled (or revoked) one a new
  // key: its old key stops working.
  virtual Status PutAgentKey(const AgentKeyRow& key) = 0;
  // Revokes an enrolled agent's key. NotFound when it is not enrolled.
  virtual Status RevokeAgentKey(const std::string& name, const std::string& revoked_at) = 0;
  virtual Status InsertJob(const JobRow& job) = 0;
  // Every job, or none, in one transaction.
  virtual Status InsertJobs(const std::vector<JobRow>& jobs) = 0;
  // Moves a job to `state`. NotFound when there is no such job.
  virtual Status SetJobState(const std::string& job_id, const std::string& state,
                             const std::string& updated_at,
                             const std::optional<std::string>& error) = 0;
  // Ends a job that is still queued or dispatched (cancelled, or failed when
  // its lease runs out); FailedPrecondition, changing nothing, when it has
  // already ended (a job_done committed first). NotFound when unknown.
  virtual Status EndUnfinishedJob(const std::string& job_id, const std::string& state,
                                  const std::string& updated_at, const std::string& reason) = 0;

  // Several coordinators on one database. Each claims an agent's jobs only
  // while it holds the agent's connection, and keeps a lease on them.
  //
  // The agent's job: the one dispatched to it already (its lease renewed by
  // `coordinator`), else its oldest queued job, now dispatched at
  // `updated_at` and leased to `coordinator` for `lease` (the database's
  // clock). In PostgreSQL the queued row is taken FOR UPDATE SKIP LOCKED:
  // of two coordinators claiming at once, each gets a different job or
  // none. nullopt when the agent has no unfinished job.
  virtual Result<std::optional<JobRow>> ClaimNextJob(const std::string& agent,
                                                     const std::string& coordinator,
                                                     std::chrono::milliseconds lease,
                                                     const std::string& updated_at) = 0;
  // The dispatched jobs of `agents` are leased to `coordinator` for `lease`
  // from now (the database's clock).
  virtual Status RenewJobLeases(const std::string& coordinator,
                                const std::vector<std::string>& agents,
                                std::chrono::milliseconds lease) = 0;
  // Fails a dispatched job whose lease has run out (or that never had one)
  // with `reason`. FailedPrecondition, changing nothing, when it has ended
  // or its lease still runs (another coordinator holds its agent); NotFound
  // when unknown.
  virtual Status ExpireJobLease(const std::string& job_id, const std::string& updated_at,
                                const std::string& reason) = 0;
  // Records the agent's connection (heartbeat_at: now, the database's clock).
  virtual Status PutAgentPresence(const AgentPresenceRow& row) = 0;
  // The agent's connection to `coordinator` ended; a newer one to another
  // coordinator stays.
  virtual Status EndAgentPresence(const std::string& name, const std::string& coordinator) = 0;
  // Claims an occurrence of a schedule (`key`: the schedule and its due
  // time) for `coordinator`: true for the first claim of the key only, so
  // that coordinators given the same schedule submit it once.
  virtual Result<bool> ClaimScheduledRun(const std::string& key, const std::string& coordinator,
                                         const std::string& claimed_at) = 0;
};

// Everything a reader may ask and nothing it may change: what the HTTP API,
// the reports and the machine comparison take.
class QueryStore : public virtual RunReader,
                   public virtual SeriesStore,
                   public virtual RegressionReader,
                   public virtual FleetReader {};

// How hard a commit is made durable. kNormal survives a killed process;
// kFull also survives a power cut (every commit reaches the disk), as a
// coordinator needs before it acknowledges a result.
enum class Durability { kNormal, kFull };

// Whether opening checks every page first (PRAGMA quick_check: linear in the
// file, 1.5 s on 1,000,000 results). A writer checks, so that it never adds
// to a damaged file; a reader may skip it: a damaged page it meets is an
// error naming the file then.
enum class OpenCheck { kQuickCheck, kNone };

// One results database, every concern: what `effbench serve` and the CLI
// hold. Callers name this, never a backend.
class Store : public RunStore, public HistoryStore, public FleetStore, public QueryStore {
 public:
  // Whether the database takes a write now (a small write transaction).
  virtual Status ProbeWrite() = 0;
  // The schema version after migration (schemas/sql).
  virtual int SchemaVersion() const = 0;

  // Table by table, for `effbench db copy` (CopyDatabase): the rows of
  // `table` as stored, in the order they were stored, handed to `chunk` a
  // thousand at a time.
  virtual Status ReadRows(const Table& table,
                          const std::function<Status(std::vector<Row>&&)>& chunk) {
    (void)table, (void)chunk;
    return Status::FailedPrecondition("this store cannot be copied");
  }
  // Inserts `rows` into `table` as they are, ids kept, in one transaction.
  virtual Status WriteRows(const Table& table, const std::vector<Row>& rows) {
    (void)table, (void)rows;
    return Status::FailedPrecondition("this store cannot be copied into");
  }
  // After a copy: what numbers new rows (ids, the stored order) continues
  // past the rows copied.
  virtual Status FinishCopy() { return Status::Ok(); }

  // Removes the runs that started before `before` (ISO 8601, compared as
  // text) with their results, counts, checks and ended jobs; a run of a job
  // still queued or dispatched stays. First every change of a series that
  // loses results is marked pruned_at = `now` (kept, never withdrawn for
  // it). SQLite deletes in bounded transactions; PostgreSQL drops each
  // month's partition that lies wholly before `before` and deletes the rest
  // in bounded transactions. Interrupted, it is run again.
  virtual Result<PruneCounts> PruneBefore(const std::string& before, const std::string& now) {
    (void)before, (void)now;
    return Status::FailedPrecondition("this store cannot be pruned");
  }
};

// Whether `location` names a PostgreSQL database (a libpq URI:
// postgresql://... or postgres://...) rather than a SQLite file.
bool IsPostgresLocation(const std::string& location);

// Whether a PostgreSQL server that is not on this machine may be reached
// without TLS. By default it may not: its sslmode must be require,
// verify-ca or verify-full (verify-full checks whose server it is), and a
// connection that ends up without TLS is closed; `--insecure` allows it.
enum class ServerTransport { kTlsUnlessLocal, kInsecureAllowed };

// Opens the results database at `location`, creating it if absent: a SQLite
// file path (or ":memory:"), or a PostgreSQL database by its libpq URI, what
// the URI leaves out coming from the PG* environment variables
// ("postgresql://" alone: all of it). The one place that picks a backend.
// A URI that holds a password is refused: a command line is seen by every
// user of the machine; the password comes from PGPASSFILE, PGPASSWORD or a
// service file.
Result<std::unique_ptr<Store>> OpenStore(
    const std::string& location, Durability durability = Durability::kNormal,
    OpenCheck check = OpenCheck::kQuickCheck,
    ServerTransport transport = ServerTransport::kTlsUnlessLocal);

// Checks the database at `location` without changing it: for a SQLite file,
// PRAGMA integrity_check on a read-only connection (a damaged file, which
// OpenStore refuses, can be checked); for PostgreSQL, whose server keeps its
// own pages sound, that what effbench keeps beside its rows agrees with them
// (each run's result counts, a partition for each run's month, the schema
// version). The problems found, empty for a sound database; `how` names the
// check.
struct DatabaseCheck {
  std::string how;
  std::vector<std::string> problems;
};
Result<DatabaseCheck> CheckDatabase(const std::string& location,
                                    ServerTransport transport = ServerTransport::kTlsUnlessLocal);

// Copies every table of the database at `from` into the one at `to` (made
// when absent), ids kept, and checks that each table's rows arrived: their
// count and an order-independent checksum, read back from `to`. Refuses a
// target that holds any row. One line a table, for the user.
Result<std::vector<std::string>> CopyDatabase(
    const std::string& from, const std::string& to,
    ServerTransport transport = ServerTransport::kTlsUnlessLocal);

// What a role of a PostgreSQL database may do: read (report, history, the
// dashboard), or read and write (coordinators, run, import).
enum class Access { kRead, kWrite };

// Grants `role` (made, without a password, when the server lacks it) `access`
// to the effbench tables of the PostgreSQL database at `location`, and to
// the tables made there later: what `effbench db grant` does, as the
// database's owner. A SQLite file's access is its file mode: refused.
// Returns what was done, a line each.
Result<std::vector<std::string>> GrantAccess(
    const std::string& location, const std::string& role, Access access,
    ServerTransport transport = ServerTransport::kTlsUnlessLocal);

// The backends OpenStore knows, by name: "sqlite", "postgres".
const std::vector<std::string>& StoreBackends();

}  // namespace effbench::store
