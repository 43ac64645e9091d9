#include "harness/store/postgres_store.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "harness/store/postgres_internal.h"
#include "schemas/embedded.h"

namespace effbench::store {

// ---- libpq helpers ---------------------------------------------------------

namespace {

// The staging table of each connection's ingest: what COPY fills, in the
// order of the binary tuples InsertResults writes.
constexpr char kStagingTable[] =
    "CREATE TEMP TABLE IF NOT EXISTS results_in (ord INTEGER, id TEXT, run_id TEXT, name TEXT,"
    " workload TEXT, precision TEXT, sparsity TEXT, backend TEXT, threads INTEGER, status TEXT,"
    " error TEXT, median_ns DOUBLE PRECISION, mean_ns DOUBLE PRECISION,"
    " stddev_ns DOUBLE PRECISION, cv DOUBLE PRECISION, min_ns DOUBLE PRECISION,"
    " max_ns DOUBLE PRECISION, gflops DOUBLE PRECISION, gbps DOUBLE PRECISION,"
    " roofline_fraction DOUBLE PRECISION, joules_per_iter DOUBLE PRECISION,"
    " rel_l2 DOUBLE PRECISION, record TEXT, samples_ns TEXT) ON COMMIT DELETE ROWS";

}  // namespace

int64_t PgRows::Int(int row, int col) const {
  const std::string_view text = View(row, col);
  int64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

double PgRows::Double(int row, int col) const {
  // float8's text output is the shortest that reads back exactly; strtod
  // also takes NaN and Infinity.
  return std::strtod(PQgetvalue(r_.get(), row, col), nullptr);
}

int64_t PgRows::Affected() const {
  const char* n = PQcmdTuples(r_.get());
  return n[0] == '\0' ? 0 : std::strtoll(n, nullptr, 10);
}

bool IsLocalHost(const char* host) {
  if (host == nullptr || host[0] == '\0' || host[0] == '/' || host[0] == '@') return true;
  const std::string_view h(host);
  return h == "localhost" || h == "127.0.0.1" || h == "::1";
}

PgParam PgInt(int64_t v) { return std::to_string(v); }

PgParam PgDouble(double v) {
  std::array<char, 32> buf{};
  const auto end = std::to_chars(buf.data(), buf.data() + buf.size(), v).ptr;
  return std::string(buf.data(), end);
}

PgParam PgDouble(const std::optional<double>& v) {
  if (!v) return std::nullopt;
  return PgDouble(*v);
}

namespace {

std::string ServerMessage(const PGconn* conn, const PGresult* r) {
  std::string message = r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(conn);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  if (message.empty()) message = "the server returned no result";
  return message;
}

}  // namespace

PgRows PostgresStore::Impl::Check(PGresult* r) {
  const ExecStatusType status = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return PgRows(r);
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  PgError error(ServerMessage(conn, r), state != nullptr ? state : "");
  PQclear(r);
  throw error;
}

void PostgresStore::Impl::EnsureConnected() {
  if (PQstatus(conn) == CONNECTION_OK) return;
  // Inside a transaction, what it did is gone with the connection: the
  // caller learns so, and nothing runs outside the transaction it meant.
  if (in_transaction) throw PgError("the connection to the server was lost", "08006");
  // The server restarted or the network dropped: one new connection; the
  // statements prepared on the old one, and its staging table, are gone.
  PQreset(conn);
  prepared.clear();
  if (PQstatus(conn) != CONNECTION_OK) throw PgError(ServerMessage(conn, nullptr), "08006");
  SetUp();
}

void PostgresStore::Impl::SetUp() {
  // Text as UTF-8; float8 text that reads back exactly.
  Simple("SET client_encoding = 'UTF8'; SET extra_float_digits = 1");
  // A coordinator acknowledges a result only once it is on the server's
  // disk; a CLI run may lose the last moment's writes to a crash of the
  // server (never to one of effbench).
  Simple(durability == Durability::kFull ? "SET synchronous_commit = on"
                                         : "SET synchronous_commit = off");
  // No staging table here: a reader never needs it, and making one is a
  // catalog write that a dashboard's every new connection would pay for
  // (InsertStaged makes it where a resend needs it).
}

const std::string& PostgresStore::Impl::Prepared(const std::string& sql) {
  auto [it, added] = prepared.try_emplace(sql, "");
  if (added) {
    it->second = "s" + std::to_string(prepared.size());
    PGresult* r = PQprepare(conn, it->second.c_str(), sql.c_str(), 0, nullptr);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) prepared.erase(it);
    (void)Check(r);
  }
  return it->second;
}

namespace {

std::vector<const char*> Values(const std::vector<PgParam>& params) {
  std::vector<const char*> values(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    values[i] = params[i] ? params[i]->c_str() : nullptr;
  }
  return values;
}

}  // namespace

PgRows PostgresStore::Impl::Exec(const std::string& sql, const std::vector<PgParam>& params) {
  EnsureConnected();
  if (recorded != nullptr) recorded->emplace_back(sql, params);
  const std::string& name = Prepared(sql);
  const std::vector<const char*> values = Values(params);
  return Check(PQexecPrepared(conn, name.c_str(), static_cast<int>(params.size()), values.data(),
                              nullptr, nullptr, 0));
}

void PostgresStore::Impl::ForEachRow(const std::string& sql, const std::vector<PgParam>& params,
                                     const std::function<void(const PgRows&)>& row) {
  EnsureConnected();
  if (recorded != nullptr) recorded->emplace_back(sql, params);
  const std::string& name = Prepared(sql);
  const std::vector<const char*> values = Values(params);
  if (PQsendQueryPrepared(conn, name.c_str(), static_cast<int>(params.size()), values.data(),
                          nullptr, nullptr, 0) != 1 ||
      PQsetSingleRowMode(conn) != 1) {
    throw PgError(ServerMessage(conn, nullptr), "");
  }
  // Every result is read, an error's too: the connection takes no command
  // until the last.
  std::optional<PgError> failed;
  for (PGresult* r = PQgetResult(conn); r != nullptr; r = PQgetResult(conn)) {
    const ExecStatusType status = PQresultStatus(r);
    if (status == PGRES_SINGLE_TUPLE && !failed) {
      const PgRows one(r);
      row(one);
    } else if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK || failed) {
      PQclear(r);
    } else {
      try {
        (void)Check(r);
      } catch (const PgError& e) {
        failed = e;
      }
    }
  }
  if (failed) throw *failed;
}

