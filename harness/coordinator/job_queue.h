// The coordinator's jobs in memory, mirroring the jobs table: every job by id
// in the order it was queued, and for each agent its unfinished jobs (queued
// or dispatched) in order, so that dispatch and the lease check look only at
// what is still open, however many jobs the database holds.
//
// Thread-safety: none; the coordinator uses it on its network thread only.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/store/stores.h"

namespace effbench::coordinator {

// Whether a job's state is final (done, failed, cancelled).
bool IsFinal(const std::string& state);

class JobQueue {
 public:
  using Time = std::chrono::steady_clock::time_point;

  // Adds a job as stored. False, changing nothing, when its id is known.
  bool Add(const store::JobRow& job);
  // The job, or null. Its state changes only through Update; other fields
  // (its error while paused) may be changed through the pointer.
  store::JobRow* Find(const std::string& id);
  const store::JobRow* Find(const std::string& id) const;
  // Moves a known job to `state` at `when` with `error`. A job that ends
  // leaves its agent's open list and forgets when it was sent.
  void Update(const std::string& id, const std::string& state, const std::string& when,
              const std::optional<std::string>& error);

  // The agent's unfinished jobs, oldest first.
  std::vector<std::string> Unfinished(const std::string& agent) const;
  // Every unfinished job, by agent and then oldest first: from the agents'
  // open lists, not a pass over every job.
  std::vector<std::string> Unfinished() const;
  // Every dispatched job, by agent and then oldest first.
  std::vector<std::string> Dispatched() const;
  // When a dispatched job was last sent to its agent.
  void NoteSent(const std::string& id, Time when) { sent_at_[id] = when; }
  std::optional<Time> SentAt(const std::string& id) const;

  // Every job, oldest first.
  template <typename F>
  void ForEach(F&& f) const {
    for (const std::string& id : order_) f(jobs_.at(id));
  }
  size_t size() const { return order_.size(); }

 private:
  std::map<std::string, store::JobRow> jobs_;
  std::vector<std::string> order_;
  std::map<std::string, std::vector<std::string>> open_;  // by agent, oldest first
  std::map<std::string, Time> sent_at_;
};

}  // namespace effbench::coordinator
