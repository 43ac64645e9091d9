// The coordinator's state and the rooms that share it:
//   lifecycle.cc  creating, running and stopping the server, accepting, the log;
//   session.cc    the conversation with one agent (handshake, results, job ends);
//   jobs.cc       submitting, dispatching, leasing and cancelling jobs, schedules
//                 (the lease check itself is leases.h, a decision on the queue and
//                 the roster alone);
//   http_api.cc   the HTTP API: requests, the token, jobs and agents, metrics;
//                 its database views are http_views.h, which take the
//                 read-only store::QueryStore and nothing of this state.
// State with an owner of its own: `roster` (AgentRoster), `queue` (JobQueue), `metrics` (Metrics),
// `peer_log` (LogLimiter), `ingest` (IngestPipeline: the database writer and
// the database's health), `http_connections` (HttpConnections: the HTTP
// port's cap).
// Thread-safety: everything here is touched only on the network thread (`io`),
// but for `reader`, used on the `reads` thread only, and the writer thread
// inside `ingest`.
#pragma once

#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "harness/coordinator/coordinator.h"
#include "harness/coordinator/http_connections.h"
#include "harness/coordinator/internal/agent_roster.h"
#include "harness/coordinator/internal/ingest_pipeline.h"
#include "harness/coordinator/job_queue.h"
#include "harness/coordinator/log_limiter.h"
#include "harness/coordinator/metrics.h"
#include "harness/coordinator/selection.h"
#include "harness/fleet/channel.h"
#include "harness/fleet/protocol.h"
#include "harness/store/stores.h"

namespace effbench::coordinator {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
// What every room of the coordinator names (an internal header: only the
// coordinator's own files include it).
using nlohmann::json;
using namespace std::chrono_literals;
using boost::system::error_code;
using fleet::ErrorCode;
using fleet::ProtocolError;

// jobs.cc: a JSON text parsed, or `fallback` when it is not JSON.
nlohmann::json ParseOr(const std::string& text, nlohmann::json fallback);
// The options of a job request with their defaults filled in, or what is wrong.
Result<nlohmann::json> JobOptions(const nlohmann::json& given);
// A job request's revision with its defaults filled in, or what is wrong.
Result<nlohmann::json> JobRevision(const nlohmann::json& given);

// Parses "HOST:PORT" ("[::1]:PORT" for IPv6). InvalidArgument naming the flag.
Result<tcp::endpoint> ParseEndpoint(const std::string& text, const std::string& what);

struct Coordinator::Impl {
  Impl(CoordinatorOptions o, std::ostream& l);
  ~Impl();