void PostgresStore::Impl::Simple(const std::string& sql) {
  EnsureConnected();
  PGresult* r = PQexec(conn, sql.c_str());
  (void)Check(r);
}

void PostgresStore::Impl::CopyIn(const std::string& sql, const std::string& data) {
  EnsureConnected();
  PGresult* start = PQexec(conn, sql.c_str());
  if (PQresultStatus(start) != PGRES_COPY_IN) (void)Check(start);
  PQclear(start);
  // Sent in slices: libpq buffers what it is given whole.
  constexpr size_t kSlice = 1 << 20;
  for (size_t at = 0; at < data.size(); at += kSlice) {
    const size_t n = std::min(kSlice, data.size() - at);
    if (PQputCopyData(conn, data.data() + at, static_cast<int>(n)) != 1) {
      throw PgError("COPY: " + ServerMessage(conn, nullptr), "08006");
    }
  }
  if (PQputCopyEnd(conn, nullptr) != 1) throw PgError("COPY: " + ServerMessage(conn, nullptr), "");
  // The COPY's own result, then the end of its results (read before its
  // error is thrown: the connection takes no command until then).
  PGresult* r = PQgetResult(conn);
  for (PGresult* rest = PQgetResult(conn); rest != nullptr; rest = PQgetResult(conn)) {
    PQclear(rest);
  }
  (void)Check(r);
}

// ---- opening and migrating -------------------------------------------------

namespace {

// Keeps the server's notices (a table that already exists, say) out of the
// terminal: they are not problems.
void IgnoreNotice(void*, const PGresult*) {}

}  // namespace

Status PostgresStore::Impl::Migrate(bool apply) {
  PgTransaction tx(*this);
  // Coordinators that start together migrate one at a time.
  Exec("SELECT pg_advisory_xact_lock($1)", {PgInt(0x45464642)});
  const PgRows has_schema = Exec("SELECT to_regclass('effbench_schema') IS NOT NULL");
  int version = 0;
  if (has_schema.Text(0, 0) == "t") {
    const PgRows v = Exec("SELECT version FROM effbench_schema WHERE application = 'effbench'");
    if (v.size() != 1) {
      return Status::InvalidArgument("not an effbench database (effbench_schema holds " +
                                     std::to_string(v.size()) + " rows); refusing to touch it");
    }
    version = static_cast<int>(v.Int(0, 0));
  } else {
    const PgRows tables =
        Exec("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()");
    if (tables.Int(0, 0) != 0) {
      return Status::InvalidArgument("not an effbench database (its schema holds " +
                                     tables.Text(0, 0) +
                                     " tables, but no effbench_schema); refusing to touch it");
    }
  }
  const auto& migrations = schemas::Migrations();
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  if (version > latest) {
    return Status::FailedPrecondition("database schema version " + std::to_string(version) +
                                      " is newer than this effbench knows (" +
                                      std::to_string(latest) + "); upgrade effbench");
  }
  if (!apply) {
    schema_version = version;
    return Status::Ok();  // the transaction rolls back: nothing changed
  }
  for (const schemas::Migration& m : migrations) {
    if (m.version <= version || m.version < schemas::kPostgresBaseline) continue;
    const std::string_view sql = m.postgres_sql.empty() ? m.sql : m.postgres_sql;
    Simple(std::string(sql));
    if (version == 0) {
      Exec("INSERT INTO effbench_schema (application, version) VALUES ('effbench', $1)",
           {PgInt(m.version)});
    } else {
      Exec("UPDATE effbench_schema SET version = $1", {PgInt(m.version)});
    }
    version = m.version;
  }
  tx.Commit();
  schema_version = version;
  return Status::Ok();
}

PostgresStore::PostgresStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PostgresStore::~PostgresStore() = default;

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(const std::string& location,
                                                           Durability durability,
                                                           ServerTransport transport,
                                                           SchemaChange change) {
  auto impl = std::make_unique<Impl>();
  impl->location = location;
  impl->conn = PQconnectdb(location.c_str());
  if (PQstatus(impl->conn) != CONNECTION_OK) {
    return Status::IoError(location + ": cannot connect: " + ServerMessage(impl->conn, nullptr));
  }
  PQsetNoticeReceiver(impl->conn, IgnoreNotice, nullptr);
  // The second guard (OpenStore checked the settings): whatever a service
  // file or the server chose, a connection to another machine is encrypted.
  if (transport == ServerTransport::kTlsUnlessLocal && !IsLocalHost(PQhost(impl->conn)) &&
      PQsslInUse(impl->conn) == 0) {
    return Status::FailedPrecondition(location + ": the connection to " + PQhost(impl->conn) +
                                      " is not encrypted; use sslmode=verify-full, or "
                                      "--insecure on a network you trust");
  }
  impl->durability = durability;
  try {
    EFFBENCH_RETURN_IF_ERROR(impl->Migrate(change == SchemaChange::kMigrate).WithContext(location));
    impl->SetUp();
    return std::unique_ptr<PostgresStore>(new PostgresStore(std::move(impl)));
  } catch (const PgError& e) {
    return Status::IoError(location + ": " + e.what());
  }
}

int PostgresStore::SchemaVersion() const { return impl_->schema_version; }

Status PostgresStore::ProbeWrite() {
  return PgGuarded("write probe", [&]() -> Status {
    PgTransaction tx(*impl_);
    impl_->Exec("UPDATE effbench_schema SET version = version");
    tx.Commit();
    return Status::Ok();
  });
}

