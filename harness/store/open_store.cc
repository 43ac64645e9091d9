// OpenStore: the one place that picks a backend from a location.
#include <libpq-fe.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>

#include "harness/store/postgres_internal.h"
#include "harness/store/postgres_store.h"
#include "harness/store/result_store.h"
#include "harness/store/stores.h"
#include "schemas/embedded.h"

namespace effbench::store {
namespace {

// The URI's setting of `keyword`, else its environment variable's.
std::string Setting(const PQconninfoOption* options, const char* keyword) {
  for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, keyword) == 0) {
      if (o->val != nullptr && o->val[0] != '\0') return o->val;
      if (o->envvar != nullptr) {
        const char* env = std::getenv(o->envvar);
        if (env != nullptr) return env;
      }
    }
  }
  return "";
}

// Refuses a URI that carries a password, without repeating it, and one that
// would reach another machine without TLS (unless `transport` allows it).
Status CheckLocation(const std::string& location, ServerTransport transport) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(location.c_str(), &error);
  if (options == nullptr) {
    std::string message = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return Status::InvalidArgument("--db: not a PostgreSQL URI: " + message);
  }
  bool has_password = false;
  for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, "password") == 0 && o->val != nullptr && o->val[0] != '\0') {
      has_password = true;
    }
  }
  const std::string sslmode = Setting(options, "sslmode");
  std::string hosts = Setting(options, "host");
  const std::string hostaddr = Setting(options, "hostaddr");
  if (!hostaddr.empty()) hosts = hostaddr;
  PQconninfoFree(options);
  if (has_password) {
    return Status::InvalidArgument(
        "--db: the PostgreSQL URI holds a password, which every user of this machine could "
        "read on the command line; leave it out and give it in PGPASSFILE (~/.pgpass), "
        "PGPASSWORD or a service file (PGSERVICE)");
  }
  const bool tls = sslmode == "require" || sslmode == "verify-ca" || sslmode == "verify-full";
  if (transport == ServerTransport::kTlsUnlessLocal && !tls) {
    std::stringstream list(hosts);
    for (std::string host; std::getline(list, host, ',');) {
      if (IsLocalHost(host.c_str())) continue;
      return Status::InvalidArgument(
          "--db: " + host + " is another machine, and sslmode " +
          (sslmode.empty() ? std::string("prefer") : sslmode) +
          " may talk to it in clear; add ?sslmode=verify-full (or set PGSSLMODE), or give "
          "--insecure on a network you trust");
    }
  }
  return Status::Ok();
}

}  // namespace

bool IsPostgresLocation(const std::string& location) {
  return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

const std::vector<std::string>& StoreBackends() {
  static const std::vector<std::string> backends = {"sqlite", "postgres"};
  return backends;
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& location, Durability durability,
                                         OpenCheck check, ServerTransport transport) {
  if (IsPostgresLocation(location)) {
    EFFBENCH_RETURN_IF_ERROR(CheckLocation(location, transport));
    auto db = PostgresStore::Open(location, durability, transport);
    if (!db.ok()) return db.status();
    return std::unique_ptr<Store>(std::move(*db));
  }
  auto db = ResultStore::Open(location, durability, check);
  if (!db.ok()) return db.status();
  return std::unique_ptr<Store>(std::move(*db));
}

Result<DatabaseCheck> CheckDatabase(const std::string& location, ServerTransport transport) {
  if (!IsPostgresLocation(location)) {
    auto problems = CheckIntegrity(location);
    if (!problems.ok()) return problems.status();
    return DatabaseCheck{"PRAGMA integrity_check", std::move(*problems)};
  }
  EFFBENCH_RETURN_IF_ERROR(CheckLocation(location, transport));
  // As found: a check changes nothing, not even the schema's version.
  auto db = PostgresStore::Open(location, Durability::kNormal, transport,
                                PostgresStore::SchemaChange::kAsFound);
  if (!db.ok()) return db.status();
  auto problems = (*db)->CheckConsistency();
  if (!problems.ok()) return problems.status();
  const int version = (*db)->SchemaVersion(), latest = schemas::Migrations().back().version;
  std::string how = "run counts, partitions; schema version " + std::to_string(version);
  if (version < latest) {
    how += version == 0 ? " (empty: the first writer makes the schema)"
                        : " (this effbench migrates it to " + std::to_string(latest) +
                              " when serve, run or import opens it)";
  }
  return DatabaseCheck{how, std::move(*problems)};
}

Result<std::vector<std::string>> GrantAccess(const std::string& location, const std::string& role,
                                             Access access, ServerTransport transport) {
  if (!IsPostgresLocation(location)) {
    return Status::InvalidArgument(location +
                                   ": a SQLite file's access is its file mode (chmod, chgrp); "
                                   "db grant is for a postgresql:// database");
  }
  EFFBENCH_RETURN_IF_ERROR(CheckLocation(location, transport));
  auto db = PostgresStore::Open(location, Durability::kNormal, transport);
  if (!db.ok()) return db.status();
  return (*db)->Grant(role, access);
}

}  // namespace effbench::store
