// The coordinator's state and the rooms that share it:
//   lifecycle.cc  creating, running and stopping the server, accepting, the log,
//                 forgetting an agent, a finished run's regression check;
//   session.cc    the conversation with one agent (handshake, results, job ends);
//   http_api.cc   the HTTP API: requests, the token, jobs and agents, metrics;
//                 its database views are http_views.h, which take the
//                 read-only store::QueryStore and nothing of this state.
// Parts with state of their own, each tested alone:
//   `jobs` (JobService, job_service.h): the queue, submitting, dispatching,
//          leases, job ends, schedules; it reads the roster, writes runs and
//          jobs through FleetWrites, and reaches agents through a hook;
//          its lease check is leases.h, a decision on the queue and the roster.
// Other state with an owner: `roster` (AgentRoster), `metrics` (Metrics),
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
#include "harness/coordinator/internal/job_service.h"
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
  // A result batch, once the job service accepted it (a violation fails the
  // channel). Takes the records out of `batch`.
  asio::awaitable<bool> OnResult(const std::shared_ptr<Session>& session,
                                 fleet::ResultBatch& batch);
  // DELETE /api/agents/NAME: forgets a disconnected agent; its queued jobs
  // are cancelled.
  asio::awaitable<Status> ForgetAgent(const std::string& name);
  // Checks the run's series for changes (after its job ended), on the
  // writer's thread; logs what it found.
  void CheckRun(const std::string& run_id);
  // A heartbeat's state changed to or from paused (the agent's spool is
  // full): logged once and recorded with the job.
  void NotePause(Session& session, const std::string& previous_state, const std::string& problem);
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
  std::string MetricsText() const;

  CoordinatorOptions options;
  std::ostream& log;
  asio::io_context io{1};
  std::optional<asio::ssl::context> ssl;       // the agents' listener, with --tls-cert
  std::optional<asio::ssl::context> http_ssl;  // the HTTP API's, with --http-tls-cert
  tcp::acceptor agent_acceptor{io};
  tcp::acceptor http_acceptor{io};
  std::unique_ptr<IngestPipeline> ingest;  // the database writer and its health
  std::unique_ptr<store::Store> reader;    // the HTTP API's queries, on `reads` only
  asio::thread_pool reads{1};              // declared after `reader`: joined before it goes
  AgentRoster roster;                      // the agents: connected, known, gone
  std::unique_ptr<JobService> jobs;        // every job (on `ingest`, made with it)
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
