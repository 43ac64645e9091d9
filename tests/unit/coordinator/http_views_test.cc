#include "harness/coordinator/http_views.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/test_util.h"

namespace effbench::coordinator {
namespace {

using nlohmann::json;

// The read-only query interface over vectors, with a switch that makes every
// read fail: the views need nothing else.
class FakeQueryStore final : public store::QueryStore {
 public:
  std::vector<store::MachineRow> machines;
  std::vector<store::RunRow> runs;
  std::vector<result::ResultRecord> results;
  std::vector<store::AgentRow> agents;
  bool broken = false;
  int reads = 0;

  Result<std::optional<std::string>> MachineCalibration(const std::string& fp) override {
    EFFBENCH_RETURN_IF_ERROR(Read());
    for (const auto& m : machines) {
      if (m.fingerprint == fp) return m.calibration_json;
    }
    return std::optional<std::string>();
  }
  Result<std::vector<store::MachineRow>> Machines() override {
    EFFBENCH_RETURN_IF_ERROR(Read());
    return machines;
  }
  Result<std::vector<store::RunRow>> Runs() override {
    EFFBENCH_RETURN_IF_ERROR(Read());
    return runs;
  }
  Result<std::vector<result::ResultRecord>> Results(const std::string& run_id) override {
    EFFBENCH_RETURN_IF_ERROR(Read());
    std::vector<result::ResultRecord> out;
    for (const auto& r : results) {
      if (run_id.empty() || r.run_id == run_id) out.push_back(r);
    }
    return out;
  }
  Result<int64_t> ResultCount() override { return static_cast<int64_t>(results.size()); }
  Result<int64_t> ResultCountOfRun(const std::string& run_id) override {
    auto r = Results(run_id);
    if (!r.ok()) return r.status();
    return static_cast<int64_t>(r->size());
  }
  Result<std::vector<store::SeriesKey>> SeriesOf(const std::string&) override {
    EFFBENCH_RETURN_IF_ERROR(Read());
    return std::vector<store::SeriesKey>{};
  }
  Result<std::vector<store::SeriesKey>> SeriesMatching(const std::string&) override {
    EFFBENCH_RETURN_IF_ERROR(Read());
    return std::vector<store::SeriesKey>{};
  }
  Result<std::vector<store::SeriesPoint>> SeriesHistory(const store::SeriesKey&) override {
    EFFBENCH_RETURN_IF_ERROR(Read());
    return std::vector<store::SeriesPoint>{};
  }
  Result<std::vector<std::vector<store::SeriesPoint>>> SeriesHistories(
      const std::vector<store::SeriesKey>& keys) override {
    EFFBENCH_RETURN_IF_ERROR(Read());
    return std::vector<std::vector<store::SeriesPoint>>(keys.size());
  }
  Result<std::vector<store::RegressionRow>> RegressionsOf(const store::SeriesKey&) override {
    EFFBENCH_RETURN_IF_ERROR(Read());
    return std::vector<store::RegressionRow>{};
  }
  Result<std::vector<store::RegressionRow>> Regressions(const std::string&,
                                                        const std::string&) override {
    EFFBENCH_RETURN_IF_ERROR(Read());
    return std::vector<store::RegressionRow>{};
  }
  Result<bool> RunChecked(const std::string&) override { return true; }
  Result<std::vector<store::AgentRow>> Agents() override {
    EFFBENCH_RETURN_IF_ERROR(Read());
    return agents;
  }
  Result<std::vector<store::JobRow>> Jobs() override { return std::vector<store::JobRow>{}; }
  Result<std::vector<store::JobRow>> OpenJobs(const std::vector<std::string>&) override {
    return std::vector<store::JobRow>{};
  }
  Result<std::vector<store::AgentPresenceRow>> AgentPresence(std::chrono::milliseconds) override {
    return std::vector<store::AgentPresenceRow>{};
  }
  Result<std::vector<store::AgentKeyRow>> AgentKeys() override {
    return std::vector<store::AgentKeyRow>{};
  }

