// The job service: every job in memory (the queue, mirroring the jobs
// table), submitting them (the HTTP API and schedules), dispatching them to
// agents, their leases, their ends (done, failed, cancelled, lost with a
// forgotten agent), and re-creating a job its results name but the database
// lost. It owns the queue and what dispatch remembers. It reads the roster
// (who is connected, idle or gone), writes the runs and jobs through
// FleetWrites, and reaches an agent only through `Hooks::send`.
// Thread-safety: none of its own; the network thread's (`io`'s) only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "harness/coordinator/coordinator.h"
#include "harness/coordinator/internal/agent_roster.h"
#include "harness/coordinator/internal/fleet_writes.h"
#include "harness/coordinator/job_queue.h"
#include "harness/coordinator/log_limiter.h"
#include "harness/fleet/protocol.h"

namespace effbench::coordinator {

// A job as the HTTP API shows it.
nlohmann::json JobJson(const store::JobRow& job);
// The options of a job request with their defaults filled in, or what is wrong.
Result<nlohmann::json> JobOptions(const nlohmann::json& given);
// A job request's revision with its defaults filled in, or what is wrong.
Result<nlohmann::json> JobRevision(const nlohmann::json& given);

class JobService {
 public:
  struct Options {
    const Clock* clock = &Clock::System();
    std::chrono::milliseconds heartbeat{5'000};
    std::chrono::milliseconds job_lease{600'000};
    std::chrono::milliseconds agent_ttl{24 * 3600'000};
    // This coordinator's name among those sharing the database: what its
    // job leases are held by.
    std::string coordinator = "coordinator";
  };
  struct Hooks {
    std::function<void(const std::string&)> log;  // a line for the server log
    // Sends `message` to the agent; false when it is not connected.
    std::function<bool(const std::string& agent, const nlohmann::json& message)> send;
    // Closes the agent's connection: what was not acknowledged, it sends
    // again after reconnecting.
    std::function<void(const std::string& agent)> disconnect;
    // A run is complete (its job's end recorded, every result it measured
    // stored): the cue for its regression check.
    std::function<void(const std::string& run_id)> run_complete;
  };

  JobService(boost::asio::io_context& io, const AgentRoster& roster, FleetWrites& writes,
             Hooks hooks, Options options);

  // At start: the jobs the database holds.
  void Restore(const std::vector<store::JobRow>& jobs);
  // From now on nothing is dispatched and the loops end.
  void Stop() { stopping_ = true; }

  // Queues `request` (suite, workload, agents, revision, options) on every
  // matching agent, durably: the jobs are stored before this returns and
  // before any is dispatched. The jobs as JSON; InvalidArgument for a bad
  // request, NotFound when no agent matches, IoError when not stored.
  boost::asio::awaitable<Result<nlohmann::json>> Submit(const nlohmann::json& request,
                                                        const std::string& origin);
  // Sends the agent its next job: again, a dispatched one (after a reconnect
  // or a lost frame); else the one the database's claim gives (the agent's
  // dispatched job, or its oldest queued one, leased to this coordinator),
  // once its run is stored. A failed claim is retried with back-off until it
  // succeeds or the agent goes.
  void Dispatch(const std::string& agent);
  // The database's unfinished jobs, and the ended ones this coordinator
  // still had unfinished (FleetReader::OpenJobs), read by the sync of
  // several coordinators: jobs new here are known from now and dispatched
  // to their agents where connected here; a job that another coordinator
  // ended ends here too (its agent told when it was cancelled while
  // dispatched). A state older than this coordinator's changes nothing.
  void Sync(const std::vector<store::JobRow>& rows);
  // Ends an unfinished job (cancelled, or failed for its lease) once stored;
  // tells its agent to stop a dispatched job that was cancelled. NotFound,
  // or FailedPrecondition when it has ended already.
  boost::asio::awaitable<Status> End(const std::string& job_id, const std::string& state,
                                     const std::string& reason);
  // The agent was forgotten: its unfinished jobs are cancelled. How many.
  boost::asio::awaitable<size_t> CancelJobsOf(const std::string& agent);
  // Every second: fails jobs whose agent stayed gone past the lease (and
  // whose lease in the database ran out: no other coordinator holds the
  // agent), and sends a dispatched job again to its agent when the agent
  // says it is idle. Four times a lease, renews the leases of the jobs of
  // the agents connected here.
  boost::asio::awaitable<void> LeaseLoop();
  // Submits the schedule's request every day at its time (wall clock).
  boost::asio::awaitable<void> ScheduleLoop(Schedule schedule);

  // Whether `batch` from `agent` (on machine `fingerprint`) may be stored:
  // OK when its job is the agent's and every record is of the job's run.
  // A job the database lost is re-created from the records' own run, machine
  // and revision, durably. InvalidArgument (why: a protocol violation) when
  // the batch is not the agent's; IoError when the re-created job was not
  // stored (nothing is acknowledged: the agent sends it again).
  boost::asio::awaitable<Status> AcceptResults(const std::string& agent,
                                               const std::string& fingerprint,
                                               const fleet::ResultBatch& batch);
  // The agent says a job ended. Recorded once every result it measured is
  // stored; then acknowledged and the agent's next job dispatched. False when
  // the job is known but not the agent's (a protocol violation).
  bool JobDone(const std::string& agent, const fleet::JobDone& message);
  // The agent paused `job_id` (its spool is full: `problem`) or resumed it
  // (nullopt): recorded with the job.
  void NotePause(const std::string& job_id, const std::optional<std::string>& problem);

  const JobQueue& queue() const { return queue_; }
  // Jobs not yet ended.
  size_t unfinished() const;

 private:
  void RetryDispatchLater(const std::string& agent);
  // Whether the agent has a job dispatched.
  bool Busy(const std::string& agent) const;
  // The job from memory, else from the database (queued or re-created by
  // another coordinator since the last sync; Sync'ed then). Null when
  // neither knows it.
  boost::asio::awaitable<const store::JobRow*> Lookup(const std::string& job_id);
  // JobDone of a job this coordinator knows, or acknowledged and forgotten
  // when neither it nor the database does.
  bool RecordEnd(const std::string& agent, const fleet::JobDone& message);
  // The dispatched jobs of the agents connected here are leased for another
  // job_lease.
  void RenewLeases();
  // Fails a dispatched job for its lease, if the database agrees that the
  // lease ran out.
  boost::asio::awaitable<void> Expire(const std::string& job_id, const std::string& reason);
  void Log(const std::string& line) const { hooks_.log(line); }
  void LogLimited(const std::string& line);

  boost::asio::io_context& io_;
  const AgentRoster& roster_;
  FleetWrites& writes_;
  Hooks hooks_;
  Options options_;
  JobQueue queue_;
  std::map<std::string, int> dispatch_failures_;  // by agent: consecutive failed claims
  std::set<std::string> claiming_;                // agents whose claim is on its way
  std::set<std::string> claim_again_;             // asked again meanwhile: claim once more
  LogLimiter log_limiter_;                        // leases' lines, however many jobs
  bool stopping_ = false;
};

}  // namespace effbench::coordinator
