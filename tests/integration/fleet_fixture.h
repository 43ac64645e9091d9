// What the fleet's end-to-end tests share: effbench serve and effbench-agent
// processes on loopback in a test's folder, and the HTTP calls that drive and
// watch them.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/store/stores.h"
#include "tests/test_database.h"
#include "tests/test_util.h"
#include "workloads/catalog.h"

namespace effbench::testing {

using nlohmann::json;

inline constexpr char kToken[] = "integration-test-fleet-token-0123456789";

// The fleet's database for the test in `dir`: a SQLite file there, or, where
// a [db] test runs under EFFBENCH_TEST_STORE=postgres, a PostgreSQL database
// made on first use and dropped when the test case ends.
inline std::string FleetDb(const TempDir& dir) {
  if (TestStore() == "sqlite") return dir.File("fleet.db");
  return TestDatabase::OfTest(dir.path().string()).location();
}

// effbench serve in `dir`, on the given ports (0: any free one).
struct Serve {
  // `prefix` runs before the binary (prlimit --fsize=N: a full disk).
  // `binary`: another build's effbench (an x86 coordinator for an emulated agent).
  // `db`: another coordinator's database (FleetDb of its dir) instead of dir's.
  Serve(const TempDir& dir, int agent_port_wanted = 0, int http_port_wanted = 0,
        const std::vector<std::string>& extra = {}, const std::vector<std::string>& prefix = {},
        const std::string& binary = EFFBENCH_BINARY, const std::string& db = "") {
    const std::string ready = dir.File("ready.json");
    std::remove(ready.c_str());
    std::vector<std::string> argv = prefix;
    argv.insert(argv.end(), {binary, "serve", "--db", db.empty() ? FleetDb(dir) : db, "--listen",
                             "127.0.0.1:" + std::to_string(agent_port_wanted), "--http",
                             "127.0.0.1:" + std::to_string(http_port_wanted), "--token-file",
                             dir.File("fleet.token"), "--ready-file", ready, "--heartbeat", "1"});
    argv.insert(argv.end(), extra.begin(), extra.end());
    process = std::make_unique<Process>(argv, dir.File("serve.log"));
    const bool started = WaitFor(
        [&] {
          std::ifstream in(ready);
          json j = json::parse(in, nullptr, false);
          if (j.is_discarded()) return false;
          this->agent_port = j["agents"];
          this->http_port = j["http"];
          return true;
        },
        60);
    if (!started) FAIL("effbench serve wrote no ready file in 60 s; its log:\n" << process->Log());
  }
  std::unique_ptr<Process> process;
  int agent_port = 0, http_port = 0;
};

inline std::unique_ptr<Process> StartAgent(const TempDir& dir, const Serve& serve,
                                           const std::string& name,
                                           const std::string& token_file = "fleet.token",
                                           bool calibrate = false,
                                           const std::string& binary = EFFBENCH_AGENT_BINARY) {
  std::vector<std::string> argv = {binary,
                                   "--coordinator",
                                   "tcp://127.0.0.1:" + std::to_string(serve.agent_port),
                                   "--token-file",
                                   dir.File(token_file),
                                   "--spool",
                                   dir.File("spool-" + name),
                                   "--name",
                                   name,
                                   "--labels",
                                   "role=test,idx=" + name,
                                   "--max-backoff",
                                   "0.5"};
  if (!calibrate) argv.push_back("--no-calibrate");
  return std::make_unique<Process>(argv, dir.File("agent-" + name + ".log"));
}

inline void WriteToken(const TempDir& dir, const std::string& file = "fleet.token",
                       const std::string& token = kToken) {
  std::ofstream(dir.File(file)) << token << "\n";
  std::filesystem::permissions(
      dir.File(file), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

inline bool AgentsConnected(const Serve& serve, size_t n) {
  const Http agents = HttpRequest(serve.http_port, "GET", "/api/agents");
  size_t connected = 0;
  for (const json& a : agents.body["agents"]) connected += a["connected"].get<bool>();
  return connected == n;
}

inline json SubmitJobs(const Serve& serve, const json& request) {
  const Http submitted = HttpRequest(serve.http_port, "POST", "/api/jobs", request.dump(), kToken);
  INFO(submitted.body.dump());
  REQUIRE(submitted.status == 201);
  return submitted.body["jobs"];
}

inline bool JobsFinished(const Serve& serve) {
  const Http jobs = HttpRequest(serve.http_port, "GET", "/api/jobs");
  for (const json& j : jobs.body["jobs"]) {
    if (j["state"] != "done" && j["state"] != "failed") return false;
  }
  return !jobs.body["jobs"].empty();
}

inline int64_t ResultsOfRun(const Serve& serve, const std::string& run_id) {
  const Http runs = HttpRequest(serve.http_port, "GET", "/api/runs");
  for (const json& r : runs.body["runs"]) {
    if (r["id"] == run_id)
      return r["results_ok"].get<int64_t>() + r["results_failed"].get<int64_t>();
  }
  return 0;
}

inline std::vector<std::string> StoredNames(const TempDir& dir, const std::string& run_id) {
  auto db = store::OpenStore(FleetDb(dir));
  REQUIRE(db.ok());
  auto records = (*db)->Results(run_id);
  REQUIRE(records.ok());
  std::vector<std::string> names;
  for (const auto& r : *records) names.push_back(r.name);
  std::sort(names.begin(), names.end());
  return names;
}

inline std::vector<std::string> Expected(const std::string& suite, const std::string& pattern) {
  auto selected =
      workloads::Select(suite.empty() ? std::nullopt : std::optional<std::string>(suite),
                        pattern.empty() ? std::nullopt : std::optional<std::string>(pattern));
  REQUIRE(selected.ok());
  std::vector<std::string> names;
  for (const auto* s : *selected) names.push_back(s->id);
  std::sort(names.begin(), names.end());
  return names;
}

inline json FastOptions() { return json{{"repetitions", 1}, {"min_time_s", 0.001}, {"seed", 7}}; }

}  // namespace effbench::testing
