#include "tests/test_database.h"

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>

namespace effbench::testing {
namespace {

// Runs `sql` on the server's maintenance database (PG* variables); the
// server's error when it fails.
std::string OnServer(const std::string& sql) {
  PGconn* conn = PQconnectdb("dbname=postgres");
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = std::string("no PostgreSQL server to test on (") + PQerrorMessage(conn) +
            "): run `make test`, which starts one with pg_virtualenv, or point the PG* "
            "variables at a server where this user may create databases";
  } else {
    PGresult* r = PQexec(conn, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK) error = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(conn);
  return error;
}

// OfTest's databases, until their test case ends. Dropped then, not at
// the process's exit: libpq needs OpenSSL, which is gone by then.
std::map<std::string, std::unique_ptr<TestDatabase>>& OfTestDatabases() {
  static std::map<std::string, std::unique_ptr<TestDatabase>> databases;
  return databases;
}

}  // namespace

void DropTestDatabases() { OfTestDatabases().clear(); }

const TestDatabase& TestDatabase::OfTest(const std::string& key) {
  auto& db = OfTestDatabases()[key];
  if (!db) db = std::make_unique<TestDatabase>();
  return *db;
}

std::vector<std::string> TestedStores() {
  std::vector<std::string> out;
  std::stringstream list(EFFBENCH_TESTED_STORES);
  for (std::string name; std::getline(list, name, ',');) out.push_back(name);
  return out;
}

std::string TestStore() {
  const char* store = std::getenv("EFFBENCH_TEST_STORE");
  return store != nullptr && store[0] != '\0' ? store : "sqlite";
}

TestDatabase::TestDatabase(const std::string& backend) : backend_(backend) {
  if (backend == "sqlite") {
    location_ = dir_.File("effbench.db");
    return;
  }
  REQUIRE(backend == "postgres");
  static std::atomic<int> made{0};
  pg_name_ = "effbench_test_" + std::to_string(::getpid()) + "_" + std::to_string(made++);
  const std::string error = OnServer("CREATE DATABASE " + pg_name_);
  INFO(error);
  REQUIRE(error.empty());
  location_ = "postgresql:///" + pg_name_;
}

TestDatabase::~TestDatabase() {
  if (!pg_name_.empty()) (void)OnServer("DROP DATABASE IF EXISTS " + pg_name_ + " WITH (FORCE)");
}

}  // namespace effbench::testing
