// Inside the PostgreSQL store only: the libpq connection every part of
// PostgresStore shares, and the helpers its files use. Not for other modules.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "harness/store/postgres_store.h"

namespace effbench::store {

// A statement that failed, with the server's words; Guarded turns it into an
// IoError. sqlstate is the five-character code (23505: a unique key).
class PgError : public std::runtime_error {
 public:
  PgError(const std::string& message, std::string sqlstate)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

struct PgResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};

// The rows a statement returned, read as text (every statement here asks
// for text results; COPY alone sends binary).
class PgRows {
 public:
  explicit PgRows(PGresult* r) : r_(r) {}
  int size() const { return PQntuples(r_.get()); }
  bool IsNull(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string Text(int row, int col) const {
    return std::string(PQgetvalue(r_.get(), row, col),
                       static_cast<size_t>(PQgetlength(r_.get(), row, col)));
  }
  std::string_view View(int row, int col) const {
    return {PQgetvalue(r_.get(), row, col), static_cast<size_t>(PQgetlength(r_.get(), row, col))};
  }
  std::optional<std::string> Opt(int row, int col) const {
    if (IsNull(row, col)) return std::nullopt;
    return Text(row, col);
  }
  int64_t Int(int row, int col) const;
  double Double(int row, int col) const;
  // Rows an INSERT, UPDATE or DELETE touched.
  int64_t Affected() const;

 private:
  std::unique_ptr<PGresult, PgResultFree> r_;
};

// Whether `host` (as libpq names it: a name, an address, or a Unix socket's
// folder) is this machine.
bool IsLocalHost(const char* host);

// A parameter, as text; nullopt is NULL.
using PgParam = std::optional<std::string>;
PgParam PgInt(int64_t v);
PgParam PgDouble(double v);
PgParam PgDouble(const std::optional<double>& v);

struct PostgresStore::Impl {
  ~Impl() {
    if (conn != nullptr) PQfinish(conn);
  }

  // Runs `sql` with `params`, prepared once per connection; throws PgError.
  // A connection the server dropped is reset once first, so that a
  // coordinator outlives a restart of its database.
  PgRows Exec(const std::string& sql, const std::vector<PgParam>& params = {});
  // The name of `sql` prepared on this connection, preparing it the first
  // time. Throws PgError.
  const std::string& Prepared(const std::string& sql);
  // Runs `sql` (prepared once per connection) and hands `row` each row as it
  // arrives (libpq's single-row mode, each row its own PgRows of one row):
  // a result set of millions of rows is never held whole. Throws PgError.
  void ForEachRow(const std::string& sql, const std::vector<PgParam>& params,
                  const std::function<void(const PgRows&)>& row);
  // Runs statements without parameters (BEGIN, DDL); throws PgError.
  void Simple(const std::string& sql);
  // Sends `data` as the whole of a COPY ... FROM STDIN (BINARY) `sql`.
  void CopyIn(const std::string& sql, const std::string& data);
  // Throws PgError unless `r` is a success; returns it.
  PgRows Check(PGresult* r);

  // Brings the schema to this effbench's version; with `apply` false,
  // only reads the version (and refuses what Migrate refuses).
  Status Migrate(bool apply = true);
  // The session's settings, on a new connection.
  void SetUp();
  // Connects again where the connection was lost, outside a transaction.
  void EnsureConnected();

  // Where set, Exec adds each statement it runs, with its parameters, here
  // (PostgresStore::ExplainReads).
  std::vector<std::pair<std::string, std::vector<PgParam>>>* recorded = nullptr;

  PGconn* conn = nullptr;
  Durability durability = Durability::kNormal;
  bool in_transaction = false;
  int schema_version = 0;
  std::string location;  // as given (never holds a password: OpenStore refuses one)
  // Statement names by SQL text, of the present connection.
  std::map<std::string, std::string> prepared;
};

// Opens a transaction that rolls back when it goes unless committed.
class PgTransaction {
 public:
  explicit PgTransaction(PostgresStore::Impl& db) : db_(db) {
    db_.Simple("BEGIN");
    db_.in_transaction = true;
  }
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;
  ~PgTransaction() {
    db_.in_transaction = false;
    if (done_ || PQstatus(db_.conn) != CONNECTION_OK) return;
    try {
      db_.Simple("ROLLBACK");
    } catch (const PgError&) {
      // The connection is gone; so is the transaction.
    }
  }
  void Commit() {
    db_.Simple("COMMIT");
    done_ = true;
  }

 private:
  PostgresStore::Impl& db_;
  bool done_ = false;
};

// Runs `f`; a PgError it throws becomes an IoError that says what was being
// done, as the SQLite store's Guarded does.
template <typename F>
auto PgGuarded(const std::string& what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const PgError& e) {
    return Status::IoError(what + ": " + e.what());
  }
}

}  // namespace effbench::store
