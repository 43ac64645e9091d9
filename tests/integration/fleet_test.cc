// The fleet end to end on loopback: effbench serve, effbench-agent processes
// and raw protocol peers. Checks that every result lands exactly once through
// kills and restarts, and that bad peers are refused while others are served.
#include <arpa/inet.h>
#include <dirent.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "harness/fleet/auth.h"
#include "harness/fleet/frame.h"
#include "harness/fleet/messages.h"
#include "harness/result/record.h"
#include "harness/store/result_store.h"
#include "tests/integration/cli_runner.h"
#include "tests/integration/fleet_fixture.h"
#include "tests/test_util.h"
#include "workloads/catalog.h"

namespace effbench {
namespace {

using nlohmann::json;
using testing::AgentsConnected;
using testing::Expected;
using testing::FastOptions;
using testing::Http;
using testing::HttpRequest;
using testing::JobsFinished;
using testing::kToken;
using testing::Process;
using testing::ResultsOfRun;
using testing::Serve;
using testing::StartAgent;
using testing::StoredNames;
using testing::SubmitJobs;
using testing::TempDir;
using testing::WaitFor;
using testing::WriteToken;

#ifdef EFFBENCH_SANITIZED
// Under ASan+UBSan (Debug) the quick suite would take many minutes per agent:
// the sanitizer build runs the same scenarios on a few small workloads.
constexpr char kFleetSuite[] = "";
constexpr char kFleetWorkloads[] = "gemm.fp32/m35n700k2048*";
#else
constexpr char kFleetSuite[] = "quick";
constexpr char kFleetWorkloads[] = "";
#endif
// A job long enough to kill something in its middle: each workload is timed
// for a while, so results arrive one by one over several seconds.
constexpr char kSlowWorkloads[] = "gemm.fp32/m35n700k2048*";

TEST_CASE("three agents run the quick suite through a coordinator: every result lands once",
          "[fleet][integration][slow]") {
  TempDir dir;
  WriteToken(dir);
  Serve serve(dir);
  auto a1 = StartAgent(dir, serve, "a1", "fleet.token", /*calibrate=*/true);
  auto a2 = StartAgent(dir, serve, "a2");
  auto a3 = StartAgent(dir, serve, "a3");
  REQUIRE(WaitFor([&] { return AgentsConnected(serve, 3); }, 120));

  json request = {{"agents", "role=test"},
                  {"options", FastOptions()},
                  {"revision", {{"repo", "r"}, {"commit", "c0ffee"}, {"branch", "main"}}}};
  if (*kFleetSuite) request["suite"] = kFleetSuite;
  if (*kFleetWorkloads) request["workload"] = kFleetWorkloads;
  const json jobs = SubmitJobs(serve, request);
  REQUIRE(jobs.size() == 3);
  INFO(serve.process->Log());
  REQUIRE(WaitFor([&] { return JobsFinished(serve); }, 600));

  const auto expected = Expected(kFleetSuite, kFleetWorkloads);
  std::set<std::string> agents;
  for (const json& job : jobs) {
    agents.insert(job["agent"].get<std::string>());
    const auto names = StoredNames(dir, job["run_id"]);
    CHECK(names == expected);  // each workload once: none lost, none doubled
  }
  CHECK(agents == std::set<std::string>{"a1", "a2", "a3"});
  const Http metrics = HttpRequest(serve.http_port, "GET", "/metrics");
  const std::string text = metrics.body.get<std::string>();
  CHECK_THAT(text, Catch::Contains("effbench_results_ingested_total " +
                                   std::to_string(3 * expected.size())));
  CHECK_THAT(text, Catch::Contains("effbench_agents_connected 3"));
  // The calibrating agent reported its roofline with its machine.
  const Http machines = HttpRequest(serve.http_port, "GET", "/api/machines");
  REQUIRE(machines.body["machines"].size() == 1);
  CHECK(machines.body["machines"][0]["calibration"].is_object());

  // Graceful stop: SIGTERM, exit 0; the agents keep running and reconnecting.
  serve.process->Signal(SIGTERM);
  CHECK(serve.process->Wait(60) == std::optional<int>(0));
  CHECK_THAT(serve.process->Log(), Catch::Contains("stopped cleanly"));
  CHECK(a1->running());
  a1->Signal(SIGTERM);
  CHECK(a1->Wait(60) == std::optional<int>(0));
}

// Stop waits for the worker on an event, not by polling: an idle agent told
// SIGTERM says bye and exits 0 at once.
TEST_CASE("an idle agent stops on SIGTERM at once, saying bye", "[fleet][integration][agent]") {
  TempDir dir;
  WriteToken(dir);
  Serve serve(dir);
  auto agent = StartAgent(dir, serve, "brief");
  REQUIRE(WaitFor([&] { return AgentsConnected(serve, 1); }, 60));
  agent->Signal(SIGTERM);
  CHECK(agent->Wait(10) == std::optional<int>(0));
  INFO(agent->Log());
  CHECK_THAT(agent->Log(), Catch::Contains("stopped"));
  CHECK(WaitFor([&] { return !AgentsConnected(serve, 1); }, 10));
  CHECK_THAT(serve.process->Log(), Catch::Contains("agent brief disconnected"));
}

TEST_CASE("a coordinator killed mid-run and restarted ends with every result exactly once",
          "[fleet][integration][db]") {
  TempDir dir;
  WriteToken(dir);
  auto serve = std::make_unique<Serve>(dir);
  const int agent_port = serve->agent_port, http_port = serve->http_port;
  auto agent = StartAgent(dir, *serve, "solo");
  REQUIRE(WaitFor([&] { return AgentsConnected(*serve, 1); }, 60));
  const json jobs = SubmitJobs(*serve, {{"workload", kSlowWorkloads},
                                        {"options", {{"repetitions", 2}, {"min_time_s", 0.2}}}});
  REQUIRE(jobs.size() == 1);
  const std::string run_id = jobs[0]["run_id"];
  REQUIRE(WaitFor([&] { return ResultsOfRun(*serve, run_id) >= 1; }, 120));

  serve->process->Signal(SIGKILL);
  REQUIRE(serve->process->Wait(30) == std::optional<int>(128 + SIGKILL));
  serve = std::make_unique<Serve>(dir, agent_port, http_port);
  INFO(agent->Log());
  REQUIRE(WaitFor([&] { return JobsFinished(*serve); }, 300));
  CHECK(StoredNames(dir, run_id) == Expected("", kSlowWorkloads));
  CHECK_THAT(agent->Log(), Catch::Contains("reconnecting in"));
}

TEST_CASE("an agent killed mid-run and restarted resumes its job: nothing is measured twice",
          "[fleet][integration][db]") {
  TempDir dir;
  WriteToken(dir);
  Serve serve(dir);
  auto agent = StartAgent(dir, serve, "phoenix");
  REQUIRE(WaitFor([&] { return AgentsConnected(serve, 1); }, 60));
  const json jobs = SubmitJobs(serve, {{"workload", kSlowWorkloads},
                                       {"options", {{"repetitions", 2}, {"min_time_s", 0.2}}}});
  const std::string run_id = jobs[0]["run_id"];
  REQUIRE(WaitFor([&] { return ResultsOfRun(serve, run_id) >= 1; }, 120));
  agent->Signal(SIGKILL);
  REQUIRE(agent->Wait(30) == std::optional<int>(128 + SIGKILL));
  CHECK_FALSE(JobsFinished(serve));

  agent = StartAgent(dir, serve, "phoenix");
  INFO(agent->Log());
  REQUIRE(WaitFor([&] { return JobsFinished(serve); }, 300));
  CHECK(StoredNames(dir, run_id) == Expected("", kSlowWorkloads));
  CHECK_THAT(agent->Log(), Catch::Contains("resuming"));
  // The HTTP API serves the run's records, filtered by a workload glob.
  const Http all = HttpRequest(serve.http_port, "GET", "/api/results?run=" + run_id);
  REQUIRE(all.status == 200);
  CHECK(all.body["results"].size() == Expected("", kSlowWorkloads).size());
  const Http ref =
      HttpRequest(serve.http_port, "GET", "/api/results?run=" + run_id + "&workload=*%40ref");
  REQUIRE(ref.status == 200);
  REQUIRE_FALSE(ref.body["results"].empty());
  for (const json& r : ref.body["results"]) CHECK(r["variant"]["backend"] == "ref");
  // Its spool is empty once everything is acknowledged.
  REQUIRE(WaitFor(
      [&] {
        return std::filesystem::is_empty(dir.File("spool-phoenix") + "/outbox") &&
               std::filesystem::is_empty(dir.File("spool-phoenix") + "/jobs");
      },
      30));
}

// A raw protocol peer: plain sockets, so that it can misbehave.
class RawPeer {
 public:
  explicit RawPeer(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawPeer() { ::close(fd_); }
  // Whether something (a frame, or the end) can be read within `ms`.
  bool WaitReadable(int ms) {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, ms) == 1;
  }
  void Write(const std::string& bytes) {
    REQUIRE(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(bytes.size()));
  }
  void Send(const json& message) { Write(fleet::Frame(message)); }
  int fd() const { return fd_; }
  // The next frame, or nullopt at EOF (or after 10 s of silence).
  std::optional<json> Read() {
    for (;;) {
      if (auto payload = decoder_.Next()) return json::parse(*payload);
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return std::nullopt;
      REQUIRE(decoder_.Feed(std::string_view(buf, static_cast<size_t>(n))).ok());
    }
  }
  // Reads until EOF; the error frame seen on the way, if any.
  std::optional<json> ErrorThenClose() {
    std::optional<json> error;
    while (auto m = Read()) {
      if ((*m)["type"] == "error") error = *m;
    }
    return error;
  }
  // Answers the challenge with a proof of `token`.
  void Hello(const json& challenge, const std::string& token, const std::string& name = "raw") {
    json hello = fleet::NewMessage("hello");
    hello["name"] = name;
    hello["version"] = "raw";
    hello["labels"] = json::object();
    const std::string fingerprint(64, 'e');
    hello["machine"] = {{"fingerprint", fingerprint},
                        {"hostname", "raw"},
                        {"cpu_model", "raw"},
                        {"arch", "x86_64"},
                        {"inventory", json::object()}};
    hello["auth"] = {{"proof", fleet::ClientProof(
                                   token, fleet::AuthMessage(challenge["nonce"].get<std::string>(),
                                                             name, fingerprint))}};
    Send(hello);
  }

