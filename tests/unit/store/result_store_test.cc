#include "harness/store/result_store.h"

#include <libpq-fe.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "harness/store/postgres_store.h"
#include "schemas/embedded.h"
#include "tests/test_database.h"
#include "tests/test_util.h"

namespace effbench::store {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A store of the backend under test (tests/test_database.h) with one machine
// and one run, ready for results. Tests tagged [db] run on every backend.
struct Fixture {
  testing::TestDatabase database;
  std::string path = database.location();
  std::string run_id = result::NewUuid();

  std::unique_ptr<Store> OpenWithRun() {
    auto db = OpenStore(path);
    REQUIRE(db.ok());
    REQUIRE((*db)
                ->UpsertMachine(MachineRow{testing::FakeFingerprint(), "host", "cpu", "x86_64",
                                           "{}", std::nullopt, "t0", "t0"})
                .ok());
    REQUIRE((*db)
                ->BeginRun(RunRow{run_id,
                                  testing::FakeFingerprint(),
                                  {"repo", "abc123", "main", std::nullopt},
                                  "quick",
                                  "2026-12-01T00:00:00Z",
                                  std::nullopt,
                                  "{}"})
                .ok());
    return std::move(db).value();
  }
};

TEST_CASE("results round-trip with every sample", "[store][db]") {
  Fixture f;
  auto db = f.OpenWithRun();
  std::vector<result::ResultRecord> records = {testing::MakeRecord(f.run_id, 5),
                                               testing::MakeRecord(f.run_id, 12, "int8")};
  records[1].ok = false;
  records[1].error = "fidelity: rel_l2 too large";
  records[1].samples_ns.clear();
  records[1].stats.reset();
  auto inserted = db->InsertResults(records);
  REQUIRE(inserted.ok());
  CHECK(*inserted == 2);

  auto back = db->Results(f.run_id);
  REQUIRE(back.ok());
  REQUIRE(back->size() == 2);
  CHECK(result::ToJson((*back)[0]) == result::ToJson(records[0]));
  CHECK(result::ToJson((*back)[1]) == result::ToJson(records[1]));

  auto runs = db->Runs();
  REQUIRE(runs.ok());
  REQUIRE(runs->size() == 1);
  CHECK(runs->front().results_ok == 1);
  CHECK(runs->front().results_failed == 1);
}

TEST_CASE("ingest is idempotent by result id", "[store][db]") {
  Fixture f;
  auto db = f.OpenWithRun();
  const auto record = testing::MakeRecord(f.run_id);
  CHECK(*db->InsertResults({record}) == 1);
  CHECK(*db->InsertResults({record}) == 0);
  CHECK(db->Results(f.run_id)->size() == 1);
  // A batch of one stored result and two new ones, one of them twice: the
  // new ones are stored once each, in the batch's order, and counted once.
  const auto fresh = testing::MakeRecord(f.run_id), other = testing::MakeRecord(f.run_id);
  CHECK(*db->InsertResults({fresh, record, other, fresh}) == 2);
  const auto stored = db->Results(f.run_id);
  REQUIRE(stored->size() == 3);
  CHECK((*stored)[1].id == fresh.id);
  CHECK((*stored)[2].id == other.id);
  CHECK(db->Runs()->front().results_ok == 3);
}

TEST_CASE("an invalid record rejects the whole batch, naming the field", "[store][db]") {
  Fixture f;
  auto db = f.OpenWithRun();
  auto good = testing::MakeRecord(f.run_id);
  auto bad = testing::MakeRecord(f.run_id);
  bad.threads = 0;
  auto inserted = db->InsertResults({good, bad});
  REQUIRE_FALSE(inserted.ok());
  CHECK(inserted.status().message().find("/threads") != std::string::npos);
  CHECK(db->Results("")->empty());
}

TEST_CASE("a result of an unknown run is refused", "[store][db]") {
  Fixture f;
  auto db = f.OpenWithRun();
  auto inserted = db->InsertResults({testing::MakeRecord(result::NewUuid())});
  CHECK_FALSE(inserted.ok());
}

TEST_CASE("OpenStore picks the backend, and refuses a PostgreSQL URI that holds a password",
          "[store]") {
  auto db = OpenStore(":memory:");
  REQUIRE(db.ok());
  RunStore& runs = **db;
  REQUIRE(runs.ResultCount().ok());
  CHECK(*runs.ResultCount() == 0);
  CHECK((*db)->ProbeWrite().ok());
  CHECK(IsPostgresLocation("postgresql://db.example/effbench"));
  CHECK(IsPostgresLocation("postgres:///effbench"));
  CHECK_FALSE(IsPostgresLocation("postgresql.db"));
  for (const std::string uri : {"postgresql://ci:s3cret@db.example/effbench",
                                "postgresql://db.example/effbench?password=s3cret"}) {
    auto pg = OpenStore(uri);
    REQUIRE_FALSE(pg.ok());
    CHECK(pg.status().code() == Status::Code::kInvalidArgument);
    CHECK_THAT(pg.status().message(), Catch::Contains("PGPASSFILE"));
    // The refusal never repeats the password.
    CHECK_THAT(pg.status().message(), !Catch::Contains("s3cret"));
  }
  // Another machine without TLS: refused before a byte is sent, unless
  // --insecure; a host from PGHOST counts the same.
  auto clear = OpenStore("postgresql://192.0.2.1/effbench?connect_timeout=1");
  REQUIRE_FALSE(clear.ok());
  CHECK(clear.status().code() == Status::Code::kInvalidArgument);
  CHECK_THAT(clear.status().message(),
             Catch::Contains("sslmode=verify-full") && Catch::Contains("--insecure"));
  const char* pghost = std::getenv("PGHOST");
  const std::string saved = pghost != nullptr ? pghost : "";
  ::setenv("PGHOST", "192.0.2.1", 1);
  CHECK(OpenStore("postgresql:///effbench").status().code() == Status::Code::kInvalidArgument);
  if (pghost != nullptr) {
    ::setenv("PGHOST", saved.c_str(), 1);
  } else {
    ::unsetenv("PGHOST");
  }
  for (const auto& [uri, transport] : std::vector<std::pair<std::string, ServerTransport>>{
           {"postgresql://192.0.2.1/effbench?sslmode=verify-full&connect_timeout=1",
            ServerTransport::kTlsUnlessLocal},
           {"postgresql://192.0.2.1/effbench?connect_timeout=1",
            ServerTransport::kInsecureAllowed}}) {
    // Allowed: it gets as far as trying to connect.
    auto tried = OpenStore(uri, Durability::kNormal, OpenCheck::kQuickCheck, transport);
    REQUIRE_FALSE(tried.ok());
    CHECK(tried.status().code() == Status::Code::kIoError);
  }
  auto unreachable = OpenStore("postgresql://127.0.0.1:1/effbench?connect_timeout=2");
  REQUIRE_FALSE(unreachable.ok());
  CHECK(unreachable.status().code() == Status::Code::kIoError);
  CHECK_THAT(unreachable.status().message(), Catch::Contains("cannot connect"));
}

TEST_CASE("every backend of the store is under test", "[store][db]") {
  // ctest runs each [db] test once per backend of the build's list; a
  // backend OpenStore knows but the list lacks would go untested.
  CHECK(testing::TestedStores() == StoreBackends());
  const auto tested = testing::TestedStores();
  CHECK(std::find(tested.begin(), tested.end(), testing::TestStore()) != tested.end());
}

TEST_CASE("migrations run once: reopening keeps the data", "[store][db]") {
  Fixture f;
  {
    auto db = f.OpenWithRun();
    CHECK(db->SchemaVersion() == schemas::Migrations().back().version);
    REQUIRE(db->InsertResults({testing::MakeRecord(f.run_id)}).ok());
  }
  for (int i = 0; i < 2; ++i) {
    auto db = OpenStore(f.path);
    REQUIRE(db.ok());
    CHECK((*db)->SchemaVersion() == schemas::Migrations().back().version);
    CHECK((*db)->Results("")->size() == 1);
    CHECK((*db)->Runs()->size() == 1);
  }
}

// Runs `sql` on the raw database file.
void Exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  INFO(message);
  REQUIRE(rc == SQLITE_OK);
}