 private:
  Status Read() {
    ++reads;
    return broken ? Status::IoError("disk on fire") : Status::Ok();
  }
};

// Two machines, a run each, two results a run (fp32 and int8).
FakeQueryStore TwoMachines() {
  FakeQueryStore db;
  for (const std::string host : {"alpha", "beta"}) {
    const std::string fp = host + std::string(56, host == "alpha" ? 'a' : 'b') + "01234567";
    db.machines.push_back({fp, host, "Some CPU", "x86_64", json{{"isa", json::array()}}.dump(),
                           std::nullopt, "2026-12-01T00:00:00Z", "2026-12-01T00:00:00Z"});
    store::RunRow run;
    run.id = "run-" + host;
    run.machine_fingerprint = fp;
    run.suite = "quick";
    run.started_at = host == "alpha" ? "2026-12-01T01:00:00Z" : "2026-12-01T02:00:00Z";
    run.finished_at = "2026-12-01T03:00:00Z";
    run.config_json = "{}";
    run.results_ok = 2;
    db.runs.push_back(run);
    for (const std::string precision : {"fp32", "int8"}) {
      auto r = testing::MakeRecord(run.id, 5, precision);
      r.machine = fp;
      db.results.push_back(r);
    }
  }
  return db;
}

json Body(const View& v) { return json::parse(v.body); }

TEST_CASE("the database views answer from the read-only query interface alone", "[coordinator]") {
  FakeQueryStore db = TwoMachines();
  const View runs = DatabaseView("/api/runs", {}, db);
  CHECK(runs.status == 200);
  CHECK(runs.content_type == "application/json");
  REQUIRE(Body(runs)["runs"].size() == 2);
  CHECK(Body(runs)["runs"][0]["id"] == "run-alpha");
  CHECK(Body(runs)["runs"][0]["revision"]["commit"].is_string());

  const View machines = DatabaseView("/api/machines", {}, db);
  REQUIRE(Body(machines)["machines"].size() == 2);
  CHECK(Body(machines)["machines"][1]["hostname"] == "beta");

  // /api/results: one run's records, a workload glob narrows them.
  const View all = DatabaseView("/api/results", {{"run", "run-beta"}}, db);
  CHECK(Body(all)["results"].size() == 2);
  const View int8 =
      DatabaseView("/api/results", {{"run", "run-beta"}, {"workload", "gemm.int8/*"}}, db);
  REQUIRE(Body(int8)["results"].size() == 1);
  CHECK(Body(int8)["results"][0]["variant"]["precision"] == "int8");
  const View no_run = DatabaseView("/api/results", {}, db);
  CHECK(no_run.status == 400);
  CHECK_THAT(Body(no_run)["error"].get<std::string>(), Catch::Contains("?run=RUN_ID"));

  // The machines side by side: a row per variant, a cell per machine.
  const View report = DatabaseView("/api/report", {}, db);
  INFO(report.body);
  REQUIRE(report.status == 200);
  CHECK(Body(report)["machines"].size() == 2);
  CHECK(Body(report)["rows"].size() == 2);
  const View page = DatabaseView("/", {{"variants", "int8"}}, db);
  CHECK(page.status == 200);
  CHECK(page.content_type == "text/html; charset=utf-8");
  CHECK_THAT(page.body, Catch::StartsWith("<!DOCTYPE html>"));

  for (const std::string path : {"/api/runs", "/", "/api/history", "/nowhere"}) {
    CHECK(IsDatabaseView(path) == (path != "/nowhere"));
  }
}

TEST_CASE("a view says what went wrong: 404 for nothing to show, 500 for a failing store",
          "[coordinator]") {
  FakeQueryStore empty;
  const View report = DatabaseView("/api/report", {}, empty);
  CHECK(report.status == 404);
  CHECK(Body(report).contains("error"));
  const View page = DatabaseView("/", {}, empty);
  CHECK(page.status == 404);
  CHECK_THAT(page.body, Catch::StartsWith("<!DOCTYPE html>"));
  // A selector that names no machine is the user's mistake, named.
  FakeQueryStore db = TwoMachines();
  const View unknown = DatabaseView("/api/report", {{"machines", "gamma"}}, db);
  CHECK(unknown.status / 100 == 4);
  CHECK_THAT(Body(unknown)["error"].get<std::string>(), Catch::Contains("gamma"));

  db.broken = true;
  for (const std::string path : {"/api/runs", "/api/machines", "/api/report", "/api/history"}) {
    INFO(path);
    const View v = DatabaseView(path, {{"run", "run-alpha"}}, db);
    CHECK(v.status == 500);
    CHECK_THAT(Body(v)["error"].get<std::string>(), Catch::Contains("disk on fire"));
  }
  CHECK(db.reads > 0);
}

}  // namespace
}  // namespace effbench::coordinator
