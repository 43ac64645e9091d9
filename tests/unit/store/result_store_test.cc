#include "harness/store/result_store.h"

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "schemas/embedded.h"
#include "tests/test_util.h"

namespace effbench::store {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A store with one machine and one run, ready for results.
struct Fixture {
  testing::TempDir dir;
  std::string path = dir.File("results.db");
  std::string run_id = result::NewUuid();

  std::unique_ptr<ResultStore> OpenWithRun() {
    auto db = ResultStore::Open(path);
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
                                  "t0",
                                  std::nullopt,
                                  "{}"})
                .ok());
    return std::move(db).value();
  }
};

TEST_CASE("results round-trip with every sample", "[store]") {
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

TEST_CASE("ingest is idempotent by result id", "[store]") {
  Fixture f;
  auto db = f.OpenWithRun();
  const auto record = testing::MakeRecord(f.run_id);
  CHECK(*db->InsertResults({record}) == 1);
  CHECK(*db->InsertResults({record}) == 0);
  CHECK(db->Results(f.run_id)->size() == 1);
}

TEST_CASE("an invalid record rejects the whole batch, naming the field", "[store]") {
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

TEST_CASE("a result of an unknown run is refused", "[store]") {
  Fixture f;
  auto db = f.OpenWithRun();
  auto inserted = db->InsertResults({testing::MakeRecord(result::NewUuid())});
  CHECK_FALSE(inserted.ok());
}

TEST_CASE("migrations run once: reopening keeps the data", "[store]") {
  Fixture f;
  {
    auto db = f.OpenWithRun();
    CHECK(db->SchemaVersion() == schemas::Migrations().back().version);
    REQUIRE(db->InsertResults({testing::MakeRecord(f.run_id)}).ok());
  }
  for (int i = 0; i < 2; ++i) {
    auto db = ResultStore::Open(f.path);
    REQUIRE(db.ok());
    CHECK((*db)->SchemaVersion() == schemas::Migrations().back().version);
    CHECK((*db)->Results("")->size() == 1);
    CHECK((*db)->Runs()->size() == 1);
  }
}

TEST_CASE("machine calibration is stored and kept", "[store]") {
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

TEST_CASE("a series' history: one point per commit, in commit-time order, repetitions pooled",
          "[store]") {
  testing::TempDir dir;
  auto opened = ResultStore::Open(dir.File("h.db"));
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

}  // namespace
}  // namespace effbench::store
