#include "harness/analysis/regressions.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>

#include "harness/store/stores.h"
#include "tests/test_database.h"
#include "tests/test_util.h"

namespace effbench::analysis {
namespace {

// `commits` nightly runs on each machine; from commit `step_at` on, workload
// "slow" on every machine is 10 % slower and "fast" on machine 'a' 8 % faster.
void Fill(store::Store& db, int commits, int step_at, const std::vector<char>& machines) {
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

// A new database at `path` (of the backend under test) that knows machine 'a' ("host-a").
Result<std::unique_ptr<store::Store>> OpenWithMachineA(const std::string& path) {
  auto db = store::OpenStore(path);
  REQUIRE(db.ok());
  REQUIRE((*db)
              ->UpsertMachine({testing::FakeFingerprint('a'), "host-a", "cpu", "x86_64", "{}",
                               std::nullopt, "t", "t"})
              .ok());
  return db;
}

// An imported benchmark whose time holds still while its throughput drops 12 %
// at commit c0020 and a plain counter doubles: the rate is a regression (its
// better direction is higher), the time and the counter are not (the
// counter has no better direction, so it has no series).
TEST_CASE("a metric's series is searched with its better direction", "[analysis][db]") {
  testing::TestDatabase database;
  auto db = OpenWithMachineA(database.location());
  std::mt19937 rng(5);
  std::normal_distribution<double> noise(0, 0.01);
  for (int c = 0; c < 32; ++c) {
    char commit[16], time[32];
    std::snprintf(commit, sizeof commit, "c%04d", c);
    std::snprintf(time, sizeof time, "2026-%02d-%02dT02:00:00Z", 1 + c / 28, 1 + c % 28);
    const std::string run = result::NewUuid();
    REQUIRE((*db)
                ->BeginRun({run,
                            testing::FakeFingerprint('a'),
                            {"repo", commit, "main", std::nullopt},
                            "gbench",
                            time,
                            std::nullopt,
                            "{}"})
                .ok());
    result::ResultRecord r = testing::MakeRecord(run, 5);
    r.name = "gbench/BM_Parse/4096@native";
    r.machine = testing::FakeFingerprint('a');
    result::Metric rate{"items_per_second", "items/s", "higher", {}};
    result::Metric count{"allocations", "", "none", {}};
    for (double& x : r.samples_ns) {
      x = 1000 * (1 + noise(rng));
      rate.values.push_back((c >= 20 ? 0.88e6 : 1e6) * (1 + noise(rng)));
      count.values.push_back(c >= 20 ? 200 : 100);
    }
    r.stats = result::Summarize(r.samples_ns);
    r.metrics = {rate, count};
    REQUIRE((*db)->InsertResults(std::vector<result::ResultRecord>{r}).ok());
  }
  auto series = (*db)->SeriesOf("");
  REQUIRE(series.ok());
  REQUIRE(series->size() == 2);  // the time and the rate
  CHECK((*series)[0].metric == "items_per_second");
  CHECK((*series)[1].metric == "time");
  auto found = CheckRun(**db, "");
  REQUIRE(found.ok());
  auto rows = (*db)->Regressions("", "");
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 1);
  const auto& r = rows->front();
  CHECK(r.metric == "items_per_second");
  CHECK(r.series.metric == "items_per_second");
  CHECK(r.direction == "regression");  // fewer items per second
  CHECK(r.change < -0.08);
  CHECK(r.last_good_commit == "c0019");
  CHECK(r.first_bad_commit == "c0020");
  // The time series keeps its own (empty) list.
  auto of_time = (*db)->RegressionsOf({testing::FakeFingerprint('a'), r.series.name, 1, "time"});
  REQUIRE(of_time.ok());
  CHECK(of_time->empty());
  const auto lines = DescribeNewChanges(*found, r.first_bad_run);
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines[0], Catch::Contains("BM_Parse/4096 [items_per_second]"));
}

TEST_CASE("an emulated machine's series are not checked for regressions", "[analysis][db]") {
  testing::TestDatabase database;
  auto db = store::OpenStore(database.location());
  REQUIRE(db.ok());
  // b ran under qemu: its inventory says so (a fingerprint's inventory is
  // stored once).
  REQUIRE((*db)
              ->UpsertMachine({testing::FakeFingerprint('b'), "host-b", "cpu", "aarch64",
                               R"({"arch": "aarch64", "emulated": true})", std::nullopt, "t", "t"})
              .ok());
  Fill(**db, 24, 12, {'a', 'b'});
  auto options = DetectionOptionsFor(**db);
  REQUIRE(options.ok());
  CHECK(options->skip_machines == std::set<std::string>{testing::FakeFingerprint('b')});
  REQUIRE(CheckRun(**db, "", *options).ok());
  auto rows = (*db)->Regressions("", "");
  REQUIRE(rows.ok());
  std::set<std::string> machines;
  for (const auto& r : *rows) machines.insert(r.series.machine_fingerprint);
  // The same step on both: found on a, not on b.
  CHECK(machines == std::set<std::string>{testing::FakeFingerprint('a')});
  // One series of b checked alone is skipped too.
  auto one =
      CheckSeries(**db, {testing::FakeFingerprint('b'), "gemm.fp32/slow@ref", 1, "time"}, *options);
  REQUIRE(one.ok());
  CHECK(one->empty());
  // As every check of a database does it (the emulated machines read from
  // the database itself): the same.
  REQUIRE(CheckRun(**db, **db, "").ok());
  rows = (*db)->Regressions("", "");
  REQUIRE(rows.ok());
  machines.clear();
  for (const auto& r : *rows) machines.insert(r.series.machine_fingerprint);
  CHECK(machines == std::set<std::string>{testing::FakeFingerprint('a')});
  // Without the option (every machine), b's step is there to find.
  REQUIRE(CheckRun(**db, "").ok());
  rows = (*db)->Regressions("", "");
  REQUIRE(rows.ok());
  machines.clear();
  for (const auto& r : *rows) machines.insert(r.series.machine_fingerprint);
  CHECK(machines.count(testing::FakeFingerprint('b')) == 1);
}

TEST_CASE("a step in a series' history is stored with its commit range and direction",
          "[analysis][db]") {
  testing::TestDatabase database;
  auto db = store::OpenStore(database.location());
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

TEST_CASE("a change with one or two commits after it waits for confirmation", "[analysis][db]") {
  testing::TestDatabase database;
  auto db = store::OpenStore(database.location());
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

namespace effbench::analysis {
namespace {

// One nightly run of commit `c` (1-based) on machine 'a' with 5 series, each
// at `level` ns with 1 % noise; re-checks the run as the coordinator does.
void Night(store::Store& db, int c, double level, std::mt19937& rng) {
  std::normal_distribution<double> noise(0, 0.01);
  char commit[8], time[32];
  std::snprintf(commit, sizeof commit, "c%d", c);
  std::snprintf(time, sizeof time, "2026-03-%02dT02:00:00Z", c);
  const std::string run = result::NewUuid();
  REQUIRE(db.BeginRun({run,
                       testing::FakeFingerprint('a'),
                       {"repo", commit, "main", std::string(time)},
                       "nightly",
                       time,
                       std::nullopt,
                       "{}"})
              .ok());
  std::vector<result::ResultRecord> records;
  for (int s = 0; s < 5; ++s) {
    result::ResultRecord r = testing::MakeRecord(run, 5);
    r.name = "gemm.fp32/s" + std::to_string(s) + "@ref";
    r.machine = testing::FakeFingerprint('a');
    for (double& x : r.samples_ns) x = level * (1 + noise(rng));
    r.stats = result::Summarize(r.samples_ns);
    records.push_back(r);
  }
  REQUIRE(db.InsertResults(records).ok());
  REQUIRE(CheckRun(db, run).ok());
}

TEST_CASE("regressions keep their identity: a recovery marks them fixed, ids never move",
          "[analysis][db]") {
  testing::TestDatabase database;
  auto db = OpenWithMachineA(database.location());
  std::mt19937 rng(5);
  // c1–c6 normal, c7–c11 twice as slow.
  for (int c = 1; c <= 11; ++c) Night(**db, c, c >= 7 ? 2000 : 1000, rng);
  auto shown = (*db)->Regressions("", "");
  REQUIRE(shown.ok());
  REQUIRE(shown->size() == 5);
  std::map<int64_t, std::string> identity;  // id → series, as a CI log showed them
  for (const auto& r : *shown) {
    CHECK(r.first_bad_commit == "c7");
    CHECK(r.direction == "regression");
    CHECK(r.state == "new");
    identity[r.id] = r.series.name;
  }
  // c12–c15 back to normal.
  for (int c = 12; c <= 15; ++c) Night(**db, c, 1000, rng);
  auto after = (*db)->Regressions("", "");
  REQUIRE(after.ok());
  const int64_t first_max = identity.rbegin()->first;
  for (const auto& [id, name] : identity) {
    const auto same =
        std::find_if(after->begin(), after->end(), [&](const auto& r) { return r.id == id; });
    REQUIRE(same != after->end());  // never deleted
    INFO("id " << id);
    CHECK(same->series.name == name);  // and still names the same change
    CHECK(same->first_bad_commit == "c7");
    CHECK(same->state == "fixed");
    CHECK(same->fixed_last_bad_commit == std::optional<std::string>("c11"));
    CHECK(same->fixed_first_good_commit == std::optional<std::string>("c12"));
    REQUIRE(same->reason);
    CHECK_THAT(*same->reason, Catch::Contains("c12"));
  }
  for (const auto& r : *after) {
    if (!identity.count(r.id)) CHECK(r.id > first_max);  // new changes get new ids
  }
  // A user's acknowledgement of several ids at once, and a re-check, keep them.
  REQUIRE((*db)->SetRegressionState(identity.begin()->first, "acknowledged", "t").ok());
  REQUIRE(CheckRun(**db, "").ok());
  auto again = (*db)->Regressions("", "");
  REQUIRE(again.ok());
  CHECK(again->size() == after->size());
}

TEST_CASE("a change the history no longer supports is withdrawn with its reason, not deleted",
          "[analysis][db]") {
  testing::TestDatabase database;
  auto db = store::OpenStore(database.location());
  REQUIRE(db.ok());
  store::SeriesKey key{testing::FakeFingerprint('a'), "gemm.fp32/s0@ref", 1};
  store::RegressionRow stale;
  stale.series = key;
  stale.last_good_commit = "c0";
  stale.first_bad_commit = "gone";
  stale.first_bad_run = "r";
  stale.direction = "regression";
  stale.detected_at = stale.updated_at = "2026-03-01T00:00:00Z";
  REQUIRE((*db)->UpsertRegression(stale).ok());
  REQUIRE((*db)
              ->UpsertMachine({testing::FakeFingerprint('a'), "host-a", "cpu", "x86_64", "{}",
                               std::nullopt, "t", "t"})
              .ok());
  std::mt19937 rng(9);
  for (int c = 1; c <= 8; ++c) Night(**db, c, 1000, rng);
  auto rows = (*db)->RegressionsOf(key);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 1);
  CHECK(rows->front().state == "withdrawn");
  REQUIRE(rows->front().reason);
  CHECK_THAT(*rows->front().reason, Catch::Contains("gone"));
}

// Counts how a check reads histories; everything else goes to the real store.
class CountingHistory : public store::HistoryStore {
 public:
  explicit CountingHistory(store::Store& db) : db_(db) {}
  int single = 0, passes = 0;
  size_t most_in_a_pass = 0;

  Result<std::vector<store::SeriesKey>> SeriesOf(const std::string& run) override {
    return db_.SeriesOf(run);
  }
  Result<std::vector<store::SeriesKey>> SeriesMatching(const std::string& glob) override {
    return db_.SeriesMatching(glob);
  }
  Result<std::vector<store::SeriesPoint>> SeriesHistory(const store::SeriesKey& key) override {
    ++single;
    return db_.SeriesHistory(key);
  }
  Result<std::vector<std::vector<store::SeriesPoint>>> SeriesHistories(
      const std::vector<store::SeriesKey>& keys) override {
    ++passes;
    most_in_a_pass = std::max(most_in_a_pass, keys.size());
    return db_.SeriesHistories(keys);
  }
  Status UpsertRegression(const store::RegressionRow& row) override {
    return db_.UpsertRegression(row);
  }
  Result<std::vector<store::RegressionRow>> RegressionsOf(const store::SeriesKey& s) override {
    return db_.RegressionsOf(s);
  }
  Status ResolveRegression(int64_t id, const std::string& state, const std::string& reason,
                           const std::optional<std::string>& last_bad,
                           const std::optional<std::string>& first_good,
                           const std::string& at) override {
    return db_.ResolveRegression(id, state, reason, last_bad, first_good, at);
  }
  Result<std::vector<store::RegressionRow>> Regressions(const std::string& since,
                                                        const std::string& state) override {
    return db_.Regressions(since, state);
  }
  Status SetRegressionState(int64_t id, const std::string& state, const std::string& at) override {
    return db_.SetRegressionState(id, state, at);
  }
  Status MarkRunChecked(const std::string& run, const std::string& at) override {
    return db_.MarkRunChecked(run, at);
  }
  Result<bool> RunChecked(const std::string& run) override { return db_.RunChecked(run); }

 private:
  store::Store& db_;
};

// The import of 123,722 benchmarks never finished: the check read one
// history per series, and each read scanned the machine's results.
TEST_CASE("a check reads the histories of its series in one pass, not one read per series",
          "[analysis][db]") {
  testing::TestDatabase database;
  auto db = store::OpenStore(database.location());
  REQUIRE(db.ok());
  Fill(**db, 12, 6, {'a', 'b', 'c'});
  CountingHistory counting(**db);
  auto found = CheckRun(counting, "");
  REQUIRE(found.ok());
  CHECK(counting.single == 0);
  CHECK(counting.passes == 1);
  CHECK(counting.most_in_a_pass == 9);  // 3 machines x 3 workloads
  // The same changes as series by series: "slow" on every machine, "fast" on 'a'.
  std::set<std::pair<std::string, std::string>> batched, one_by_one;
  for (const auto& r : *found)
    batched.insert({r.series.machine_fingerprint + r.series.name, r.first_bad_commit});
  auto keys = (*db)->SeriesOf("");
  REQUIRE(keys.ok());
  for (const auto& key : *keys) {
    auto one = CheckSeries(**db, key);
    REQUIRE(one.ok());
    for (const auto& r : *one)
      one_by_one.insert({r.series.machine_fingerprint + r.series.name, r.first_bad_commit});
  }
  CHECK(batched == one_by_one);
  CHECK(batched.size() == 4);
  // Each series' history from the pass is the one read alone.
  auto histories = (*db)->SeriesHistories(*keys);
  REQUIRE(histories.ok());
  REQUIRE(histories->size() == keys->size());
  for (size_t i = 0; i < keys->size(); ++i) {
    auto alone = (*db)->SeriesHistory((*keys)[i]);
    REQUIRE(alone.ok());
    REQUIRE(alone->size() == 12);
    REQUIRE((*histories)[i].size() == alone->size());
    for (size_t p = 0; p < alone->size(); ++p) {
      CHECK((*histories)[i][p].commit == (*alone)[p].commit);
      CHECK((*histories)[i][p].samples_ns == (*alone)[p].samples_ns);
      CHECK((*alone)[p].samples_ns.size() == 5);
    }
  }
}

TEST_CASE("a run is marked checked once its check finished, and only then", "[analysis][db]") {
  testing::TestDatabase database;
  auto db = OpenWithMachineA(database.location());
  std::mt19937 rng(3);
  Night(**db, 1, 1000, rng);  // checks its run
  auto runs = (*db)->Runs();
  REQUIRE(runs.ok());
  REQUIRE(runs->size() == 1);
  auto checked = (*db)->RunChecked(runs->front().id);
  REQUIRE(checked.ok());
  CHECK(*checked);
  const std::string unchecked = result::NewUuid();
  REQUIRE((*db)
              ->BeginRun({unchecked,
                          testing::FakeFingerprint('a'),
                          {"repo", "c2", "main", std::nullopt},
                          "nightly",
                          "2026-03-02T02:00:00Z",
                          std::nullopt,
                          "{}"})
              .ok());
  checked = (*db)->RunChecked(unchecked);
  REQUIRE(checked.ok());
  CHECK_FALSE(*checked);
  REQUIRE((*db)->DeleteRun(runs->front().id).ok());
  checked = (*db)->RunChecked(runs->front().id);
  REQUIRE(checked.ok());
  CHECK_FALSE(*checked);
}

}  // namespace
}  // namespace effbench::analysis

namespace effbench::analysis {
namespace {

TEST_CASE("a prune removes the old runs and keeps their series' changes, never withdrawn for it",
          "[analysis][db]") {
  testing::TestDatabase database;
  auto db = store::OpenStore(database.location());
  REQUIRE(db.ok());
  // c0000..c0027 run in January, c0028..c0039 in February; the step is at
  // c0030, with only two points of February before it.
  Fill(**db, 40, 30, {'a'});
  REQUIRE(CheckRun(**db, "").ok());
  const auto found = (*db)->Regressions("", "new");
  REQUIRE(found.ok());
  REQUIRE(found->size() == 2);  // slow, and fast
  // A run of December whose job still waits for its agent stays (and so
  // does December's partition).
  const std::string waiting = result::NewUuid();
  REQUIRE((*db)
              ->BeginRun({waiting,
                          testing::FakeFingerprint('a'),
                          {"repo", "c-wait", "main", std::nullopt},
                          "nightly",
                          "2025-12-15T00:00:00Z",
                          std::nullopt,
                          "{}"})
              .ok());
  REQUIRE((*db)
              ->InsertJob({"job-wait", "agent-a", waiting, "nightly", "{}", "queued", "t0", "t0",
                           std::nullopt})
              .ok());
  const int64_t stored = *(*db)->ResultCount();

  auto pruned = (*db)->PruneBefore("2026-02-01", "2026-03-01T00:00:00Z");
  REQUIRE(pruned.ok());
  CHECK(pruned->runs == 28);
  CHECK(pruned->results == 28 * 3);
  CHECK(pruned->runs_kept_for_jobs == 1);
  CHECK(pruned->regressions_kept == 2);
  // PostgreSQL drops January's partition whole; SQLite deletes in batches.
  CHECK(pruned->partitions_dropped == (database.backend() == "postgres" ? 1 : 0));
  CHECK(*(*db)->ResultCount() == stored - 28 * 3);
  const auto runs = (*db)->Runs();
  REQUIRE(runs.ok());
  CHECK(runs->size() == 12 + 1);
  // Checked again on what is left, the changes stand as stored.
  REQUIRE(CheckRun(**db, "").ok());
  const auto after = (*db)->Regressions("", "");
  REQUIRE(after.ok());
  REQUIRE(after->size() == 2);
  for (const store::RegressionRow& r : *after) {
    INFO(r.series.name << ": " << r.state << " " << r.reason.value_or(""));
    CHECK(r.state == "new");
    CHECK(r.pruned_at == std::optional<std::string>("2026-03-01T00:00:00Z"));
    CHECK(r.first_bad_commit == "c0030");
  }
  // Nothing older is left to prune: a second prune changes nothing.
  auto again = (*db)->PruneBefore("2026-02-01", "2026-03-02T00:00:00Z");
  REQUIRE(again.ok());
  CHECK(again->runs == 0);
  CHECK(again->results == 0);
}

}  // namespace
}  // namespace effbench::analysis