// A run's counts of ok, failed and skipped results, as Runs() lists them.
std::array<int64_t, 3> Counts(RunStore& db, const std::string& run_id) {
  auto runs = db.Runs();
  REQUIRE(runs.ok());
  for (const RunRow& r : *runs) {
    if (r.id == run_id) return {r.results_ok, r.results_failed, r.results_skipped};
  }
  FAIL("no run " << run_id);
  return {};
}

TEST_CASE(
    "a run's result counts follow its inserts, a duplicate is not counted twice, a deleted "
    "run takes its counts along",
    "[store][db]") {
  Fixture f;
  auto db = f.OpenWithRun();
  auto ok = testing::MakeRecord(f.run_id, 5);
  auto failed = testing::MakeRecord(f.run_id, 5, "int8");
  failed.ok = false;
  failed.error = "wrong result";
  auto skipped = testing::MakeRecord(f.run_id, 0, "bf16");
  skipped.ok = false;
  skipped.skipped = true;
  skipped.samples_ns.clear();
  skipped.stats.reset();
  skipped.error = "needs avx512_core";
  REQUIRE(db->InsertResults({ok, failed, skipped}).ok());
  CHECK(Counts(*db, f.run_id) == std::array<int64_t, 3>{1, 1, 1});
  // The same records again (an agent resending after a lost ack): ignored.
  REQUIRE(db->InsertResults({ok, failed}).ok());
  CHECK(Counts(*db, f.run_id) == std::array<int64_t, 3>{1, 1, 1});
  REQUIRE(db->InsertResults({testing::MakeRecord(f.run_id, 5)}).ok());
  CHECK(Counts(*db, f.run_id) == std::array<int64_t, 3>{2, 1, 1});
  // A second run counts apart; deleting the first leaves the second's counts.
  const std::string second = result::NewUuid();
  REQUIRE(db->BeginRun(RunRow{second,
                              testing::FakeFingerprint(),
                              {"repo", "def456", "main", std::nullopt},
                              "quick",
                              "2026-12-02T00:00:00Z",
                              std::nullopt,
                              "{}"})
              .ok());
  CHECK(Counts(*db, second) == std::array<int64_t, 3>{0, 0, 0});
  REQUIRE(db->InsertResults({testing::MakeRecord(second, 5), testing::MakeRecord(second, 5)}).ok());
  CHECK(Counts(*db, second) == std::array<int64_t, 3>{2, 0, 0});
  REQUIRE(db->DeleteRun(f.run_id).ok());
  CHECK(Counts(*db, second) == std::array<int64_t, 3>{2, 0, 0});
  CHECK(db->Runs()->size() == 1);
}

