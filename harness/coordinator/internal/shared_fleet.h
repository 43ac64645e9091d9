// The fleet as the database holds it, for several coordinators sharing one
// database (PostgreSQL): what each reads every second to learn what the
// others did (jobs queued, claimed or ended, agents seen or forgotten, keys
// enrolled or revoked, agents connected to them), and the agents and jobs
// views every coordinator answers alike. Reads only, on the coordinator's
// reader thread; nothing of the coordinator's own state.
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "harness/coordinator/selection.h"
#include "harness/store/stores.h"

namespace effbench::coordinator {

// One reading of the shared fleet.
struct FleetSnapshot {
  std::vector<store::JobRow> jobs;  // unfinished, then the named ones ended
  std::vector<store::AgentRow> agents;
  std::map<std::string, AgentFacts> facts;  // of the agents not in `known`
  std::vector<store::AgentPresenceRow> presence;
  std::vector<store::AgentKeyRow> keys;
};

// Reads the snapshot: `unfinished` are the jobs the caller holds unfinished
// (their ends are read too), `known` the agents it knows (facts are read for
// the others), `fresh` how old a presence may be.
Result<FleetSnapshot> ReadFleet(store::QueryStore& db, const std::vector<std::string>& unfinished,
                                const std::set<std::string>& known,
                                std::chrono::milliseconds fresh);

// GET /api/agents: every agent the database holds, connected to whichever
// coordinator (its presence within `fresh`), with its credential; then the
// enrolled agents never connected.
Result<nlohmann::json> AgentsView(store::QueryStore& db, bool require_enrolled,
                                  std::chrono::milliseconds fresh);
// An agent of /api/agents as connected: its state, job and progress, where
// it connected from and to which coordinator.
void ShowConnection(nlohmann::json& agent, const store::AgentPresenceRow& presence);
// GET /api/jobs: every job, oldest first.
Result<nlohmann::json> JobsView(store::QueryStore& db);

}  // namespace effbench::coordinator
