#include "harness/store/result_store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "schemas/embedded.h"

namespace effbench::store {
namespace {

using nlohmann::json;

// Runs PRAGMA quick_check (or integrity_check when `full`): the problems it
// names, empty for a sound database. A page too damaged to read throws, which
// is reported the same way.
std::vector<std::string> CheckPages(SQLite::Database& db, bool full) {
  std::vector<std::string> problems;
  try {
    SQLite::Statement check(db, full ? "PRAGMA integrity_check" : "PRAGMA quick_check");
    while (check.executeStep()) {
      const std::string line = check.getColumn(0).getString();
      if (line != "ok") problems.push_back(line);
    }
  } catch (const SQLite::Exception& e) {
    problems.push_back(e.what());
  }
  return problems;
}

std::string JoinProblems(const std::vector<std::string>& problems, size_t at_most) {
  std::string text;
  for (size_t i = 0; i < problems.size() && i < at_most; ++i) {
    if (i > 0) text += "; ";
    text += problems[i];
  }
  if (problems.size() > at_most) {
    text += "; and ";
    text += std::to_string(problems.size() - at_most);
    text += " more";
  }
  return text;
}

// Checks an existing file through SQLite itself, on a read-only connection
// closed before the read-write one opens: what it is (an effbench database,
// another SQLite database, not SQLite at all) and whether its pages are sound.
//
// Never with a plain open()/close() of the file: closing any descriptor of a
// file drops every POSIX lock this process holds on it, including those of a
// connection already open here (a coordinator opens a writer, then readers).
// Another process then believes it is alone, checkpoints and deletes the WAL
// under us, and acknowledged results are lost (SQLite, "How To Corrupt An
// SQLite Database File", 2.2). SQLite shares one descriptor per file among
// all connections of a process and so never does this.
Status CheckExisting(const std::string& path) {
  std::error_code ec;
  if (path == ":memory:") return Status::Ok();
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) return Status::Ok();
  if (!std::filesystem::is_regular_file(status)) {
    return Status::InvalidArgument(path + " is not a regular file");
  }
  try {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    db.exec("PRAGMA busy_timeout=5000");
    int app_id = 0;
    try {
      app_id = db.execAndGet("PRAGMA application_id").getInt();
    } catch (const SQLite::Exception& e) {
      if (e.getErrorCode() == SQLITE_NOTADB) {
        return Status::InvalidArgument(path + " is not an effbench database (not an SQLite " +
                                       "file); refusing to touch it");
      }
      throw;
    }
    const int objects = db.execAndGet("SELECT count(*) FROM sqlite_master").getInt();
    if (app_id != kApplicationId && (app_id != 0 || objects != 0)) {
      char id[16];
      std::snprintf(id, sizeof id, "0x%08x", static_cast<uint32_t>(app_id));
      return Status::InvalidArgument(path + " is an SQLite database but not an effbench one " +
                                     "(application_id " + id + "); refusing to touch it");
    }
    const auto problems = CheckPages(db, /*full=*/false);
    if (!problems.empty()) {
      return Status::FailedPrecondition(
          path + " is damaged (PRAGMA quick_check: " + JoinProblems(problems, 3) +
          "); refusing to use it. `effbench db check --db " + path +
          "` lists every problem; restore a backup, or salvage with `sqlite3 " + path +
          " .recover`");
    }
    return Status::Ok();
  } catch (const SQLite::Exception& e) {
    if (e.getErrorCode() == SQLITE_CORRUPT) {
      return Status::FailedPrecondition(path + " is damaged (" + e.what() +
                                        "); refusing to use it");
    }
    return Status::IoError(path + ": " + e.what());
  }
}

std::string Str(const SQLite::Column& c) { return c.isNull() ? std::string() : c.getString(); }
std::optional<std::string> OptStr(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}
template <typename T>
void BindOptional(SQLite::Statement& s, int index, const std::optional<T>& v) {
  if (v) {
    s.bind(index, *v);
  } else {
    s.bind(index);
  }
}

}  // namespace

struct ResultStore::Impl {
  // One connection per ResultStore, used by one thread at a time: no mutex
  // on every call (a coordinator's writer makes millions of them).
  explicit Impl(const std::string& path)
      : db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX) {}

  Status Migrate();

  SQLite::Database db;
  int schema_version = 0;
  std::unique_ptr<SQLite::Statement> insert_result;
};