TEST_CASE("a version 8 SQLite database gets its run counts at migration", "[store]") {
  // A database at version 8 with results: migration 9 counts them.
  testing::TempDir dir;
  const std::string path = dir.File("v8.db");
  std::string v8 = "PRAGMA journal_mode=WAL;BEGIN;";
  for (const schemas::Migration& m : schemas::Migrations()) {
    if (m.version <= 8) v8 += std::string(m.sql);
  }
  v8 += "PRAGMA application_id=" + std::to_string(kApplicationId) + ";PRAGMA user_version=8;";
  v8 += "INSERT INTO machines VALUES (1,'fp','h','c','x86_64','{}',NULL,'t','t');";
  v8 += "INSERT INTO revisions VALUES (1,'repo','abc','main',NULL);";
  v8 += "INSERT INTO runs VALUES ('run-a',1,1,'quick','t',NULL,'{}');";
  v8 += "INSERT INTO runs VALUES ('run-b',1,1,'quick','t',NULL,'{}');";
  int n = 0;
  for (const auto& [run, status] : std::vector<std::pair<std::string, std::string>>{
           {"run-a", "ok"}, {"run-a", "ok"}, {"run-a", "skipped"}, {"run-b", "failed"}}) {
    v8 +=
        "INSERT INTO results (id, run_id, name, workload, precision, sparsity, backend, threads,"
        " status, record) VALUES ('r" +
        std::to_string(n++) + "','" + run + "','gemm.fp32/m1n1k1@ref','gemm','fp32','dense'," +
        "'ref',1,'" + status + "','{}');";
  }
  v8 += "COMMIT;";
  Exec(path, v8);
  auto migrated = ResultStore::Open(path);
  REQUIRE(migrated.ok());
  CHECK(Counts(**migrated, "run-a") == std::array<int64_t, 3>{2, 0, 1});
  CHECK(Counts(**migrated, "run-b") == std::array<int64_t, 3>{0, 1, 0});
}

TEST_CASE("migration 4 moves a version 3 database's samples into their results, in order",
          "[store]") {
  testing::TempDir dir;
  const std::string path = dir.File("v3.db");
  // A database as effbench left it before version 4, samples row by row,
  // stored out of repetition order.
  std::string v3 = "PRAGMA journal_mode=WAL;BEGIN;";
  for (const schemas::Migration& m : schemas::Migrations()) {
    if (m.version <= 3) v3 += std::string(m.sql);
  }
  v3 += "PRAGMA application_id=" + std::to_string(kApplicationId) + ";PRAGMA user_version=3;";
  result::ResultRecord r = testing::MakeRecord(result::NewUuid(), 4);
  r.samples_ns = {1500.5, 1000.25, 3000.0, 2000.125};  // a median of 1750.3125
  r.stats = result::Summarize(r.samples_ns);
  nlohmann::json record = result::ToJson(r);
  record.erase("samples_ns");
  v3 += "INSERT INTO machines VALUES (1,'" + r.machine + "','h','c','x86_64','{}',NULL,'t','t');";
  v3 += "INSERT INTO revisions VALUES (1,'" + r.revision.repo + "','" + r.revision.commit + "','" +
        r.revision.branch + "',NULL);";
  v3 += "INSERT INTO runs VALUES ('" + r.run_id + "',1,1,'quick','t',NULL,'{}');";
  v3 +=
      "INSERT INTO results (id, run_id, name, workload, precision, sparsity, backend, threads,"
      " status, record) VALUES ('" +
      r.id + "','" + r.run_id + "','" + r.name + "','gemm','fp32','dense','ref',1,'ok','" +
      record.dump() + "');";
  for (const int rep : {2, 0, 3, 1}) {
    v3 += "INSERT INTO samples VALUES ('" + r.id + "'," + std::to_string(rep) + "," +
          std::to_string(r.samples_ns[static_cast<size_t>(rep)]) + ");";
  }
  v3 += "COMMIT;";
  Exec(path, v3);

  auto db = ResultStore::Open(path);
  REQUIRE(db.ok());
  CHECK((*db)->SchemaVersion() == schemas::Migrations().back().version);
  auto back = (*db)->Results(r.run_id);
  REQUIRE(back.ok());
  REQUIRE(back->size() == 1);
  CHECK(back->front().samples_ns == r.samples_ns);
  auto history = (*db)->SeriesHistory({r.machine, r.name, 1});
  REQUIRE(history.ok());
  REQUIRE(history->size() == 1);
  CHECK(history->front().samples_ns.size() == 4);
  db->reset();
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &raw) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(raw, "SELECT count(*) FROM sqlite_master WHERE name = 'samples'", -1,
                             &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  CHECK(sqlite3_column_int(stmt, 0) == 0);  // the per-repetition table is gone
  sqlite3_finalize(stmt);
  sqlite3_close(raw);
}

TEST_CASE("a new database has 16 KiB pages, a result's samples one JSON array", "[store]") {
  Fixture f;
  {
    auto db = f.OpenWithRun();
    auto r = testing::MakeRecord(f.run_id, 3);
    REQUIRE(db->InsertResults({r}).ok());
  }
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(f.path.c_str(), &raw) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(raw,
                             "SELECT samples_ns, (SELECT page_size FROM pragma_page_size())"
                             " FROM results",
                             -1, &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  const std::string samples = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  CHECK(nlohmann::json::parse(samples) == nlohmann::json({1000.0, 1010.0, 1020.0}));
  CHECK(sqlite3_column_int(stmt, 1) == 16384);
  sqlite3_finalize(stmt);
  sqlite3_close(raw);
}

TEST_CASE("machine calibration is stored and kept", "[store][db]") {
  Fixture f;
  auto db = f.OpenWithRun();
  CHECK_FALSE(db->MachineCalibration(testing::FakeFingerprint())->has_value());
  REQUIRE(db->UpsertMachine(MachineRow{testing::FakeFingerprint(), "host", "cpu", "x86_64", "{}",
                                       std::string(R"({"threads":2})"), "t0", "t1"})
              .ok());
  REQUIRE(db->UpsertMachine(MachineRow{testing::FakeFingerprint(), "host", "cpu", "x86_64", "{}",
                                       std::nullopt, "t0", "t2"})
              .ok());
  CHECK(**db->MachineCalibration(testing::FakeFingerprint()) == R"({"threads":2})");
  auto machines = db->Machines();
  REQUIRE(machines->size() == 1);
  CHECK(machines->front().last_seen == "t2");
}

TEST_CASE("a file that is not an effbench database is refused untouched", "[store]") {
  testing::TempDir dir;
  SECTION("a text file") {
    const std::string path = dir.File("notes.txt");
    std::ofstream(path) << "these are my notes, not a database\n";
    const std::string before = ReadAll(path);
    auto db = ResultStore::Open(path);
    REQUIRE_FALSE(db.ok());
    CHECK(db.status().message().find("not an effbench database") != std::string::npos);
    CHECK(ReadAll(path) == before);
  }
  SECTION("another application's SQLite database") {
    const std::string path = dir.File("other.db");
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &raw) == SQLITE_OK);
    REQUIRE(sqlite3_exec(raw, "CREATE TABLE t(x); INSERT INTO t VALUES (1);", nullptr, nullptr,
                         nullptr) == SQLITE_OK);
    sqlite3_close(raw);
    const std::string before = ReadAll(path);
    auto db = ResultStore::Open(path);
    REQUIRE_FALSE(db.ok());
    CHECK(db.status().message().find("not an effbench") != std::string::npos);
    CHECK(ReadAll(path) == before);
    CHECK_FALSE(std::filesystem::exists(path + "-wal"));
  }
}