Result<std::vector<std::string>> PostgresStore::CheckConsistency() {
  return PgGuarded("check the database", [&]() -> Result<std::vector<std::string>> {
    std::vector<std::string> problems;
    // Opened as found (kAsFound): an older schema is what a writer migrates,
    // not a fault; an empty database holds nothing to check.
    if (impl_->schema_version == 0) return problems;
    // One read snapshot for both checks.
    PgTransaction tx(*impl_);
    impl_->Simple("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    const PgRows counts = impl_->Exec(
        "SELECT coalesce(c.run_id, a.run_id), coalesce(c.ok, 0), coalesce(c.failed, 0),"
        " coalesce(c.skipped, 0), coalesce(a.ok, 0), coalesce(a.failed, 0),"
        " coalesce(a.skipped, 0) FROM run_counts c FULL JOIN (SELECT run_id,"
        " count(*) FILTER (WHERE status = 'ok') AS ok,"
        " count(*) FILTER (WHERE status = 'failed') AS failed,"
        " count(*) FILTER (WHERE status = 'skipped') AS skipped FROM results GROUP BY run_id) a"
        " ON a.run_id = c.run_id WHERE coalesce(c.ok, 0) <> coalesce(a.ok, 0)"
        " OR coalesce(c.failed, 0) <> coalesce(a.failed, 0)"
        " OR coalesce(c.skipped, 0) <> coalesce(a.skipped, 0) ORDER BY 1");
    for (int i = 0; i < counts.size(); ++i) {
      problems.push_back("run " + counts.Text(i, 0) + ": run_counts says " + counts.Text(i, 1) +
                         " ok, " + counts.Text(i, 2) + " failed, " + counts.Text(i, 3) +
                         " skipped; results hold " + counts.Text(i, 4) + ", " + counts.Text(i, 5) +
                         ", " + counts.Text(i, 6));
    }
    const PgRows months = impl_->Exec(
        "SELECT DISTINCT to_char(month, 'YYYY-MM') FROM runs WHERE to_regclass("
        "format('results_%s', to_char(month, 'YYYY_MM'))) IS NULL ORDER BY 1");
    for (int i = 0; i < months.size(); ++i) {
      problems.push_back("runs of " + months.Text(i, 0) + " have no partition of results");
    }
    tx.Commit();
    return problems;
  });
}

Result<std::vector<PostgresStore::QueryPlan>> PostgresStore::ExplainReads(
    const SeriesKey& series, const std::string& run_id) {
  std::vector<std::pair<std::string, std::vector<PgParam>>> reads;
  impl_->recorded = &reads;
  const auto run = [&](const char* what, const Status& s) -> Status {
    return s.ok() ? s : s.WithContext(what);
  };
  Status done = run("history", SeriesHistory(series).status());
  if (done.ok()) done = run("histories", SeriesHistories({series, series}).status());
  if (done.ok()) done = run("results", Results(run_id).status());
  if (done.ok()) done = run("count", ResultCountOfRun(run_id).status());
  if (done.ok()) done = run("series", SeriesOf(run_id).status());
  if (done.ok()) done = run("matching", SeriesMatching(series.name + "*").status());
  impl_->recorded = nullptr;
  if (!done.ok()) return done;
  return PgGuarded("explain", [&]() -> Result<std::vector<QueryPlan>> {
    std::vector<QueryPlan> plans;
    PgTransaction tx(*impl_);
    // A sequential scan that remains with them off is one no index can avoid.
    impl_->Simple("SET LOCAL enable_seqscan = off");
    for (const auto& [sql, params] : reads) {
      std::string text = sql;
      for (size_t i = params.size(); i > 0; --i) {
        std::string literal = "NULL";
        if (params[i - 1]) {
          char* quoted =
              PQescapeLiteral(impl_->conn, params[i - 1]->c_str(), params[i - 1]->size());
          if (quoted == nullptr) throw PgError(ServerMessage(impl_->conn, nullptr), "");
          literal = quoted;
          PQfreemem(quoted);
        }
        std::string placeholder = std::to_string(i);
        placeholder.insert(placeholder.begin(), '$');
        for (size_t at = text.find(placeholder); at != std::string::npos;
             at = text.find(placeholder, at + literal.size())) {
          text.replace(at, placeholder.size(), literal);
        }
      }
      const PgRows lines = impl_->Exec("EXPLAIN " + text);
      QueryPlan plan{sql, ""};
      for (int i = 0; i < lines.size(); ++i) {
        plan.plan += lines.View(i, 0);
        plan.plan += '\n';
      }
      plans.push_back(std::move(plan));
    }
    tx.Commit();
    return plans;
  });
}

Result<std::vector<std::string>> PostgresStore::Grant(const std::string& role, Access access) {
  bool plain = !role.empty();
  for (char c : role) plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  if (!plain) {
    return Status::InvalidArgument("--role '" + role +
                                   "': a role name here is letters, digits and _ only");
  }
  return PgGuarded("grant " + role, [&]() -> Result<std::vector<std::string>> {
    std::vector<std::string> done;
    PgTransaction tx(*impl_);
    const PgRows where = impl_->Exec("SELECT current_database(), current_schema()");
    const std::string database = where.Text(0, 0), schema = where.Text(0, 1);
    const auto quote = [&](const std::string& name) {
      char* q = PQescapeIdentifier(impl_->conn, name.c_str(), name.size());
      if (q == nullptr) throw PgError(ServerMessage(impl_->conn, nullptr), "");
      std::string out = q;
      PQfreemem(q);
      return out;
    };
    const std::string r = quote(role), s = quote(schema);
    if (impl_->Exec("SELECT 1 FROM pg_roles WHERE rolname = $1", {role}).size() == 0) {
      impl_->Simple("CREATE ROLE " + r + " LOGIN");
      done.push_back("made role " + role + " (LOGIN, no password: set one with \\password " + role +
                     " in psql)");
    }
    const std::string privileges =
        access == Access::kWrite ? "SELECT, INSERT, UPDATE, DELETE" : "SELECT";
    impl_->Simple("GRANT CONNECT, TEMPORARY ON DATABASE " + quote(database) + " TO " + r);
    impl_->Simple("GRANT USAGE ON SCHEMA " + s + " TO " + r);
    impl_->Simple("GRANT " + privileges + " ON ALL TABLES IN SCHEMA " + s + " TO " + r);
    impl_->Simple("ALTER DEFAULT PRIVILEGES IN SCHEMA " + s + " GRANT " + privileges +
                  " ON TABLES TO " + r);
    if (access == Access::kWrite) {
      impl_->Simple("GRANT USAGE ON ALL SEQUENCES IN SCHEMA " + s + " TO " + r);
      impl_->Simple("ALTER DEFAULT PRIVILEGES IN SCHEMA " + s + " GRANT USAGE ON SEQUENCES TO " +
                    r);
    }
    tx.Commit();
    done.push_back("granted " + role + " " + privileges + " on the tables of " + database + "." +
                   schema + (access == Access::kWrite ? ", and its sequences" : "") +
                   ", now and later");
    return done;
  });
}