Status ResultStore::Impl::Migrate() {
  const int app_id = db.execAndGet("PRAGMA application_id").getInt();
  int version = db.execAndGet("PRAGMA user_version").getInt();
  const int objects = db.execAndGet("SELECT count(*) FROM sqlite_master").getInt();
  if (app_id != kApplicationId && (app_id != 0 || version != 0 || objects != 0)) {
    return Status::InvalidArgument("not an effbench database (application_id " +
                                   std::to_string(app_id) + "); refusing to touch it");
  }
  const auto& migrations = schemas::Migrations();
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  if (version > latest) {
    return Status::FailedPrecondition("database schema version " + std::to_string(version) +
                                      " is newer than this effbench knows (" +
                                      std::to_string(latest) + "); upgrade effbench");
  }
  // A new database gets 16 KiB pages: a results row is about 1 kB, and the
  // coordinator's ingest (tests/bench/fleet_load) ran faster with them than
  // with 4 or 8 KiB on a 2-core VM, though it writes more bytes a result when
  // many runs interleave. An existing file keeps its page size.
  if (objects == 0) db.exec("PRAGMA page_size=16384");
  db.exec("PRAGMA journal_mode=WAL");
  db.exec("PRAGMA synchronous=NORMAL");
  db.exec("PRAGMA foreign_keys=ON");
  db.exec("PRAGMA busy_timeout=5000");
  // A results database grows by about 1.3 kB a result: keep 16 MiB of its
  // pages in memory rather than SQLite's default 2 MiB.
  db.exec("PRAGMA cache_size=-16384");
  for (const schemas::Migration& m : migrations) {
    if (m.version <= version) continue;
    SQLite::Transaction tx(db);
    db.exec(std::string(m.sql));
    db.exec("PRAGMA application_id=" + std::to_string(kApplicationId));
    db.exec("PRAGMA user_version=" + std::to_string(m.version));
    tx.commit();
    version = m.version;
  }
  schema_version = version;
  return Status::Ok();
}

Result<std::vector<std::string>> CheckIntegrity(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Status::NotFound(path + ": no such database");
  }
  try {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    db.exec("PRAGMA busy_timeout=5000");
    return CheckPages(db, /*full=*/true);
  } catch (const SQLite::Exception& e) {
    return Status::IoError(path + ": " + e.what());
  }
}

ResultStore::ResultStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ResultStore::~ResultStore() = default;