// The reader bug of the fleet issue: opening a second store in a process that
// already holds a connection must not drop that connection's locks, or an
// outside reader checkpoints and deletes the WAL under it and a SIGKILL then
// loses everything written since.
TEST_CASE("an outside reader while a second store opens loses no acknowledged result",
          "[store][durability]") {
  Fixture f;
  int to_child[2], to_parent[2];
  REQUIRE(pipe(to_child) == 0);
  REQUIRE(pipe(to_parent) == 0);
  const pid_t writer = fork();
  REQUIRE(writer >= 0);
  if (writer == 0) {  // the coordinator: a writer, then a reader, in one process
    auto db = ResultStore::Open(f.path, Durability::kFull);
    if (!db.ok()) _exit(10);
    if (!(*db)
             ->UpsertMachine(MachineRow{testing::FakeFingerprint(), "host", "cpu", "x86_64", "{}",
                                        std::nullopt, "t0", "t0"})
             .ok())
      _exit(14);
    const Status begun = (*db)->BeginRun(RunRow{f.run_id,
                                                testing::FakeFingerprint(),
                                                {"repo", "abc123", "main", std::nullopt},
                                                "quick",
                                                "t0",
                                                std::nullopt,
                                                "{}"});
    if (!begun.ok()) _exit(15);
    auto reader = ResultStore::Open(f.path);
    if (!reader.ok()) _exit(11);
    char go = 0;
    for (int batch = 0; batch < 2; ++batch) {
      if (!(*db)
               ->InsertResults({testing::MakeRecord(f.run_id), testing::MakeRecord(f.run_id),
                                testing::MakeRecord(f.run_id)})
               .ok())
        _exit(12);
      if (write(to_parent[1], "a", 1) != 1 || read(to_child[0], &go, 1) != 1) _exit(13);
    }
    pause();  // killed
    _exit(0);
  }
  char acked = 0;
  REQUIRE(read(to_parent[0], &acked, 1) == 1);  // 3 results committed (acknowledged)
  // An outside process reads and closes its connection, as `effbench report` does.
  testing::TempDir logs;
  testing::Process outside({EFFBENCH_BINARY, "machines", "--db", f.path}, logs.File("r.log"));
  CHECK(outside.Wait(60) == std::optional<int>(0));
  CHECK(std::filesystem::exists(f.path + "-wal"));  // the writer's WAL is still there
  REQUIRE(write(to_child[1], "g", 1) == 1);
  REQUIRE(read(to_parent[0], &acked, 1) == 1);  // 3 more committed
  kill(writer, SIGKILL);
  int status = 0;
  waitpid(writer, &status, 0);
  auto after = ResultStore::Open(f.path);
  REQUIRE(after.ok());
  auto count = (*after)->ResultCount();
  REQUIRE(count.ok());
  CHECK(*count == 6);
}

