// The coordinator's agents: the connected ones' sessions, every agent ever
// seen (its stored row), what job selectors match each by, and since when a
// disconnected agent has been gone (its jobs' lease runs from then).
// Thread-safety: none of its own; the coordinator uses it on its network
// thread (`io`'s) only.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "harness/coordinator/selection.h"
#include "harness/fleet/channel.h"
#include "harness/store/stores.h"

namespace effbench::coordinator {

// A connected, authenticated agent.
struct Session {
  std::string name, fingerprint, version;
  std::string credential;  // how it proved its name: "its own key", "the fleet token"
  // The coordinator's wall clock less the agent's, ms, as the agent measured
  // it at connecting; stored with each run it is given.
  std::optional<int64_t> clock_offset_ms;
  AgentFacts facts;
  nlohmann::json labels = nlohmann::json::object();
  std::shared_ptr<fleet::Channel> channel;
  std::string state = "idle";  // from its heartbeats: idle, running
  std::string job;
  int64_t done = 0, total = 0, spooled = 0;
  std::string connected_at, last_heartbeat;
  size_t in_flight = 0;  // records received, not yet committed
  // Its machine and agent rows as the hello gave them: stored at connect,
  // and again when the database recovers from a fault.
  store::MachineRow machine_row;
  store::AgentRow agent_row;
  std::unique_ptr<boost::asio::steady_timer> resume;  // wakes a reader paused by in_flight
  // When its presence (store::AgentPresenceRow) was last recorded.
  std::chrono::steady_clock::time_point presence_at{};
};

// What selectors match an agent by, from its stored row and its machine's.
AgentFacts FactsOf(const store::AgentRow& agent, const std::vector<store::MachineRow>& machines);

// How often a coordinator records each connected agent's presence while
// nothing about it changes, and how old a record may be before readers take
// its coordinator for dead.
inline std::chrono::milliseconds PresenceRefresh(std::chrono::milliseconds heartbeat, int misses) {
  return heartbeat * misses / 2;
}
inline std::chrono::milliseconds PresenceFresh(std::chrono::milliseconds heartbeat, int misses) {
  return heartbeat * misses * 2;
}

class AgentRoster {
 public:
  using Instant = std::chrono::steady_clock::time_point;
  using Sessions = std::map<std::string, std::shared_ptr<Session>>;

  // An agent read from the database at start: known, not connected.
  void Restore(store::AgentRow row, AgentFacts facts);
  // Every known agent that is not connected is gone from `now` on.
  void StartLeases(Instant now);

  // `session` is its agent's connection from now on. `row` is the agent's
  // row to store; it keeps the first_seen of an agent seen before. Returns the
  // older connection it replaces, or null.
  std::shared_ptr<Session> Connect(const std::shared_ptr<Session>& session, store::AgentRow& row);
  // `session` ended at `now` (`wall_now` as ISO 8601): its agent is gone
  // from then. The agent's row, with its last_seen, to store; nullopt when a
  // newer connection of the agent had already replaced `session`.
  std::optional<store::AgentRow> Disconnect(const std::shared_ptr<Session>& session, Instant now,
                                            const std::string& wall_now);
  // Removes a disconnected agent entirely.
  void Forget(const std::string& name);

  // Several coordinators on one database, at each sync. `rows` are the
  // database's agents (`facts` those of agents new here): an agent new here
  // is known from now, gone since `now`; the row of one not connected here
  // is refreshed; one the database no longer holds (forgotten through
  // another coordinator) is forgotten unless connected here. `elsewhere`:
  // the agents connected to other coordinators now.
  void Sync(const std::vector<store::AgentRow>& rows,
            const std::map<std::string, AgentFacts>& facts, std::set<std::string> elsewhere,
            Instant now);
  // Whether the agent is connected to another coordinator (as of the last
  // sync) and not here.
  bool Elsewhere(const std::string& name) const {
    return elsewhere_.count(name) > 0 && !sessions_.count(name);
  }

  // The agent's session, or null when it is not connected.
  std::shared_ptr<Session> Live(const std::string& name) const;
  bool Known(const std::string& name) const { return agents_.count(name) > 0; }
  // The agent's stored row, or null when it was never seen.
  const store::AgentRow* Row(const std::string& name) const;
  // When a known, disconnected agent went; nullopt when connected or unknown.
  std::optional<Instant> GoneSince(const std::string& name) const;

  // The agents a job request's `selector` queues on, by name: those it
  // matches that are connected now (here or to another coordinator) or were
  // seen within `ttl` of `wall_now`,
  // and an agent named exactly whenever it was last seen. NotFound naming
  // the known agents, and how many matched but are stale, when none.
  Result<std::vector<std::string>> Targets(const std::string& selector,
                                           std::chrono::system_clock::time_point wall_now,
                                           std::chrono::milliseconds ttl) const;

  const Sessions& sessions() const { return sessions_; }
  const std::map<std::string, store::AgentRow>& agents() const { return agents_; }
  const std::map<std::string, AgentFacts>& facts() const { return facts_; }

 private:
  Sessions sessions_;                              // connected, by agent name
  std::map<std::string, store::AgentRow> agents_;  // every agent ever seen
  std::map<std::string, AgentFacts> facts_;        // what selectors match, by name
  std::map<std::string, Instant> gone_since_;      // disconnected agents, by name
  std::set<std::string> elsewhere_;                // connected to other coordinators
};

}  // namespace effbench::coordinator
