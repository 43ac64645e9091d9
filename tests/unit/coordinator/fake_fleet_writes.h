// For the coordinator's parts' unit tests: the runs and the fleet in memory
// (store::RunStore and store::FleetStore, nothing else), and a FleetWrites
// over them that runs each operation at once and posts its completion to the
// io_context, as the real writer's completions come back on the network
// thread. A full disk can be injected: every write then fails with IoError,
// and fault() says so once a write failed, as the pipeline's does.
#pragma once

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "harness/coordinator/internal/fleet_writes.h"

namespace effbench::testing {

class FakeFleetStore final : public store::RunStore, public store::FleetStore {
 public:
  FakeFleetStore() = default;
  explicit FakeFleetStore(const Clock* leases_clock) : clock(leases_clock) {}

  std::map<std::string, store::MachineRow> machines;
  std::map<std::string, store::RunRow> runs;
  std::map<std::string, int64_t> results;  // stored results by run (a resent one counts once)
  std::set<std::string> result_ids;
  std::map<std::string, store::AgentRow> agents;
  std::map<std::string, store::JobRow> jobs;
  std::map<std::string, store::AgentKeyRow> keys;
  std::map<std::string, store::AgentPresenceRow> presence;
  // Leases, on `clock` (the test's): the job's holder and until when.
  struct Lease {
    std::string owner;
    std::chrono::system_clock::time_point until;
  };
  std::map<std::string, Lease> leases;
  const Clock* clock = &Clock::System();
  bool disk_full = false;

  Status UpsertMachine(const store::MachineRow& machine) override {
    EFFBENCH_RETURN_IF_ERROR(Writable());
    machines[machine.fingerprint] = machine;
    return Status::Ok();
  }
  Status BeginRun(const store::RunRow& run) override {
    EFFBENCH_RETURN_IF_ERROR(Writable());
    runs[run.id] = run;
    return Status::Ok();
  }
  Status FinishRun(const std::string& run_id, const std::string& finished_at) override {
    EFFBENCH_RETURN_IF_ERROR(Writable());
    auto run = runs.find(run_id);
    if (run == runs.end()) return Status::NotFound("no run " + run_id);
    run->second.finished_at = finished_at;
    return Status::Ok();
  }
  Status DeleteRun(const std::string& run_id) override {
    EFFBENCH_RETURN_IF_ERROR(Writable());
    runs.erase(run_id);
    return Status::Ok();
  }
  Result<size_t> InsertResults(const std::vector<result::RecordRow>& rows) override {
    EFFBENCH_RETURN_IF_ERROR(Writable());
    size_t fresh = 0;
    for (const auto& row : rows) {
      if (result_ids.insert(row.id).second) ++results[row.run_id], ++fresh;
    }
    return fresh;
  }
  Result<size_t> InsertResults(const std::vector<result::ResultRecord>& records) override {
    EFFBENCH_RETURN_IF_ERROR(Writable());
    size_t fresh = 0;
    for (const auto& record : records) {
      if (result_ids.insert(record.id).second) ++results[record.run_id], ++fresh;
    }
    return fresh;
  }
  Result<std::optional<std::string>> MachineCalibration(const std::string& fingerprint) override {
    auto m = machines.find(fingerprint);
    if (m == machines.end()) return std::optional<std::string>();
    return m->second.calibration_json;
  }
  Result<std::vector<store::MachineRow>> Machines() override { return Values(machines); }
  Result<std::vector<store::RunRow>> Runs() override { return Values(runs); }
  Result<std::vector<result::ResultRecord>> Results(const std::string&) override {
    return Status::Internal("the fake keeps counts of results, not their records");
  }
  Result<int64_t> ResultCount() override {
    int64_t n = 0;
    for (const auto& [run, count] : results) n += count;
    return n;
  }
  Result<int64_t> ResultCountOfRun(const std::string& run_id) override {
    auto r = results.find(run_id);
    return r == results.end() ? 0 : r->second;
  }

