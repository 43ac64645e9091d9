#include "harness/analysis/regressions.h"

#include <catch2/catch.hpp>
#include <random>

#include "tests/test_util.h"

namespace effbench::analysis {
namespace {

// `commits` nightly runs on each machine; from commit `step_at` on, workload
// "slow" on every machine is 10 % slower and "fast" on machine 'a' 8 % faster.
void Fill(store::ResultStore& db, int commits, int step_at, const std::vector<char>& machines) {
  std::mt19937 rng(17);
  std::normal_distribution<double> noise(0, 0.01);
  for (char m : machines) {
    REQUIRE(db.UpsertMachine({testing::FakeFingerprint(m), std::string("host-") + m, "cpu",
                              "x86_64", "{}", std::nullopt, "t", "t"})
                .ok());
  }
  for (int c = 0; c < commits; ++c) {
    char commit[16];
    std::snprintf(commit, sizeof commit, "c%04d", c);
    char time[32];  // one night after another
    std::snprintf(time, sizeof time, "2026-%02d-%02dT02:00:00Z", 1 + c / 28, 1 + c % 28);
    for (char m : machines) {
      const std::string run = result::NewUuid();
      store::RunRow row{run,
                        testing::FakeFingerprint(m),
                        {"repo", commit, "main", std::nullopt},
                        "nightly",
                        time,
                        std::nullopt,
                        "{}"};
      REQUIRE(db.BeginRun(row).ok());
      std::vector<result::ResultRecord> records;
      for (const char* name : {"slow", "fast", "flat"}) {
        result::ResultRecord r = testing::MakeRecord(run, 5);
        r.name = std::string("gemm.fp32/") + name + "@ref";
        r.machine = testing::FakeFingerprint(m);
        double level = 1000;
        if (c >= step_at && std::string(name) == "slow") level *= 1.10;
        if (c >= step_at && std::string(name) == "fast" && m == 'a') level *= 0.92;
        for (double& x : r.samples_ns) x = level * (1 + noise(rng));
        r.stats = result::Summarize(r.samples_ns);
        records.push_back(r);
      }
      REQUIRE(db.InsertResults(records).ok());
    }
  }
}

TEST_CASE("a step in a series' history is stored with its commit range and direction",
          "[analysis]") {
  testing::TempDir dir;
  auto db = store::ResultStore::Open(dir.File("h.db"));
  REQUIRE(db.ok());
  Fill(**db, 40, 25, {'a', 'b'});
  auto found = CheckRun(**db, "");
  REQUIRE(found.ok());
  auto rows = (*db)->Regressions("", "");
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 3);  // slow on a and b, fast on a; flat: nothing
  for (const auto& r : *rows) {
    INFO(r.series.name << " on " << r.series.machine_fingerprint);
    CHECK(r.last_good_commit == "c0024");
    CHECK(r.first_bad_commit == "c0025");
    CHECK(r.state == "new");
    CHECK(r.pvalue < 0.001);
    if (r.series.name == "gemm.fp32/slow@ref") {
      CHECK(r.direction == "regression");
      CHECK(r.change == Approx(0.10).margin(0.01));
    } else {
      CHECK(r.series.name == "gemm.fp32/fast@ref");
      CHECK(r.direction == "improvement");
      CHECK(r.change == Approx(-0.08).margin(0.01));
    }
    CHECK(r.points_before == 25);
    CHECK(r.points_after == 15);
  }
  // One alert for the regression on two machines, one for the improvement.
  const auto alerts = GroupAlerts(*rows);
  REQUIRE(alerts.size() == 2);
  CHECK(alerts[0].direction == "regression");
  CHECK(alerts[0].machines.size() == 2);
  CHECK(alerts[1].direction == "improvement");

  // Checking again changes nothing; a state set by a user is kept.
  REQUIRE((*db)->SetRegressionState((*rows)[0].id, "acknowledged", "now").ok());
  REQUIRE(CheckRun(**db, "").ok());
  auto again = (*db)->Regressions("", "");
  REQUIRE(again->size() == 3);
  CHECK((*db)->Regressions("", "acknowledged")->size() == 1);
  CHECK((*db)->Regressions("", "new")->size() == 2);
  CHECK_FALSE((*db)->SetRegressionState(999, "fixed", "now").ok());
}

TEST_CASE("a change with one or two commits after it waits for confirmation", "[analysis]") {
  testing::TempDir dir;
  auto db = store::ResultStore::Open(dir.File("h.db"));
  REQUIRE(db.ok());
  Fill(**db, 30, 28, {'a'});
  REQUIRE(CheckRun(**db, "").ok());
  const auto rows = (*db)->Regressions("", "");
  REQUIRE(rows.ok());
  for (const auto& r : *rows) {
    INFO(r.series.name << " " << r.first_bad_commit << " " << r.change << " p " << r.pvalue);
    CHECK(false);
  }
}

}  // namespace
}  // namespace effbench::analysis
