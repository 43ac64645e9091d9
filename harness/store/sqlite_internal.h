// Inside the SQLite store only: the connection every part of ResultStore
// shares, and the helpers its files use. Not for other modules.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"
#include "harness/store/result_store.h"

namespace effbench::store {

// How long a connection waits for another's lock before SQLITE_BUSY, from its
// first statement on: a process that opens the file while another recovers
// its WAL after a crash, or checkpoints, waits instead of failing to start.
inline constexpr int kBusyTimeoutMs = 5000;

struct ResultStore::Impl {
  // One connection per ResultStore, used by one thread at a time: no mutex
  // on every call (a coordinator's writer makes millions of them).
  explicit Impl(const std::string& path)
      : db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX,
           kBusyTimeoutMs) {}

  Status Migrate();

  // A statement prepared once per connection (by its SQL text) and reset,
  // its read snapshot released and its bindings cleared, when the handle
  // goes: a check of 100,000 series prepared one per series before, which
  // was a third of its time.
  class Prepared {
   public:
    explicit Prepared(SQLite::Statement& s) : s_(s) {}
    Prepared(const Prepared&) = delete;
    Prepared& operator=(const Prepared&) = delete;
    ~Prepared() {
      try {
        s_.reset();
      } catch (const SQLite::Exception&) {
        // reset() reports the last step's error, which its caller saw.
      }
      s_.clearBindings();
    }
    SQLite::Statement& operator*() { return s_; }

   private:
    SQLite::Statement& s_;
  };
  Prepared Prepare(const std::string& sql) {
    auto& slot = statements[sql];
    if (!slot) slot = std::make_unique<SQLite::Statement>(db, sql);
    return Prepared(*slot);
  }

  SQLite::Database db;
  int schema_version = 0;
  // Prepare()'s statements; destroyed before `db`, declared above them.
  std::map<std::string, std::unique_ptr<SQLite::Statement>> statements;
};

// Runs `f`; a SQLite exception it throws becomes an IoError that says what was
// being done: "store job 0193…: database or disk is full". Every method of the
// store returns through it, so none throws and the coordinator can tell an I/O
// fault (IoError) from a refusal.
template <typename F>
auto Guarded(const std::string& what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const SQLite::Exception& e) {
    return Status::IoError(what + ": " + e.what());
  }
}

inline std::string Str(const SQLite::Column& c) {
  return c.isNull() ? std::string() : c.getString();
}
inline std::optional<std::string> OptStr(const SQLite::Column& c) {
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

}  // namespace effbench::store
