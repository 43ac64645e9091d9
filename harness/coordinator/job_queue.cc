#include "harness/coordinator/job_queue.h"

namespace effbench::coordinator {

bool IsFinal(const std::string& state) {
  return state == "done" || state == "failed" || state == "cancelled";
}

bool JobQueue::Add(const store::JobRow& job) {
  if (!jobs_.emplace(job.id, job).second) return false;
  order_.push_back(job.id);
  if (!IsFinal(job.state)) open_[job.agent].push_back(job.id);
  return true;
}

store::JobRow* JobQueue::Find(const std::string& id) {
  const auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : &it->second;
}

const store::JobRow* JobQueue::Find(const std::string& id) const {
  const auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : &it->second;
}

void JobQueue::Update(const std::string& id, const std::string& state, const std::string& when,
                      const std::optional<std::string>& error) {
  store::JobRow* job = Find(id);
  if (job == nullptr) return;
  job->state = state;
  job->updated_at = when;
  job->error = error;
  if (!IsFinal(state)) return;
  sent_at_.erase(id);
  const auto open = open_.find(job->agent);
  if (open == open_.end()) return;
  std::erase(open->second, id);
  if (open->second.empty()) open_.erase(open);
}

std::vector<std::string> JobQueue::Unfinished(const std::string& agent) const {
  const auto open = open_.find(agent);
  return open == open_.end() ? std::vector<std::string>{} : open->second;
}

std::vector<std::string> JobQueue::Unfinished() const {
  std::vector<std::string> out;
  for (const auto& [agent, ids] : open_) out.insert(out.end(), ids.begin(), ids.end());
  return out;
}

std::vector<std::string> JobQueue::Dispatched() const {
  std::vector<std::string> out;
  for (const std::string& id : Unfinished()) {
    if (jobs_.at(id).state == "dispatched") out.push_back(id);
  }
  return out;
}

std::optional<JobQueue::Time> JobQueue::SentAt(const std::string& id) const {
  const auto it = sent_at_.find(id);
  if (it == sent_at_.end()) return std::nullopt;
  return it->second;
}

}  // namespace effbench::coordinator