// ---- machines and runs -----------------------------------------------------

Status PostgresStore::UpsertMachine(const MachineRow& m) {
  return PgGuarded("store machine", [&]() -> Status {
    impl_->Exec(
        "INSERT INTO machines (fingerprint, hostname, cpu_model, arch, inventory,"
        " calibration, first_seen, last_seen) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)"
        " ON CONFLICT (fingerprint) DO UPDATE SET last_seen = excluded.last_seen,"
        " calibration = coalesce(excluded.calibration, machines.calibration)",
        {m.fingerprint, m.hostname, m.cpu_model, m.arch, m.inventory_json, m.calibration_json,
         m.first_seen, m.last_seen});
    return Status::Ok();
  });
}

Result<std::optional<std::string>> PostgresStore::MachineCalibration(
    const std::string& fingerprint) {
  return PgGuarded("read calibration", [&]() -> Result<std::optional<std::string>> {
    const PgRows rows =
        impl_->Exec("SELECT calibration FROM machines WHERE fingerprint = $1", {fingerprint});
    if (rows.size() == 0) return std::optional<std::string>();
    return rows.Opt(0, 0);
  });
}

Result<std::vector<MachineRow>> PostgresStore::Machines() {
  return PgGuarded("read machines", [&]() -> Result<std::vector<MachineRow>> {
    const PgRows rows = impl_->Exec(
        "SELECT fingerprint, hostname, cpu_model, arch, inventory, calibration,"
        " first_seen, last_seen FROM machines ORDER BY last_seen DESC, id DESC");
    std::vector<MachineRow> out;
    for (int i = 0; i < rows.size(); ++i) {
      out.push_back(MachineRow{rows.Text(i, 0), rows.Text(i, 1), rows.Text(i, 2), rows.Text(i, 3),
                               rows.Text(i, 4), rows.Opt(i, 5), rows.Text(i, 6), rows.Text(i, 7)});
    }
    return out;
  });
}

namespace {

// The first day of the month a run started in (its results' partition):
// "2026-12-07T18:17:09Z" is in 2026-12-01. A start that is no ISO 8601 time
// (SQLite stores any text) is kept with 1970-01.
std::string MonthOf(const std::string& started_at) {
  const bool iso = started_at.size() >= 7 && started_at[4] == '-' &&
                   std::all_of(started_at.begin(), started_at.begin() + 4, ::isdigit) &&
                   std::isdigit(static_cast<unsigned char>(started_at[5])) != 0 &&
                   std::isdigit(static_cast<unsigned char>(started_at[6])) != 0 &&
                   started_at.substr(5, 2) >= "01" && started_at.substr(5, 2) <= "12";
  return iso ? started_at.substr(0, 7) + "-01" : "1970-01-01";
}

}  // namespace

Status PostgresStore::BeginRun(const RunRow& run) {
  return PgGuarded("begin run " + run.id, [&]() -> Status {
    PgTransaction tx(*impl_);
    const PgRows rev = impl_->Exec(
        "INSERT INTO revisions (repo, commit_sha, branch, commit_time) VALUES ($1,$2,$3,$4)"
        " ON CONFLICT (repo, commit_sha, branch) DO UPDATE SET"
        " commit_time = coalesce(excluded.commit_time, revisions.commit_time) RETURNING id",
        {run.revision.repo, run.revision.commit, run.revision.branch, run.revision.time});
    // The month's partition of results first: a run's results go there.
    const std::string month = MonthOf(run.started_at);
    impl_->Exec("SELECT effbench_results_partition($1::date)", {month});
    const PgRows inserted = impl_->Exec(
        "INSERT INTO runs (id, machine_id, revision_id, suite, started_at, config, month)"
        " SELECT $1, id, $2, $3, $4, $5, $7::date FROM machines WHERE fingerprint = $6"
        " ON CONFLICT (id) DO NOTHING",
        {run.id, rev.Text(0, 0), run.suite, run.started_at, run.config_json,
         run.machine_fingerprint, month});
    if (inserted.Affected() != 1) {
      const PgRows exists = impl_->Exec("SELECT 1 FROM runs WHERE id = $1", {run.id});
      if (exists.size() == 0) {
        return Status::NotFound("run " + run.id + ": machine " + run.machine_fingerprint +
                                " is not in the database");
      }
    }
    tx.Commit();
    return Status::Ok();
  });
}

Status PostgresStore::FinishRun(const std::string& run_id, const std::string& finished_at) {
  return PgGuarded("finish run " + run_id, [&]() -> Status {
    if (impl_->Exec("UPDATE runs SET finished_at = $1 WHERE id = $2", {finished_at, run_id})
            .Affected() != 1) {
      return Status::NotFound("no run " + run_id);
    }
    return Status::Ok();
  });
}

Status PostgresStore::DeleteRun(const std::string& run_id) {
  return PgGuarded("delete run " + run_id, [&]() -> Status {
    PgTransaction tx(*impl_);
    impl_->Exec("DELETE FROM results WHERE run_id = $1", {run_id});
    impl_->Exec("DELETE FROM run_counts WHERE run_id = $1", {run_id});
    impl_->Exec("DELETE FROM run_checks WHERE run_id = $1", {run_id});
    if (impl_->Exec("DELETE FROM runs WHERE id = $1", {run_id}).Affected() != 1) {
      return Status::NotFound("no run " + run_id);
    }
    tx.Commit();
    return Status::Ok();
  });
}

