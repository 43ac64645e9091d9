#include "harness/coordinator/internal/agent_roster.h"

#include <catch2/catch.hpp>

#include "core/time.h"

namespace effbench::coordinator {
namespace {

using Instant = AgentRoster::Instant;

std::shared_ptr<Session> SessionOf(const std::string& name, const std::string& gpu) {
  auto s = std::make_shared<Session>();
  s->name = name;
  s->facts = AgentFacts{name, name + ".lab", "x86_64", {{"gpu", gpu}}};
  return s;
}

store::AgentRow RowOf(const std::string& name, const std::string& seen) {
  return store::AgentRow{name, std::string(64, 'f'), "1.0", "{}", seen, seen};
}

TEST_CASE("the roster: agents restored, connected, replaced, gone and forgotten", "[coordinator]") {
  AgentRoster roster;
  const Instant start{std::chrono::seconds(100)};
  // An agent the database knew at start is gone from then: its lease runs.
  roster.Restore(RowOf("old", "2026-12-01T00:00:00Z"), AgentFacts{"old", "old.lab", "x86_64", {}});
  roster.StartLeases(start);
  CHECK(roster.Known("old"));
  CHECK_FALSE(roster.Live("old"));
  CHECK(roster.GoneSince("old") == start);

  // It connects again: connected, no longer gone, and it keeps its first_seen.
  auto first = SessionOf("old", "h100");
  store::AgentRow row = RowOf("old", "2026-12-07T10:00:00Z");
  CHECK(roster.Connect(first, row) == nullptr);
  CHECK(row.first_seen == "2026-12-01T00:00:00Z");
  CHECK(roster.Live("old") == first);
  CHECK_FALSE(roster.GoneSince("old"));
  CHECK(roster.facts().at("old").labels.at("gpu") == "h100");

  // A second connection of the same agent replaces the first, which is
  // handed back to be closed; the first one's end then changes nothing.
  auto second = SessionOf("old", "h200");
  store::AgentRow again = RowOf("old", "2026-12-07T10:05:00Z");
  CHECK(roster.Connect(second, again) == first);
  CHECK(roster.Live("old") == second);
  CHECK(roster.facts().at("old").labels.at("gpu") == "h200");
  const Instant later = start + std::chrono::seconds(60);
  CHECK_FALSE(roster.Disconnect(first, later, "2026-12-07T10:06:00Z"));
  CHECK(roster.Live("old") == second);
  CHECK_FALSE(roster.GoneSince("old"));

  // The live connection ends: gone from then, its row to store says so.
  const auto gone = roster.Disconnect(second, later, "2026-12-07T10:06:00Z");
  REQUIRE(gone);
  CHECK(gone->last_seen == "2026-12-07T10:06:00Z");
  CHECK(gone->first_seen == "2026-12-01T00:00:00Z");
  CHECK(roster.GoneSince("old") == later);
  CHECK(roster.sessions().empty());
  REQUIRE(roster.Row("old") != nullptr);
  CHECK(roster.Row("old")->last_seen == "2026-12-07T10:06:00Z");

  // A new agent is known from its first connection; forgetting removes all.
  auto fresh = SessionOf("new", "none");
  store::AgentRow new_row = RowOf("new", "2026-12-07T11:00:00Z");
  CHECK(roster.Connect(fresh, new_row) == nullptr);
  CHECK(new_row.first_seen == "2026-12-07T11:00:00Z");
  CHECK(roster.agents().size() == 2);
  roster.Forget("old");
  CHECK_FALSE(roster.Known("old"));
  CHECK_FALSE(roster.GoneSince("old"));
  CHECK(roster.Row("old") == nullptr);
  CHECK(roster.facts().count("old") == 0);
  CHECK(roster.Known("new"));
}

TEST_CASE("a job request's selector queues on agents connected or seen within the TTL",
          "[coordinator]") {
  AgentRoster roster;
  const auto wall_now = *ParseIso8601("2026-12-07T12:00:00Z");
  const std::chrono::milliseconds ttl = std::chrono::hours(24);
  // h100-a is connected; h100-b was seen an hour ago; h100-c three days ago.
  auto live = SessionOf("h100-a", "h100");
  store::AgentRow row = RowOf("h100-a", "2026-12-07T11:00:00Z");
  roster.Connect(live, row);
  roster.Restore(RowOf("h100-b", "2026-12-07T11:00:00Z"),
                 AgentFacts{"h100-b", "b.lab", "x86_64", {{"gpu", "h100"}}});
  roster.Restore(RowOf("h100-c", "2026-12-04T12:00:00Z"),
                 AgentFacts{"h100-c", "c.lab", "x86_64", {{"gpu", "h100"}}});
  roster.Restore(RowOf("cpu-1", "2026-12-07T11:00:00Z"),
                 AgentFacts{"cpu-1", "cpu.lab", "x86_64", {{"gpu", "none"}}});

  const auto h100 = roster.Targets("gpu=h100", wall_now, ttl);
  REQUIRE(h100.ok());
  CHECK(*h100 == std::vector<std::string>{"h100-a", "h100-b"});
  CHECK(roster.Targets("*", wall_now, ttl)->size() == 3);
  // An agent named exactly is queued on however long it has been gone.
  CHECK(*roster.Targets("h100-c", wall_now, ttl) == std::vector<std::string>{"h100-c"});
  // None: the known agents, and how many matched but are stale.
  roster.Forget("h100-a");
  roster.Forget("h100-b");
  const auto none = roster.Targets("gpu=h100", wall_now, ttl);
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().code() == Status::Code::kNotFound);
  CHECK_THAT(none.status().message(),
             Catch::Contains("no agent matches \"gpu=h100\"") && Catch::Contains("cpu-1, h100-c") &&
                 Catch::Contains("1 match(es) not seen for more than 24 h (--agent-ttl)"));
  const auto empty = AgentRoster().Targets("*", wall_now, ttl);
  REQUIRE_FALSE(empty.ok());
  CHECK_THAT(empty.status().message(), Catch::Contains("known agents: none yet"));
}

TEST_CASE("the roster syncs with the database: agents seen, forgotten, or connected elsewhere",
          "[coordinator]") {
  AgentRoster roster;
  const Instant now{std::chrono::seconds(100)};
  const std::string seen = "2026-12-01T00:00:00Z";
  store::AgentRow here_row = RowOf("here", seen);
  roster.Connect(SessionOf("here", "h100"), here_row);
  // Another coordinator's agents: "away" connected to it now, "old" not.
  roster.Sync({RowOf("here", seen), RowOf("away", seen), RowOf("old", seen)},
              {{"away", AgentFacts{"away", "away.lab", "aarch64", {{"gpu", "none"}}}},
               {"old", AgentFacts{"old", "old.lab", "x86_64", {}}}},
              {"away"}, now);
  CHECK(roster.Known("away"));
  CHECK(roster.Elsewhere("away"));
  CHECK_FALSE(roster.Elsewhere("old"));
  CHECK(roster.GoneSince("old") == now);
  // A selector queues on an agent connected elsewhere, however long ago it
  // was last seen, as on one connected here; not on the stale one.
  const auto wall = std::chrono::system_clock::time_point(std::chrono::hours(500'000));
  auto targets = roster.Targets("*", wall, std::chrono::hours(24));
  REQUIRE(targets.ok());
  CHECK(*targets == std::vector<std::string>{"away", "here"});
  // Forgotten through the other coordinator: gone from the database, gone
  // here; an agent connected here stays whatever a reading says.
  roster.Sync({RowOf("away", seen)}, {}, {}, now);
  CHECK_FALSE(roster.Known("old"));
  CHECK(roster.Known("here"));
  CHECK_FALSE(roster.Elsewhere("away"));
}

}  // namespace
}  // namespace effbench::coordinator