TEST_CASE("a damaged database is refused at open, and db check names the damage",
          "[store][durability]") {
  Fixture f;
  {
    auto db = f.OpenWithRun();
    std::vector<result::ResultRecord> records;
    for (int i = 0; i < 60; ++i) records.push_back(testing::MakeRecord(f.run_id, 20));
    REQUIRE(db->InsertResults(records).ok());
  }  // closed: checkpointed into the main file, no connection left in this process
  REQUIRE(CheckIntegrity(f.path).ok());
  CHECK(CheckIntegrity(f.path)->empty());
  const auto size = std::filesystem::file_size(f.path);
  REQUIRE(size > 5 * 16384);
  {
    std::fstream file(f.path, std::ios::binary | std::ios::in | std::ios::out);
    file.seekp(static_cast<std::streamoff>(size - 3 * 16384));  // a b-tree page of results
    const std::string garbage(16384, '\xa5');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  auto db = ResultStore::Open(f.path);
  REQUIRE_FALSE(db.ok());
  CHECK_THAT(db.status().message(), Catch::Contains("damaged") && Catch::Contains("quick_check") &&
                                        Catch::Contains("db check"));
  auto problems = CheckIntegrity(f.path);
  REQUIRE(problems.ok());
  CHECK_FALSE(problems->empty());
}

TEST_CASE("a job ends only while unfinished: a job_done committed first wins", "[store][db]") {
  Fixture f;
  auto db = f.OpenWithRun();
  const JobRow job{"j1", "a1", f.run_id, "quick", "{}", "dispatched", "t0", "t0", std::nullopt};
  REQUIRE(db->InsertJob(job).ok());
  REQUIRE(db->SetJobState("j1", "done", "t1", std::nullopt).ok());
  const Status late = db->EndUnfinishedJob("j1", "cancelled", "t2", "cancelled by a user");
  CHECK(late.code() == Status::Code::kFailedPrecondition);
  CHECK_THAT(late.message(), Catch::Contains("already done"));
  auto jobs = db->Jobs();
  REQUIRE(jobs.ok());
  CHECK(jobs->front().state == "done");
  CHECK(db->EndUnfinishedJob("nope", "cancelled", "t2", "x").code() == Status::Code::kNotFound);
  REQUIRE(db->InsertJob(
                {"j2", "a1", result::NewUuid(), "quick", "{}", "queued", "t0", "t0", std::nullopt})
              .ok());
  REQUIRE(db->EndUnfinishedJob("j2", "cancelled", "t3", "cancelled by a user").ok());
  jobs = db->Jobs();
  REQUIRE(jobs.ok());
  CHECK(jobs->back().state == "cancelled");
  CHECK(jobs->back().error == std::optional<std::string>("cancelled by a user"));
}

TEST_CASE("a job is claimed with a lease: the agent's dispatched one first, else its oldest queued",
          "[store][db]") {
  Fixture f;
  auto db = f.OpenWithRun();
  const auto job = [&](const std::string& id, const std::string& agent, const std::string& at) {
    return JobRow{id, agent, result::NewUuid(), "quick", "{}", "queued", at, at, std::nullopt};
  };
  REQUIRE(db->InsertJobs({job("j2", "a1", "2026-12-01T00:00:02Z"),
                          job("j1", "a1", "2026-12-01T00:00:01Z"),
                          job("k1", "a2", "2026-12-01T00:00:00Z")})
              .ok());
  auto claimed = db->ClaimNextJob("a1", "c1", std::chrono::minutes(10), "t1");
  REQUIRE(claimed.ok());
  REQUIRE(claimed->has_value());
  CHECK((*claimed)->id == "j1");  // the oldest
  CHECK((*claimed)->state == "dispatched");
  CHECK((*claimed)->updated_at == "t1");
  // Claimed again (the agent moved to another coordinator): the same job,
  // its lease taken over, not a second one.
  auto again = db->ClaimNextJob("a1", "c2", std::chrono::minutes(10), "t2");
  REQUIRE(again.ok());
  REQUIRE(again->has_value());
  CHECK((*again)->id == "j1");
  CHECK((*again)->updated_at == "t1");
  // Its lease runs: no coordinator may fail it for the lease.
  const Status held = db->ExpireJobLease("j1", "t3", "lease expired");
  CHECK(held.code() == Status::Code::kFailedPrecondition);
  CHECK_THAT(held.message(), Catch::Contains("leased to coordinator c2"));
  // A lease of no time has run out at once.
  REQUIRE(db->RenewJobLeases("c2", {"a1", "nobody"}, std::chrono::milliseconds(0)).ok());
  REQUIRE(db->ExpireJobLease("j1", "t4", "lease expired: gone").ok());
  CHECK(db->ExpireJobLease("j1", "t5", "again").code() == Status::Code::kFailedPrecondition);
  CHECK(db->ExpireJobLease("nope", "t5", "x").code() == Status::Code::kNotFound);
  auto next = db->ClaimNextJob("a1", "c1", std::chrono::minutes(10), "t6");
  REQUIRE((next.ok() && next->has_value()));
  CHECK((*next)->id == "j2");
  REQUIRE(db->SetJobState("j2", "done", "t7", std::nullopt).ok());
  auto none = db->ClaimNextJob("a1", "c1", std::chrono::minutes(10), "t8");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());

  // The unfinished jobs, and the named ones that ended.
  auto open = db->OpenJobs({"j1", "unknown"});
  REQUIRE(open.ok());
  std::vector<std::pair<std::string, std::string>> states;
  for (const JobRow& j : *open) states.emplace_back(j.id, j.state);
  CHECK(states ==
        std::vector<std::pair<std::string, std::string>>{{"k1", "queued"}, {"j1", "failed"}});
}

TEST_CASE("an agent's presence: recorded by its coordinator, gone with it, stale when it dies",
          "[store][db]") {
  Fixture f;
  auto db = f.OpenWithRun();
  AgentPresenceRow p{"a1",          "c1", "running",         "j1", 3,   9, 0,
                     "127.0.0.1:5", true, "the fleet token", "t0", "t1"};
  REQUIRE(db->PutAgentPresence(p).ok());
  auto seen = db->AgentPresence(std::chrono::minutes(1));
  REQUIRE(seen.ok());
  REQUIRE(seen->size() == 1);
  CHECK(seen->front().coordinator == "c1");
  CHECK(seen->front().done == 3);
  CHECK(seen->front().total == 9);
  CHECK(seen->front().tls);
  CHECK(seen->front().job == "j1");
  // It moved to c2; c1's late end leaves c2's record.
  p.coordinator = "c2";
  REQUIRE(db->PutAgentPresence(p).ok());
  REQUIRE(db->EndAgentPresence("a1", "c1").ok());
  seen = db->AgentPresence(std::chrono::minutes(1));
  REQUIRE(seen.ok());
  REQUIRE(seen->size() == 1);
  CHECK(seen->front().coordinator == "c2");
  // A record older than `fresh` is a dead coordinator's: not shown.
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  seen = db->AgentPresence(std::chrono::milliseconds(10));
  REQUIRE(seen.ok());
  CHECK(seen->empty());
  REQUIRE(db->EndAgentPresence("a1", "c2").ok());
  seen = db->AgentPresence(std::chrono::minutes(1));
  REQUIRE(seen.ok());
  CHECK(seen->empty());
}

