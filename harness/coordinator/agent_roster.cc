#include "harness/coordinator/internal/agent_roster.h"

#include "core/time.h"

namespace effbench::coordinator {

void AgentRoster::Restore(store::AgentRow row, AgentFacts facts) {
  const std::string name = row.name;
  agents_[name] = std::move(row);
  facts_[name] = std::move(facts);
}

AgentFacts FactsOf(const store::AgentRow& agent, const std::vector<store::MachineRow>& machines) {
  AgentFacts f{agent.name, "", "", {}};
  for (const store::MachineRow& m : machines) {
    if (m.fingerprint == agent.machine_fingerprint) {
      f.hostname = m.hostname;
      f.arch = m.arch;
    }
  }
  const nlohmann::json labels = nlohmann::json::parse(agent.labels_json, nullptr, false);
  if (labels.is_object()) {
    for (const auto& [k, v] : labels.items()) {
      if (v.is_string()) f.labels[k] = v;
    }
  }
  return f;
}

void AgentRoster::Sync(const std::vector<store::AgentRow>& rows,
                       const std::map<std::string, AgentFacts>& facts,
                       std::set<std::string> elsewhere, Instant now) {
  std::set<std::string> stored;
  for (const store::AgentRow& row : rows) {
    stored.insert(row.name);
    if (sessions_.count(row.name)) continue;
    if (!agents_.count(row.name)) {
      const auto f = facts.find(row.name);
      if (f == facts.end()) continue;  // its facts come with the next sync
      facts_[row.name] = f->second;
      gone_since_[row.name] = now;
    }
    agents_[row.name] = row;
  }
  std::vector<std::string> forgotten;
  for (const auto& [name, row] : agents_) {
    if (!stored.count(name) && !sessions_.count(name)) forgotten.push_back(name);
  }
  for (const std::string& name : forgotten) Forget(name);
  elsewhere_ = std::move(elsewhere);
}

void AgentRoster::StartLeases(Instant now) {
  for (const auto& [name, row] : agents_) {
    if (!sessions_.count(name)) gone_since_[name] = now;
  }
}

std::shared_ptr<Session> AgentRoster::Connect(const std::shared_ptr<Session>& session,
                                              store::AgentRow& row) {
  const std::string& name = session->name;
  std::shared_ptr<Session> older;
  if (const auto old = sessions_.find(name); old != sessions_.end()) older = old->second;
  sessions_[name] = session;
  facts_[name] = session->facts;
  gone_since_.erase(name);
  if (const auto known = agents_.find(name); known != agents_.end()) {
    row.first_seen = known->second.first_seen;
  }
  agents_[name] = row;
  return older;
}

std::optional<store::AgentRow> AgentRoster::Disconnect(const std::shared_ptr<Session>& session,
                                                       Instant now, const std::string& wall_now) {
  const std::string& name = session->name;
  const auto it = sessions_.find(name);
  if (it == sessions_.end() || it->second != session) return std::nullopt;
  sessions_.erase(it);
  gone_since_[name] = now;
  const auto known = agents_.find(name);
  if (known == agents_.end()) return std::nullopt;
  known->second.last_seen = wall_now;
  return known->second;
}

void AgentRoster::Forget(const std::string& name) {
  agents_.erase(name);
  facts_.erase(name);
  gone_since_.erase(name);
}

std::shared_ptr<Session> AgentRoster::Live(const std::string& name) const {
  const auto it = sessions_.find(name);
  return it == sessions_.end() ? nullptr : it->second;
}

const store::AgentRow* AgentRoster::Row(const std::string& name) const {
  const auto it = agents_.find(name);
  return it == agents_.end() ? nullptr : &it->second;
}

Result<std::vector<std::string>> AgentRoster::Targets(
    const std::string& selector, std::chrono::system_clock::time_point wall_now,
    std::chrono::milliseconds ttl) const {
  std::vector<std::string> targets, stale;
  for (const auto& [name, f] : facts_) {
    if (!MatchesSelector(selector, f)) continue;
    bool recent = Live(name) != nullptr || Elsewhere(name) || selector == name;
    if (!recent) {
      if (const store::AgentRow* known = Row(name)) {
        const auto seen = effbench::ParseIso8601(known->last_seen);
        recent = seen.ok() && wall_now - *seen <= ttl;
      }
    }
    (recent ? targets : stale).push_back(name);
  }
  if (!targets.empty()) return targets;
  std::string known;
  for (const auto& [name, f] : facts_) known += (known.empty() ? "" : ", ") + name;
  std::string message = "no agent matches \"" + selector + "\" (known agents: ";
  message += known.empty() ? "none yet" : known;
  message += ")";
  if (!stale.empty()) {
    message += "; " + std::to_string(stale.size()) + " match(es) not seen for more than " +
               std::to_string(ttl.count() / 3600'000) +
               " h (--agent-ttl); name one exactly to queue on it anyway";
  }
  return Status::NotFound(message);
}

std::optional<AgentRoster::Instant> AgentRoster::GoneSince(const std::string& name) const {
  const auto it = gone_since_.find(name);
  if (it == gone_since_.end()) return std::nullopt;
  return it->second;
}

}  // namespace effbench::coordinator
