// OpenStore: the one place that picks a backend from a location.
#include <libpq-fe.h>

#include <cstring>
#include <memory>

#include "harness/store/postgres_store.h"
#include "harness/store/result_store.h"
#include "harness/store/stores.h"

namespace effbench::store {
namespace {

// Refuses a URI that carries a password, without repeating it.
Status CheckNoPassword(const std::string& location) {
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
  PQconninfoFree(options);
  if (has_password) {
    return Status::InvalidArgument(
        "--db: the PostgreSQL URI holds a password, which every user of this machine could "
        "read on the command line; leave it out and give it in PGPASSFILE (~/.pgpass), "
        "PGPASSWORD or a service file (PGSERVICE)");
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
                                         OpenCheck check) {
  if (IsPostgresLocation(location)) {
    EFFBENCH_RETURN_IF_ERROR(CheckNoPassword(location));
    auto db = PostgresStore::Open(location, durability);
    if (!db.ok()) return db.status();
    return std::unique_ptr<Store>(std::move(*db));
  }
  auto db = ResultStore::Open(location, durability, check);
  if (!db.ok()) return db.status();
  return std::unique_ptr<Store>(std::move(*db));
}

Result<DatabaseCheck> CheckDatabase(const std::string& location) {
  if (!IsPostgresLocation(location)) {
    auto problems = CheckIntegrity(location);
    if (!problems.ok()) return problems.status();
    return DatabaseCheck{"PRAGMA integrity_check", std::move(*problems)};
  }
  EFFBENCH_RETURN_IF_ERROR(CheckNoPassword(location));
  auto db = PostgresStore::Open(location);
  if (!db.ok()) return db.status();
  auto problems = (*db)->CheckConsistency();
  if (!problems.ok()) return problems.status();
  return DatabaseCheck{"run counts, partitions, schema version", std::move(*problems)};
}

}  // namespace effbench::store