 private:
  int fd_ = -1;
  fleet::FrameDecoder decoder_{size_t{64} << 20};
};

std::string ErrorCodeAfter(int port, const std::function<void(RawPeer&)>& misbehave) {
  RawPeer peer(port);
  const auto challenge = peer.Read();
  REQUIRE(challenge);
  REQUIRE((*challenge)["type"] == "challenge");
  misbehave(peer);
  const auto error = peer.ErrorThenClose();
  REQUIRE(error);
  INFO(error->dump());
  return (*error)["code"];
}

TEST_CASE("bad peers get an error frame naming the problem: the coordinator serves on",
          "[fleet][integration]") {
  TempDir dir;
  WriteToken(dir);
  Serve serve(dir, 0, 0, {"--frame-timeout", "0.5", "--max-frame", "65536"});
  const int port = serve.agent_port;

  CHECK(ErrorCodeAfter(port, [](RawPeer& p) { p.Write(fleet::EncodeFrame("{\"v\":1,")); }) ==
        "malformed");
  CHECK(ErrorCodeAfter(port, [](RawPeer& p) { p.Write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"); }) ==
        "too_large");
  CHECK(ErrorCodeAfter(port, [](RawPeer& p) {
          p.Write(fleet::EncodeFrame(std::string(70000, ' ')).substr(0, 4));
        }) == "too_large");
  CHECK(ErrorCodeAfter(port, [](RawPeer& p) {
          p.Send(json{{"v", 1}, {"type", "teleport"}});
        }) == "unknown_type");
  CHECK(ErrorCodeAfter(port, [](RawPeer& p) {
          json hb = fleet::NewMessage("heartbeat");
          hb["state"] = "idle";
          p.Send(hb);  // before hello
        }) == "unexpected");
  CHECK(ErrorCodeAfter(port, [](RawPeer& p) { p.Write(std::string(4, '\0')); }) == "malformed");
  // A slow peer that starts a frame and never finishes it.
  CHECK(ErrorCodeAfter(port, [](RawPeer& p) {
          p.Write(fleet::EncodeFrame("{\"v\":1}").substr(0, 6));
        }) == "timeout");
  // A truncated frame, then the peer hangs up: nothing to answer, no crash.
  {
    RawPeer truncated(port);
    REQUIRE(truncated.Read());
    truncated.Write(fleet::EncodeFrame(std::string(100, 'x')).substr(0, 50));
  }
  // Wrong token, by proof.
  {
    RawPeer wrong(port);
    const auto challenge = wrong.Read();
    REQUIRE(challenge);
    wrong.Hello(*challenge, "not-the-fleet-token-at-all");
    const auto error = wrong.ErrorThenClose();
    REQUIRE(error);
    CHECK((*error)["code"] == "unauthorized");
  }
  // The token itself, in clear: refused without TLS.
  {
    RawPeer clear(port);
    const auto challenge = clear.Read();
    REQUIRE(challenge);
    json hello = fleet::NewMessage("hello");
    hello["name"] = "clear";
    hello["version"] = "raw";
    hello["labels"] = json::object();
    hello["machine"] = {{"fingerprint", std::string(64, 'e')},
                        {"hostname", "raw"},
                        {"cpu_model", "raw"},
                        {"arch", "x86_64"},
                        {"inventory", json::object()}};
    hello["auth"] = {{"token", kToken}};
    clear.Send(hello);
    const auto error = clear.ErrorThenClose();
    REQUIRE(error);
    CHECK((*error)["code"] == "unauthorized");
    CHECK_THAT((*error)["message"].get<std::string>(), Catch::Contains("in clear"));
  }
  // After all that, a well-behaved peer is welcomed, and a result for a job
  // it was never given is refused.
  RawPeer good(port);
  const auto challenge = good.Read();
  REQUIRE(challenge);
  good.Hello(*challenge, kToken);
  const auto welcome = good.Read();
  REQUIRE(welcome);
  CHECK((*welcome)["type"] == "welcome");
  json result = fleet::NewMessage("result");
  result["job_id"] = "00000000-0000-0000-0000-000000000000";
  result["records"] = json::array({json::object()});
  good.Send(result);
  const auto refused = good.ErrorThenClose();
  REQUIRE(refused);
  CHECK((*refused)["code"] == "invalid");

  // An authenticated peer that falls silent is dropped after three missed
  // heartbeats (1 s each here).
  {
    RawPeer silent(port);
    const auto hi = silent.Read();
    REQUIRE(hi);
    silent.Hello(*hi, kToken, "silent");
    const auto ok = silent.Read();
    REQUIRE(ok);
    REQUIRE((*ok)["type"] == "welcome");
    const auto error = silent.ErrorThenClose();
    REQUIRE(error);
    CHECK((*error)["code"] == "timeout");
    CHECK_THAT((*error)["message"].get<std::string>(), Catch::Contains("heartbeat"));
  }

  const std::string metrics =
      HttpRequest(serve.http_port, "GET", "/metrics").body.get<std::string>();
  CHECK_THAT(metrics, Catch::Contains("effbench_auth_failures_total 2"));
  CHECK(serve.process->running());
}

TEST_CASE("a schedule in the server config queues its run on every agent when its time comes",
          "[fleet][integration]") {
  // A few seconds ahead, local time, as the config gives it. Across midnight
  // too: "00:00:04" seen at 23:59:58 is the next one, 6 s away (the unit test
  // of the schedule sets its clock to just before midnight).
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  const std::time_t fire = now + 6;
  localtime_r(&fire, &local);
  char at[16];
  std::strftime(at, sizeof at, "%H:%M:%S", &local);

  TempDir dir;
  WriteToken(dir);
  const std::string workload = "gemm.fp32/m35n700k2048@ref";
  const json config = {{"schedule",
                        {{{"at", at},
                          {"suite", "full"},
                          {"workload", workload},
                          {"agents", "role=test"},
                          {"options", FastOptions()}}}}};
  std::ofstream(dir.File("serve.json")) << config.dump();
  Serve serve(dir, 0, 0, {"--config", dir.File("serve.json")});
  auto a = StartAgent(dir, serve, "a");
  auto b = StartAgent(dir, serve, "b");
  REQUIRE(WaitFor([&] { return AgentsConnected(serve, 2); }, 60));
  if (std::time(nullptr) + 1 < fire) {  // not yet (a slow machine may be past it already)
    CHECK(HttpRequest(serve.http_port, "GET", "/api/jobs").body["jobs"].empty());
  }
  REQUIRE(WaitFor([&] { return JobsFinished(serve); }, 120));
  const json jobs = HttpRequest(serve.http_port, "GET", "/api/jobs").body["jobs"];
  REQUIRE(jobs.size() == 2);
  for (const json& job : jobs) {
    CHECK(job["state"] == "done");
    CHECK(StoredNames(dir, job["run_id"]) == std::vector<std::string>{workload});
  }
  CHECK_THAT(serve.process->Log(), Catch::Contains(std::string("schedule ") + at + " queued"));
}

TEST_CASE("an agent with the wrong token gives up with a clear error", "[fleet][integration]") {
  TempDir dir;
  WriteToken(dir);
  WriteToken(dir, "other.token", "a-different-token-0123456789");
  Serve serve(dir);
  auto intruder = StartAgent(dir, serve, "intruder", "other.token");
  REQUIRE(intruder->Wait(60) == std::optional<int>(1));
  CHECK_THAT(intruder->Log(), Catch::Contains("authentication failed: wrong fleet token"));
  CHECK_THAT(serve.process->Log(), Catch::Contains("agent \"intruder\" refused"));
  const Http agents = HttpRequest(serve.http_port, "GET", "/api/agents");
  CHECK(agents.body["agents"].empty());
}

TEST_CASE(
    "an agent enrolled with a key of its own: only that key opens its name, and revoking "
    "it cuts the agent off",
    "[fleet][integration]") {
  TempDir dir;
  WriteToken(dir);
  Serve serve(dir);
  const std::string coordinator =
      " --coordinator http://127.0.0.1:" + std::to_string(serve.http_port) + " --token-file " +
      dir.File("fleet.token");
  const auto enrolled = testing::RunCli(dir, "agents enroll board --out board.key" + coordinator);
  INFO(enrolled.err);
  REQUIRE(enrolled.exit_code == 0);
  CHECK_THAT(enrolled.err, Catch::Contains("enrolled board") && Catch::Contains("mode 0600"));
  CHECK(std::filesystem::status(dir.File("board.key")).permissions() ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  const std::string key = testing::ReadAll(dir.File("board.key"));
  CHECK(key.size() == 65);  // 64 hex digits and a newline
  // A key file is never overwritten, and no key is made for it.
  const auto again = testing::RunCli(dir, "agents enroll board --out board.key" + coordinator);
  CHECK(again.exit_code == 1);
  CHECK_THAT(again.err, Catch::Contains("never overwritten"));
  CHECK(testing::ReadAll(dir.File("board.key")) == key);
  // Enrolling needs the fleet token.
  WriteToken(dir, "other.token", "a-different-token-0123456789");
  const auto anonymous =
      testing::RunCli(dir, "agents enroll sneaky --coordinator http://127.0.0.1:" +
                               std::to_string(serve.http_port) + " --token-file other.token");
  CHECK(anonymous.exit_code == 1);
  CHECK_THAT(anonymous.err, Catch::Contains("401"));

  // The fleet token no longer opens the name, and the key opens no other.
  auto impostor = StartAgent(dir, serve, "board");
  REQUIRE(impostor->Wait(60) == std::optional<int>(1));
  CHECK_THAT(impostor->Log(), Catch::Contains("wrong key for agent board"));
  auto stolen = StartAgent(dir, serve, "other", "board.key");
  REQUIRE(stolen->Wait(60) == std::optional<int>(1));
  CHECK_THAT(stolen->Log(), Catch::Contains("wrong fleet token"));

  auto board = StartAgent(dir, serve, "board", "board.key");
  REQUIRE(WaitFor([&] { return AgentsConnected(serve, 1); }, 60));
  const auto listed = testing::RunCli(dir, "agents" + coordinator);
  CHECK_THAT(listed.out, Catch::Contains("board  idle") && Catch::Contains("own key, enrolled"));

  const auto revoked = testing::RunCli(dir, "agents revoke board" + coordinator);
  INFO(revoked.err);
  REQUIRE(revoked.exit_code == 0);
  CHECK_THAT(revoked.out, Catch::Contains("board's key revoked"));
  // Cut off at once; refused when it tries again, so it gives up.
  REQUIRE(board->Wait(60) == std::optional<int>(1));
  CHECK_THAT(board->Log(), Catch::Contains("revoked"));
  CHECK_THAT(serve.process->Log(), Catch::Contains("agent board's key revoked"));
  const auto after = testing::RunCli(dir, "agents --format json" + coordinator);
  const json agents = json::parse(after.out, nullptr, false);
  REQUIRE(agents.is_object());
  REQUIRE(agents["agents"].size() == 1);
  CHECK(agents["agents"][0]["connected"] == false);
  CHECK_THAT(agents["agents"][0]["credential"].get<std::string>(),
             Catch::Contains("own key, revoked"));
}

// A self-signed certificate for localhost and 127.0.0.1, and its key.
void MakeCertificate(const std::string& cert, const std::string& key) {
  const std::string make_cert =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost"
      " -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout '" +
      key + "' -out '" + cert + "' >/dev/null 2>&1";
  REQUIRE(std::system(make_cert.c_str()) == 0);
}

TEST_CASE("over TLS the agent verifies the coordinator and may send the token itself",
          "[fleet][integration]") {
  TempDir dir;
  WriteToken(dir);
  const std::string cert = dir.File("cert.pem"), key = dir.File("key.pem");
  MakeCertificate(cert, key);
  Serve serve(dir, 0, 0, {"--tls-cert", cert, "--tls-key", key});
  auto agent = std::make_unique<Process>(
      std::vector<std::string>{EFFBENCH_AGENT_BINARY, "--coordinator",
                               "tls://127.0.0.1:" + std::to_string(serve.agent_port),
                               "--token-file", dir.File("fleet.token"), "--spool",
                               dir.File("spool-tls"), "--name", "secure", "--ca", cert,
                               "--no-calibrate"},
      dir.File("agent-tls.log"));
  INFO(agent->Log());
  REQUIRE(WaitFor([&] { return AgentsConnected(serve, 1); }, 60));
  const Http agents = HttpRequest(serve.http_port, "GET", "/api/agents");
  CHECK(agents.body["agents"][0]["tls"] == true);
  // The coordinator lists the agent as soon as it registers; the agent logs
  // "connected … (TLS)" only after the welcome arrives, so wait for it.
  CHECK(WaitFor([&] { return agent->Log().find("(TLS)") != std::string::npos; }, 30));

  // A plain-TCP peer speaking frames to the TLS port gets nowhere, and the
  // coordinator goes on.
  {
    RawPeer plain(serve.agent_port);
    plain.Write(fleet::EncodeFrame("{\"v\":1,\"type\":\"heartbeat\",\"state\":\"idle\"}"));
    CHECK_FALSE(plain.Read());
  }
  // An agent that does not trust the coordinator's certificate refuses it.
  // It is started with the old spellings (HOST:PORT and --tls), which still
  // work, each with a warning.
  auto doubter = std::make_unique<Process>(
      std::vector<std::string>{
          EFFBENCH_AGENT_BINARY, "--coordinator", "127.0.0.1:" + std::to_string(serve.agent_port),
          "--token-file", dir.File("fleet.token"), "--spool", dir.File("spool-doubt"), "--name",
          "doubter", "--tls", "--no-calibrate", "--max-backoff", "0.2"},
      dir.File("agent-doubt.log"));
  REQUIRE(WaitFor([&] { return doubter->Log().find("TLS handshake failed") != std::string::npos; },
                  60));
  CHECK_THAT(doubter->Log(),
             Catch::Contains("--coordinator HOST:PORT is deprecated; use tcp://HOST:PORT") &&
                 Catch::Contains("--tls is deprecated; give a tls:// coordinator URL"));
  CHECK(AgentsConnected(serve, 1));
  CHECK(serve.process->running());
}

TEST_CASE("the HTTP API is read-only without the token and names bad requests",
          "[fleet][integration][db]") {
  TempDir dir;
  WriteToken(dir);
  Serve serve(dir);
  CHECK(HttpRequest(serve.http_port, "GET", "/healthz").body["status"] == "ok");
  CHECK(HttpRequest(serve.http_port, "POST", "/api/jobs", "{\"suite\":\"quick\"}").status == 401);
  CHECK(
      HttpRequest(serve.http_port, "POST", "/api/jobs", "{\"suite\":\"quick\"}", "wrong").status ==
      401);
  CHECK(HttpRequest(serve.http_port, "DELETE", "/api/runs").status == 405);
  CHECK(HttpRequest(serve.http_port, "GET", "/api/nothing").status == 404);
  CHECK(HttpRequest(serve.http_port, "GET", "/api/results").status == 400);
  const Http nobody =
      HttpRequest(serve.http_port, "POST", "/api/jobs", "{\"suite\":\"quick\"}", kToken);
  CHECK(nobody.status == 409);
  CHECK_THAT(nobody.body["error"].get<std::string>(), Catch::Contains("no agent matches"));
  const Http bad =
      HttpRequest(serve.http_port, "POST", "/api/jobs", "{\"suite\":\"nightly\"}", kToken);
  CHECK(bad.status == 400);
  const Http opts = HttpRequest(serve.http_port, "POST", "/api/jobs",
                                "{\"suite\":\"quick\",\"options\":{\"turbo\":1}}", kToken);
  CHECK(opts.status == 400);
  CHECK_THAT(opts.body["error"].get<std::string>(), Catch::Contains("turbo"));
}

// The descriptors a process holds open.
size_t OpenDescriptors(int pid) {
  size_t n = 0;
  const std::string path = "/proc/" + std::to_string(pid) + "/fd";
  if (DIR* d = ::opendir(path.c_str())) {
    while (::readdir(d) != nullptr) ++n;
    ::closedir(d);
  }
  return n;
}

size_t CountLines(const std::string& text, const std::string& needle) {
  size_t n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) n += line.find(needle) != std::string::npos;
  return n;
}

TEST_CASE(
    "hostile peers cost little: closed at once, deadlines from the first byte, small "
    "frames and few slots before hello",
    "[fleet][integration]") {
  TempDir dir;
  WriteToken(dir);
  Serve serve(dir, 0, 0, {"--frame-timeout", "1", "--max-preauth", "8"});
  const int port = serve.agent_port;
  const int pid = serve.process->pid();
  const size_t baseline = OpenDescriptors(pid);

  // Peers that hang up before hello: their sockets close, none in CLOSE_WAIT.
  for (int round = 0; round < 3; ++round) {
    std::vector<std::unique_ptr<RawPeer>> quitters;
    for (int i = 0; i < 6; ++i) {
      quitters.push_back(std::make_unique<RawPeer>(port));
      REQUIRE(quitters.back()->Read());  // the challenge
    }
  }
  CHECK(WaitFor([&] { return OpenDescriptors(pid) <= baseline; }, 10));

  // A frame trickled a byte at a time is cut off one frame timeout after its
  // first byte, though bytes keep coming.
  {
    RawPeer slow(port);
    REQUIRE(slow.Read());
    const std::string frame = fleet::EncodeFrame(std::string(200, ' '));
    const auto start = std::chrono::steady_clock::now();
    bool answered = false;
    for (size_t i = 0; i < 40 && !answered; ++i) {
      if (::send(slow.fd(), frame.data() + i, 1, MSG_NOSIGNAL) != 1) break;
      answered = slow.WaitReadable(200);
    }
    REQUIRE(answered);
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(took < 5);  // 1 s deadline; 40 bytes at 0.2 s would take 8 s
    const auto error = slow.ErrorThenClose();
    REQUIRE(error);
    CHECK((*error)["code"] == "timeout");
  }

  // Before hello, a frame over 64 KiB is refused (the limit after is 16 MiB).
  CHECK(ErrorCodeAfter(port, [](RawPeer& p) {
          p.Write(fleet::EncodeFrame(std::string(100 * 1024, ' ')).substr(0, 4));
        }) == "too_large");

  // Eight connections waiting to authenticate: a ninth is closed at once.
  {
    std::vector<std::unique_ptr<RawPeer>> waiting;
    for (int i = 0; i < 8; ++i) {
      waiting.push_back(std::make_unique<RawPeer>(port));
      REQUIRE(waiting.back()->Read());
    }
    RawPeer ninth(port);
    CHECK_FALSE(ninth.Read());  // EOF, no challenge
    // A real agent still gets in once they are gone.
  }
  auto agent = StartAgent(dir, serve, "steady");
  REQUIRE(WaitFor([&] { return AgentsConnected(serve, 1); }, 60));
  const std::string metrics =
      HttpRequest(serve.http_port, "GET", "/metrics").body.get<std::string>();
  CHECK_THAT(metrics, Catch::Contains("effbench_connections_shed_total 1"));
  // Bounded logs: not a line per byte or per retry.
  CHECK(CountLines(serve.process->Log(), "") < 60);  // "" is in every line
  CHECK(serve.process->running());
}

TEST_CASE("at the descriptor limit the server sheds new connections, serves on, and recovers",
          "[fleet][integration]") {
#ifdef EFFBENCH_SANITIZED
  // UBSan's vptr check opens a pipe to test whether memory is readable; with
  // no descriptor left it reports a false "invalid vptr" and stops the
  // server. The sanitizer runtime cannot run at the limit: this scenario is
  // tested in the normal build only.
  WARN("skipped under sanitizers: their runtime needs descriptors at the descriptor limit");
  return;
#endif
  TempDir dir;
  WriteToken(dir);
  Serve serve(dir);
  const int pid = serve.process->pid();
  RawPeer member(serve.agent_port);  // connected before the limit
  REQUIRE(member.Read());
  // Room for a few more descriptors only.
  rlimit before{};
  REQUIRE(::prlimit(pid, RLIMIT_NOFILE, nullptr, &before) == 0);
  const rlim_t room = OpenDescriptors(pid) + 2;
  rlimit tight{room, before.rlim_max};  // the soft limit: a test may raise it again
  REQUIRE(::prlimit(pid, RLIMIT_NOFILE, &tight, nullptr) == 0);
  std::vector<std::unique_ptr<RawPeer>> crowd;
  for (int i = 0; i < 12; ++i) crowd.push_back(std::make_unique<RawPeer>(serve.agent_port));
  REQUIRE(WaitFor([&] { return serve.process->Log().find("shedding") != std::string::npos; }, 20));
  // Every connection of the crowd is dealt with: shed (closed at once) or,
  // while a descriptor was left, served (challenged).
  for (auto& peer : crowd) {
    const auto first = peer->Read();
    if (first) CHECK((*first)["type"] == "challenge");
  }
  // One line for the state change, not one per failed accept.
  CHECK(CountLines(serve.process->Log(), "failed: Too many open files") <= 2);
  CHECK(serve.process->running());
  // The connection made before the limit is still served.
  member.Hello(json{{"nonce", std::string(64, '0')}}, kToken);  // a wrong proof: still answered
  const auto answer = member.ErrorThenClose();
  INFO(serve.process->Log());
  REQUIRE(answer);
  CHECK((*answer)["code"] == "unauthorized");
  crowd.clear();
  REQUIRE(::prlimit(pid, RLIMIT_NOFILE, &before, nullptr) == 0);
  RawPeer later(serve.agent_port);
  CHECK(later.Read());  // a challenge again
  CHECK(WaitFor([&] { return serve.process->Log().find("accepting again") != std::string::npos; },
                20));
}

TEST_CASE(
    "an unwritable database: nothing acknowledged, 503 with the reason, and it resumes "
    "without a restart",
    "[fleet][integration]") {
  TempDir dir;
  WriteToken(dir);
  Serve serve(dir);
  const int pid = serve.process->pid();
  auto agent = StartAgent(dir, serve, "patient");
  REQUIRE(WaitFor([&] { return AgentsConnected(serve, 1); }, 60));
  const json jobs = SubmitJobs(serve, {{"workload", kSlowWorkloads},
                                       {"options", {{"repetitions", 2}, {"min_time_s", 0.2}}}});
  const std::string run_id = jobs[0]["run_id"];
  REQUIRE(WaitFor([&] { return ResultsOfRun(serve, run_id) >= 1; }, 120));
  // The disk is full: no file of the server may grow.
  rlimit full{0, RLIM_INFINITY};
  REQUIRE(::prlimit(pid, RLIMIT_FSIZE, &full, nullptr) == 0);
  REQUIRE(
      WaitFor([&] { return HttpRequest(serve.http_port, "GET", "/healthz").status == 503; }, 60));
  const Http health = HttpRequest(serve.http_port, "GET", "/healthz");
  CHECK_THAT(health.body["reason"].get<std::string>(), Catch::Contains("fleet.db"));
  // A job cannot be queued durably, so it is not queued at all.
  const Http refused = HttpRequest(serve.http_port, "POST", "/api/jobs",
                                   json{{"workload", kSlowWorkloads}}.dump(), kToken);
  CHECK(refused.status == 503);
  CHECK_THAT(refused.body["error"].get<std::string>(), Catch::Contains("no job queued"));
  // The agent is told to hold its results, and stays connected meanwhile.
  REQUIRE(WaitFor([&] { return agent->Log().find("holding") != std::string::npos; }, 30));
  // Its heartbeats go on while it holds: two more, on the same connection.
  const auto patient = [&] {
    const Http agents = HttpRequest(serve.http_port, "GET", "/api/agents");
    for (const json& a : agents.body["agents"]) {
      if (a["name"] == "patient") return a;
    }
    return json::object();
  };
  const json held = patient();
  INFO(held.dump());
  REQUIRE(held.value("connected", false));
  std::set<std::string> beats = {held.value("last_heartbeat", "")};
  REQUIRE(WaitFor(
      [&] {
        const json a = patient();
        if (a.value("connected", false)) beats.insert(a.value("last_heartbeat", ""));
        return beats.size() >= 3;
      },
      30));
  CHECK(patient()["connected_at"] == held["connected_at"]);
  CHECK(AgentsConnected(serve, 1));
  // Space returns.
  rlimit room{RLIM_INFINITY, RLIM_INFINITY};
  REQUIRE(::prlimit(pid, RLIMIT_FSIZE, &room, nullptr) == 0);
  REQUIRE(
      WaitFor([&] { return HttpRequest(serve.http_port, "GET", "/healthz").status == 200; }, 30));
  INFO(serve.process->Log());
  REQUIRE(WaitFor([&] { return JobsFinished(serve); }, 300));
  CHECK(StoredNames(dir, run_id) == Expected("", kSlowWorkloads));
  const std::string log = serve.process->Log();
  INFO(log);
  // Once per state change (that line may itself be lost: the log shares the
  // full disk), then the recovery.
  CHECK(CountLines(log, "a write failed") <= 1);
  CHECK(CountLines(log, "writes work again") == 1);
  // No churn: the agent held its results on one connection, and sent them
  // again on resume (the tester saw 151 lines in 20 s: machines not stored,
  // job ends not recorded, 47 disconnects). The agent's log is on a disk
  // with room, so it shows what the server's cannot.
  const std::string agent_log = agent->Log();
  INFO(agent_log);
  CHECK(CountLines(agent_log, "connected to 127.0.0.1") == 1);
  CHECK(CountLines(agent_log, "reconnecting") == 0);
  CHECK(CountLines(agent_log, "holding") == 1);
  CHECK(CountLines(agent_log, "stores results again") == 1);
  CHECK(CountLines(log, "agent patient connected") == 1);
  CHECK(CountLines(log, "cannot store its machine") == 0);
  CHECK(CountLines(log, "cannot record its end") == 0);
}

// The tester's finding: restarted on a full disk, /healthz said ok for about
// 0.5 s, until the first write failed.
TEST_CASE("a coordinator restarted on a full disk is unhealthy from its first /healthz on",
          "[fleet][integration]") {
  TempDir dir;
  WriteToken(dir);
  {
    // Killed: its write-ahead log stays, with frames no checkpoint moved, and
    // the restart's first write must append to it.
    Serve first(dir);
    first.process->Signal(SIGKILL);
    first.process->Wait(10);
  }
  const auto wal = std::filesystem::file_size(dir.File("fleet.db-wal"));
  REQUIRE(wal >= 32768);  // the -shm file (32 KiB) must still fit
  // The disk is full: no file of the server may grow past the log's size.
  Serve restarted(dir, 0, 0, {}, {"/usr/bin/prlimit", "--fsize=" + std::to_string(wal)});
  const Http health = HttpRequest(restarted.http_port, "GET", "/healthz");
  INFO(restarted.process->Log());
  CHECK(health.status == 503);
  CHECK(health.body["status"] == "database writes fail");
  CHECK_THAT(health.body["reason"].get<std::string>(), Catch::Contains("fleet.db"));
}

// The tester's repro: under `ulimit -n 256`, 400 half-sent HTTP requests
// stopped /healthz and the agents' handshakes until they went away.
TEST_CASE("half-sent HTTP requests take neither the HTTP port nor the agents' descriptors",
          "[fleet][integration]") {
  TempDir dir;
  WriteToken(dir);
  Serve serve(dir, 0, 0, {"--http-request-timeout", "120"}, {"/usr/bin/prlimit", "--nofile=256"});
  std::vector<int> hanging;
  for (int i = 0; i < 400; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    hanging.push_back(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(serve.http_port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) continue;
    const std::string half = "GET /api/agents HTTP/1.1\r\nHost: x\r\n";  // no blank line
    (void)::send(fd, half.data(), half.size(), MSG_NOSIGNAL);
  }
  // Whatever the server has accepted of them by now, it serves /healthz.
  REQUIRE(WaitFor([&] { return OpenDescriptors(serve.process->pid()) > 48; }, 30));
  const Http health = HttpRequest(serve.http_port, "GET", "/healthz");
  INFO(serve.process->Log());
  CHECK(health.status == 200);
  // An agent still finds a descriptor and completes its handshake.
  auto agent = StartAgent(dir, serve, "late");
  CHECK(WaitFor([&] { return AgentsConnected(serve, 1); }, 60));
  // The HTTP port never holds more than its cap: 48 at 256 descriptors.
  CHECK(OpenDescriptors(serve.process->pid()) < 200);
  const std::string log = serve.process->Log();
  CHECK_THAT(log, Catch::Contains("HTTP: at most 48 connections"));
  CHECK_THAT(log, Catch::Contains("the one waiting longest for its request was closed"));
  CHECK(CountLines(log, "Too many open files") == 0);
  const Http metrics = HttpRequest(serve.http_port, "GET", "/metrics");
  const std::string text = metrics.body.is_string() ? metrics.body.get<std::string>() : "";
  CHECK_THAT(text, Catch::Contains("effbench_http_connections_evicted_total"));
  CHECK(text.find("effbench_http_connections_evicted_total 0\n") == std::string::npos);
  for (int fd : hanging) ::close(fd);
}

// A result frame of one valid record, as agent "raw" (machine 'e'...) sends it.
json RawResult(const std::string& job_id, const std::string& run_id, std::string* record_id) {
  result::ResultRecord r = testing::MakeRecord(run_id, 3);
  r.machine = std::string(64, 'e');
  *record_id = r.id;
  json frame = fleet::NewMessage("result");
  frame["job_id"] = job_id;
  frame["records"] = json::array({result::ToJson(r)});
  return frame;
}

// The jobs, held: a range-for over HttpRequest(...).body["jobs"] would read
// from a destroyed temporary.
json Jobs(const Serve& serve) {
  return HttpRequest(serve.http_port, "GET", "/api/jobs").body["jobs"];
}

json JobById(const Serve& serve, const std::string& id) {
  for (const json& j : Jobs(serve)) {
    if (j["id"] == id) return j;
  }
  return json();
}

TEST_CASE(
    "jobs never wedge: an unknown job's results re-create it, leases expire, idle agents "
    "get their job again, jobs cancel",
    "[fleet][integration]") {
  TempDir dir;
  WriteToken(dir);
  Serve serve(dir, 0, 0, {"--job-lease", "2"});

  // Results of a job this database never knew (restored from a backup) are
  // stored under a re-created job, and its end is recorded.
  {
    RawPeer raw(serve.agent_port);
    const auto challenge = raw.Read();
    REQUIRE(challenge);
    raw.Hello(*challenge, kToken);
    REQUIRE(raw.Read());  // welcome
    const std::string job_id = result::NewUuid(), run_id = result::NewUuid();
    std::string record_id;
    raw.Send(RawResult(job_id, run_id, &record_id));
    std::optional<json> ack;
    while ((ack = raw.Read()) && (*ack)["type"] != "ack") {
    }
    REQUIRE(ack);
    CHECK((*ack)["ids"] == json::array({record_id}));
    json done = fleet::NewMessage("job_done");
    done["job_id"] = job_id;
    done["run_id"] = run_id;
    done["ok"] = true;
    done["results"] = 1;
    done["failed"] = 0;
    raw.Send(done);
    while ((ack = raw.Read()) && (*ack)["type"] != "ack") {
    }
    REQUIRE(ack);
    const json job = JobById(serve, job_id);
    REQUIRE(job.is_object());
    CHECK(job["state"] == "done");
    CHECK(job["suite"] == "recovered");
    CHECK(ResultsOfRun(serve, run_id) == 1);
    CHECK_THAT(serve.process->Log(), Catch::Contains("re-created it as run " + run_id));
  }

  // An agent that says it is idle while its job is dispatched gets the job
  // again; once it is gone for longer than the lease, the job fails with
  // the reason.
  {
    RawPeer ghost(serve.agent_port);
    const auto challenge = ghost.Read();
    REQUIRE(challenge);
    ghost.Hello(*challenge, kToken, "ghost");
    REQUIRE(ghost.Read());  // welcome
    const json jobs = SubmitJobs(serve, {{"workload", kSlowWorkloads}, {"agents", "ghost"}});
    const std::string job_id = jobs[0]["id"];
    int sent = 0;
    for (int i = 0; i < 80 && sent < 2; ++i) {
      json hb = fleet::NewMessage("heartbeat");
      hb["state"] = "idle";
      ghost.Send(hb);
      if (ghost.WaitReadable(100)) {
        const auto m = ghost.Read();
        REQUIRE(m);
        if ((*m)["type"] == "job") {
          CHECK((*m)["job_id"] == job_id);
          ++sent;
        }
      }
    }
    CHECK(sent == 2);  // dispatched, then sent again
    CHECK(JobById(serve, job_id)["state"] == "dispatched");
  }  // the ghost goes
  REQUIRE(WaitFor(
      [&] {
        for (const json& j : Jobs(serve)) {
          if (j["agent"] == "ghost" && j["state"] == "failed") return true;
        }
        return false;
      },
      30));
  bool lease_reason = false;
  for (const json& j : Jobs(serve)) {
    if (j["state"] == "failed") {
      lease_reason |= j["error"].get<std::string>().find("lease expired") != std::string::npos;
    }
  }
  CHECK(lease_reason);

  // Cancel: a running job stops after its current workload, what it measured
  // is kept, and the agent goes on to its next job.
  auto agent = StartAgent(dir, serve, "worker");
  REQUIRE(WaitFor([&] { return AgentsConnected(serve, 1); }, 60));
  // Six small depthwise convolutions (cheap under sanitizers too).
  const std::string six = "conv.dw.*/n1h7w7c1024k3s1@*";
  const json first = SubmitJobs(serve, {{"workload", six},
                                        {"agents", "worker"},
                                        {"options", {{"repetitions", 2}, {"min_time_s", 0.3}}}});
  const json second = SubmitJobs(serve, {{"workload", "gemm.fp32/m35n700k2048@ref"},
                                         {"agents", "worker"},
                                         {"options", FastOptions()}});
  const std::string first_id = first[0]["id"], second_id = second[0]["id"];
  REQUIRE(WaitFor([&] { return ResultsOfRun(serve, first[0]["run_id"]) >= 1; }, 120));
  testing::TempDir cli;
  const std::string command = std::string(EFFBENCH_BINARY) + " jobs cancel " + first_id +
                              " --coordinator http://127.0.0.1:" + std::to_string(serve.http_port) +
                              " --token-file " + dir.File("fleet.token") + " > " + cli.File("out") +
                              " 2>&1";
  CHECK(std::system(command.c_str()) == 0);
  CHECK(JobById(serve, first_id)["state"] == "cancelled");
  INFO(agent->Log());
  REQUIRE(WaitFor([&] { return JobById(serve, second_id)["state"] == "done"; }, 120));
  CHECK(JobById(serve, first_id)["state"] == "cancelled");
  CHECK_THAT(agent->Log(), Catch::Contains("cancelled by the coordinator"));
  CHECK(ResultsOfRun(serve, first[0]["run_id"]) < static_cast<int64_t>(Expected("", six).size()));
  // A finished job cannot be cancelled.
  const Http late =
      HttpRequest(serve.http_port, "POST", "/api/jobs/" + second_id + "/cancel", "", kToken);
  CHECK(late.status == 409);
  // A refusal is not a database fault: health stays ok.
  CHECK(HttpRequest(serve.http_port, "GET", "/healthz").status == 200);
}

// The torture test of the fleet's promise (a result once acknowledged is
// never lost and never doubled; no job wedges) against what a fleet meets:
// readers of every kind on the database while the coordinator writes, the
// coordinator SIGKILLed at random moments (some right as it answers
// POST /api/jobs), agents SIGKILLed mid-job. Seeded (EFFBENCH_TORTURE_SEED)
// and bounded; EFFBENCH_TORTURE_SCALE=N multiplies the kills for the long
// form (tests/bench/torture.sh).
TEST_CASE(
    "torture: readers, coordinator and agent SIGKILLs, raced submits: nothing lost or "
    "doubled, no job stuck",
    "[fleet][integration][torture][slow]") {
  const char* seed_env = std::getenv("EFFBENCH_TORTURE_SEED");
  const char* scale_env = std::getenv("EFFBENCH_TORTURE_SCALE");
  const uint32_t seed = seed_env ? static_cast<uint32_t>(std::stoul(seed_env)) : 20261129u;
  const int scale = scale_env ? std::max(1, std::stoi(scale_env)) : 1;
#ifdef EFFBENCH_SANITIZED
  // Debug with ASan and UBSan: fewer kills, smaller workloads.
  const int coordinator_kills = 6 * scale, agent_kills = 3 * scale;
  const std::string workloads = "conv.dw.fp32/n1h7w7c1024k3s1@*";
#else
  const int coordinator_kills = 20 * scale, agent_kills = 10 * scale;
  const std::string workloads = "gemm.fp32/m35n700k2048*";
#endif
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  const auto uniform = [&](double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng);
  };
  TempDir dir;
  WriteToken(dir);
  auto serve = std::make_unique<Serve>(dir);
  const int agent_port = serve->agent_port, http_port = serve->http_port;
  std::map<std::string, std::unique_ptr<Process>> agents;
  for (const char* name : {"t1", "t2", "t3"}) agents[name] = StartAgent(dir, *serve, name);
  REQUIRE(WaitFor([&] { return AgentsConnected(*serve, 3); }, 120));
  const json request = {{"workload", workloads},
                        {"agents", "role=test"},
                        {"options", {{"repetitions", 1}, {"min_time_s", 0.05}, {"seed", 7}}}};
  std::set<std::string> acknowledged_jobs;  // answered 201
  for (const json& job : SubmitJobs(*serve, request)) acknowledged_jobs.insert(job["id"]);

  // Readers, all the while: the CLI's read commands, the HTTP API, and an
  // outside SQLite connection opened and closed again and again.
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  const std::string db = FleetDb(dir);  // SQLite or PostgreSQL (a run per backend)
  std::thread readers([&] {
    const std::string quiet = " >/dev/null 2>&1";
    const std::vector<std::string> commands = {
        std::string(EFFBENCH_BINARY) + " report --db " + db + quiet,
        std::string(EFFBENCH_BINARY) + " regressions --db " + db + quiet,
        std::string(EFFBENCH_BINARY) + " compare --db " + db +
            " --baseline unknown --candidate unknown" + quiet,
    };
    for (size_t i = 0; !stop; ++i) {
      if (i % 2 == 0) {
        (void)std::system(commands[(i / 2) % commands.size()].c_str());
      } else if (testing::TestStore() == "sqlite") {
        sqlite3* raw = nullptr;
        if (sqlite3_open_v2(db.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
          sqlite3_busy_timeout(raw, 2000);
          sqlite3_exec(raw, "SELECT count(*) FROM results", nullptr, nullptr, nullptr);
        }
        sqlite3_close(raw);
      } else {
        PGconn* raw = PQconnectdb(db.c_str());
        if (PQstatus(raw) == CONNECTION_OK) PQclear(PQexec(raw, "SELECT count(*) FROM results"));
        PQfinish(raw);
        try {
          HttpRequest(http_port, "GET", i % 4 == 1 ? "/api/runs" : "/api/jobs");
        } catch (const std::exception&) {
          // the coordinator is down this moment
        }
      }
      ++reads;
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
    }
  });

  int agent_kills_done = 0;
  for (int kill = 0; kill < coordinator_kills; ++kill) {
    std::this_thread::sleep_for(std::chrono::duration<double>(uniform(0.2, 1.0)));
    if (kill % 2 == 1) {
      // A submit raced with the kill: whatever was answered 201 must survive.
      std::mutex mu;
      std::thread submit([&] {
        try {
          const Http h = HttpRequest(http_port, "POST", "/api/jobs", request.dump(), kToken);
          if (h.status == 201) {
            std::lock_guard lock(mu);
            for (const json& job : h.body["jobs"]) acknowledged_jobs.insert(job["id"]);
          }
        } catch (const std::exception&) {
          // killed before it answered: not acknowledged, may or may not exist
        }
      });
      std::this_thread::sleep_for(std::chrono::duration<double>(uniform(0.0, 0.008)));
      serve->process->Signal(SIGKILL);
      submit.join();
    } else {
      serve->process->Signal(SIGKILL);
    }
    REQUIRE(serve->process->Wait(30) == std::optional<int>(128 + SIGKILL));
    if (agent_kills_done < agent_kills && kill % 2 == 0) {
      std::string name = "t";  // appended: GCC 12 warns falsely on "t" + std::to_string(...)
      name += std::to_string(1 + rng() % 3);
      agents[name]->Signal(SIGKILL);
      agents[name]->Wait(30);
      ++agent_kills_done;
    }
    serve = std::make_unique<Serve>(dir, agent_port, http_port);
    for (auto& [name, agent] : agents) {
      if (!agent->running()) agent = StartAgent(dir, *serve, name);
    }
  }
  INFO(serve->process->Log());
  REQUIRE(WaitFor([&] { return JobsFinished(*serve); }, 600));
  stop = true;
  readers.join();
  CHECK(reads > 10);

  // No job stuck, and every acknowledged one is there and done.
  const json jobs = Jobs(*serve);
  std::set<std::string> present;
  for (const json& job : jobs) {
    present.insert(job["id"]);
    INFO(job.dump());
    CHECK(job["state"] == "done");
    // Each workload exactly once: none lost, none doubled.
    CHECK(StoredNames(dir, job["run_id"]) == Expected("", workloads));
  }
  for (const std::string& id : acknowledged_jobs) {
    INFO("job " << id << " was answered 201");
    CHECK(present.count(id) == 1);
  }
  // Everything measured was acknowledged: every agent's spool is empty.
  for (const auto& [name, agent] : agents) {
    INFO(name);
    CHECK(WaitFor([&] { return std::filesystem::is_empty(dir.File("spool-" + name) + "/outbox"); },
                  60));
  }
  CHECK(agent_kills_done == agent_kills);
  const std::string check =
      std::string(EFFBENCH_BINARY) + " db check --db '" + db + "' >/dev/null 2>&1";
  CHECK(std::system(check.c_str()) == 0);
  WARN("torture (seed " << seed << "): " << coordinator_kills << " coordinator kills, "
                        << agent_kills_done << " agent kills, " << jobs.size() << " jobs ("
                        << acknowledged_jobs.size() << " answered 201), " << reads
                        << " reads, every result once");
}

// `effbench ARGS` with its output; the exit code.
int Cli(const TempDir& dir, const std::string& args, std::string* output) {
  const std::string log = dir.File("cli.out");
  const int status =
      std::system((std::string(EFFBENCH_BINARY) + " " + args + " >'" + log + "' 2>&1").c_str());
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  *output = text.str();
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_CASE("the HTTP API over TLS: clients verify it, reads can need the token, HEAD has no body",
          "[fleet][integration]") {
  TempDir dir;
  WriteToken(dir);
  const std::string cert = dir.File("cert.pem"), key = dir.File("key.pem");
  MakeCertificate(cert, key);
  Serve serve(dir, 0, 0, {"--http-tls-cert", cert, "--http-tls-key", key, "--http-read-token"});
  const std::string url = "https://127.0.0.1:" + std::to_string(serve.http_port);
  const std::string token = " --token-file " + dir.File("fleet.token");
  std::string out;
  CHECK(Cli(dir, "jobs --coordinator " + url + " --ca " + cert + token, &out) == 0);
  CHECK_THAT(out, Catch::Contains("no jobs"));
  // Without the certificate's CA the client refuses the server.
  CHECK(Cli(dir, "jobs --coordinator " + url + token, &out) == 1);
  CHECK_THAT(out, Catch::Contains("certificate verify failed"));
  // --http-read-token: the views need the token.
  CHECK(Cli(dir, "agents --coordinator " + url + " --ca " + cert, &out) == 1);
  CHECK_THAT(out, Catch::Contains("401") && Catch::Contains("fleet token"));
  // The token travels inside TLS to the POST: refused only for want of agents.
  CHECK(Cli(dir, "submit --coordinator " + url + " --ca " + cert + token + " --suite quick",
            &out) == 1);
  CHECK_THAT(out, Catch::Contains("no agent matches"));
}

TEST_CASE("HEAD answers the headers of GET and no body", "[fleet][integration]") {
  TempDir dir;
  WriteToken(dir);
  Serve serve(dir);
  RawPeer http(serve.http_port);
  http.Write("HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string response;
  char buf[4096];
  for (ssize_t n; (n = ::recv(http.fd(), buf, sizeof buf, 0)) > 0;) response.append(buf, n);
  const size_t end = response.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  CHECK(response.size() == end + 4);  // nothing after the headers
  CHECK_THAT(response, Catch::Contains("200 OK"));
  const Http get = HttpRequest(serve.http_port, "GET", "/healthz");
  CHECK_THAT(response, Catch::Contains("Content-Length: "));
  CHECK(get.status == 200);
}

// Two machines' runs in the coordinator's database, written as `run` would.
void StoreTwoMachines(const std::string& path) {
  auto db = store::ResultStore::Open(path);
  REQUIRE(db.ok());
  for (const char digit : {'a', 'b'}) {
    const std::string fp = testing::FakeFingerprint(digit);
    const std::string run_id = result::NewUuid();
    REQUIRE((*db)
                ->UpsertMachine(store::MachineRow{fp, std::string("host-") + digit, "cpu", "x86_64",
                                                  "{\"isa\":[\"avx2\"]}", std::nullopt,
                                                  "2026-11-20T00:00:00Z", "2026-11-20T00:00:00Z"})
                .ok());
    REQUIRE(
        (*db)
            ->BeginRun(store::RunRow{run_id,
                                     fp,
                                     {"repo", "abc123", "main", std::nullopt},
                                     "quick",
                                     digit == 'a' ? "2026-11-20T08:00:00Z" : "2026-11-25T08:00:00Z",
                                     std::nullopt,
                                     "{}"})
            .ok());
    std::vector<result::ResultRecord> records;
    for (const char* precision : {"fp32", "int8"}) {
      auto r = testing::MakeRecord(run_id, 5, precision);
      r.machine = fp;
      records.push_back(r);
    }
    REQUIRE((*db)->InsertResults(records).ok());
  }
}

TEST_CASE("serve --http shows machines side by side at /, filtered by the URL",
          "[fleet][integration]") {
  TempDir dir;
  WriteToken(dir);
  StoreTwoMachines(dir.File("fleet.db"));
  Serve serve(dir);
  const Http page = HttpRequest(serve.http_port, "GET", "/");
  REQUIRE(page.status == 200);
  const std::string html = page.body.get<std::string>();
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK_THAT(html, Catch::Contains("<form id=\"filters\" method=\"get\""));
  CHECK_THAT(html, Catch::Contains("host-a"));
  CHECK_THAT(html, Catch::Contains("host-b"));
  CHECK_THAT(html, Catch::Contains("<table id=\"efficiency\">"));

  // The filters of the URL choose the machines and runs; the form shows them.
  const Http one = HttpRequest(serve.http_port, "GET", "/?machines=host-b&variants=int8");
  REQUIRE(one.status == 200);
  const std::string filtered = one.body.get<std::string>();
  CHECK(filtered.find("host-a") == std::string::npos);
  CHECK_THAT(filtered, Catch::Contains("name=\"machines\" value=\"host-b\""));
  const Http since = HttpRequest(serve.http_port, "GET", "/api/report?since=2026-11-21");
  REQUIRE(since.status == 200);
  REQUIRE(since.body["machines"].size() == 1);
  CHECK(since.body["machines"][0]["label"].get<std::string>().rfind("host-b", 0) == 0);
  const Http until = HttpRequest(serve.http_port, "GET", "/api/report?until=2026-11-20");
  REQUIRE(until.status == 200);
  CHECK(until.body["machines"].size() == 1);  // the day named is included

  const Http none = HttpRequest(serve.http_port, "GET", "/?machines=nosuchhost");
  CHECK(none.status == 404);
  CHECK_THAT(none.body.get<std::string>(), Catch::Contains("nosuchhost"));
  CHECK_THAT(none.body.get<std::string>(), Catch::Contains("<form id=\"filters\""));
  const Http bad = HttpRequest(serve.http_port, "GET", "/api/report?since=yesterday");
  CHECK(bad.status == 400);
  CHECK_THAT(bad.body["error"].get<std::string>(), Catch::Contains("yesterday"));
  // The history of the series, filtered the same way.
  const Http history = HttpRequest(serve.http_port, "GET", "/api/history?machines=host-a");
  REQUIRE(history.status == 200);
  CHECK(history.body["series"].size() == 2);  // fp32 and int8 on host-a
  const Http history_page = HttpRequest(serve.http_port, "GET", "/history?workloads=gemm.int8*");
  REQUIRE(history_page.status == 200);
  const std::string history_html = history_page.body.get<std::string>();
  CHECK_THAT(history_html, Catch::Contains("<figure class=\"chart history\""));
  CHECK_THAT(history_html, Catch::Contains("action=\"/history\""));
  CHECK(HttpRequest(serve.http_port, "GET", "/history?workloads=nosuch").status == 404);
  // A label with markup in the URL comes back as text.
  const Http hostile = HttpRequest(serve.http_port, "GET", "/?workloads=%3Cscript%3E");
  CHECK(hostile.body.get<std::string>().find("<script>") == std::string::npos);
}

TEST_CASE("a malformed request target is answered 400 naming it", "[fleet][integration]") {
  TempDir dir;
  WriteToken(dir);
  Serve serve(dir);
  const Http bad = HttpRequest(serve.http_port, "GET", "/api/results?run=%zz");
  CHECK(bad.status == 400);
  CHECK_THAT(bad.body["error"].get<std::string>(), Catch::Contains("malformed request target"));
  // Well-formed, with '+' and %2A: answered (no run has the id "no such*run").
  const Http none = HttpRequest(serve.http_port, "GET", "/api/results?run=no+such%2Arun");
  CHECK(none.status == 200);
  CHECK(none.body["results"].empty());
  CHECK(HttpRequest(serve.http_port, "GET", "/healthz").status == 200);
}

TEST_CASE("an agent whose spool is full pauses its job, says so, and resumes losing nothing",
          "[fleet][integration]") {
  TempDir dir;
  WriteToken(dir);
  Serve serve(dir);
  auto agent = StartAgent(dir, serve, "cramped");
  REQUIRE(WaitFor([&] { return AgentsConnected(serve, 1); }, 60));
  // The agent's disk is full: none of its files may grow.
  rlimit full{0, RLIM_INFINITY};
  REQUIRE(::prlimit(agent->pid(), RLIMIT_FSIZE, &full, nullptr) == 0);
  const json jobs = SubmitJobs(serve, {{"workload", kSlowWorkloads},
                                       {"options", {{"repetitions", 2}, {"min_time_s", 0.2}}}});
  const std::string job_id = jobs[0]["id"];
  INFO(agent->Log());
  REQUIRE(WaitFor(
      [&] {
        const json job = JobById(serve, job_id);
        return job.is_object() && job.contains("error") &&
               job["error"].get<std::string>().find("paused") != std::string::npos;
      },
      120));
  const Http agents = HttpRequest(serve.http_port, "GET", "/api/agents");
  CHECK(agents.body["agents"][0]["state"] == "paused");
  rlimit room{RLIM_INFINITY, RLIM_INFINITY};
  REQUIRE(::prlimit(agent->pid(), RLIMIT_FSIZE, &room, nullptr) == 0);
  REQUIRE(WaitFor([&] { return JobsFinished(serve); }, 300));
  CHECK(JobById(serve, job_id)["state"] == "done");
  CHECK(StoredNames(dir, jobs[0]["run_id"]) == Expected("", kSlowWorkloads));
  CHECK_THAT(agent->Log(), Catch::Contains("writable again"));
  CHECK_THAT(serve.process->Log(), Catch::Contains("paused job"));
  // The next heartbeat (1 s here) says it runs again, or is idle.
  CHECK(WaitFor([&] { return serve.process->Log().find("resumed job") != std::string::npos; }, 30));
}

}  // namespace
}  // namespace effbench

namespace effbench::testing {
namespace {

TEST_CASE("an agent given two coordinators carries on with the second when the first goes",
          "[fleet][integration][agent]") {
  TempDir first_dir, second_dir, agent_dir;
  WriteToken(first_dir);
  WriteToken(second_dir);
  WriteToken(agent_dir);
  auto first = std::make_unique<Serve>(first_dir);
  Serve second(second_dir);
  const std::string second_address = "127.0.0.1:" + std::to_string(second.agent_port);
  Process agent(
      {EFFBENCH_AGENT_BINARY, "--coordinator",
       "tcp://127.0.0.1:" + std::to_string(first->agent_port) + ",tcp://" + second_address,
       "--token-file", agent_dir.File("fleet.token"), "--spool", agent_dir.File("spool"), "--name",
       "nomad", "--max-backoff", "0.5", "--no-calibrate"},
      agent_dir.File("agent.log"));
  REQUIRE(WaitFor([&] { return AgentsConnected(*first, 1); }, 60));
  CHECK_FALSE(AgentsConnected(second, 1));

  first->process->Signal(SIGKILL);
  REQUIRE(first->process->Wait(30) == std::optional<int>(128 + SIGKILL));
  INFO(agent.Log());
  REQUIRE(WaitFor([&] { return AgentsConnected(second, 1); }, 60));
  CHECK_THAT(agent.Log(), Catch::Contains("reconnecting to " + second_address));
  // It works for the second as it did for the first.
  const json jobs = SubmitJobs(second, {{"workload", kSlowWorkloads},
                                        {"options", {{"repetitions", 1}, {"min_time_s", 0.05}}}});
  REQUIRE(jobs.size() == 1);
  REQUIRE(WaitFor([&] { return JobsFinished(second); }, 300));
  CHECK(StoredNames(second_dir, jobs[0]["run_id"]) == Expected("", kSlowWorkloads));
}

TEST_CASE("two coordinators on one database, five SIGKILLs mid-ingest: nothing lost or doubled",
          "[fleet][integration][db]") {
  TempDir a_dir, b_dir, agents_dir;
  WriteToken(a_dir);
  WriteToken(b_dir);
  WriteToken(agents_dir);
  const std::string shared = FleetDb(a_dir);
  std::array<std::unique_ptr<Serve>, 2> serve;
  serve[0] = std::make_unique<Serve>(a_dir);
  serve[1] = std::make_unique<Serve>(b_dir, 0, 0, std::vector<std::string>{},
                                     std::vector<std::string>{}, EFFBENCH_BINARY, shared);
  const std::array<std::string, 2> address = {
      "tcp://127.0.0.1:" + std::to_string(serve[0]->agent_port),
      "tcp://127.0.0.1:" + std::to_string(serve[1]->agent_port)};
  // Two agents try A first, one B first; each goes to the other when its
  // coordinator goes.
  std::vector<std::unique_ptr<Process>> agents;
  for (const std::string name : {"m1", "m2", "m3"}) {
    const bool b_first = name == "m3";
    agents.push_back(std::make_unique<Process>(
        std::vector<std::string>{
            EFFBENCH_AGENT_BINARY, "--coordinator",
            b_first ? address[1] + "," + address[0] : address[0] + "," + address[1], "--token-file",
            agents_dir.File("fleet.token"), "--spool", agents_dir.File("spool-" + name), "--name",
            name, "--labels", "role=test", "--max-backoff", "0.5", "--no-calibrate"},
        agents_dir.File("agent-" + name + ".log")));
  }
  // Either coordinator sees all three, wherever each is connected.
  REQUIRE(
      WaitFor([&] { return AgentsConnected(*serve[0], 3) && AgentsConnected(*serve[1], 3); }, 60));

  // 30 jobs, queued through both.
  std::set<std::string> job_ids;
  for (int round = 0; round < 10; ++round) {
    const json jobs =
        SubmitJobs(*serve[round % 2], {{"agents", "role=test"},
                                       {"workload", kSlowWorkloads},
                                       {"options", {{"repetitions", 2}, {"min_time_s", 0.05}}}});
    REQUIRE(jobs.size() == 3);
    for (const json& j : jobs) job_ids.insert(j["id"].get<std::string>());
  }
  REQUIRE(job_ids.size() == 30);

  const auto stored = [&] {
    auto db = store::OpenStore(shared);
    REQUIRE(db.ok());
    auto n = (*db)->ResultCount();
    REQUIRE(n.ok());
    return *n;
  };
  int64_t before = stored();
  for (int kill = 0; kill < 5; ++kill) {
    // Mid-ingest: results arrived since the last kill.
    REQUIRE(WaitFor([&] { return stored() > before; }, 120));
    before = stored();
    const int victim = kill % 2;
    const int agent_port = serve[victim]->agent_port, http_port = serve[victim]->http_port;
    serve[victim]->process->Signal(SIGKILL);
    REQUIRE(serve[victim]->process->Wait(30) == std::optional<int>(128 + SIGKILL));
    serve[victim] = std::make_unique<Serve>(victim == 0 ? a_dir : b_dir, agent_port, http_port,
                                            std::vector<std::string>{}, std::vector<std::string>{},
                                            EFFBENCH_BINARY, shared);
  }
  INFO(serve[0]->process->Log() << "\n" << serve[1]->process->Log());
  REQUIRE(WaitFor([&] { return JobsFinished(*serve[0]); }, 600));

  // Every job ended once, done; every run holds each workload's results
  // exactly once.
  auto db = store::OpenStore(shared);
  REQUIRE(db.ok());
  auto jobs = (*db)->Jobs();
  REQUIRE(jobs.ok());
  REQUIRE(jobs->size() == 30);
  std::map<std::string, int> per_agent;
  for (const store::JobRow& job : *jobs) {
    CHECK(job_ids.count(job.id) == 1);
    CHECK(job.state == "done");
    ++per_agent[job.agent];
    CHECK(StoredNames(a_dir, job.run_id) ==
          Expected("", kSlowWorkloads));  // StoredNames reads FleetDb(a_dir): the shared one
  }
  CHECK(per_agent == std::map<std::string, int>{{"m1", 10}, {"m2", 10}, {"m3", 10}});
  // Both answer alike: the same jobs in the same states, the same agents.
  const Http a_jobs = HttpRequest(serve[0]->http_port, "GET", "/api/jobs");
  const Http b_jobs = HttpRequest(serve[1]->http_port, "GET", "/api/jobs");
  REQUIRE(a_jobs.status == 200);
  CHECK(a_jobs.body == b_jobs.body);
  const auto agents_of = [](const Serve& s) {
    std::map<std::string, std::string> out;
    const Http listed = HttpRequest(s.http_port, "GET", "/api/agents");
    for (const json& a : listed.body["agents"]) {
      out[a["name"]] = a["connected"].get<bool>() ? a["coordinator"].get<std::string>() : "";
    }
    return out;
  };
  REQUIRE(WaitFor([&] { return AgentsConnected(*serve[0], 3); }, 60));
  CHECK(agents_of(*serve[0]).size() == 3);
  CHECK(WaitFor([&] { return agents_of(*serve[0]) == agents_of(*serve[1]); }, 30));
}
}  // namespace
}  // namespace effbench::testing