TEST_CASE("PostgreSQL: db check changes nothing, not even an old schema's version", "[postgres]") {
  testing::TestDatabase database("postgres");
  const auto scalar = [&](const char* sql) {
    PGconn* conn = PQconnectdb(database.location().c_str());
    REQUIRE(PQstatus(conn) == CONNECTION_OK);
    PGresult* r = PQexec(conn, sql);
    const bool ok = PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK;
    const std::string value = ok && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    PQfinish(conn);
    REQUIRE(ok);
    return value;
  };
  // An empty database stays empty.
  auto empty = CheckDatabase(database.location());
  REQUIRE(empty.ok());
  CHECK(empty->problems.empty());
  CHECK_THAT(empty->how, Catch::Contains("schema version 0 (empty"));
  CHECK(scalar("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()") == "0");
  // An older schema (as an older effbench left it) is reported, not migrated.
  REQUIRE(OpenStore(database.location()).ok());
  const std::string latest = std::to_string(schemas::Migrations().back().version);
  scalar("UPDATE effbench_schema SET version = 12");
  auto old = CheckDatabase(database.location());
  REQUIRE(old.ok());
  CHECK(old->problems.empty());
  CHECK_THAT(old->how,
             Catch::Contains("schema version 12 (this effbench migrates it to " + latest));
  CHECK(scalar("SELECT version FROM effbench_schema") == "12");
}

TEST_CASE("PostgreSQL: a result holding U+0000 is refused whole, naming it", "[postgres]") {
  Fixture f;  // [postgres]: on PostgreSQL
  auto db = f.OpenWithRun();
  result::ResultRecord fine = testing::MakeRecord(f.run_id);
  result::ResultRecord nul = testing::MakeRecord(f.run_id);
  nul.name = std::string("gbench/BM_\0Clear@native", 23);
  auto refused = db->InsertResults(std::vector<result::ResultRecord>{fine, nul});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kInvalidArgument);
  CHECK_THAT(refused.status().message(), Catch::Contains("result 1 (" + nul.id + ")"));
  CHECK_THAT(refused.status().message(), Catch::Contains("U+0000"));
  CHECK(*db->ResultCount() == 0);
  // A backslash before "u0000" in a string is no NUL: stored.
  result::ResultRecord escaped = testing::MakeRecord(f.run_id);
  escaped.name = "gbench/BM_\\u0000@native";
  REQUIRE(db->InsertResults(std::vector<result::ResultRecord>{fine, escaped}).ok());
  CHECK(*db->ResultCount() == 2);
}

TEST_CASE("PostgreSQL: a claim skips a job another coordinator's claim holds locked",
          "[postgres]") {
  testing::TestDatabase database("postgres");
  auto db = OpenStore(database.location());
  REQUIRE(db.ok());
  REQUIRE((*db)
              ->InsertJobs({{"j1", "a1", "r1", "quick", "{}", "queued", "t1", "t1", std::nullopt},
                            {"j2", "a1", "r2", "quick", "{}", "queued", "t2", "t2", std::nullopt}})
              .ok());
  // Another coordinator is claiming j1: its transaction holds the row.
  PGconn* other = PQconnectdb(database.location().c_str());
  REQUIRE(PQstatus(other) == CONNECTION_OK);
  PQclear(PQexec(other, "BEGIN"));
  PGresult* locked = PQexec(other, "SELECT id FROM jobs WHERE id = 'j1' FOR UPDATE");
  REQUIRE(PQresultStatus(locked) == PGRES_TUPLES_OK);
  PQclear(locked);
  // This one does not wait for it, and does not take it: it takes j2.
  auto claimed = (*db)->ClaimNextJob("a1", "c2", std::chrono::minutes(1), "t3");
  PQclear(PQexec(other, "ROLLBACK"));
  PQfinish(other);
  REQUIRE(claimed.ok());
  REQUIRE(claimed->has_value());
  CHECK((*claimed)->id == "j2");
}

TEST_CASE("agent keys: enrolled, revoked, given a new key, kept across a reopen", "[store][db]") {
  testing::TestDatabase database;
  const std::string path = database.location();
  const std::string hash_a(64, 'a'), hash_b(64, 'b');
  {
    auto db = OpenStore(path);
    REQUIRE(db.ok());
    REQUIRE((*db)->PutAgentKey({"board-a", hash_a, "t0", std::nullopt}).ok());
    REQUIRE((*db)->PutAgentKey({"board-b", hash_b, "t0", std::nullopt}).ok());
    REQUIRE((*db)->RevokeAgentKey("board-a", "t1").ok());
    CHECK((*db)->RevokeAgentKey("board-c", "t1").code() == Status::Code::kNotFound);
    // Not 64 characters: refused by the table itself.
    CHECK_FALSE((*db)->PutAgentKey({"board-d", "short", "t0", std::nullopt}).ok());
  }
  auto db = OpenStore(path);
  REQUIRE(db.ok());
  auto keys = (*db)->AgentKeys();
  REQUIRE(keys.ok());
  REQUIRE(keys->size() == 2);
  CHECK(keys->at(0).name == "board-a");
  CHECK(keys->at(0).revoked_at == std::optional<std::string>("t1"));
  CHECK(keys->at(1).stored_key == hash_b);
  CHECK_FALSE(keys->at(1).revoked_at.has_value());
  // A new key for a revoked agent: enrolled again, no longer revoked.
  REQUIRE((*db)->PutAgentKey({"board-a", hash_b, "t2", std::nullopt}).ok());
  keys = (*db)->AgentKeys();
  REQUIRE(keys.ok());
  CHECK(keys->at(0).stored_key == hash_b);
  CHECK(keys->at(0).enrolled_at == "t2");
  CHECK_FALSE(keys->at(0).revoked_at.has_value());
}

