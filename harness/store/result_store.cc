#include "harness/store/result_store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "harness/store/sqlite_internal.h"
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
Status CheckExisting(const std::string& path, OpenCheck check) {
  std::error_code ec;
  if (path == ":memory:") return Status::Ok();
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) return Status::Ok();
  if (!std::filesystem::is_regular_file(status)) {
    return Status::InvalidArgument(path + " is not a regular file");
  }
  try {
    SQLite::Database db(path, SQLite::OPEN_READONLY, kBusyTimeoutMs);
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
    const auto problems = check == OpenCheck::kQuickCheck ? CheckPages(db, /*full=*/false)
                                                          : std::vector<std::string>();
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

}  // namespace

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
  // A results database grows by about 1.3 kB a result: keep 16 MiB of its
  // pages in memory rather than SQLite's default 2 MiB.
  db.exec("PRAGMA cache_size=-16384");
  for (const schemas::Migration& m : migrations) {
    if (m.version <= version) continue;
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    // Another process (a second coordinator) may have migrated meanwhile:
    // the version read under the write lock decides.
    version = db.execAndGet("PRAGMA user_version").getInt();
    if (m.version <= version) continue;
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
    SQLite::Database db(path, SQLite::OPEN_READONLY, kBusyTimeoutMs);
    return CheckPages(db, /*full=*/true);
  } catch (const SQLite::Exception& e) {
    return Status::IoError(path + ": " + e.what());
  }
}

ResultStore::ResultStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ResultStore::~ResultStore() = default;

namespace {

// A result, stored once by its id: ingest is idempotent.
constexpr char kInsertResult[] =
    "INSERT OR IGNORE INTO results (id, run_id, name, workload, precision, sparsity, backend,"
    " threads, status, error, median_ns, mean_ns, stddev_ns, cv, min_ns, max_ns, gflops,"
    " gbps, roofline_fraction, joules_per_iter, rel_l2, record, samples_ns)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
// Adds to a run's counts of ok, failed and skipped results (migration 9).
constexpr char kCountResults[] =
    "INSERT INTO run_counts (run_id, ok, failed, skipped) VALUES (?,?,?,?)"
    " ON CONFLICT (run_id) DO UPDATE SET ok = ok + excluded.ok,"
    " failed = failed + excluded.failed, skipped = skipped + excluded.skipped";

}  // namespace