  Result<std::vector<store::AgentRow>> Agents() override { return Values(agents); }
  Result<std::vector<store::JobRow>> Jobs() override {
    std::vector<store::JobRow> out;
    for (const std::string& id : order) out.push_back(jobs.at(id));
    return out;
  }
  Status UpsertAgent(const store::AgentRow& agent) override {
    EFFBENCH_RETURN_IF_ERROR(Writable());
    agents[agent.name] = agent;
    return Status::Ok();
  }
  Status RemoveAgent(const std::string& name) override {
    EFFBENCH_RETURN_IF_ERROR(Writable());
    return agents.erase(name) ? Status::Ok() : Status::NotFound("no agent " + name);
  }
  Result<std::vector<store::AgentKeyRow>> AgentKeys() override { return Values(keys); }
  Status PutAgentKey(const store::AgentKeyRow& key) override {
    EFFBENCH_RETURN_IF_ERROR(Writable());
    keys[key.name] = key;
    return Status::Ok();
  }
  Status RevokeAgentKey(const std::string& name, const std::string& revoked_at) override {
    EFFBENCH_RETURN_IF_ERROR(Writable());
    auto key = keys.find(name);
    if (key == keys.end()) return Status::NotFound("agent " + name + " is not enrolled");
    key->second.revoked_at = revoked_at;
    return Status::Ok();
  }
  Status InsertJob(const store::JobRow& job) override { return InsertJobs({job}); }
  Status InsertJobs(const std::vector<store::JobRow>& rows) override {
    EFFBENCH_RETURN_IF_ERROR(Writable());
    for (const auto& job : rows) {
      if (jobs.emplace(job.id, job).second) order.push_back(job.id);
    }
    return Status::Ok();
  }
  Result<std::vector<store::JobRow>> OpenJobs(const std::vector<std::string>& also) override {
    std::vector<store::JobRow> out;
    for (const std::string& id : order) {
      if (Open(jobs.at(id))) out.push_back(jobs.at(id));
    }
    for (const std::string& id : also) {
      if (auto job = jobs.find(id); job != jobs.end() && !Open(job->second)) {
        out.push_back(job->second);
      }
    }
    return out;
  }
  Result<std::optional<store::JobRow>> ClaimNextJob(const std::string& agent,
                                                    const std::string& coordinator,
                                                    std::chrono::milliseconds lease,
                                                    const std::string& updated_at) override {
    EFFBENCH_RETURN_IF_ERROR(Writable());
    store::JobRow* next = nullptr;
    for (const std::string& id : order) {
      store::JobRow& job = jobs.at(id);
      if (job.agent != agent || !Open(job)) continue;
      if (job.state == "dispatched") {
        next = &job;
        break;
      }
      if (next == nullptr) next = &job;
    }
    if (next == nullptr) return std::optional<store::JobRow>();
    if (next->state == "queued") {
      next->state = "dispatched";
      next->updated_at = updated_at;
    }
    leases[next->id] = Lease{coordinator, clock->Now() + lease};
    return std::optional<store::JobRow>(*next);
  }
  Status RenewJobLeases(const std::string& coordinator, const std::vector<std::string>& names,
                        std::chrono::milliseconds lease) override {
    EFFBENCH_RETURN_IF_ERROR(Writable());
    for (const auto& [id, job] : jobs) {
      if (job.state == "dispatched" &&
          std::find(names.begin(), names.end(), job.agent) != names.end()) {
        leases[id] = Lease{coordinator, clock->Now() + lease};
      }
    }
    return Status::Ok();
  }
  Status ExpireJobLease(const std::string& job_id, const std::string& updated_at,
                        const std::string& reason) override {
    EFFBENCH_RETURN_IF_ERROR(Writable());
    auto job = jobs.find(job_id);
    if (job == jobs.end()) return Status::NotFound("no job " + job_id);
    if (job->second.state != "dispatched") {
      return Status::FailedPrecondition("job " + job_id + " is already " + job->second.state);
    }
    if (auto held = leases.find(job_id);
        held != leases.end() && held->second.until > clock->Now()) {
      return Status::FailedPrecondition("job " + job_id + " is leased to coordinator " +
                                        held->second.owner);
    }
    return SetJobState(job_id, "failed", updated_at, reason);
  }
  Status PutAgentPresence(const store::AgentPresenceRow& row) override {
    EFFBENCH_RETURN_IF_ERROR(Writable());
    presence[row.name] = row;
    return Status::Ok();
  }
  Status EndAgentPresence(const std::string& name, const std::string& coordinator) override {
    EFFBENCH_RETURN_IF_ERROR(Writable());
    if (auto p = presence.find(name); p != presence.end() && p->second.coordinator == coordinator) {
      presence.erase(p);
    }
    return Status::Ok();
  }
  Result<std::vector<store::AgentPresenceRow>> AgentPresence(std::chrono::milliseconds) override {
    return Values(presence);
  }
  std::map<std::string, std::string> schedule_runs;  // key: coordinator
  Result<bool> ClaimScheduledRun(const std::string& key, const std::string& coordinator,
                                 const std::string&) override {
    EFFBENCH_RETURN_IF_ERROR(Writable());
    return schedule_runs.emplace(key, coordinator).second;
  }
  Status SetJobState(const std::string& job_id, const std::string& state,
                     const std::string& updated_at,
                     const std::optional<std::string>& error) override {
    EFFBENCH_RETURN_IF_ERROR(Writable());
    auto job = jobs.find(job_id);
    if (job == jobs.end()) return Status::NotFound("no job " + job_id);
    job->second.state = state;
    job->second.updated_at = updated_at;
    job->second.error = error;
    return Status::Ok();
  }
  Status EndUnfinishedJob(const std::string& job_id, const std::string& state,
                          const std::string& updated_at, const std::string& reason) override {
    EFFBENCH_RETURN_IF_ERROR(Writable());
    auto job = jobs.find(job_id);
    if (job == jobs.end()) return Status::NotFound("no job " + job_id);
    const std::string& now = job->second.state;
    if (now != "queued" && now != "dispatched") {
      return Status::FailedPrecondition("job " + job_id + " has ended (" + now + ")");
    }
    return SetJobState(job_id, state, updated_at, reason);
  }

