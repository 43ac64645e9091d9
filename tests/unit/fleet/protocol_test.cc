#include "harness/fleet/protocol.h"

#include <catch2/catch.hpp>

#include "harness/fleet/messages.h"

namespace effbench::fleet {
namespace {

using nlohmann::json;

const std::string kJob = "01a22b00-0000-7000-8000-000000000001";
const std::string kRun = "01a22b00-0000-7000-8000-000000000002";

// ToJson's output passes its schema (as the other end checks it on receipt)
// and reads back the same through FromJson.
template <typename T>
T ThroughTheWire(const T& message) {
  json parsed;
  const auto error = ParseMessage(ToJson(message).dump(), &parsed);
  INFO((error ? error->message : std::string("valid")));
  REQUIRE_FALSE(error);
  return As<T>(parsed);
}

TEST_CASE("each handshake message passes its schema and reads back the same", "[fleet]") {
  const std::string hex64(64, 'a');
  const Challenge challenge =
      ThroughTheWire(Challenge{hex64, "effbench-serve/0.1.0", true, 1'796'000'000'123});
  CHECK(challenge.nonce == hex64);
  CHECK(challenge.server == "effbench-serve/0.1.0");
  CHECK(challenge.tls);
  CHECK(challenge.time_ms == 1'796'000'000'123);
  // An older coordinator's challenge has no time.
  CHECK_FALSE(ThroughTheWire(Challenge{hex64, "effbench-serve/0.1.0", false, std::nullopt})
                  .time_ms.has_value());

  Hello hello;
  hello.name = "edge-1";
  hello.version = "effbench-agent/0.1.0";
  hello.labels = {{"site", "lab2"}};
  hello.machine = {{"fingerprint", hex64},
                   {"hostname", "h"},
                   {"cpu_model", "c"},
                   {"arch", "x86_64"},
                   {"inventory", json::object()}};
  hello.proof = hex64;
  const Hello hello_back = ThroughTheWire(hello);
  CHECK(hello_back.name == "edge-1");
  CHECK(hello_back.labels == hello.labels);
  CHECK(hello_back.machine == hello.machine);
  CHECK(hello_back.proof == hex64);
  CHECK_FALSE(hello_back.token);
  CHECK_FALSE(hello_back.clock_offset_ms.has_value());
  hello.clock_offset_ms = -3'600'000;
  CHECK(ThroughTheWire(hello).clock_offset_ms == -3'600'000);
  hello.clock_offset_ms.reset();
  hello.proof.reset();
  hello.token = "the-token";
  CHECK(ThroughTheWire(hello).token == "the-token");

  const Welcome welcome = ThroughTheWire(Welcome{"edge-1", 2.5, 1 << 20});
  CHECK(welcome.agent == "edge-1");
  CHECK(welcome.heartbeat_s == 2.5);
  CHECK(welcome.max_frame == 1 << 20);
  CHECK(ThroughTheWire(Bye{"shutting down"}).reason == "shutting down");
  CHECK(ThroughTheWire(Hold{"database or disk is full"}).reason == "database or disk is full");
  (void)ThroughTheWire(Resume{});
  const Error refused = ThroughTheWire(Error{"unauthorized", "the proof does not match"});
  CHECK(refused.code == "unauthorized");
  CHECK(refused.message == "the proof does not match");
  // ErrorMessage writes the same message from a ProtocolError.
  const Error framed = As<Error>(ErrorMessage({ErrorCode::kTooLarge, "frame of 9 MB"}));
  CHECK(framed.code == "too_large");
  CHECK(framed.message == "frame of 9 MB");
}

TEST_CASE("each job message passes its schema and reads back the same", "[fleet]") {
  CHECK(ThroughTheWire(Ack{{"a", "b"}}).ids == std::vector<std::string>{"a", "b"});

  const Cancel cancel = ThroughTheWire(Cancel{kJob, std::string(5000, 'x')});
  CHECK(cancel.job_id == kJob);
  CHECK(cancel.reason.size() == 1000);  // cut to what the schema takes

  Job job{kJob,
          kRun,
          "quick",
          json::array({"gemm.fp32/m8n8k8@ref"}),
          json{{"repo", ""}, {"commit", "abc"}, {"branch", "main"}},
          json{{"repetitions", 3}, {"min_time_s", 0.1}, {"threads", 1}, {"seed", 7}}};
  const Job back = ThroughTheWire(job);
  CHECK(back.job_id == kJob);
  CHECK(back.run_id == kRun);
  CHECK(back.suite == "quick");
  CHECK(back.workloads == job.workloads);
  CHECK(back.revision == job.revision);
  CHECK(back.options == job.options);

  JobDone done;
  done.job_id = kJob;
  done.run_id = kRun;
  done.ok = false;
  done.results = 7;
  done.failed = 2;
  done.error = "spool: disk full";
  const JobDone done_back = ThroughTheWire(done);
  CHECK(done_back.results == 7);
  CHECK(done_back.failed == 2);
  CHECK_FALSE(done_back.ok);
  CHECK(done_back.error == "spool: disk full");
  done.error.reset();
  CHECK_FALSE(ThroughTheWire(done).error);

  Heartbeat idle;
  const Heartbeat idle_back = ThroughTheWire(idle);
  CHECK(idle_back.state == "idle");
  CHECK(idle_back.job.empty());
  Heartbeat paused{"paused", "spool full", kJob, 3, 10, 42};
  const Heartbeat paused_back = ThroughTheWire(paused);
  CHECK(paused_back.state == "paused");
  CHECK(paused_back.problem == "spool full");
  CHECK(paused_back.job == kJob);
  CHECK(paused_back.done == 3);
  CHECK(paused_back.total == 10);
  CHECK(paused_back.spooled == 42);
}

}  // namespace
}  // namespace effbench::fleet