TEST_CASE("a series' history: one point per commit, in commit-time order, repetitions pooled",
          "[store][db]") {
  testing::TestDatabase database;
  auto opened = OpenStore(database.location());
  REQUIRE(opened.ok());
  auto& db = *opened;
  REQUIRE(db->UpsertMachine(MachineRow{testing::FakeFingerprint(), "h", "c", "x86_64", "{}",
                                       std::nullopt, "t0", "t0"})
              .ok());
  // Stored out of order: c2 first, then c1 twice (two runs pooled), then c3
  // without a commit time (ordered by its run's time, after the others).
  const std::vector<std::tuple<std::string, std::optional<std::string>, std::string, double>> runs =
      {{"c2", "2026-11-02T00:00:00Z", "2026-11-10T00:00:00Z", 200},
       {"c1", "2026-11-01T00:00:00Z", "2026-11-11T00:00:00Z", 100},
       {"c1", "2026-11-01T00:00:00Z", "2026-11-12T00:00:00Z", 110},
       {"c3", std::nullopt, "2026-11-13T00:00:00Z", 300}};
  for (const auto& [commit, time, started, level] : runs) {
    const std::string run_id = result::NewUuid();
    REQUIRE(db->BeginRun(RunRow{run_id,
                                testing::FakeFingerprint(),
                                {"repo", commit, "main", time},
                                "nightly",
                                started,
                                std::nullopt,
                                "{}"})
                .ok());
    result::ResultRecord r = testing::MakeRecord(run_id, 3);
    r.samples_ns = {level, level, level};
    r.stats = result::Summarize(r.samples_ns);
    REQUIRE(db->InsertResults({r}).ok());
  }
  const auto keys = db->SeriesOf("");
  REQUIRE(keys.ok());
  REQUIRE(keys->size() == 1);
  const auto history = db->SeriesHistory(keys->front());
  REQUIRE(history.ok());
  REQUIRE(history->size() == 3);
  CHECK((*history)[0].commit == "c1");
  CHECK((*history)[0].samples_ns.size() == 6);
  CHECK((*history)[1].commit == "c2");
  CHECK((*history)[2].commit == "c3");
  CHECK((*history)[2].samples_ns == std::vector<double>{300, 300, 300});
}

TEST_CASE("PostgreSQL: the reads of a large database use indexes, never a scan of results",
          "[postgres]") {
  testing::TestDatabase database("postgres");
  auto db = PostgresStore::Open(database.location());
  REQUIRE(db.ok());
  REQUIRE((*db)
              ->UpsertMachine(MachineRow{testing::FakeFingerprint(), "h", "c", "x86_64", "{}",
                                         std::nullopt, "t0", "t0"})
              .ok());
  std::string run_id;
  for (const char* month : {"2026-11-05T00:00:00Z", "2026-12-05T00:00:00Z"}) {
    run_id = result::NewUuid();
    REQUIRE((*db)
                ->BeginRun(RunRow{run_id,
                                  testing::FakeFingerprint(),
                                  {"repo", month, "main", std::nullopt},
                                  "nightly",
                                  month,
                                  std::nullopt,
                                  "{}"})
                .ok());
    std::vector<result::ResultRecord> records;
    for (int i = 0; i < 50; ++i) {
      records.push_back(testing::MakeRecord(run_id, 3));
      records.back().name = "gemm.fp32/m" + std::to_string(i) + "@ref";
    }
    REQUIRE((*db)->InsertResults(records).ok());
  }
  const SeriesKey key{testing::FakeFingerprint(), "gemm.fp32/m7@ref", 1};
  auto plans = (*db)->ExplainReads(key, run_id);
  REQUIRE(plans.ok());
  CHECK(plans->size() >= 7);
  for (const PostgresStore::QueryPlan& p : *plans) {
    INFO(p.sql << "\n" << p.plan);
    CHECK(p.plan.find("Seq Scan on results") == std::string::npos);
  }
}

}  // namespace
}  // namespace effbench::store