  // coordinator.cc: the agents.
  // Accepts connections on `acceptor` until stopping, handing each to `serve`.
  asio::awaitable<void> Accept(tcp::acceptor& acceptor, std::function<void(tcp::socket)> serve);
  void OnAgentConnection(tcp::socket socket);
  asio::awaitable<void> ServeAgent(std::shared_ptr<fleet::Channel> channel);
  // The handshake: TLS, the challenge, and the hello with its proof of the
  // fleet token. The hello when the agent is authenticated; nullopt (the
  // channel failed or closed, and why logged) otherwise.
  asio::awaitable<std::optional<fleet::Hello>> Authenticate(
      const std::shared_ptr<fleet::Channel>& channel, const std::string& peer);
  // An authenticated agent's session: replaces an older connection of the
  // same agent, stores the agent and its machine, and welcomes it.
  std::shared_ptr<Session> Register(const std::shared_ptr<fleet::Channel>& channel,
                                    const fleet::Hello& hello, const std::string& peer);
  // Stores the agent's machine and agent rows (connect, recovery).
  void StoreMachine(const std::shared_ptr<Session>& session);
  // The database's writes failed (the reason) or work again (nullopt): each
  // connected agent is told to hold its results, or to send them again, and
  // on recovery their machines are stored again. One log line per change
  // (the pipeline's), however many agents.
  void OnStoreHealth(const std::optional<std::string>& fault);
  // The session ended: the agent is gone from now (its jobs' lease runs).
  void Unregister(const std::shared_ptr<Session>& session);
  asio::awaitable<void> Converse(std::shared_ptr<Session> session);
  // Takes the records out of `message`.
  asio::awaitable<bool> OnResult(const std::shared_ptr<Session>& session,
                                 fleet::ResultBatch& batch);
  bool OnJobDone(const std::shared_ptr<Session>& session, const fleet::JobDone& message);
  // A result batch for a job this coordinator does not know (its database
  // lost it: restored from a backup, say): re-creates the job and its run
  // from the records' own run, machine and revision fields, durably, so that
  // nothing the agent measured is lost or refused forever. False, with the
  // channel failed, when the records cannot say (or are another machine's).
  asio::awaitable<bool> AdoptUnknownJob(const std::shared_ptr<Session>& session,
                                        const fleet::ResultBatch& batch);
  asio::awaitable<void> ScheduleLoop(Schedule schedule);
  // Sends the agent its next job. A queued job's run is stored first, and the
  // job is sent only once that commit succeeded; a failed commit is retried
  // (with back-off) until it succeeds or the agent goes.
  void Dispatch(const std::shared_ptr<Session>& session);
  void RetryDispatchLater(const std::string& agent);
  // Every second: fails jobs whose agent stayed gone past the lease, and
  // sends a dispatched job again to its agent when the agent says it is idle.
  asio::awaitable<void> LeaseLoop();
  // Moves a job to a final state (cancelled, or failed for its lease) after
  // storing it; tells a connected agent to stop a cancelled job.
  asio::awaitable<Status> EndJob(const std::string& job_id, const std::string& state,
                                 const std::string& reason);
  // DELETE /api/agents/NAME: forgets a disconnected agent; its queued jobs
  // are cancelled.
  asio::awaitable<Status> ForgetAgent(const std::string& name);
  // A heartbeat's state changed to or from paused (the agent's spool is
  // full): logged once and recorded with the job.
  void NotePause(Session& session, const std::string& previous_state, const std::string& problem);
  // Queues `request` (suite, workload, agents, revision, options) on every
  // matching agent, durably: the jobs are committed before this returns (and
  // before any is dispatched). The jobs as JSON, or what was wrong.
  asio::awaitable<Result<nlohmann::json>> SubmitJobs(const nlohmann::json& request,
                                                     const std::string& origin);
  void Shutdown();
  // A coroutine the coordinator needs failed: logs `failure`, makes it the
  // exit status and shuts down.
  void Fatal(const std::string& failure);
  asio::awaitable<void> FinishShutdown();
  void Log(const std::string& line);
  // Log(line) unless `limiter` holds it back.
  void LogLimited(LogLimiter& limiter, const std::string& line);
  // At the descriptor limit: accepts one pending connection on `acceptor`
  // with the reserve descriptor and closes it at once.
  void ShedOne(tcp::acceptor& acceptor);
  Status WriteReadyFile() const;

  // http_api.cc: the HTTP API.
  asio::awaitable<void> ServeHttp(tcp::socket socket);
  template <typename Stream>
  asio::awaitable<void> ServeRequests(Stream& stream, uint64_t connection);
  // One request's response (after the request was read whole).
  asio::awaitable<boost::beast::http::response<boost::beast::http::string_body>> HandleHttp(
      const boost::beast::http::request<boost::beast::http::string_body>& req);
  nlohmann::json AgentsJson() const;
  nlohmann::json JobJson(const store::JobRow& job) const;
  std::string MetricsText() const;

  CoordinatorOptions options;
  std::ostream& log;
  asio::io_context io{1};
  std::optional<asio::ssl::context> ssl;       // the agents' listener, with --tls-cert
  std::optional<asio::ssl::context> http_ssl;  // the HTTP API's, with --http-tls-cert
  tcp::acceptor agent_acceptor{io};
  tcp::acceptor http_acceptor{io};
  std::unique_ptr<IngestPipeline> ingest;        // the database writer and its health
  std::unique_ptr<store::Store> reader;          // the HTTP API's queries, on `reads` only
  asio::thread_pool reads{1};                    // declared after `reader`: joined before it goes
  AgentRoster roster;                            // the agents: connected, known, gone
  JobQueue queue;                                // every job, and the open ones
  std::map<std::string, int> dispatch_failures;  // by agent: consecutive failed run writes
  Metrics metrics;
  size_t preauth = 0;                     // connections not yet authenticated
  HttpConnections http_connections{256};  // the HTTP port's, capped (set by Create)
  LogLimiter peer_log;                    // lines about unauthenticated peers
  int reserve_fd = -1;                    // /dev/null, given up to shed a connection at EMFILE
  uint64_t evictions_logged = 0;          // http_connections.evicted() when last logged
  bool stopping = false;
  Status exit_status = Status::Ok();
};

}  // namespace effbench::coordinator