Result<std::vector<RunRow>> PostgresStore::Runs() {
  return PgGuarded("read runs", [&]() -> Result<std::vector<RunRow>> {
    const PgRows rows = impl_->Exec(
        "SELECT r.id, m.fingerprint, v.repo, v.commit_sha, v.branch, v.commit_time, r.suite,"
        " r.started_at, r.finished_at, r.config,"
        " coalesce(c.ok, 0), coalesce(c.failed, 0), coalesce(c.skipped, 0)"
        " FROM runs r JOIN machines m ON m.id = r.machine_id"
        " JOIN revisions v ON v.id = r.revision_id"
        " LEFT JOIN run_counts c ON c.run_id = r.id"
        " ORDER BY r.started_at DESC, r.seq DESC");
    std::vector<RunRow> out;
    for (int i = 0; i < rows.size(); ++i) {
      RunRow row;
      row.id = rows.Text(i, 0);
      row.machine_fingerprint = rows.Text(i, 1);
      row.revision =
          result::Revision{rows.Text(i, 2), rows.Text(i, 3), rows.Text(i, 4), rows.Opt(i, 5)};
      row.suite = rows.Text(i, 6);
      row.started_at = rows.Text(i, 7);
      row.finished_at = rows.Opt(i, 8);
      row.config_json = rows.Text(i, 9);
      row.results_ok = rows.Int(i, 10);
      row.results_failed = rows.Int(i, 11);
      row.results_skipped = rows.Int(i, 12);
      out.push_back(std::move(row));
    }
    return out;
  });
}

// ---- results ---------------------------------------------------------------

namespace {

// PostgreSQL's binary COPY format: a header, then each tuple as its field
// count and each field as its length (-1: NULL) and bytes, big-endian.
class CopyWriter {
 public:
  CopyWriter() {
    static constexpr char kSignature[] = "PGCOPY\n\377\r\n";
    data_.append(kSignature, sizeof kSignature);  // with its terminating zero byte
    Int32(0);                                     // flags
    Int32(0);                                     // header extension length
  }
  void Tuple(int16_t fields) { Int16(fields); }
  void Text(std::string_view s) {
    Int32(static_cast<int32_t>(s.size()));
    data_.append(s);
  }
  // `v`'s value, or NULL.
  template <typename T, typename Write>
  void Opt(const std::optional<T>& v, Write write) {
    if (v) {
      (this->*write)(*v);
    } else {
      Null();
    }
  }
  void OptText(const std::optional<std::string>& s) { Opt(s, &CopyWriter::Text); }
  void Int4(int32_t v) {
    Int32(4);
    Int32(v);
  }
  void Float8(double v) {
    Int32(8);
    const uint64_t bits = std::bit_cast<uint64_t>(v);
    Int32(static_cast<int32_t>(bits >> 32));
    Int32(static_cast<int32_t>(bits & 0xffffffffu));
  }
  void OptFloat8(const std::optional<double>& v) { Opt(v, &CopyWriter::Float8); }
  // A date, as days since 2000-01-01.
  void Date(int32_t days) {
    Int32(4);
    Int32(days);
  }
  void Null() { Int32(-1); }
  std::string Finish() {
    Int16(-1);
    return std::move(data_);
  }

 private:
  void Int16(int16_t v) {
    const uint16_t n = htons(static_cast<uint16_t>(v));
    data_.append(reinterpret_cast<const char*>(&n), 2);
  }
  void Int32(int32_t v) {
    const uint32_t n = htonl(static_cast<uint32_t>(v));
    data_.append(reinterpret_cast<const char*>(&n), 4);
  }
  std::string data_;
};

constexpr char kResultColumns[] =
    "id, run_id, name, workload, precision, sparsity, backend, threads, status, error,"
    " median_ns, mean_ns, stddev_ns, cv, min_ns, max_ns, gflops, gbps, roofline_fraction,"
    " joules_per_iter, rel_l2, record, samples_ns";

// The binary COPY of `rows`, each tuple led by its order in the batch (the
// staging table's ord), or, where `month_days` is given, by its run's month
// (results' run_month, as days since 2000-01-01).
std::string CopyOf(const std::vector<result::RecordRow>& rows,
                   const std::vector<int32_t>* month_days = nullptr) {
  CopyWriter w;
  for (size_t i = 0; i < rows.size(); ++i) {
    const result::RecordRow& r = rows[i];
    w.Tuple(24);
    if (month_days == nullptr) {
      w.Int4(static_cast<int32_t>(i));
    } else {
      w.Date((*month_days)[i]);
    }
    w.Text(r.id);
    w.Text(r.run_id);
    w.Text(r.name);
    w.Text(r.workload);
    w.Text(r.precision);
    w.Text(r.sparsity);
    w.Text(r.backend);
    w.Int4(static_cast<int32_t>(r.threads));
    w.Text(result::StatusName(r.ok, r.skipped));
    w.OptText(r.error);
    if (r.stats) {
      w.Float8(r.stats->median_ns);
      w.Float8(r.stats->mean_ns);
      w.Float8(r.stats->stddev_ns);
      w.Float8(r.stats->cv);
      w.Float8(r.stats->min_ns);
      w.Float8(r.stats->max_ns);
    } else {
      for (int k = 0; k < 6; ++k) w.Null();
    }
    w.OptFloat8(r.gflops);
    w.OptFloat8(r.gbps);
    w.OptFloat8(r.roofline_fraction);
    w.OptFloat8(r.joules_per_iter);
    w.OptFloat8(r.rel_l2);
    w.Text(r.record_json);
    w.Text(r.samples_json);
  }
  return w.Finish();
}

}  // namespace

Result<size_t> PostgresStore::InsertResults(const std::vector<result::ResultRecord>& records) {
  std::vector<result::RecordRow> rows;
  rows.reserve(records.size());
  for (const result::ResultRecord& record : records) {
    auto row = result::ToRow(record);
    if (!row.ok()) return row.status();
    rows.push_back(std::move(*row));
  }
  return InsertResults(rows);
}

namespace {

// A text[] parameter: {"a","b"}, each element quoted.
std::string TextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (const std::string& item : items) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : item) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

struct RunMonth {
  int32_t days = 0;  // since 2000-01-01
  std::string date;  // 2026-12-01
};

// The months of the runs `run_ids` name (repeats allowed), one statement;
// NotFound naming a run the database lacks. Throws PgError.
Result<std::map<std::string, RunMonth>> RunMonths(PostgresStore::Impl& db,
                                                  const std::vector<std::string>& run_ids) {
  std::map<std::string, RunMonth> months;
  for (const std::string& id : run_ids) months.emplace(id, RunMonth{});
  std::vector<std::string> unique;
  for (const auto& [id, month] : months) unique.push_back(id);
  const PgRows known = db.Exec(
      "SELECT id, month - DATE '2000-01-01', month::text FROM runs WHERE id = ANY($1::text[])",
      {TextArray(unique)});
  for (int i = 0; i < known.size(); ++i) {
    months[known.Text(i, 0)] = RunMonth{static_cast<int32_t>(known.Int(i, 1)), known.Text(i, 2)};
  }
  for (const auto& [id, month] : months) {
    if (month.date.empty()) {
      return Status::NotFound("results of run " + id + ", which is not in the database");
    }
  }
  return months;
}

