// A fresh, empty results database for a test, of the backend the test
// process runs its [db] tests on. ctest runs every test tagged [db] once per
// backend of EFFBENCH_TESTED_STORES (tests/CMakeLists.txt), with
// EFFBENCH_TEST_STORE naming it: the same test, never a copy.
//   sqlite    a file in a temporary folder (the default)
//   postgres  a new database on the server the PG* variables name (`make
//             test` starts one with pg_virtualenv), dropped at the end
#pragma once

#include <string>
#include <vector>

#include "tests/test_util.h"

namespace effbench::testing {

// The backends [db] tests run on, from the build (EFFBENCH_TESTED_STORES).
std::vector<std::string> TestedStores();

// This process's backend: EFFBENCH_TEST_STORE, or "sqlite".
std::string TestStore();

class TestDatabase {
 public:
  TestDatabase() : TestDatabase(TestStore()) {}
  explicit TestDatabase(const std::string& backend);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  // A database of this process's backend for the test now running, one per
  // `key`, dropped when the test case ends: for a fixture that makes its
  // database where the test never names it (the fleet's, in its folder).
  static const TestDatabase& OfTest(const std::string& key);

  // What --db and store::OpenStore take.
  const std::string& location() const { return location_; }
  const std::string& backend() const { return backend_; }

 private:
  std::string backend_;
  TempDir dir_;
  std::string location_;
  std::string pg_name_;  // the PostgreSQL database made for the test
};

// Drops OfTest's databases: main.cc's listener calls it as each test case
// ends (at the process's exit libpq could not: OpenSSL is gone by then).
void DropTestDatabases();

}  // namespace effbench::testing