Result<std::unique_ptr<ResultStore>> ResultStore::Open(const std::string& path,
                                                       Durability durability, OpenCheck check) {
  // SQLite counts every allocation under a global mutex unless told not to,
  // which it can be only before its first use in the process (else this
  // returns SQLITE_MISUSE and changes nothing).
  static std::once_flag no_memstatus;
  std::call_once(no_memstatus, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  EFFBENCH_RETURN_IF_ERROR(CheckExisting(path, check));
  try {
    auto impl = std::make_unique<Impl>(path);
    EFFBENCH_RETURN_IF_ERROR(impl->Migrate().WithContext(path));
    if (durability == Durability::kFull) impl->db.exec("PRAGMA synchronous=FULL");
    // The statements of every ingest, prepared now: a typo in them fails
    // the open, not the first write.
    impl->Prepare(kInsertResult);
    impl->Prepare(kCountResults);
    return std::unique_ptr<ResultStore>(new ResultStore(std::move(impl)));
  } catch (const SQLite::Exception& e) {
    return Status::IoError(path + ": " + e.what());
  }
}

int ResultStore::SchemaVersion() const { return impl_->schema_version; }

Status ResultStore::ProbeWrite() {
  return Guarded("write probe", [&]() -> Status {
    SQLite::Transaction tx(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    impl_->db.exec("PRAGMA application_id=" + std::to_string(kApplicationId));
    tx.commit();
    return Status::Ok();
  });
}

Status ResultStore::UpsertMachine(const MachineRow& m) {
  return Guarded("store machine", [&]() -> Status {
    auto s_prepared = impl_->Prepare(
        "INSERT INTO machines (fingerprint, hostname, cpu_model, arch, inventory,"
        " calibration, first_seen, last_seen) VALUES (?,?,?,?,?,?,?,?)"
        " ON CONFLICT(fingerprint) DO UPDATE SET last_seen = excluded.last_seen,"
        " calibration = coalesce(excluded.calibration, calibration)");
    SQLite::Statement& s = *s_prepared;
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
  });
}

Result<std::optional<std::string>> ResultStore::MachineCalibration(const std::string& fingerprint) {
  return Guarded("read calibration", [&]() -> Result<std::optional<std::string>> {
    auto s_prepared = impl_->Prepare("SELECT calibration FROM machines WHERE fingerprint = ?");
    SQLite::Statement& s = *s_prepared;
    s.bind(1, fingerprint);
    if (!s.executeStep()) return std::optional<std::string>();
    return OptStr(s.getColumn(0));
  });
}

Result<std::vector<MachineRow>> ResultStore::Machines() {
  return Guarded("read machines", [&]() -> Result<std::vector<MachineRow>> {
    std::vector<MachineRow> rows;
    auto s_prepared = impl_->Prepare(
        "SELECT fingerprint, hostname, cpu_model, arch, inventory, calibration,"
        " first_seen, last_seen FROM machines ORDER BY last_seen DESC");
    SQLite::Statement& s = *s_prepared;
    while (s.executeStep()) {
      rows.push_back(MachineRow{Str(s.getColumn(0)), Str(s.getColumn(1)), Str(s.getColumn(2)),
                                Str(s.getColumn(3)), Str(s.getColumn(4)), OptStr(s.getColumn(5)),
                                Str(s.getColumn(6)), Str(s.getColumn(7))});
    }
    return rows;
  });
}

Status ResultStore::BeginRun(const RunRow& run) {
  return Guarded("begin run " + run.id, [&]() -> Status {
    SQLite::Transaction tx(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    auto rev_prepared = impl_->Prepare(
        "INSERT INTO revisions (repo, commit_sha, branch, commit_time)"
        " VALUES (?,?,?,?) ON CONFLICT(repo, commit_sha, branch)"
        " DO UPDATE SET commit_time = coalesce(excluded.commit_time, commit_time)"
        " RETURNING id");
    SQLite::Statement& rev = *rev_prepared;
    rev.bind(1, run.revision.repo);
    rev.bind(2, run.revision.commit);
    rev.bind(3, run.revision.branch);
    BindOptional(rev, 4, run.revision.time);
    if (!rev.executeStep()) return Status::Internal("revision upsert returned no id");
    const int64_t revision_id = rev.getColumn(0).getInt64();
    rev.reset();

    auto s_prepared = impl_->Prepare(
        "INSERT OR IGNORE INTO runs (id, machine_id, revision_id, suite,"
        " started_at, config) SELECT ?, id, ?, ?, ?, ? FROM machines"
        " WHERE fingerprint = ?");
    SQLite::Statement& s = *s_prepared;
    s.bind(1, run.id);
    s.bind(2, revision_id);
    s.bind(3, run.suite);
    s.bind(4, run.started_at);
    s.bind(5, run.config_json);
    s.bind(6, run.machine_fingerprint);
    if (s.exec() != 1) {
      auto exists_prepared = impl_->Prepare("SELECT 1 FROM runs WHERE id = ?");
      SQLite::Statement& exists = *exists_prepared;
      exists.bind(1, run.id);
      if (!exists.executeStep()) {
        return Status::NotFound("run " + run.id + ": machine " + run.machine_fingerprint +
                                " is not in the database");
      }
    }
    tx.commit();
    return Status::Ok();
  });
}

Status ResultStore::FinishRun(const std::string& run_id, const std::string& finished_at) {
  return Guarded("finish run " + run_id, [&]() -> Status {
    auto s_prepared = impl_->Prepare("UPDATE runs SET finished_at = ? WHERE id = ?");
    SQLite::Statement& s = *s_prepared;
    s.bind(1, finished_at);
    s.bind(2, run_id);
    if (s.exec() != 1) return Status::NotFound("no run " + run_id);
    return Status::Ok();
  });
}

Status ResultStore::DeleteRun(const std::string& run_id) {
  return Guarded("delete run " + run_id, [&]() -> Status {
    SQLite::Transaction tx(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    auto results_prepared = impl_->Prepare("DELETE FROM results WHERE run_id = ?");
    SQLite::Statement& results = *results_prepared;
    results.bind(1, run_id);
    results.exec();
    auto counts_prepared = impl_->Prepare("DELETE FROM run_counts WHERE run_id = ?");
    SQLite::Statement& counts = *counts_prepared;
    counts.bind(1, run_id);
    counts.exec();
    auto checks_prepared = impl_->Prepare("DELETE FROM run_checks WHERE run_id = ?");
    SQLite::Statement& checks = *checks_prepared;
    checks.bind(1, run_id);
    checks.exec();
    auto run_prepared = impl_->Prepare("DELETE FROM runs WHERE id = ?");
    SQLite::Statement& run = *run_prepared;
    run.bind(1, run_id);
    if (run.exec() != 1) return Status::NotFound("no run " + run_id);
    tx.commit();
    return Status::Ok();
  });
}

Result<std::vector<RunRow>> ResultStore::Runs() {
  return Guarded("read runs", [&]() -> Result<std::vector<RunRow>> {
    std::vector<RunRow> rows;
    auto s_prepared = impl_->Prepare(
        "SELECT r.id, m.fingerprint, v.repo, v.commit_sha, v.branch, v.commit_time, r.suite,"
        " r.started_at, r.finished_at, r.config,"
        // Counted by InsertResults as results come (migration 9).
        " coalesce(c.ok, 0), coalesce(c.failed, 0), coalesce(c.skipped, 0)"
        " FROM runs r JOIN machines m ON m.id = r.machine_id"
        " JOIN revisions v ON v.id = r.revision_id"
        " LEFT JOIN run_counts c ON c.run_id = r.id"
        " ORDER BY r.started_at DESC, r.rowid DESC");
    SQLite::Statement& s = *s_prepared;
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
      row.results_skipped = s.getColumn(12).getInt64();
      rows.push_back(std::move(row));
    }
    return rows;
  });
}

Result<size_t> ResultStore::InsertResults(const std::vector<result::ResultRecord>& records) {
  // One transaction, rows made a slice at a time: an import of 100,000
  // records never holds all their rows (their JSON) at once.
  constexpr size_t kSlice = 1024;
  return Guarded("insert results", [&]() -> Result<size_t> {
    size_t inserted = 0;
    SQLite::Transaction tx(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    RunCounts added;
    std::vector<result::RecordRow> rows;
    for (size_t begin = 0; begin < records.size(); begin += kSlice) {
      rows.clear();
      for (size_t i = begin; i < std::min(records.size(), begin + kSlice); ++i) {
        auto row = result::ToRow(records[i]);
        if (!row.ok()) return row.status();
        rows.push_back(std::move(*row));
      }
      inserted += InsertRows(rows, added);
    }
    AddRunCounts(added);
    tx.commit();
    return inserted;
  });
}

Result<size_t> ResultStore::InsertResults(const std::vector<result::RecordRow>& rows) {
  return Guarded("insert results", [&]() -> Result<size_t> {
    SQLite::Transaction tx(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    RunCounts added;
    const size_t inserted = InsertRows(rows, added);
    AddRunCounts(added);
    tx.commit();
    return inserted;
  });
}

size_t ResultStore::InsertRows(const std::vector<result::RecordRow>& rows, RunCounts& added) {
  size_t inserted = 0;
  auto ins_prepared = impl_->Prepare(kInsertResult);
  SQLite::Statement& ins = *ins_prepared;
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
    if (ins.exec() == 0) continue;  // already stored: ingest is idempotent by id
    ++inserted;
    ++added[r.run_id][r.skipped ? 2 : r.ok ? 0 : 1];
  }
  return inserted;
}

void ResultStore::AddRunCounts(const RunCounts& added) {
  auto count_prepared = impl_->Prepare(kCountResults);
  SQLite::Statement& count = *count_prepared;
  for (const auto& [run_id, n] : added) {
    count.reset();
    count.bindNoCopy(1, run_id);
    for (int i = 0; i < 3; ++i) count.bind(i + 2, n[static_cast<size_t>(i)]);
    count.exec();
  }
}

Result<std::vector<result::ResultRecord>> ResultStore::Results(const std::string& run_id) {
  return Guarded("read results", [&]() -> Result<std::vector<result::ResultRecord>> {
    std::vector<result::ResultRecord> out;
    // Two statements, not "(?1 = '' OR run_id = ?1)": SQLite plans a
    // statement once, and the OR made it scan every result for every run.
    auto s_prepared =
        impl_->Prepare(run_id.empty() ? "SELECT id, record, samples_ns FROM results ORDER BY rowid"
                                      : "SELECT id, record, samples_ns FROM results"
                                        " WHERE run_id = ?1 ORDER BY rowid");
    SQLite::Statement& s = *s_prepared;
    if (!run_id.empty()) s.bind(1, run_id);
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
  });
}

Result<int64_t> ResultStore::ResultCount() {
  return Guarded("count results", [&]() -> Result<int64_t> {
    return impl_->db.execAndGet("SELECT count(*) FROM results").getInt64();
  });
}

Result<int64_t> ResultStore::ResultCountOfRun(const std::string& run_id) {
  return Guarded("count results of run " + run_id, [&]() -> Result<int64_t> {
    auto s_prepared = impl_->Prepare("SELECT count(*) FROM results WHERE run_id = ?");
    SQLite::Statement& s = *s_prepared;
    s.bind(1, run_id);
    s.executeStep();
    return s.getColumn(0).getInt64();
  });
}

Status ResultStore::ReadRows(const Table& table,
                             const std::function<Status(std::vector<Row>&&)>& chunk) {
  return Guarded("read table " + table.name, [&]() -> Status {
    // WITHOUT ROWID tables are in their key's order; the others as stored.
    const bool rowid =
        table.name != "run_counts" && table.name != "run_checks" && table.name != "agent_keys";
    SQLite::Statement s(impl_->db, "SELECT " + ColumnList(table) + " FROM " + table.name +
                                       " ORDER BY " + (rowid ? "rowid" : table.key));
    std::vector<Row> rows;
    while (s.executeStep()) {
      Row row;
      row.reserve(table.columns.size());
      for (size_t i = 0; i < table.columns.size(); ++i) {
        const SQLite::Column c = s.getColumn(static_cast<int>(i));
        if (c.isNull()) {
          row.emplace_back();
        } else if (table.columns[i].type == ColumnType::kInteger) {
          row.emplace_back(c.getInt64());
        } else if (table.columns[i].type == ColumnType::kReal) {
          row.emplace_back(c.getDouble());
        } else {
          row.emplace_back(c.getString());
        }
      }
      rows.push_back(std::move(row));
      if (rows.size() == 1000) {
        EFFBENCH_RETURN_IF_ERROR(chunk(std::move(rows)));
        rows.clear();
      }
    }
    if (!rows.empty()) return chunk(std::move(rows));
    return Status::Ok();
  });
}

Status ResultStore::WriteRows(const Table& table, const std::vector<Row>& rows) {
  return Guarded("write table " + table.name, [&]() -> Status {
    std::string marks;
    for (size_t i = 0; i < table.columns.size(); ++i) marks += i == 0 ? "?" : ",?";
    SQLite::Transaction tx(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    auto insert_prepared = impl_->Prepare("INSERT INTO " + table.name + " (" + ColumnList(table) +
                                          ") VALUES (" + marks + ")");
    SQLite::Statement& insert = *insert_prepared;
    for (const Row& row : rows) {
      insert.reset();
      insert.clearBindings();
      for (size_t i = 0; i < row.size(); ++i) {
        const int at = static_cast<int>(i) + 1;
        if (const auto* n = std::get_if<int64_t>(&row[i])) insert.bind(at, *n);
        if (const auto* d = std::get_if<double>(&row[i])) insert.bind(at, *d);
        if (const auto* t = std::get_if<std::string>(&row[i])) insert.bindNoCopy(at, *t);
      }
      insert.exec();
    }
    tx.commit();
    return Status::Ok();
  });
}

Result<PruneCounts> ResultStore::PruneBefore(const std::string& before, const std::string& now) {
  return Guarded("prune before " + before, [&]() -> Result<PruneCounts> {
    PruneCounts counts;
    const std::string pruned = std::string("(") + kPrunedRuns + ")";
    {
      SQLite::Transaction tx(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
      SQLite::Statement mark(impl_->db, kMarkPrunedRegressions);
      mark.bind(1, before);
      mark.bind(2, now);
      counts.regressions_kept = mark.exec();
      SQLite::Statement kept(impl_->db, kRunsKeptForJobs);
      kept.bind(1, before);
      kept.executeStep();
      counts.runs_kept_for_jobs = kept.getColumn(0).getInt64();
      tx.commit();
    }
    // Bounded transactions: readers and the coordinator's writer wait for
    // one batch at most, and the WAL stays small.
    SQLite::Statement batch(impl_->db,
                            "DELETE FROM results WHERE rowid IN (SELECT rowid FROM results WHERE "
                            "run_id IN " +
                                pruned + " LIMIT 5000)");
    for (;;) {
      SQLite::Transaction tx(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
      batch.reset();
      batch.bind(1, before);
      const int n = batch.exec();
      tx.commit();
      counts.results += n;
      if (n == 0) break;
    }
    SQLite::Transaction tx(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
    for (const std::string& sql : PruneRunDeletes()) {
      SQLite::Statement s(impl_->db, sql);
      s.bind(1, before);
      counts.runs = s.exec();  // the last, the runs', stays
    }
    tx.commit();
    return counts;
  });
}

}  // namespace effbench::store
