#include "harness/coordinator/internal/shared_fleet.h"

#include "harness/coordinator/internal/agent_roster.h"
#include "harness/coordinator/internal/credentials.h"
#include "harness/coordinator/internal/job_service.h"

namespace effbench::coordinator {

using nlohmann::json;

Result<FleetSnapshot> ReadFleet(store::QueryStore& db, const std::vector<std::string>& unfinished,
                                const std::set<std::string>& known,
                                std::chrono::milliseconds fresh) {
  FleetSnapshot s;
  auto jobs = db.OpenJobs(unfinished);
  if (!jobs.ok()) return jobs.status();
  s.jobs = std::move(*jobs);
  auto agents = db.Agents();
  if (!agents.ok()) return agents.status();
  s.agents = std::move(*agents);
  bool unknown = false;
  for (const store::AgentRow& a : s.agents) unknown |= !known.count(a.name);
  if (unknown) {
    // Machines only when an agent is new here: their rows are large.
    auto machines = db.Machines();
    if (!machines.ok()) return machines.status();
    for (const store::AgentRow& a : s.agents) {
      if (!known.count(a.name)) s.facts[a.name] = FactsOf(a, *machines);
    }
  }
  auto presence = db.AgentPresence(fresh);
  if (!presence.ok()) return presence.status();
  s.presence = std::move(*presence);
  auto keys = db.AgentKeys();
  if (!keys.ok()) return keys.status();
  s.keys = std::move(*keys);
  return s;
}

void ShowConnection(json& agent, const store::AgentPresenceRow& p) {
  agent["state"] = p.state;
  agent["connected"] = true;
  agent["coordinator"] = p.coordinator;
  agent["remote"] = p.remote;
  agent["tls"] = p.tls;
  agent["connected_at"] = p.connected_at;
  agent["last_heartbeat"] = p.last_heartbeat;
  agent["spooled"] = p.spooled;
  agent.erase("job");
  if (!p.job.empty()) agent["job"] = {{"id", p.job}, {"done", p.done}, {"total", p.total}};
}

Result<json> AgentsView(store::QueryStore& db, bool require_enrolled,
                        std::chrono::milliseconds fresh) {
  auto agents = db.Agents();
  if (!agents.ok()) return agents.status();
  auto machines = db.Machines();
  if (!machines.ok()) return machines.status();
  auto presence = db.AgentPresence(fresh);
  if (!presence.ok()) return presence.status();
  auto keys = db.AgentKeys();
  if (!keys.ok()) return keys.status();
  auto open = db.OpenJobs({});
  if (!open.ok()) return open.status();
  std::map<std::string, size_t> queued;
  for (const store::JobRow& job : *open) queued[job.agent] += job.state == "queued";
  std::map<std::string, const store::AgentPresenceRow*> connected;
  for (const store::AgentPresenceRow& p : *presence) connected[p.name] = &p;
  std::map<std::string, const store::AgentKeyRow*> enrolled;
  for (const store::AgentKeyRow& k : *keys) enrolled[k.name] = &k;
  const auto credential = [&](const std::string& name) {
    const auto k = enrolled.find(name);
    return DescribeCredential(k == enrolled.end() ? nullptr : k->second, require_enrolled);
  };

  json out = json::array();
  std::set<std::string> known;
  for (const store::AgentRow& row : *agents) {
    known.insert(row.name);
    const AgentFacts facts = FactsOf(row, *machines);
    json a = {{"name", row.name},
              {"machine", row.machine_fingerprint},
              {"version", row.version},
              {"labels", json::parse(row.labels_json, nullptr, false)},
              {"first_seen", row.first_seen},
              {"last_seen", row.last_seen},
              {"hostname", facts.hostname},
              {"arch", facts.arch}};
    if (const auto p = connected.find(row.name); p != connected.end()) {
      ShowConnection(a, *p->second);
    } else {
      a["state"] = "disconnected";
      a["connected"] = false;
    }
    a["queued_jobs"] = queued[row.name];
    a["credential"] = credential(row.name);
    out.push_back(std::move(a));
  }
  // Enrolled, and never connected yet.
  for (const store::AgentKeyRow& key : *keys) {
    if (known.count(key.name)) continue;
    out.push_back(json{{"name", key.name},
                       {"state", "never connected"},
                       {"connected", false},
                       {"queued_jobs", 0},
                       {"credential", credential(key.name)}});
  }
  return out;
}

Result<json> JobsView(store::QueryStore& db) {
  auto jobs = db.Jobs();
  if (!jobs.ok()) return jobs.status();
  json out = json::array();
  for (const store::JobRow& job : *jobs) out.push_back(JobJson(job));
  return out;
}

}  // namespace effbench::coordinator