 private:
  static bool Open(const store::JobRow& job) {
    return job.state == "queued" || job.state == "dispatched";
  }
  std::vector<std::string> order;  // job ids as inserted
  Status Writable() const {
    return disk_full ? Status::IoError("database or disk is full") : Status::Ok();
  }
  template <typename Map>
  static std::vector<typename Map::mapped_type> Values(const Map& map) {
    std::vector<typename Map::mapped_type> out;
    for (const auto& [key, value] : map) out.push_back(value);
    return out;
  }
};

class FakeFleetWrites final : public coordinator::FleetWrites {
 public:
  FakeFleetWrites(boost::asio::io_context& io, FakeFleetStore& store) : io_(io), store_(store) {}

  void Ingest(std::vector<result::RecordRow> records, Done done) override {
    Finish(store_.InsertResults(records).status(), std::move(done));
  }
  void Queue(Operation op, Done done) override { Finish(op(store_, store_), std::move(done)); }
  const std::optional<std::string>& fault() const override { return fault_; }

 private:
  void Finish(Status s, Done done) {
    if (s.code() == Status::Code::kIoError) {
      fault_ = s.message();
    } else if (s.ok()) {
      fault_.reset();
    }
    if (done) boost::asio::post(io_, [done = std::move(done), s = std::move(s)] { done(s); });
  }

  boost::asio::io_context& io_;
  FakeFleetStore& store_;
  std::optional<std::string> fault_;
};

// Runs `io` until `done` holds (the fakes post every completion at once, so
// this is quick), for a few seconds at most. Whether it holds.
template <typename Pred>
bool RunUntil(boost::asio::io_context& io, Pred done) {
  for (int i = 0; i < 5000 && !done(); ++i) {
    io.run_for(std::chrono::milliseconds(1));
    io.restart();
  }
  return done();
}

// Runs `task` on `io` to its end (RunUntil): its value, or nullopt when it
// did not end in time. An exception it throws is rethrown.
template <typename T>
std::optional<T> Await(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
  std::optional<T> out;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await std::move(task)); },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  RunUntil(io, [&] { return out.has_value(); });
  return out;
}

}  // namespace effbench::testing