std::string Int64Array(const std::vector<int64_t>& items) {
  std::string out = "{";
  for (int64_t v : items) {
    if (out.size() > 1) out += ',';
    out += std::to_string(v);
  }
  out += '}';
  return out;
}

}  // namespace

namespace {

// Whether JSON text escapes U+0000 (\u0000 after an even run of backslashes
// before it; "\\u0000" is a backslash and "u0000").
bool JsonHasNul(const std::string& json) {
  for (size_t at = json.find("\\u0000"); at != std::string::npos;
       at = json.find("\\u0000", at + 1)) {
    size_t backslashes = 0;
    while (at > backslashes && json[at - 1 - backslashes] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return true;
  }
  return false;
}

// PostgreSQL's text (and jsonb) cannot hold U+0000, which SQLite stores: a
// record with one is refused whole, naming it, before anything is sent.
Status CheckNoNul(const std::vector<result::RecordRow>& rows) {
  for (size_t i = 0; i < rows.size(); ++i) {
    const result::RecordRow& r = rows[i];
    for (const std::string* text :
         {&r.id, &r.run_id, &r.name, &r.workload, &r.precision, &r.sparsity, &r.backend}) {
      if (text->find('\0') == std::string::npos) continue;
      return Status::InvalidArgument(
          "result " + std::to_string(i) + " (" + r.id +
          "): a name or field holds the character U+0000, which PostgreSQL cannot store; "
          "nothing of the batch is stored");
    }
    if ((r.error && r.error->find('\0') != std::string::npos) || JsonHasNul(r.record_json)) {
      return Status::InvalidArgument(
          "result " + std::to_string(i) + " (" + r.id +
          "): its record holds the character U+0000, which PostgreSQL cannot store; "
          "nothing of the batch is stored");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<size_t> PostgresStore::InsertResults(const std::vector<result::RecordRow>& rows) {
  if (rows.empty()) return size_t{0};
  EFFBENCH_RETURN_IF_ERROR(CheckNoNul(rows));
  return PgGuarded("insert results", [&]() -> Result<size_t> {
    PgTransaction tx(*impl_);
    // The month of each row's run (its partition), one statement a batch.
    std::vector<std::string> run_ids;
    for (const result::RecordRow& r : rows) run_ids.push_back(r.run_id);
    auto months = RunMonths(*impl_, run_ids);
    if (!months.ok()) return months.status();
    std::vector<int32_t> month_days;
    month_days.reserve(rows.size());
    for (const result::RecordRow& r : rows) month_days.push_back((*months)[r.run_id].days);

    // Every result is new, nearly always: straight into results with COPY.
    // A result already stored (an agent's resend, or one that reached
    // another coordinator first) breaks the unique key; then the batch goes
    // through the staging table and ON CONFLICT DO NOTHING instead.
    impl_->Simple("SAVEPOINT ingest");
    try {
      impl_->CopyIn(std::string("COPY results (run_month, ") + kResultColumns +
                        ") FROM STDIN (FORMAT binary)",
                    CopyOf(rows, &month_days));
    } catch (const PgError& e) {
      if (e.sqlstate() != "23505") throw;
      impl_->Simple("ROLLBACK TO SAVEPOINT ingest");
      const size_t n = InsertStaged(rows);
      tx.Commit();
      return n;
    }
    std::map<std::string, std::array<int64_t, 3>> added;
    for (const result::RecordRow& r : rows) ++added[r.run_id][r.skipped ? 2 : r.ok ? 0 : 1];
    std::vector<std::string> ids;
    std::array<std::vector<int64_t>, 3> counts;
    for (const auto& [id, n] : added) {
      ids.push_back(id);
      for (size_t k = 0; k < 3; ++k) counts[k].push_back(n[k]);
    }
    impl_->Exec(
        "INSERT INTO run_counts (run_id, ok, failed, skipped) SELECT * FROM"
        " unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[])"
        " ON CONFLICT (run_id) DO UPDATE SET ok = run_counts.ok + excluded.ok,"
        " failed = run_counts.failed + excluded.failed,"
        " skipped = run_counts.skipped + excluded.skipped",
        {TextArray(ids), Int64Array(counts[0]), Int64Array(counts[1]), Int64Array(counts[2])});
    tx.Commit();
    return rows.size();
  });
}

size_t PostgresStore::InsertStaged(const std::vector<result::RecordRow>& rows) {
  // In the caller's transaction: made (or found) with it, every time, so
  // that a rolled-back transaction cannot leave the connection without it.
  impl_->Simple(kStagingTable);
  impl_->CopyIn(
      "COPY results_in (ord, " + std::string(kResultColumns) + ") FROM STDIN (FORMAT binary)",
      CopyOf(rows));
  // Stored once by (id, run_month) whoever sends it how often; the runs'
  // counts grow by what was new, in the same statement.
  const PgRows n = impl_->Exec(
      std::string("WITH ins AS (INSERT INTO results (run_month, ") + kResultColumns +
      ") SELECT r.month, i.id, i.run_id, i.name, i.workload, i.precision, i.sparsity,"
      " i.backend, i.threads, i.status, i.error, i.median_ns, i.mean_ns, i.stddev_ns, i.cv,"
      " i.min_ns, i.max_ns, i.gflops, i.gbps, i.roofline_fraction, i.joules_per_iter,"
      " i.rel_l2, i.record, i.samples_ns FROM results_in i JOIN runs r ON r.id = i.run_id"
      " ORDER BY i.ord ON CONFLICT DO NOTHING RETURNING run_id, status),"
      " counted AS (SELECT run_id, count(*) FILTER (WHERE status = 'ok') AS ok,"
      " count(*) FILTER (WHERE status = 'failed') AS failed,"
      " count(*) FILTER (WHERE status = 'skipped') AS skipped FROM ins GROUP BY run_id),"
      " added AS (INSERT INTO run_counts (run_id, ok, failed, skipped)"
      " SELECT run_id, ok, failed, skipped FROM counted ON CONFLICT (run_id) DO UPDATE SET"
      " ok = run_counts.ok + excluded.ok, failed = run_counts.failed + excluded.failed,"
      " skipped = run_counts.skipped + excluded.skipped RETURNING 1)"
      " SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM added)");
  return static_cast<size_t>(n.Int(0, 0));
}

Result<double> PostgresStore::RawCopyRate(const std::string& location,
                                          const std::vector<result::RecordRow>& rows, size_t batch,
                                          bool indexed) {
  Impl raw;
  raw.conn = PQconnectdb(location.c_str());
  if (PQstatus(raw.conn) != CONNECTION_OK) {
    return Status::IoError(location + ": cannot connect: " + ServerMessage(raw.conn, nullptr));
  }
  PQsetNoticeReceiver(raw.conn, IgnoreNotice, nullptr);
  return PgGuarded("raw COPY", [&]() -> Result<double> {
    raw.durability = Durability::kFull;
    raw.SetUp();
    raw.Simple(kStagingTable);
    // A table logged as results is (a temporary table writes no WAL): like
    // results with its key and indexes, or of the staging table's bare shape.
    raw.Simple("DROP TABLE IF EXISTS effbench_raw_copy");
    raw.Simple(indexed ? "CREATE TABLE effbench_raw_copy (LIKE results INCLUDING ALL)"
                       : "CREATE TABLE effbench_raw_copy (LIKE results_in)");
    const std::string columns = indexed ? "run_month, " : "ord, ";
    const std::vector<int32_t> month_days(batch, 0);  // 2000-01-01: one month for all
    const auto start = std::chrono::steady_clock::now();
    for (size_t at = 0; at < rows.size(); at += batch) {
      const std::vector<result::RecordRow> part(
          rows.begin() + static_cast<ptrdiff_t>(at),
          rows.begin() + static_cast<ptrdiff_t>(std::min(rows.size(), at + batch)));
      PgTransaction tx(raw);
      raw.CopyIn(
          "COPY effbench_raw_copy (" + columns + kResultColumns + ") FROM STDIN (FORMAT binary)",
          indexed ? CopyOf(part, &month_days) : CopyOf(part));
      tx.Commit();
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    raw.Simple("DROP TABLE effbench_raw_copy");
    return static_cast<double>(rows.size()) / seconds;
  });
}

Result<std::vector<result::ResultRecord>> PostgresStore::Results(const std::string& run_id) {
  return PgGuarded("read results", [&]() -> Result<std::vector<result::ResultRecord>> {
    std::vector<result::ResultRecord> out;
    Status bad;
    impl_->ForEachRow(
        run_id.empty() ? "SELECT id, record, samples_ns FROM results ORDER BY seq"
                       : "SELECT id, record, samples_ns FROM results WHERE run_id = $1"
                         " ORDER BY seq",
        run_id.empty() ? std::vector<PgParam>{} : std::vector<PgParam>{run_id},
        [&](const PgRows& row) {
          if (!bad.ok()) return;
          const std::string id = row.Text(0, 0);
          nlohmann::json doc;
          try {
            doc = nlohmann::json::parse(row.View(0, 1));
            doc["samples_ns"] = nlohmann::json::parse(row.View(0, 2));
          } catch (const nlohmann::json::exception& e) {
            bad =
                Status::InvalidArgument("stored result " + id + " is not valid JSON: " + e.what());
            return;
          }
          auto record = result::FromJson(doc);
          if (!record.ok()) {
            bad = record.status().WithContext("stored result " + id);
            return;
          }
          out.push_back(std::move(record).value());
        });
    if (!bad.ok()) return bad;
    return out;
  });
}

Result<int64_t> PostgresStore::ResultCount() {
  return PgGuarded("count results", [&]() -> Result<int64_t> {
    return impl_->Exec("SELECT count(*) FROM results").Int(0, 0);
  });
}

Result<int64_t> PostgresStore::ResultCountOfRun(const std::string& run_id) {
  return PgGuarded("count results of run " + run_id, [&]() -> Result<int64_t> {
    return impl_->Exec("SELECT count(*) FROM results WHERE run_id = $1", {run_id}).Int(0, 0);
  });
}

// ---- db copy ---------------------------------------------------------------

namespace {

// The tables whose stored order is their seq column.
bool HasSeq(const std::string& table) {
  return table == "runs" || table == "results" || table == "jobs";
}

const char* SqlType(ColumnType type) {
  switch (type) {
    case ColumnType::kInteger:
      return "bigint";
    case ColumnType::kReal:
      return "double precision";
    case ColumnType::kText:
      break;
  }
  return "text";
}

PgParam TextOf(const Value& v) {
  if (const auto* n = std::get_if<int64_t>(&v)) return PgInt(*n);
  if (const auto* d = std::get_if<double>(&v)) return PgDouble(*d);
  if (const auto* t = std::get_if<std::string>(&v)) return *t;
  return std::nullopt;
}

}  // namespace

Status PostgresStore::ReadRows(const Table& table,
                               const std::function<Status(std::vector<Row>&&)>& chunk) {
  return PgGuarded("read table " + table.name, [&]() -> Status {
    // A cursor: a table of millions of results is never held whole.
    PgTransaction tx(*impl_);
    impl_->Simple("DECLARE effbench_copy NO SCROLL CURSOR FOR SELECT " + ColumnList(table) +
                  " FROM " + table.name + " ORDER BY " + (HasSeq(table.name) ? "seq" : table.key));
    for (;;) {
      const PgRows rows = impl_->Exec("FETCH 1000 FROM effbench_copy");
      if (rows.size() == 0) break;
      std::vector<Row> out;
      out.reserve(static_cast<size_t>(rows.size()));
      for (int i = 0; i < rows.size(); ++i) {
        Row row;
        row.reserve(table.columns.size());
        for (size_t k = 0; k < table.columns.size(); ++k) {
          const int col = static_cast<int>(k);
          if (rows.IsNull(i, col)) {
            row.emplace_back();
          } else if (table.columns[k].type == ColumnType::kInteger) {
            row.emplace_back(rows.Int(i, col));
          } else if (table.columns[k].type == ColumnType::kReal) {
            row.emplace_back(rows.Double(i, col));
          } else {
            row.emplace_back(rows.Text(i, col));
          }
        }
        out.push_back(std::move(row));
      }
      EFFBENCH_RETURN_IF_ERROR(chunk(std::move(out)));
    }
    impl_->Simple("CLOSE effbench_copy");
    tx.Commit();
    return Status::Ok();
  });
}

Status PostgresStore::WriteRows(const Table& table, const std::vector<Row>& rows) {
  if (rows.empty()) return Status::Ok();
  return PgGuarded("write table " + table.name, [&]() -> Status {
    PgTransaction tx(*impl_);
    // What PostgreSQL keeps beyond the portable columns: a run's month (and
    // its partition of results), a result's run month.
    std::vector<std::string> extra_values;
    std::string columns = ColumnList(table);
    if (table.name == "runs") {
      columns += ", month";
      std::set<std::string> made;
      for (const Row& row : rows) {
        const auto* started = std::get_if<std::string>(&row[4]);
        const std::string month = MonthOf(started != nullptr ? *started : "");
        if (made.insert(month).second) {
          impl_->Exec("SELECT effbench_results_partition($1::date)", {month});
        }
        extra_values.push_back(month);
      }
    } else if (table.name == "results") {
      columns += ", run_month";
      std::vector<std::string> run_ids;
      for (const Row& row : rows) {
        const auto* run = std::get_if<std::string>(&row[1]);
        run_ids.push_back(run != nullptr ? *run : "");
      }
      auto months = RunMonths(*impl_, run_ids);
      if (!months.ok()) return months.status();
      for (const std::string& id : run_ids) extra_values.push_back((*months)[id].date);
    }
    const size_t width = table.columns.size() + (extra_values.empty() ? 0 : 1);
    // As many rows a statement as its parameters allow, in their order.
    const size_t per_statement = std::max<size_t>(1, 30000 / width);
    for (size_t at = 0; at < rows.size(); at += per_statement) {
      const size_t n = std::min(per_statement, rows.size() - at);
      std::string sql = "INSERT INTO " + table.name + " (" + columns + ") VALUES ";
      std::vector<PgParam> params;
      params.reserve(n * width);
      for (size_t r = 0; r < n; ++r) {
        sql += r == 0 ? "(" : ", (";
        for (size_t k = 0; k < width; ++k) {
          if (k > 0) sql += ", ";
          sql += '$';
          sql += std::to_string(params.size() + 1);
          sql += "::";
          sql += k < table.columns.size() ? SqlType(table.columns[k].type) : "date";
          params.push_back(k < table.columns.size() ? TextOf(rows[at + r][k])
                                                    : PgParam(extra_values[at + r]));
        }
        sql += ")";
      }
      // Not prepared: each statement's text is of its own size.
      const std::vector<const char*> values = Values(params);
      impl_->EnsureConnected();
      (void)impl_->Check(PQexecParams(impl_->conn, sql.c_str(), static_cast<int>(params.size()),
                                      nullptr, values.data(), nullptr, nullptr, 0));
    }
    tx.Commit();
    return Status::Ok();
  });
}

Status PostgresStore::FinishCopy() {
  return PgGuarded("after the copy", [&]() -> Status {
    for (const auto& [table, column] :
         std::vector<std::pair<std::string, std::string>>{{"machines", "id"},
                                                          {"revisions", "id"},
                                                          {"regressions", "id"},
                                                          {"runs", "seq"},
                                                          {"results", "seq"},
                                                          {"jobs", "seq"}}) {
      impl_->Exec("SELECT setval(pg_get_serial_sequence('" + table + "', '" + column +
                  "'), coalesce(max(" + column + "), 0) + 1, false) FROM " + table);
    }
    return Status::Ok();
  });
}

// ---- db prune --------------------------------------------------------------

namespace {

// SQLite's numbered parameters (?1) as PostgreSQL's ($1).
std::string Dollars(std::string sql) {
  for (size_t at = sql.find('?'); at != std::string::npos; at = sql.find('?', at)) sql[at] = '$';
  return sql;
}

}  // namespace

Result<PruneCounts> PostgresStore::PruneBefore(const std::string& before, const std::string& now) {
  return PgGuarded("prune before " + before, [&]() -> Result<PruneCounts> {
    PruneCounts counts;
    const std::string pruned = "(" + Dollars(kPrunedRuns) + ")";
    {
      PgTransaction tx(*impl_);
      counts.regressions_kept =
          impl_->Exec(Dollars(kMarkPrunedRegressions), {before, now}).Affected();
      counts.runs_kept_for_jobs = impl_->Exec(Dollars(kRunsKeptForJobs), {before}).Int(0, 0);
      tx.Commit();
    }
    // Whole months first: a partition whose month ends by `before`, and
    // every run of which goes, is dropped, not deleted row by row.
    const PgRows months = impl_->Exec(
        "SELECT to_char(r.month, 'YYYY_MM') FROM runs r GROUP BY r.month"
        " HAVING (r.month + INTERVAL '1 month')::date::text <= $1"
        " AND bool_and(r.id IN " +
            pruned +
            ")"
            " AND to_regclass(format('results_%s', to_char(r.month, 'YYYY_MM'))) IS NOT NULL"
            " ORDER BY 1",
        {before});
    for (int i = 0; i < months.size(); ++i) {
      const std::string part = "results_" + months.Text(i, 0);
      PgTransaction tx(*impl_);
      counts.results += impl_->Exec("SELECT count(*) FROM " + part).Int(0, 0);
      impl_->Simple("DROP TABLE " + part);
      tx.Commit();
      ++counts.partitions_dropped;
    }
    // The rest in bounded transactions.
    const std::string batch =
        "DELETE FROM results WHERE (id, run_month) IN (SELECT id, run_month FROM results"
        " WHERE run_id IN " +
        pruned + " LIMIT 5000)";
    for (;;) {
      PgTransaction tx(*impl_);
      const int64_t n = impl_->Exec(batch, {before}).Affected();
      tx.Commit();
      counts.results += n;
      if (n == 0) break;
    }
    PgTransaction tx(*impl_);
    for (const std::string& sql : PruneRunDeletes()) {
      counts.runs = impl_->Exec(Dollars(sql), {before}).Affected();  // the last, the runs', stays
    }
    tx.Commit();
    return counts;
  });
}

}  // namespace effbench::store