namespace effbench::store {
namespace {

// Everything a database holds, read through the interfaces, for comparing
// two of them.
std::string Everything(Store& db) {
  nlohmann::json all;
  const auto results = db.Results("");
  const auto runs = db.Runs();
  const auto machines = db.Machines();
  const auto regressions = db.Regressions("", "");
  const auto agents = db.Agents();
  const auto keys = db.AgentKeys();
  const auto jobs = db.Jobs();
  REQUIRE((results.ok() && runs.ok() && machines.ok() && regressions.ok() && agents.ok() &&
           keys.ok() && jobs.ok()));
  for (const auto& r : *results) all["results"].push_back(result::ToJson(r));
  for (const RunRow& r : *runs) {
    all["runs"].push_back({r.id, r.started_at, r.suite, r.results_ok, r.results_failed,
                           r.results_skipped, r.revision.commit, *db.RunChecked(r.id)});
  }
  for (const MachineRow& m : *machines) all["machines"].push_back({m.fingerprint, m.last_seen});
  for (const RegressionRow& r : *regressions) {
    all["regressions"].push_back({r.id, r.series.name, r.state, r.change, r.reason.value_or("")});
  }
  for (const AgentRow& a : *agents) all["agents"].push_back({a.name, a.labels_json});
  for (const AgentKeyRow& k : *keys) all["keys"].push_back({k.name, k.stored_key});
  for (const JobRow& j : *jobs) all["jobs"].push_back({j.id, j.state, j.run_id});
  return all.dump();
}

TEST_CASE(
    "db copy moves every table to the other backend and back, ids kept, into empty "
    "databases only",
    "[store][db]") {
  Fixture f;
  auto source = f.OpenWithRun();
  auto failed = testing::MakeRecord(f.run_id, 0, "int8");
  failed.ok = false;
  failed.error = "wrong result";
  failed.samples_ns.clear();
  failed.stats.reset();
  auto measured = testing::MakeRecord(f.run_id, 7);
  measured.samples_ns[3] = 1.0 / 3.0;  // a double that text must carry exactly
  measured.stats = result::Summarize(measured.samples_ns);
  REQUIRE(source->InsertResults({measured, failed}).ok());
  REQUIRE(source->MarkRunChecked(f.run_id, "2026-12-01T01:00:00Z").ok());
  RegressionRow change;
  change.series = SeriesKey{testing::FakeFingerprint(), measured.name, 1};
  change.last_good_commit = "c0";
  change.first_bad_commit = "abc123";
  change.first_bad_run = f.run_id;
  change.change = 0.1 / 3;
  change.direction = "regression";
  change.detected_at = change.updated_at = "2026-12-01T02:00:00Z";
  REQUIRE(source->UpsertRegression(change).ok());
  change.first_bad_commit = "def456";
  REQUIRE(source->UpsertRegression(change).ok());
  const auto ids = source->Regressions("", "");
  REQUIRE(ids->size() == 2);
  REQUIRE(source
              ->ResolveRegression(ids->front().id, "withdrawn", "the history no longer shows it",
                                  std::nullopt, std::nullopt, "t9")
              .ok());
  REQUIRE(source
              ->UpsertAgent(
                  {"board-a", testing::FakeFingerprint(), "1.0", R"({"site":"lab"})", "t0", "t1"})
              .ok());
  REQUIRE(source->PutAgentKey({"board-a", std::string(64, 'c'), "t0", std::nullopt}).ok());
  REQUIRE(source
              ->InsertJob(
                  {"job-1", "board-a", f.run_id, "quick", "{}", "done", "t0", "t1", std::nullopt})
              .ok());
  const std::string before = Everything(*source);
  source.reset();

  // To SQLite, and from there into a new database of the backend under test.
  testing::TestDatabase middle("sqlite"), back;
  auto copied = CopyDatabase(f.path, middle.location());
  REQUIRE(copied.ok());
  CHECK(copied->size() == PortableTables().size());
  REQUIRE(CopyDatabase(middle.location(), back.location()).ok());
  auto restored = OpenStore(back.location());
  REQUIRE(restored.ok());
  CHECK(Everything(**restored) == before);
  const auto restored_ids = (*restored)->Regressions("", "");
  REQUIRE(restored_ids.ok());
  CHECK(restored_ids->front().id == ids->front().id);
  // New rows number on past the copied ones.
  change.first_bad_commit = "0a1b2c";
  REQUIRE((*restored)->UpsertRegression(change).ok());
  int64_t newest = 0;
  const auto after = (*restored)->Regressions("", "");
  REQUIRE(after.ok());
  for (const RegressionRow& r : *after) newest = std::max(newest, r.id);
  CHECK(newest > std::max(ids->front().id, ids->back().id));

  // A target that holds anything is refused, untouched.
  auto again = CopyDatabase(f.path, back.location());
  REQUIRE_FALSE(again.ok());
  CHECK(again.status().code() == Status::Code::kFailedPrecondition);
  CHECK_THAT(again.status().message(), Catch::Contains("not empty"));
  CHECK(CopyDatabase(f.path, f.path).status().code() == Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace effbench::store

namespace effbench::store {
namespace {

// Runs `sql` on the test's PostgreSQL database as its owner.
void OnDatabase(const std::string& location, const std::string& sql) {
  PGconn* conn = PQconnectdb(location.c_str());
  PGresult* r = PQexec(conn, sql.c_str());
  const std::string error = PQresultStatus(r) == PGRES_COMMAND_OK ? "" : PQerrorMessage(conn);
  PQclear(r);
  PQfinish(conn);
  INFO(sql << ": " << error);
  CHECK(error.empty());
}

TEST_CASE("PostgreSQL: db grant makes a reader that is refused every write, and a writer",
          "[postgres]") {
  testing::TestDatabase database("postgres");
  const std::string run_id = result::NewUuid();
  {
    auto db = OpenStore(database.location());
    REQUIRE(db.ok());
    REQUIRE((*db)
                ->UpsertMachine(MachineRow{testing::FakeFingerprint(), "h", "c", "x86_64", "{}",
                                           std::nullopt, "t0", "t0"})
                .ok());
  }
  const std::string suffix = std::to_string(::getpid());
  const std::string reader = "effbench_reader_" + suffix, writer = "effbench_writer_" + suffix;
  auto granted = GrantAccess(database.location(), reader, Access::kRead);
  REQUIRE(granted.ok());
  CHECK_THAT(granted->back(), Catch::Contains("SELECT"));
  REQUIRE(GrantAccess(database.location(), writer, Access::kWrite).ok());
  CHECK(GrantAccess(database.location(), "x; DROP TABLE runs", Access::kRead).status().code() ==
        Status::Code::kInvalidArgument);
  CHECK(GrantAccess(":memory:", reader, Access::kRead).status().code() ==
        Status::Code::kInvalidArgument);
  // The test's own user becomes each role in turn (a superuser may).
  const auto as = [&](const std::string& role) {
    return database.location() + "?options=-c%20role%3D" + role;
  };
  const RunRow run{run_id,  testing::FakeFingerprint(), {"repo", "abc", "main", std::nullopt},
                   "quick", "2027-03-01T00:00:00Z",     std::nullopt,
                   "{}"};
  {
    auto db = OpenStore(as(reader));
    REQUIRE(db.ok());
    CHECK((*db)->Machines()->size() == 1);
    for (const Status& write :
         {(*db)->UpsertMachine(MachineRow{testing::FakeFingerprint('b'), "h", "c", "x86_64", "{}",
                                          std::nullopt, "t0", "t0"}),
          (*db)->BeginRun(run), (*db)->PutAgentKey({"a", std::string(64, 'a'), "t", std::nullopt}),
          (*db)->ProbeWrite()}) {
      CHECK(write.code() == Status::Code::kIoError);
      CHECK_THAT(write.message(), Catch::Contains("permission denied"));
    }
  }
  {
    // A writer stores a run of a month no partition holds yet: the
    // partition is made as the owner.
    auto db = OpenStore(as(writer), Durability::kFull);
    REQUIRE(db.ok());
    REQUIRE((*db)->BeginRun(run).ok());
    CHECK(*(*db)->InsertResults({testing::MakeRecord(run_id)}) == 1);
    CHECK((*db)->ProbeWrite().ok());
    CHECK((*db)->DeleteRun(run_id).ok());
  }
  OnDatabase(database.location(), "DROP OWNED BY " + reader + ", " + writer);
  OnDatabase(database.location(), "DROP ROLE " + reader + ", " + writer);
}

}  // namespace
}  // namespace effbench::store