Result<std::unique_ptr<ResultStore>> ResultStore::Open(const std::string& path,
                                                       Durability durability) {
  // SQLite counts every allocation under a global mutex unless told not to,
  // which it can be only before its first use in the process (else this
  // returns SQLITE_MISUSE and changes nothing).
  static std::once_flag no_memstatus;
  std::call_once(no_memstatus, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  EFFBENCH_RETURN_IF_ERROR(CheckExisting(path));
  try {
    auto impl = std::make_unique<Impl>(path);
    EFFBENCH_RETURN_IF_ERROR(impl->Migrate().WithContext(path));
    if (durability == Durability::kFull) impl->db.exec("PRAGMA synchronous=FULL");
    impl->insert_result = std::make_unique<SQLite::Statement>(
        impl->db,
        "INSERT OR IGNORE INTO results (id, run_id, name, workload, precision, sparsity, backend,"
        " threads, status, error, median_ns, mean_ns, stddev_ns, cv, min_ns, max_ns, gflops,"
        " gbps, roofline_fraction, joules_per_iter, rel_l2, record, samples_ns)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    return std::unique_ptr<ResultStore>(new ResultStore(std::move(impl)));
  } catch (const SQLite::Exception& e) {
    return Status::IoError(path + ": " + e.what());
  }
}

int ResultStore::SchemaVersion() const { return impl_->schema_version; }

Status ResultStore::ProbeWrite() {
  try {
    SQLite::Transaction tx(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    impl_->db.exec("PRAGMA application_id=" + std::to_string(kApplicationId));
    tx.commit();
    return Status::Ok();
  } catch (const SQLite::Exception& e) {
    return Status::IoError(std::string("write probe: ") + e.what());
  }
}

Status ResultStore::UpsertMachine(const MachineRow& m) {
  try {
    SQLite::Statement s(impl_->db,
                        "INSERT INTO machines (fingerprint, hostname, cpu_model, arch, inventory,"
                        " calibration, first_seen, last_seen) VALUES (?,?,?,?,?,?,?,?)"
                        " ON CONFLICT(fingerprint) DO UPDATE SET last_seen = excluded.last_seen,"
                        " calibration = coalesce(excluded.calibration, calibration)");
    s.bind(1, m.fingerprint);
    s.bind(2, m.hostname);
    s.bind(3, m.cpu_model);
    s.bind(4, m.arch);
    s.bind(5, m.inventory_json);
    BindOptional(s, 6, m.calibration_json);
    s.bind(7, m.first_seen);
    s.bind(8, m.last_seen);
    s.exec();
    return Status::Ok();
  } catch (const SQLite::Exception& e) {
    return Status::IoError(std::string("store machine: ") + e.what());
  }
}

Result<std::optional<std::string>> ResultStore::MachineCalibration(const std::string& fingerprint) {
  try {
    SQLite::Statement s(impl_->db, "SELECT calibration FROM machines WHERE fingerprint = ?");
    s.bind(1, fingerprint);
    if (!s.executeStep()) return std::optional<std::string>();
    return OptStr(s.getColumn(0));
  } catch (const SQLite::Exception& e) {
    return Status::IoError(std::string("read calibration: ") + e.what());
  }
}

Result<std::vector<MachineRow>> ResultStore::Machines() {
  try {
    std::vector<MachineRow> rows;
    SQLite::Statement s(impl_->db,
                        "SELECT fingerprint, hostname, cpu_model, arch, inventory, calibration,"
                        " first_seen, last_seen FROM machines ORDER BY last_seen DESC");
    while (s.executeStep()) {
      rows.push_back(MachineRow{Str(s.getColumn(0)), Str(s.getColumn(1)), Str(s.getColumn(2)),
                                Str(s.getColumn(3)), Str(s.getColumn(4)), OptStr(s.getColumn(5)),
                                Str(s.getColumn(6)), Str(s.getColumn(7))});
    }
    return rows;
  } catch (const SQLite::Exception& e) {
    return Status::IoError(std::string("read machines: ") + e.what());
  }
}

Status ResultStore::BeginRun(const RunRow& run) {
  try {
    SQLite::Transaction tx(impl_->db);
    SQLite::Statement rev(impl_->db,
                          "INSERT INTO revisions (repo, commit_sha, branch, commit_time)"
                          " VALUES (?,?,?,?) ON CONFLICT(repo, commit_sha, branch)"
                          " DO UPDATE SET commit_time = coalesce(excluded.commit_time, commit_time)"
                          " RETURNING id");
    rev.bind(1, run.revision.repo);
    rev.bind(2, run.revision.commit);
    rev.bind(3, run.revision.branch);
    BindOptional(rev, 4, run.revision.time);
    if (!rev.executeStep()) return Status::Internal("revision upsert returned no id");
    const int64_t revision_id = rev.getColumn(0).getInt64();
    rev.reset();

    SQLite::Statement s(impl_->db,
                        "INSERT OR IGNORE INTO runs (id, machine_id, revision_id, suite,"
                        " started_at, config) SELECT ?, id, ?, ?, ?, ? FROM machines"
                        " WHERE fingerprint = ?");
    s.bind(1, run.id);
    s.bind(2, revision_id);
    s.bind(3, run.suite);
    s.bind(4, run.started_at);
    s.bind(5, run.config_json);
    s.bind(6, run.machine_fingerprint);
    if (s.exec() != 1) {
      SQLite::Statement exists(impl_->db, "SELECT 1 FROM runs WHERE id = ?");
      exists.bind(1, run.id);
      if (!exists.executeStep()) {
        return Status::NotFound("run " + run.id + ": machine " + run.machine_fingerprint +
                                " is not in the database");
      }
    }
    tx.commit();
    return Status::Ok();
  } catch (const SQLite::Exception& e) {
    return Status::IoError("begin run " + run.id + ": " + e.what());
  }
}

Status ResultStore::FinishRun(const std::string& run_id, const std::string& finished_at) {
  try {
    SQLite::Statement s(impl_->db, "UPDATE runs SET finished_at = ? WHERE id = ?");
    s.bind(1, finished_at);
    s.bind(2, run_id);
    if (s.exec() != 1) return Status::NotFound("no run " + run_id);
    return Status::Ok();
  } catch (const SQLite::Exception& e) {
    return Status::IoError("finish run " + run_id + ": " + e.what());
  }
}

Result<std::vector<RunRow>> ResultStore::Runs() {
  try {
    std::vector<RunRow> rows;
    SQLite::Statement s(
        impl_->db,
        "SELECT r.id, m.fingerprint, v.repo, v.commit_sha, v.branch, v.commit_time, r.suite,"
        " r.started_at, r.finished_at, r.config,"
        " (SELECT count(*) FROM results WHERE run_id = r.id AND status = 'ok'),"
        " (SELECT count(*) FROM results WHERE run_id = r.id AND status = 'failed')"
        " FROM runs r JOIN machines m ON m.id = r.machine_id"
        " JOIN revisions v ON v.id = r.revision_id ORDER BY r.started_at DESC, r.rowid DESC");
    while (s.executeStep()) {
      RunRow row;
      row.id = Str(s.getColumn(0));
      row.machine_fingerprint = Str(s.getColumn(1));
      row.revision = result::Revision{Str(s.getColumn(2)), Str(s.getColumn(3)), Str(s.getColumn(4)),
                                      OptStr(s.getColumn(5))};
      row.suite = Str(s.getColumn(6));
      row.started_at = Str(s.getColumn(7));
      row.finished_at = OptStr(s.getColumn(8));
      row.config_json = Str(s.getColumn(9));
      row.results_ok = s.getColumn(10).getInt64();
      row.results_failed = s.getColumn(11).getInt64();
      rows.push_back(std::move(row));
    }
    return rows;
  } catch (const SQLite::Exception& e) {
    return Status::IoError(std::string("read runs: ") + e.what());
  }
}

Result<size_t> ResultStore::InsertResults(const std::vector<result::ResultRecord>& records) {
  std::vector<result::RecordRow> rows;
  rows.reserve(records.size());
  for (const auto& r : records) {
    auto row = result::ToRow(r);
    if (!row.ok()) return row.status();
    rows.push_back(std::move(*row));
  }
  return InsertResults(rows);
}

Result<size_t> ResultStore::InsertResults(const std::vector<result::RecordRow>& rows) {
  try {
    size_t inserted = 0;
    SQLite::Transaction tx(impl_->db);
    SQLite::Statement& ins = *impl_->insert_result;
    for (const result::RecordRow& r : rows) {
      ins.reset();
      ins.clearBindings();
      // The strings outlive the statement's step: bind without copying.
      ins.bindNoCopy(1, r.id);
      ins.bindNoCopy(2, r.run_id);
      ins.bindNoCopy(3, r.name);
      ins.bindNoCopy(4, r.workload);
      ins.bindNoCopy(5, r.precision);
      ins.bindNoCopy(6, r.sparsity);
      ins.bindNoCopy(7, r.backend);
      ins.bind(8, r.threads);
      ins.bindNoCopy(9, result::StatusName(r.ok, r.skipped));
      if (r.error) ins.bindNoCopy(10, *r.error);
      if (r.stats) {
        ins.bind(11, r.stats->median_ns);
        ins.bind(12, r.stats->mean_ns);
        ins.bind(13, r.stats->stddev_ns);
        ins.bind(14, r.stats->cv);
        ins.bind(15, r.stats->min_ns);
        ins.bind(16, r.stats->max_ns);
      }
      BindOptional(ins, 17, r.gflops);
      BindOptional(ins, 18, r.gbps);
      BindOptional(ins, 19, r.roofline_fraction);
      BindOptional(ins, 20, r.joules_per_iter);
      BindOptional(ins, 21, r.rel_l2);
      ins.bindNoCopy(22, r.record_json);
      ins.bindNoCopy(23, r.samples_json);
      if (ins.exec() > 0) ++inserted;  // 0: already stored, ingest is idempotent by id
    }
    tx.commit();
    return inserted;
  } catch (const SQLite::Exception& e) {
    return Status::IoError(std::string("insert results: ") + e.what());
  }
}

Result<std::vector<result::ResultRecord>> ResultStore::Results(const std::string& run_id) {
  try {
    std::vector<result::ResultRecord> out;
    SQLite::Statement s(impl_->db,
                        "SELECT id, record, samples_ns FROM results WHERE (?1 = '' OR run_id = ?1)"
                        " ORDER BY rowid");
    s.bind(1, run_id);
    while (s.executeStep()) {
      const std::string id = Str(s.getColumn(0));
      json doc;
      try {
        doc = json::parse(Str(s.getColumn(1)));
      } catch (const json::exception& e) {
        return Status::InvalidArgument("stored result " + id + " is not valid JSON: " + e.what());
      }
      try {
        doc["samples_ns"] = json::parse(Str(s.getColumn(2)));
      } catch (const json::exception& e) {
        return Status::InvalidArgument("stored samples of result " + id +
                                       " are not valid JSON: " + e.what());
      }
      auto record = result::FromJson(doc);
      if (!record.ok()) return record.status().WithContext("stored result " + id);
      out.push_back(std::move(record).value());
    }
    return out;
  } catch (const SQLite::Exception& e) {
    return Status::IoError(std::string("read results: ") + e.what());
  }
}

Result<int64_t> ResultStore::ResultCount() {
  try {
    return impl_->db.execAndGet("SELECT count(*) FROM results").getInt64();
  } catch (const SQLite::Exception& e) {
    return Status::IoError(std::string("count results: ") + e.what());
  }
}

Result<int64_t> ResultStore::ResultCountOfRun(const std::string& run_id) {
  try {
    SQLite::Statement s(impl_->db, "SELECT count(*) FROM results WHERE run_id = ?");
    s.bind(1, run_id);
    s.executeStep();
    return s.getColumn(0).getInt64();
  } catch (const SQLite::Exception& e) {
    return Status::IoError("count results of run " + run_id + ": " + e.what());
  }
}

Status ResultStore::RemoveAgent(const std::string& name) {
  try {
    SQLite::Statement s(impl_->db, "DELETE FROM agents WHERE name = ?");
    s.bind(1, name);
    if (s.exec() != 1) return Status::NotFound("no agent " + name);
    return Status::Ok();
  } catch (const SQLite::Exception& e) {
    return Status::IoError("remove agent " + name + ": " + e.what());
  }
}

Status ResultStore::UpsertAgent(const AgentRow& a) {
  try {
    SQLite::Statement s(
        impl_->db,
        "INSERT INTO agents (name, machine_fingerprint, version, labels, first_seen,"
        " last_seen) VALUES (?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET"
        " machine_fingerprint = excluded.machine_fingerprint,"
        " version = excluded.version, labels = excluded.labels,"
        " last_seen = excluded.last_seen");
    s.bind(1, a.name);
    s.bind(2, a.machine_fingerprint);
    s.bind(3, a.version);
    s.bind(4, a.labels_json);
    s.bind(5, a.first_seen);
    s.bind(6, a.last_seen);
    s.exec();
    return Status::Ok();
  } catch (const SQLite::Exception& e) {
    return Status::IoError("store agent " + a.name + ": " + e.what());
  }
}

Result<std::vector<AgentRow>> ResultStore::Agents() {
  try {
    std::vector<AgentRow> rows;
    SQLite::Statement s(impl_->db,
                        "SELECT name, machine_fingerprint, version, labels, first_seen, last_seen"
                        " FROM agents ORDER BY name");
    while (s.executeStep()) {
      rows.push_back(AgentRow{Str(s.getColumn(0)), Str(s.getColumn(1)), Str(s.getColumn(2)),
                              Str(s.getColumn(3)), Str(s.getColumn(4)), Str(s.getColumn(5))});
    }
    return rows;
  } catch (const SQLite::Exception& e) {
    return Status::IoError(std::string("read agents: ") + e.what());
  }
}

Status ResultStore::InsertJob(const JobRow& j) {
  try {
    SQLite::Statement s(impl_->db,
                        "INSERT INTO jobs (id, agent, run_id, suite, spec, state, created_at,"
                        " updated_at, error) VALUES (?,?,?,?,?,?,?,?,?)");
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
  } catch (const SQLite::Exception& e) {
    return Status::IoError("store job " + j.id + ": " + e.what());
  }
}

Status ResultStore::InsertJobs(const std::vector<JobRow>& jobs) {
  try {
    SQLite::Transaction tx(impl_->db);
    for (const JobRow& j : jobs) EFFBENCH_RETURN_IF_ERROR(InsertJob(j));
    tx.commit();
    return Status::Ok();
  } catch (const SQLite::Exception& e) {
    return Status::IoError(std::string("store jobs: ") + e.what());
  }
}

Status ResultStore::SetJobState(const std::string& job_id, const std::string& state,
                                const std::string& updated_at,
                                const std::optional<std::string>& error) {
  try {
    SQLite::Statement s(impl_->db,
                        "UPDATE jobs SET state = ?, updated_at = ?, error = ? WHERE id = ?");
    s.bind(1, state);
    s.bind(2, updated_at);
    BindOptional(s, 3, error);
    s.bind(4, job_id);
    if (s.exec() != 1) return Status::NotFound("no job " + job_id);
    return Status::Ok();
  } catch (const SQLite::Exception& e) {
    return Status::IoError("update job " + job_id + ": " + e.what());
  }
}

Status ResultStore::EndUnfinishedJob(const std::string& job_id, const std::string& state,
                                     const std::string& updated_at, const std::string& reason) {
  try {
    SQLite::Statement s(impl_->db,
                        "UPDATE jobs SET state = ?, updated_at = ?, error = ? WHERE id = ?"
                        " AND state IN ('queued', 'dispatched')");
    s.bind(1, state);
    s.bind(2, updated_at);
    s.bind(3, reason);
    s.bind(4, job_id);
    if (s.exec() == 1) return Status::Ok();
    SQLite::Statement known(impl_->db, "SELECT state FROM jobs WHERE id = ?");
    known.bind(1, job_id);
    if (!known.executeStep()) return Status::NotFound("no job " + job_id);
    return Status::FailedPrecondition("job " + job_id + " is already " +
                                      known.getColumn(0).getString());
  } catch (const SQLite::Exception& e) {
    return Status::IoError("end job " + job_id + ": " + e.what());
  }
}

Result<std::vector<JobRow>> ResultStore::Jobs() {
  try {
    std::vector<JobRow> rows;
    SQLite::Statement s(impl_->db,
                        "SELECT id, agent, run_id, suite, spec, state, created_at, updated_at,"
                        " error FROM jobs ORDER BY created_at, rowid");
    while (s.executeStep()) {
      rows.push_back(JobRow{Str(s.getColumn(0)), Str(s.getColumn(1)), Str(s.getColumn(2)),
                            Str(s.getColumn(3)), Str(s.getColumn(4)), Str(s.getColumn(5)),
                            Str(s.getColumn(6)), Str(s.getColumn(7)), OptStr(s.getColumn(8))});
    }
    return rows;
  } catch (const SQLite::Exception& e) {
    return Status::IoError(std::string("read jobs: ") + e.what());
  }
}

Result<std::vector<SeriesKey>> ResultStore::SeriesOf(const std::string& run_id) {
  try {
    std::vector<SeriesKey> keys;
    SQLite::Statement s(impl_->db,
                        "SELECT DISTINCT m.fingerprint, res.name, res.threads FROM results res"
                        " JOIN runs r ON r.id = res.run_id JOIN machines m ON m.id = r.machine_id"
                        " WHERE res.status = 'ok' AND (? = '' OR res.run_id = ?)"
                        " ORDER BY m.fingerprint, res.name, res.threads");
    s.bind(1, run_id);
    s.bind(2, run_id);
    while (s.executeStep()) {
      keys.push_back(SeriesKey{Str(s.getColumn(0)), Str(s.getColumn(1)), s.getColumn(2).getInt()});
    }
    return keys;
  } catch (const SQLite::Exception& e) {
    return Status::IoError(std::string("read series: ") + e.what());
  }
}

Result<std::vector<SeriesPoint>> ResultStore::SeriesHistory(const SeriesKey& key) {
  try {
    SQLite::Statement s(
        impl_->db,
        "SELECT v.commit_sha, v.commit_time, r.id, r.started_at, smp.value FROM results res"
        " JOIN runs r ON r.id = res.run_id JOIN machines m ON m.id = r.machine_id"
        " JOIN revisions v ON v.id = r.revision_id, json_each(res.samples_ns) smp"
        " WHERE m.fingerprint = ? AND res.name = ? AND res.threads = ? AND res.status = 'ok'"
        " ORDER BY r.started_at, r.rowid, res.rowid, smp.key");
    s.bind(1, key.machine_fingerprint);
    s.bind(2, key.name);
    s.bind(3, key.threads);
    std::map<std::string, SeriesPoint> by_commit;
    std::map<std::string, size_t> first_seen;  // the order runs were stored in breaks ties
    while (s.executeStep()) {
      const std::string commit = Str(s.getColumn(0));
      SeriesPoint& p = by_commit[commit];
      if (p.commit.empty()) {
        first_seen[commit] = first_seen.size();
        p.commit = commit;
        p.commit_time = OptStr(s.getColumn(1));
        p.first_run = Str(s.getColumn(2));
        p.first_run_started_at = Str(s.getColumn(3));
      }
      p.samples_ns.push_back(s.getColumn(4).getDouble());
    }
    std::vector<SeriesPoint> points(by_commit.size());
    for (auto& [commit, p] : by_commit) points[first_seen[commit]] = std::move(p);
    // Commit time orders commits that have one; the first run's time breaks
    // ties and orders the rest.
    std::stable_sort(points.begin(), points.end(), [](const SeriesPoint& a, const SeriesPoint& b) {
      if (a.commit_time && b.commit_time && *a.commit_time != *b.commit_time) {
        return *a.commit_time < *b.commit_time;
      }
      return a.first_run_started_at < b.first_run_started_at;
    });
    return points;
  } catch (const SQLite::Exception& e) {
    return Status::IoError("read series " + key.name + ": " + e.what());
  }
}

Status ResultStore::UpsertRegression(const RegressionRow& r) {
  try {
    SQLite::Statement s(
        impl_->db,
        "INSERT INTO regressions (machine_fingerprint, name, threads, metric, last_good_commit,"
        " first_bad_commit, first_bad_run, change, pvalue, mean_before, mean_after, points_before,"
        " points_after, direction, state, detected_at, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT(machine_fingerprint, name, threads, metric, first_bad_commit) DO UPDATE SET"
        " last_good_commit = excluded.last_good_commit, change = excluded.change,"
        " pvalue = excluded.pvalue, mean_before = excluded.mean_before,"
        " mean_after = excluded.mean_after, points_before = excluded.points_before,"
        " points_after = excluded.points_after, direction = excluded.direction,"
        " updated_at = excluded.updated_at,"
        " state = CASE WHEN state = 'withdrawn' THEN 'new' ELSE state END,"
        " reason = CASE WHEN state = 'withdrawn' THEN NULL ELSE reason END");
    s.bind(1, r.series.machine_fingerprint);
    s.bind(2, r.series.name);
    s.bind(3, r.series.threads);
    s.bind(4, r.metric);
    s.bind(5, r.last_good_commit);
    s.bind(6, r.first_bad_commit);
    s.bind(7, r.first_bad_run);
    s.bind(8, r.change);
    s.bind(9, r.pvalue);
    s.bind(10, r.mean_before);
    s.bind(11, r.mean_after);
    s.bind(12, r.points_before);
    s.bind(13, r.points_after);
    s.bind(14, r.direction);
    s.bind(15, r.state);
    s.bind(16, r.detected_at);
    s.bind(17, r.updated_at);
    s.exec();
    return Status::Ok();
  } catch (const SQLite::Exception& e) {
    return Status::IoError("store regression of " + r.series.name + ": " + e.what());
  }
}

namespace {

constexpr char kRegressionColumns[] =
    "id, machine_fingerprint, name, threads, metric, last_good_commit, first_bad_commit,"
    " first_bad_run, change, pvalue, mean_before, mean_after, points_before, points_after,"
    " direction, state, detected_at, updated_at, reason, fixed_last_bad_commit,"
    " fixed_first_good_commit";

RegressionRow RegressionFrom(SQLite::Statement& s) {
  RegressionRow r;
  r.id = s.getColumn(0).getInt64();
  r.series = SeriesKey{Str(s.getColumn(1)), Str(s.getColumn(2)), s.getColumn(3).getInt()};
  r.metric = Str(s.getColumn(4));
  r.last_good_commit = Str(s.getColumn(5));
  r.first_bad_commit = Str(s.getColumn(6));
  r.first_bad_run = Str(s.getColumn(7));
  r.change = s.getColumn(8).getDouble();
  r.pvalue = s.getColumn(9).getDouble();
  r.mean_before = s.getColumn(10).getDouble();
  r.mean_after = s.getColumn(11).getDouble();
  r.points_before = s.getColumn(12).getInt64();
  r.points_after = s.getColumn(13).getInt64();
  r.direction = Str(s.getColumn(14));
  r.state = Str(s.getColumn(15));
  r.detected_at = Str(s.getColumn(16));
  r.updated_at = Str(s.getColumn(17));
  r.reason = OptStr(s.getColumn(18));
  r.fixed_last_bad_commit = OptStr(s.getColumn(19));
  r.fixed_first_good_commit = OptStr(s.getColumn(20));
  return r;
}

}  // namespace

Result<std::vector<RegressionRow>> ResultStore::RegressionsOf(const SeriesKey& series) {
  try {
    std::vector<RegressionRow> rows;
    SQLite::Statement s(impl_->db, std::string("SELECT ") + kRegressionColumns +
                                       " FROM regressions WHERE machine_fingerprint = ?"
                                       " AND name = ? AND threads = ? ORDER BY id");
    s.bind(1, series.machine_fingerprint);
    s.bind(2, series.name);
    s.bind(3, series.threads);
    while (s.executeStep()) rows.push_back(RegressionFrom(s));
    return rows;
  } catch (const SQLite::Exception& e) {
    return Status::IoError("read regressions of " + series.name + ": " + e.what());
  }
}

Status ResultStore::ResolveRegression(int64_t id, const std::string& state,
                                      const std::string& reason,
                                      const std::optional<std::string>& fixed_last_bad,
                                      const std::optional<std::string>& fixed_first_good,
                                      const std::string& updated_at) {
  try {
    SQLite::Statement s(impl_->db,
                        "UPDATE regressions SET state = ?, reason = ?, fixed_last_bad_commit = ?,"
                        " fixed_first_good_commit = ?, updated_at = ? WHERE id = ?");
    s.bind(1, state);
    s.bind(2, reason);
    BindOptional(s, 3, fixed_last_bad);
    BindOptional(s, 4, fixed_first_good);
    s.bind(5, updated_at);
    s.bind(6, id);
    if (s.exec() != 1) return Status::NotFound("no regression " + std::to_string(id));
    return Status::Ok();
  } catch (const SQLite::Exception& e) {
    return Status::IoError("update regression " + std::to_string(id) + ": " + e.what());
  }
}

Result<std::vector<RegressionRow>> ResultStore::Regressions(const std::string& since,
                                                            const std::string& state) {
  try {
    std::vector<RegressionRow> rows;
    SQLite::Statement s(impl_->db, std::string("SELECT ") + kRegressionColumns +
                                       " FROM regressions WHERE (? = '' OR detected_at >= ?)"
                                       " AND (? = '' OR state = ?) ORDER BY detected_at DESC,"
                                       " id DESC");
    s.bind(1, since);
    s.bind(2, since);
    s.bind(3, state);
    s.bind(4, state);
    while (s.executeStep()) rows.push_back(RegressionFrom(s));
    return rows;
  } catch (const SQLite::Exception& e) {
    return Status::IoError(std::string("read regressions: ") + e.what());
  }
}

Status ResultStore::SetRegressionState(int64_t id, const std::string& state,
                                       const std::string& updated_at) {
  try {
    SQLite::Statement s(impl_->db, "UPDATE regressions SET state = ?, updated_at = ? WHERE id = ?");
    s.bind(1, state);
    s.bind(2, updated_at);
    s.bind(3, id);
    if (s.exec() != 1) return Status::NotFound("no regression " + std::to_string(id));
    return Status::Ok();
  } catch (const SQLite::Exception& e) {
    return Status::IoError("update regression " + std::to_string(id) + ": " + e.what());
  }
}

}  // namespace effbench::store
