#include "harness/coordinator/internal/leases.h"

#include <catch2/catch.hpp>

namespace effbench::coordinator {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

store::JobRow Job(const std::string& id, const std::string& agent, const std::string& state) {
  return store::JobRow{id, agent, "run-" + id, "quick", "{}", state, "t0", "t0", std::nullopt};
}

std::shared_ptr<Session> Connected(AgentRoster& roster, const std::string& name,
                                   const std::string& state, const std::string& job = "") {
  auto s = std::make_shared<Session>();
  s->name = name;
  s->state = state;
  s->job = job;
  store::AgentRow row{name, std::string(64, 'f'), "1.0", "{}", "t0", "t0"};
  roster.Connect(s, row);
  return s;
}

TEST_CASE("leases: a job whose agent stayed gone fails, a lost job is sent again",
          "[coordinator]") {
  const AgentRoster::Instant t0{seconds(1000)};
  const milliseconds lease = seconds(600), heartbeat = seconds(5);
  JobQueue queue;
  AgentRoster roster;
  // gone-long: gone for longer than the lease; gone-short: within it.
  for (const std::string name : {"gone-long", "gone-short"}) {
    auto s = Connected(roster, name, "running", "j-" + name);
    roster.Disconnect(s, name == "gone-long" ? t0 - seconds(601) : t0 - seconds(599), "t1");
  }
  Connected(roster, "idle-lost", "idle");          // its job was lost
  Connected(roster, "idle-recent", "idle");        // its job was sent just now
  Connected(roster, "busy", "running", "j-busy");  // running its job
  for (const std::string name : {"gone-long", "gone-short", "idle-lost", "idle-recent", "busy"}) {
    REQUIRE(queue.Add(Job("j-" + name, name, "dispatched")));
  }
  REQUIRE(queue.Add(Job("j-queued", "idle-lost", "queued")));  // not dispatched: not its business
  queue.NoteSent("j-idle-lost", t0 - seconds(16));
  queue.NoteSent("j-idle-recent", t0 - seconds(14));

  const LeaseVerdicts v = CheckLeases(queue, roster, t0, lease, heartbeat);
  REQUIRE(v.expired.size() == 1);
  CHECK(v.expired[0].first == "j-gone-long");
  CHECK_THAT(v.expired[0].second,
             Catch::Contains("agent gone-long stayed gone for more than 600 s") &&
                 Catch::Contains("the results it sent are kept"));
  REQUIRE(v.resend.size() == 1);
  CHECK(v.resend[0] == std::pair<std::string, std::string>("j-idle-lost", "idle-lost"));

  // A job never sent since the coordinator started is sent again at once.
  JobQueue restored;
  REQUIRE(restored.Add(Job("j-x", "idle-recent", "dispatched")));
  CHECK(CheckLeases(restored, roster, t0, lease, heartbeat).resend.size() == 1);
  // A job that ended is nobody's lease.
  queue.Update("j-gone-long", "done", "t2", std::nullopt);
  CHECK(CheckLeases(queue, roster, t0, lease, heartbeat).expired.empty());
}

}  // namespace
}  // namespace effbench::coordinator
