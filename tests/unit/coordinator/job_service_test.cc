#include "harness/coordinator/internal/job_service.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <catch2/catch.hpp>

#include "core/time.h"
#include "tests/test_util.h"
#include "tests/unit/coordinator/fake_fleet_writes.h"

namespace effbench::coordinator {
namespace {

namespace asio = boost::asio;
using nlohmann::json;
using namespace std::chrono_literals;

// A job service on the in-memory store, with agents in a roster (sessions
// without a connection: the service reaches them only through its hooks),
// and what it sent, logged, closed and asked to check.
struct Fixture {
  asio::io_context io;
  ManualClock clock{std::chrono::system_clock::time_point(std::chrono::hours(490'000))};
  testing::FakeFleetStore db{&clock};
  testing::FakeFleetWrites writes{io, db};
  AgentRoster roster;
  std::vector<std::pair<std::string, json>> sent;  // (agent, message)
  std::vector<std::string> log, disconnected, checked;
  std::unique_ptr<JobService> jobs;

  explicit Fixture(std::chrono::milliseconds lease = 600s) {
    jobs = std::make_unique<JobService>(
        io, roster, writes,
        JobService::Hooks{[this](const std::string& line) { log.push_back(line); },
                          [this](const std::string& agent, const json& message) {
                            if (!roster.Live(agent)) return false;
                            sent.emplace_back(agent, message);
                            return true;
                          },
                          [this](const std::string& agent) { disconnected.push_back(agent); },
                          [this](const std::string& run) { checked.push_back(run); }},
        JobService::Options{&clock, 5s, lease, 24h});
  }

  std::shared_ptr<Session> Connect(const std::string& name, const std::string& state = "idle") {
    auto s = std::make_shared<Session>();
    s->name = name;
    s->fingerprint = testing::FakeFingerprint();
    s->state = state;
    s->facts = AgentFacts{name, name + ".lab", "x86_64", {{"role", "test"}}};
    store::AgentRow row{name, s->fingerprint, "1.0", "{}", "t0", "t0"};
    roster.Connect(s, row);
    return s;
  }

  template <typename Pred>
  bool RunUntil(Pred done) {
    return testing::RunUntil(io, done);
  }

  template <typename T>
  std::optional<T> Await(asio::awaitable<T> task) {
    return testing::Await(io, std::move(task));
  }

  std::vector<json> SentOf(const std::string& type) const {
    std::vector<json> out;
    for (const auto& [agent, m] : sent) {
      if (m["type"] == type) out.push_back(m);
    }
    return out;
  }
  bool Logged(const std::string& fragment) const {
    for (const auto& line : log) {
      if (line.find(fragment) != std::string::npos) return true;
    }
    return false;
  }
};

const json kRequest = {{"workload", "gemm.fp32/m35n700k2048@ref"},
                       {"agents", "role=test"},
                       {"options", {{"repetitions", 1}, {"seed", 7}}}};

TEST_CASE("job service: a submitted job is stored, its run stored, then it is sent",
          "[coordinator]") {
  Fixture f;
  f.Connect("a1");
  const auto submitted = f.Await(f.jobs->Submit(kRequest, "test"));
  REQUIRE(submitted);
  INFO((submitted->ok() ? "" : submitted->status().message()));
  REQUIRE(submitted->ok());
  const json& jobs = (**submitted)["jobs"];
  REQUIRE(jobs.size() == 1);
  const std::string id = jobs[0]["id"], run = jobs[0]["run_id"];
  CHECK(jobs[0]["state"] == "queued");
  CHECK(jobs[0]["options"]["seed"] == 7);
  REQUIRE(f.RunUntil([&] { return !f.SentOf("job").empty(); }));
  // In the database before the agent heard of it: the job dispatched, its
  // run begun on the agent's machine.
  CHECK(f.db.jobs.at(id).state == "dispatched");
  REQUIRE(f.db.runs.count(run) == 1);
  CHECK(f.db.runs.at(run).machine_fingerprint == testing::FakeFingerprint());
  const json job = f.SentOf("job").at(0);
  CHECK(job["job_id"] == id);
  CHECK(job["workloads"] == json::array({"gemm.fp32/m35n700k2048@ref"}));
  CHECK(f.jobs->queue().Find(id)->state == "dispatched");
  // Dispatched again (after a reconnect, say): the same job is sent again.
  f.jobs->Dispatch("a1");
  CHECK(f.SentOf("job").size() == 2);
}

TEST_CASE("job service: a bad request, no agent, or a full disk queues nothing", "[coordinator]") {
  Fixture f;
  f.Connect("a1");
  json bad = kRequest;
  bad["priority"] = 1;
  auto refused = f.Await(f.jobs->Submit(bad, "test"));
  REQUIRE(refused);
  CHECK(refused->status().code() == Status::Code::kInvalidArgument);
  CHECK_THAT(refused->status().message(), Catch::Contains("unknown field \"priority\""));

  json nobody = kRequest;
  nobody["agents"] = "role=gpu";
  auto unmatched = f.Await(f.jobs->Submit(nobody, "test"));
  REQUIRE(unmatched);
  CHECK(unmatched->status().code() == Status::Code::kNotFound);

  f.db.disk_full = true;
  auto unstored = f.Await(f.jobs->Submit(kRequest, "test"));
  REQUIRE(unstored);
  CHECK(unstored->status().code() == Status::Code::kIoError);
  CHECK_THAT(unstored->status().message(), Catch::Contains("no job queued"));
  CHECK(f.jobs->queue().size() == 0);
  CHECK(f.db.jobs.empty());
  CHECK(f.sent.empty());
}

TEST_CASE("job service: a run that cannot be stored is retried, and the job sent only then",
          "[coordinator]") {
  Fixture f;
  // Queued while the agent was away; the disk fills before it comes.
  const std::string seen = UtcNowIso8601(f.clock);
  f.roster.Restore(store::AgentRow{"a1", testing::FakeFingerprint(), "1.0", "{}", seen, seen},
                   AgentFacts{"a1", "a1.lab", "x86_64", {{"role", "test"}}});
  const auto submitted = f.Await(f.jobs->Submit(kRequest, "test"));
  REQUIRE((submitted && submitted->ok()));
  const std::string id = (**submitted)["jobs"][0]["id"];
  f.db.disk_full = true;
  f.Connect("a1");
  f.jobs->Dispatch("a1");
  REQUIRE(f.RunUntil([&] { return f.Logged("cannot claim its next job"); }));
  CHECK(f.jobs->queue().Find(id)->state == "queued");
  CHECK(f.sent.empty());
  f.db.disk_full = false;  // the retry (after 0.5 s) stores it
  REQUIRE(f.RunUntil([&] { return !f.SentOf("job").empty(); }));
  CHECK(f.db.jobs.at(id).state == "dispatched");
  CHECK(f.Logged("job claimed after 1 failed attempt(s)"));
}

TEST_CASE("job service: a job ends once every result is stored, and then the next is sent",
          "[coordinator]") {
  Fixture f;
  f.Connect("a1");
  REQUIRE(f.Await(f.jobs->Submit(kRequest, "test"))->ok());
  const auto second = f.Await(f.jobs->Submit(kRequest, "test"));
  REQUIRE(second->ok());
  REQUIRE(f.RunUntil([&] { return f.SentOf("job").size() == 1; }));
  const json first = f.SentOf("job").at(0);
  const std::string id = first["job_id"], run = first["run_id"];

  // Measured 3, stored 2: not done, not acknowledged; the connection goes
  // (the agent sends it again after reconnecting).
  f.db.results[run] = 2;
  CHECK(f.jobs->JobDone("a1", fleet::JobDone{id, run, true, 3, 0, std::nullopt}));
  REQUIRE(f.RunUntil([&] { return !f.disconnected.empty(); }));
  CHECK(f.Logged("not done until all are"));
  CHECK(f.db.jobs.at(id).state == "dispatched");
  CHECK(f.SentOf("ack").empty());

  f.db.results[run] = 3;
  CHECK(f.jobs->JobDone("a1", fleet::JobDone{id, run, true, 3, 0, std::nullopt}));
  REQUIRE(f.RunUntil([&] { return !f.SentOf("ack").empty(); }));
  CHECK(f.db.jobs.at(id).state == "done");
  CHECK(f.db.runs.at(run).finished_at.has_value());
  CHECK(f.jobs->queue().Find(id)->state == "done");
  CHECK(f.checked == std::vector<std::string>{run});
  // The agent's next job follows the ack.
  REQUIRE(f.RunUntil([&] { return f.SentOf("job").size() == 2; }));
  CHECK(f.SentOf("job").at(1)["job_id"] == (**second)["jobs"][0]["id"]);

  // Another agent's job, or the wrong run: a violation.
  f.Connect("a2");
  CHECK_FALSE(f.jobs->JobDone("a2", fleet::JobDone{id, run, true, 3, 0, std::nullopt}));
  CHECK_FALSE(f.jobs->JobDone("a1", fleet::JobDone{id, "other-run", true, 3, 0, std::nullopt}));
  // A job nobody knows, without results: acknowledged and forgotten, once
  // the database too says it does not know it.
  CHECK(f.jobs->JobDone("a1", fleet::JobDone{"ghost", "r", true, 0, 0, std::nullopt}));
  REQUIRE(f.RunUntil([&] { return f.SentOf("ack").back()["ids"] == json::array({"ghost"}); }));
  CHECK(f.Logged("job_done for job ghost, unknown here and without results"));
}

TEST_CASE("job service: a job another coordinator queued is claimed, run and ended here",
          "[coordinator]") {
  Fixture f;
  f.Connect("a1");
  // Queued through another coordinator on the same database: this one's
  // memory has never heard of it.
  const std::string now = UtcNowIso8601(f.clock);
  const store::JobRow elsewhere{"job-x",
                                "a1",
                                "run-x",
                                "quick",
                                json{{"workloads", json::array({"gemm.fp32/m35n700k2048@ref"})},
                                     {"revision", json::object()},
                                     {"options", json::object()}}
                                    .dump(),
                                "queued",
                                now,
                                now,
                                std::nullopt};
  REQUIRE(f.db.InsertJob(elsewhere).ok());
  CHECK(f.jobs->queue().Find("job-x") == nullptr);
  // The claim finds it in the database, leased to this coordinator.
  f.jobs->Dispatch("a1");
  REQUIRE(f.RunUntil([&] { return f.SentOf("job").size() == 1; }));
  CHECK(f.SentOf("job")[0]["job_id"] == "job-x");
  CHECK(f.db.jobs.at("job-x").state == "dispatched");
  CHECK(f.db.leases.at("job-x").owner == "coordinator");
  REQUIRE(f.db.runs.count("run-x") == 1);

  // Its end, before any sync, is recorded too.
  f.db.results["run-x"] = 1;
  CHECK(f.jobs->JobDone("a1", fleet::JobDone{"job-x", "run-x", true, 1, 0, std::nullopt}));
  REQUIRE(f.RunUntil([&] { return !f.SentOf("ack").empty(); }));
  CHECK(f.db.jobs.at("job-x").state == "done");

  // Cancelled through the other coordinator while dispatched here: a sync
  // tells the agent to stop.
  const store::JobRow second{"job-y",  "a1", "run-y", "quick",     elsewhere.spec_json,
                             "queued", now,  now,     std::nullopt};
  REQUIRE(f.db.InsertJob(second).ok());
  f.jobs->Sync(*f.db.OpenJobs({}));
  REQUIRE(f.RunUntil([&] { return f.SentOf("job").size() == 2; }));
  REQUIRE(f.db.EndUnfinishedJob("job-y", "cancelled", now, "cancelled elsewhere").ok());
  f.jobs->Sync(*f.db.OpenJobs({"job-y"}));
  REQUIRE(f.SentOf("cancel").size() == 1);
  CHECK(f.SentOf("cancel")[0]["job_id"] == "job-y");
  CHECK(f.jobs->queue().Find("job-y")->state == "cancelled");
  // An older reading changes nothing: a job never moves back.
  store::JobRow stale = second;
  f.jobs->Sync({stale});
  CHECK(f.jobs->queue().Find("job-y")->state == "cancelled");
}

TEST_CASE("job service: a job dispatched by another coordinator is sent here only with its run",
          "[coordinator]") {
  Fixture f;
  f.Connect("a1");
  // Another coordinator claimed it for a1 and died before it stored the run.
  const std::string now = UtcNowIso8601(f.clock);
  REQUIRE(f.db.InsertJob({"job-z", "a1", "run-z", "quick",
                          json{{"workloads", json::array({"gemm.fp32/m35n700k2048@ref"})}}.dump(),
                          "dispatched", now, now, std::nullopt})
              .ok());
  f.jobs->Sync(*f.db.OpenJobs({}));
  REQUIRE(f.jobs->queue().Find("job-z") != nullptr);
  CHECK(f.sent.empty());
  // a1 (re)connects here: the job goes through the claim, its run stored
  // before the agent hears of it, its lease taken over.
  f.jobs->Dispatch("a1");
  REQUIRE(f.RunUntil([&] { return f.SentOf("job").size() == 1; }));
  CHECK(f.db.runs.count("run-z") == 1);
  CHECK(f.db.leases.at("job-z").owner == "coordinator");
  CHECK(f.Logged("job job-z (quick, 1 workloads) sent again to a1"));
  // Sent once here, it is sent again from memory (a lost frame).
  f.jobs->Dispatch("a1");
  CHECK(f.SentOf("job").size() == 2);
}

TEST_CASE("job service: a job queued while a claim is on its way is claimed next",
          "[coordinator]") {
  Fixture f;
  f.Connect("a1");
  // A claim that finds nothing is on its way (its completion not yet run)...
  f.jobs->Dispatch("a1");
  // ...when a job for a1 arrives through another coordinator.
  const std::string now = UtcNowIso8601(f.clock);
  REQUIRE(f.db.InsertJob({"job-w", "a1", "run-w", "quick", json::object().dump(), "queued", now,
                          now, std::nullopt})
              .ok());
  f.jobs->Sync(*f.db.OpenJobs({}));
  REQUIRE(f.RunUntil([&] { return f.SentOf("job").size() == 1; }));
  CHECK(f.SentOf("job")[0]["job_id"] == "job-w");
}

TEST_CASE("job service: a lease renewed by another coordinator does not expire", "[coordinator]") {
  Fixture f(40ms);
  f.Connect("a1");
  REQUIRE(f.Await(f.jobs->Submit(kRequest, "test"))->ok());
  REQUIRE(f.RunUntil([&] { return f.SentOf("job").size() == 1; }));
  const std::string id = f.SentOf("job")[0]["job_id"];
  // The agent goes from here to another coordinator, which renews the lease.
  f.roster.Disconnect(f.roster.Live("a1"), f.clock.Steady(), UtcNowIso8601(f.clock));
  asio::co_spawn(f.io, f.jobs->LeaseLoop(), asio::detached);
  f.clock.Advance(41ms);
  REQUIRE(f.db.RenewJobLeases("coordinator-2", {"a1"}, 40ms).ok());
  f.io.run_for(100ms);
  f.io.restart();
  CHECK(f.db.jobs.at(id).state == "dispatched");
  CHECK(f.Logged("is leased to coordinator coordinator-2"));
  // It stops renewing (it died, and the agent with it): the lease runs out.
  f.clock.Advance(41ms);
  REQUIRE(f.RunUntil([&] { return f.db.jobs.at(id).state == "failed"; }));
  f.jobs->Stop();
}

TEST_CASE("job service: results are accepted from their own agent and run, or re-create a lost job",
          "[coordinator]") {
  Fixture f;
  f.Connect("a1");
  f.Connect("a2");
  json to_a1 = kRequest;
  to_a1["agents"] = "a1";
  REQUIRE(f.Await(f.jobs->Submit(to_a1, "test"))->ok());
  REQUIRE(f.RunUntil([&] { return f.SentOf("job").size() == 1; }));
  const std::string id = f.SentOf("job")[0]["job_id"], run = f.SentOf("job")[0]["run_id"];
  const auto batch = [](const std::string& job, const std::string& run_id) {
    auto row = result::ToRow(testing::MakeRecord(run_id));
    INFO((row.ok() ? "" : row.status().message()));
    REQUIRE(row.ok());
    return fleet::ResultBatch{job, {*row}};
  };
  const std::string machine = testing::FakeFingerprint();
  CHECK(f.Await(f.jobs->AcceptResults("a1", machine, batch(id, run)))->ok());
  const auto theirs = f.Await(f.jobs->AcceptResults("a2", machine, batch(id, run)));
  CHECK(theirs->code() == Status::Code::kInvalidArgument);
  CHECK_THAT(theirs->message(), Catch::Contains("given to agent a1, not to a2"));
  const auto stray = f.Await(
      f.jobs->AcceptResults("a1", machine, batch(id, "01a24ff7-0000-7000-8000-0000000000dd")));
  CHECK(stray->code() == Status::Code::kInvalidArgument);
  CHECK_THAT(stray->message(), Catch::Contains("is not job " + id + "'s run"));

  // The database lost a job (restored from a backup): re-created from the
  // records' own run, machine and revision, durably.
  const std::string lost_run = "01a24ff7-0000-7000-8000-0000000000aa";
  CHECK(f.Await(f.jobs->AcceptResults("a1", machine, batch("lost", lost_run)))->ok());
  REQUIRE(f.db.jobs.count("lost") == 1);
  CHECK(f.db.jobs.at("lost").run_id == lost_run);
  CHECK(f.db.runs.at(lost_run).revision.commit == "abc123");
  CHECK(f.jobs->queue().Find("lost")->agent == "a1");
  // Not from records of another machine, nor of a run that is another job's.
  const auto foreign = f.Await(f.jobs->AcceptResults(
      "a1", std::string(64, 'e'), batch("lost2", "01a24ff7-0000-7000-8000-0000000000bb")));
  CHECK(foreign->code() == Status::Code::kInvalidArgument);
  const auto taken = f.Await(f.jobs->AcceptResults("a1", machine, batch("lost3", run)));
  CHECK(taken->code() == Status::Code::kInvalidArgument);
  CHECK_THAT(taken->message(), Catch::Contains("is job " + id + "'s"));
  // Not when it cannot be stored: nothing acknowledged, the agent resends.
  f.db.disk_full = true;
  const auto unstored = f.Await(
      f.jobs->AcceptResults("a1", machine, batch("lost4", "01a24ff7-0000-7000-8000-0000000000cc")));
  CHECK(unstored->code() == Status::Code::kIoError);
  CHECK(f.jobs->queue().Find("lost4") == nullptr);
}

TEST_CASE("job service: cancelling, a job_done first, forgetting an agent, pausing",
          "[coordinator]") {
  Fixture f;
  f.Connect("a1");
  REQUIRE(f.Await(f.jobs->Submit(kRequest, "test"))->ok());
  REQUIRE(f.Await(f.jobs->Submit(kRequest, "test"))->ok());
  REQUIRE(f.RunUntil([&] { return f.SentOf("job").size() == 1; }));
  const std::string first = f.SentOf("job")[0]["job_id"];

  f.jobs->NotePause(first, std::string("spool full"));
  f.RunUntil([&] { return f.db.jobs.at(first).error.has_value(); });
  CHECK(f.db.jobs.at(first).error == "paused: spool full");
  f.jobs->NotePause(first, std::nullopt);
  f.RunUntil([&] { return !f.db.jobs.at(first).error.has_value(); });
  CHECK_FALSE(f.jobs->queue().Find(first)->error.has_value());

  // Cancelling a dispatched job tells its agent to stop it.
  const auto cancelled = f.Await(f.jobs->End(first, "cancelled", "by a test"));
  REQUIRE(cancelled->ok());
  CHECK(f.db.jobs.at(first).state == "cancelled");
  REQUIRE(f.SentOf("cancel").size() == 1);
  CHECK(f.SentOf("cancel")[0]["job_id"] == first);
  CHECK(f.Await(f.jobs->End(first, "cancelled", "again"))->code() ==
        Status::Code::kFailedPrecondition);
  CHECK(f.Await(f.jobs->End("nope", "cancelled", "x"))->code() == Status::Code::kNotFound);

  // The second job ended in the database first (a job_done committed ahead):
  // the database's word stands, and memory keeps it open no longer than that.
  std::string second;
  f.jobs->queue().ForEach([&](const store::JobRow& j) {
    if (j.id != first) second = j.id;
  });
  f.db.jobs.at(second).state = "done";
  CHECK(f.Await(f.jobs->End(second, "failed", "lease"))->code() ==
        Status::Code::kFailedPrecondition);
  f.db.jobs.at(second).state = "queued";

  // Forgetting the agent cancels what it had left.
  const auto n = f.Await(f.jobs->CancelJobsOf("a1"));
  CHECK(n == 1u);
  CHECK(f.db.jobs.at(second).state == "cancelled");
  CHECK(f.db.jobs.at(second).error == "agent a1 was forgotten");
  CHECK(f.jobs->unfinished() == 0);
}

TEST_CASE("job service: the lease fails a job whose agent stayed gone", "[coordinator]") {
  Fixture f(40ms);
  auto session = f.Connect("a1", "running");
  REQUIRE(f.Await(f.jobs->Submit(kRequest, "test"))->ok());
  REQUIRE(f.RunUntil([&] { return f.SentOf("job").size() == 1; }));
  const std::string id = f.SentOf("job")[0]["job_id"];
  f.roster.Disconnect(session, f.clock.Steady(), "t1");
  asio::co_spawn(f.io, f.jobs->LeaseLoop(), asio::detached);
  // Within the lease (the manual clock has not moved): still dispatched.
  f.io.run_for(100ms);  // about nine lease checks
  f.io.restart();
  CHECK(f.jobs->queue().Find(id)->state == "dispatched");
  f.clock.Advance(41ms);
  REQUIRE(f.RunUntil([&] { return f.jobs->queue().Find(id)->state == "failed"; }));
  CHECK(f.db.jobs.at(id).state == "failed");
  CHECK_THAT(*f.db.jobs.at(id).error, Catch::Contains("lease expired: agent a1 stayed gone"));
  f.jobs->Stop();
}

}  // namespace
}  // namespace effbench::coordinator
