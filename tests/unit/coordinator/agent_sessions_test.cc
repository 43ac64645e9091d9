#include "harness/coordinator/internal/agent_sessions.h"

#include <boost/asio/co_spawn.hpp>
#include <catch2/catch.hpp>

#include "harness/fleet/auth.h"
#include "harness/fleet/channel.h"
#include "harness/result/record.h"
#include "tests/test_util.h"
#include "tests/unit/coordinator/fake_fleet_writes.h"

namespace effbench::coordinator {
namespace {

namespace asio = boost::asio;
using nlohmann::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr char kToken[] = "a-fleet-token-for-the-sessions-test";

// The agents' side of a coordinator on the in-memory store: sessions, the
// roster and the job service, with fake agents that speak the protocol over
// real loopback connections.
struct Fixture {
  asio::io_context io;
  ManualClock clock{std::chrono::system_clock::time_point(std::chrono::hours(490'000))};
  CoordinatorOptions options;
  testing::FakeFleetStore db{&clock};
  testing::FakeFleetWrites writes{io, db};
  AgentRoster roster;
  Metrics metrics;
  std::vector<std::string> log;
  std::unique_ptr<JobService> jobs;
  std::unique_ptr<AgentSessions> sessions;
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};

  Fixture() {
    options.stored_key = fleet::StoredKeyFromToken(kToken);
    options.clock = &clock;
    const auto note = [this](const std::string& line) { log.push_back(line); };
    jobs = std::make_unique<JobService>(
        io, roster, writes,
        JobService::Hooks{note,
                          [this](const std::string& agent, const json& message) {
                            const auto session = roster.Live(agent);
                            return session && session->channel->Send(message);
                          },
                          [this](const std::string& agent) {
                            if (const auto session = roster.Live(agent)) session->channel->Close();
                          },
                          {}},
        JobService::Options{&clock, options.heartbeat, options.job_lease, options.agent_ttl});
    sessions = std::make_unique<AgentSessions>(io, options, nullptr, roster, *jobs, writes, metrics,
                                               AgentSessions::Hooks{note});
  }

  template <typename Pred>
  bool RunUntil(Pred done) {
    return testing::RunUntil(io, done);
  }

  // A new connection to the sessions: the agent's end of it.
  std::shared_ptr<fleet::Channel> Dial() {
    tcp::socket client(io);
    client.connect(acceptor.local_endpoint());
    sessions->Serve(acceptor.accept());
    auto channel = fleet::Channel::Adopt(io, client.release(), options.limits);
    REQUIRE(channel.ok());
    (*channel)->Start([](const std::string&) {});
    return *channel;
  }

  // The next message the agent's end reads (null when the connection ended).
  json Read(const std::shared_ptr<fleet::Channel>& channel) {
    std::optional<fleet::ReadOutcome> in;
    channel->Read(5s, [&](std::exception_ptr, fleet::ReadOutcome outcome) { in = outcome; });
    REQUIRE(RunUntil([&] { return in.has_value(); }));
    return in->closed ? json() : in->message;
  }

  // Dials, answers the challenge as agent `name` with the proof of `token`
  // (and the clock offset it measured, if given).
  std::shared_ptr<fleet::Channel> Hello(const std::string& name, const std::string& token = kToken,
                                        std::optional<int64_t> clock_offset_ms = std::nullopt) {
    auto channel = Dial();
    const json challenge = Read(channel);
    REQUIRE(challenge["type"] == "challenge");
    // The coordinator's time, for the agent to measure its clock against.
    CHECK(challenge["time_ms"] ==
          std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch())
              .count());
    const std::string fingerprint = testing::FakeFingerprint();
    const json machine = {{"fingerprint", fingerprint},
                          {"hostname", name + ".lab"},
                          {"cpu_model", "Test CPU"},
                          {"arch", "x86_64"},
                          {"inventory", json::object()}};
    channel->Send(fleet::ToJson(fleet::Hello{
        name,
        "test",
        {{"role", "test"}},
        machine,
        std::nullopt,
        fleet::ClientProof(
            token, fleet::AuthMessage(challenge["nonce"].get<std::string>(), name, fingerprint)),
        clock_offset_ms}));
    return channel;
  }

  // Submits `request` through the job service (its outcome is the job
  // frames the agents read).
  void Submit(json request) {
    asio::co_spawn(
        io,
        [this, request = std::move(request)]() -> asio::awaitable<void> {
          const std::string origin = "test";  // named: GCC 12 and co_await temporaries
          const auto submitted = co_await jobs->Submit(request, origin);
          REQUIRE(submitted.ok());
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
  }

  template <typename T>
  std::optional<T> Await(asio::awaitable<T> task) {
    return testing::Await(io, std::move(task));
  }

  bool Logged(const std::string& fragment) const {
    for (const auto& line : log) {
      if (line.find(fragment) != std::string::npos) return true;
    }
    return false;
  }
};

json ResultFrame(const std::string& job_id, const std::string& run_id, std::string* record_id) {
  const result::ResultRecord record = testing::MakeRecord(run_id);
  if (record_id) *record_id = record.id;
  json frame = fleet::NewMessage("result");
  frame["job_id"] = job_id;
  frame["records"] = json::array({result::ToJson(record)});
  return frame;
}

TEST_CASE("agent sessions: welcomed, results acknowledged after their commit, a job's end",
          "[coordinator]") {
  Fixture f;
  auto agent = f.Hello("a1");
  const json welcome = f.Read(agent);
  REQUIRE(welcome["type"] == "welcome");
  CHECK(welcome["agent"] == "a1");
  REQUIRE(f.RunUntil([&] { return f.db.agents.count("a1") == 1; }));
  CHECK(f.db.machines.count(testing::FakeFingerprint()) == 1);
  CHECK(f.roster.Live("a1") != nullptr);
  CHECK(f.sessions->preauth() == 0);

  // A job for it: sent once its run is stored.
  f.Submit({{"workload", "gemm.fp32/m35n700k2048@ref"},
            {"agents", "a1"},
            {"options", {{"repetitions", 1}}}});
  const json job = f.Read(agent);
  REQUIRE(job["type"] == "job");
  const std::string job_id = job["job_id"], run_id = job["run_id"];

  std::string record_id;
  agent->Send(ResultFrame(job_id, run_id, &record_id));
  const json ack = f.Read(agent);
  REQUIRE(ack["type"] == "ack");
  CHECK(ack["ids"] == json::array({record_id}));
  CHECK(f.db.results.at(run_id) == 1);
  CHECK(f.metrics.results_acked == 1);

  agent->Send(fleet::ToJson(fleet::JobDone{job_id, run_id, true, 1, 0, std::nullopt}));
  const json done = f.Read(agent);
  CHECK(done["ids"] == json::array({job_id}));
  CHECK(f.db.jobs.at(job_id).state == "done");

  // Bye: gone, its row stored with when it was last seen.
  agent->Send(fleet::ByeMessage("stopping"));
  REQUIRE(f.RunUntil([&] { return f.roster.Live("a1") == nullptr; }));
  CHECK(f.roster.GoneSince("a1").has_value());
  CHECK(f.Logged("agent a1 said bye: stopping"));
}

TEST_CASE("agent sessions: an agent's clock offset is logged and stored with its runs",
          "[coordinator]") {
  Fixture f;
  // This board's clock is an hour behind the coordinator's.
  auto agent = f.Hello("board", kToken, 3'600'000);
  REQUIRE(f.Read(agent)["type"] == "welcome");
  CHECK(f.Logged("agent board: its clock is 3600 s behind this coordinator's"));
  f.Submit({{"workload", "gemm.fp32/m35n700k2048@ref"}, {"agents", "board"}});
  const json job = f.Read(agent);
  REQUIRE(job["type"] == "job");
  const json config = json::parse(f.db.runs.at(job["run_id"]).config_json);
  CHECK(config["agent_clock_offset_ms"] == 3'600'000);
  // An agent that measured none (an older one) has none stored.
  auto old = f.Hello("old");
  REQUIRE(f.Read(old)["type"] == "welcome");
  f.Submit({{"workload", "gemm.fp32/m35n700k2048@ref"}, {"agents", "old"}});
  const json its_job = f.Read(old);
  REQUIRE(its_job["type"] == "job");
  CHECK_FALSE(
      json::parse(f.db.runs.at(its_job["run_id"]).config_json).contains("agent_clock_offset_ms"));
}

TEST_CASE("agent sessions: a full disk holds results unacknowledged, and resumes",
          "[coordinator]") {
  Fixture f;
  auto agent = f.Hello("a1");
  REQUIRE(f.Read(agent)["type"] == "welcome");
  REQUIRE(f.RunUntil([&] { return f.db.agents.count("a1") == 1; }));
  // The database's writes fail: the agent is told to hold; they work again:
  // to resume.
  f.db.disk_full = true;
  f.sessions->OnStoreHealth(std::string("database or disk is full"));
  const json hold = f.Read(agent);
  REQUIRE(hold["type"] == "hold");
  CHECK_THAT(hold["reason"].get<std::string>(), Catch::Contains("disk is full"));

  f.db.disk_full = false;
  f.db.machines.clear();
  f.sessions->OnStoreHealth(std::nullopt);
  CHECK(f.Read(agent)["type"] == "resume");
  // Its machine is stored again on recovery.
  REQUIRE(f.RunUntil([&] { return f.db.machines.size() == 1; }));

  // A batch of a known job that cannot be stored: no ack, the connection
  // stays; the same batch sent again once writes work is stored once.
  f.Submit({{"workload", "gemm.fp32/m35n700k2048@ref"}, {"agents", "a1"}});
  const json job = f.Read(agent);
  REQUIRE(job["type"] == "job");
  const std::string run = job["run_id"];
  std::string record_id;
  const json batch = ResultFrame(job["job_id"], run, &record_id);
  const auto session = f.roster.Live("a1");
  f.db.disk_full = true;
  agent->Send(batch);
  REQUIRE(f.RunUntil([&] { return f.writes.fault().has_value(); }));
  CHECK(f.db.results.empty());
  CHECK(f.metrics.results_acked == 0);
  f.db.disk_full = false;
  agent->Send(batch);
  const json ack = f.Read(agent);
  REQUIRE(ack["type"] == "ack");
  CHECK(ack["ids"] == json::array({record_id}));
  CHECK(f.roster.Live("a1") == session);
  CHECK(f.db.results.at(run) == 1);

  // Results of a job the database lost re-create it; when that cannot be
  // stored, nothing is acknowledged and the connection closes: the agent
  // sends them again after reconnecting, and they land once.
  const std::string lost_run = "01a24ff7-0000-7000-8000-0000000000aa";
  const json lost = ResultFrame("lost-job", lost_run, nullptr);
  f.db.disk_full = true;
  agent->Send(lost);
  CHECK(f.Read(agent).is_null());
  CHECK(f.jobs->queue().Find("lost-job") == nullptr);
  f.db.disk_full = false;
  agent = f.Hello("a1");
  REQUIRE(f.Read(agent)["type"] == "welcome");
  CHECK(f.Read(agent)["job_id"] == job["job_id"]);  // its job, sent again on reconnecting
  agent->Send(lost);
  REQUIRE(f.Read(agent)["type"] == "ack");
  CHECK(f.db.results.at(lost_run) == 1);
  CHECK(f.db.jobs.at("lost-job").run_id == lost_run);
  CHECK(f.Logged("re-created it as run " + lost_run));
}

TEST_CASE("agent sessions: a wrong proof, another agent's job, a newer connection",
          "[coordinator]") {
  Fixture f;
  auto stranger = f.Hello("intruder", "not-the-token");
  const json refused = f.Read(stranger);
  REQUIRE(refused["type"] == "error");
  CHECK_THAT(refused["message"].get<std::string>(), Catch::Contains("authentication failed"));
  CHECK(f.metrics.auth_failures == 1);
  CHECK_FALSE(f.roster.Known("intruder"));
  CHECK(f.Read(stranger).is_null());
  REQUIRE(f.RunUntil([&] { return f.sessions->preauth() == 0; }));

  // a1 is given a job; a2 sends results for it: refused, and its connection ends.
  auto a1 = f.Hello("a1");
  REQUIRE(f.Read(a1)["type"] == "welcome");
  auto a2 = f.Hello("a2");
  REQUIRE(f.Read(a2)["type"] == "welcome");
  f.Submit({{"workload", "gemm.fp32/m35n700k2048@ref"}, {"agents", "a1"}});
  const json job = f.Read(a1);
  REQUIRE(job["type"] == "job");
  a2->Send(ResultFrame(job["job_id"], job["run_id"], nullptr));
  const json violation = f.Read(a2);
  REQUIRE(violation["type"] == "error");
  CHECK_THAT(violation["message"].get<std::string>(),
             Catch::Contains("given to agent a1, not to a2"));
  CHECK(f.metrics.protocol_errors == 1);
  CHECK(f.db.results.empty());

  // a1 connects again: the older connection is told bye and closed, and the
  // newer one is sent its dispatched job again.
  auto again = f.Hello("a1");
  REQUIRE(f.Read(again)["type"] == "welcome");
  CHECK(f.Read(again)["job_id"] == job["job_id"]);
  const json bye = f.Read(a1);
  CHECK(bye["type"] == "bye");
  CHECK(f.Read(a1).is_null());
  CHECK(f.Logged("agent a1 reconnected"));
}

TEST_CASE("agent sessions: an agent enrolled, then its key revoked during a job", "[coordinator]") {
  Fixture f;
  auto agent = f.Hello("board");  // the fleet token
  REQUIRE(f.Read(agent)["type"] == "welcome");

  // Enrolled while connected: the connection it opened with the fleet token
  // closes; from now on only its own key opens the name.
  const auto key = f.Await(f.sessions->Enroll("board"));
  REQUIRE(key);
  REQUIRE(key->ok());
  CHECK(key->value().size() == 64);
  const json closed = f.Read(agent);
  REQUIRE(closed["type"] == "error");
  CHECK_THAT(closed["message"].get<std::string>(), Catch::Contains("a key of its own"));
  // Only its stored form is kept.
  REQUIRE(f.db.keys.count("board") == 1);
  CHECK(f.db.keys.at("board").stored_key.size() == 64);
  CHECK(f.db.keys.at("board").stored_key != key->value());
  auto stale = f.Hello("board");
  const json refused = f.Read(stale);
  REQUIRE(refused["type"] == "error");
  CHECK_THAT(refused["message"].get<std::string>(), Catch::Contains("wrong key for agent board"));

  agent = f.Hello("board", key->value());
  REQUIRE(f.Read(agent)["type"] == "welcome");
  CHECK(f.roster.Live("board")->credential == "its own key");
  f.Submit({{"workload", "gemm.fp32/m35n700k2048@ref"}, {"agents", "board"}});
  const json job = f.Read(agent);
  REQUIRE(job["type"] == "job");
  agent->Send(ResultFrame(job["job_id"], job["run_id"], nullptr));
  REQUIRE(f.Read(agent)["type"] == "ack");

  // Revoked mid-job: closed at once; what it sent before stays; refused after.
  const auto revoked = f.Await(f.sessions->Revoke("board"));
  REQUIRE(revoked);
  REQUIRE(revoked->ok());
  const json cut = f.Read(agent);
  REQUIRE(cut["type"] == "error");
  CHECK_THAT(cut["message"].get<std::string>(), Catch::Contains("revoked"));
  CHECK(f.db.results.at(job["run_id"]) == 1);
  CHECK(f.db.keys.at("board").revoked_at.has_value());
  auto again = f.Hello("board", key->value());
  const json refused_again = f.Read(again);
  REQUIRE(refused_again["type"] == "error");
  CHECK_THAT(refused_again["message"].get<std::string>(), Catch::Contains("was revoked at"));
  CHECK(f.roster.Live("board") == nullptr);

  CHECK(f.Await(f.sessions->Revoke("board"))->code() == Status::Code::kFailedPrecondition);
  CHECK(f.Await(f.sessions->Revoke("nobody"))->code() == Status::Code::kNotFound);
  const auto bad_name = f.Await(f.sessions->Enroll("../etc"));
  CHECK(bad_name->status().code() == Status::Code::kInvalidArgument);
  // Not stored, not enrolled, when the database cannot take it.
  f.db.disk_full = true;
  const auto unstored = f.Await(f.sessions->Enroll("board-2"));
  CHECK(unstored->status().code() == Status::Code::kIoError);
  CHECK(f.sessions->credentials().Find("board-2") == nullptr);
}

}  // namespace
}  // namespace effbench::coordinator
