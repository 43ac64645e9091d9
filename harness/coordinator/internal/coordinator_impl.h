// The coordinator: parts that own their state, and the two rooms that wire
// them together.
//
// Parts, each tested alone (tests/unit/coordinator/), each with the
// narrowest store interface it needs:
//   `ingest`   IngestPipeline (ingest_pipeline.h): the one database writer
//              (its own thread, group commit) and the database's health. It
//              owns the whole store and is FleetWrites (fleet_writes.h) to
//              the others: runs and fleet (RunStore, FleetStore) only.
//   `roster`   AgentRoster (agent_roster.h): the agents connected, known and
//              gone, and which ones a selector queues on.
//   `jobs`     JobService (job_service.h): the queue, submitting, dispatching,
//              leases (leases.h), job ends, schedules. Reads the roster,
//              writes through FleetWrites, reaches agents through a hook.
//   `sessions` AgentSessions (agent_sessions.h): every agent connection,
//              handshake to bye. Keeps the roster's sessions, writes through
//              FleetWrites, asks `jobs` about jobs.
//   the HTTP views (http_views.h): on the read-only store::QueryStore
//              (`reader`), nothing of this state.
//   the shared fleet (shared_fleet.h): what the database says of jobs,
//              agents, keys and presence, read on `reader` every second by
//              the sync (several coordinators on one database) and for
//              /api/agents and /api/jobs.
//   `http_connections` (the HTTP port's cap), `metrics`, `peer_log`.
//
// Rooms:
//   lifecycle.cc  creating the parts and wiring their hooks, running and
//                 stopping, accepting, the log, forgetting an agent, a
//                 finished run's regression check, the sync with the
//                 database's fleet;
//   http_api.cc   the HTTP API: requests, the token, jobs and agents, metrics.
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
#include "harness/coordinator/internal/agent_sessions.h"
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

  // lifecycle.cc.
  // Accepts connections on `acceptor` until stopping, handing each to `serve`.
  asio::awaitable<void> Accept(tcp::acceptor& acceptor, std::function<void(tcp::socket)> serve);
  // DELETE /api/agents/NAME: forgets a disconnected agent; its queued jobs
  // are cancelled.
  asio::awaitable<Status> ForgetAgent(const std::string& name);
  // Every sync_interval: reads what other coordinators on the database did
  // (jobs, agents, keys, presence; shared_fleet.h) on the reader thread and
  // applies it to the roster, the credentials and the job service.
  asio::awaitable<void> SyncLoop();
  // One such sync (also before a job request picks its agents).
  asio::awaitable<void> Sync();
  // Checks the run's series for changes (after its job ended), on the
  // writer's thread; logs what it found.
  void CheckRun(const std::string& run_id);
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
  // Runs `read` on the reader thread (`reads`, with `reader`); its result.
  template <typename T>
  asio::awaitable<Result<T>> OnReader(std::function<Result<T>(store::QueryStore&)> read) {
    auto run = [this, read]() -> asio::awaitable<std::optional<Result<T>>> {
      co_return read(*reader);
    };
    std::optional<Result<T>> out = co_await asio::co_spawn(reads, run, asio::use_awaitable);
    co_return std::move(*out);
  }
  // GET /api/agents: the database's view (AgentsView), with the agents
  // connected here as their sessions say now.
  asio::awaitable<Result<nlohmann::json>> AgentsJson();
  std::string MetricsText() const;

  CoordinatorOptions options;
  std::ostream& log;
  asio::io_context io{1};
  std::optional<asio::ssl::context> ssl;       // the agents' listener, with --tls-cert
  std::optional<asio::ssl::context> http_ssl;  // the HTTP API's, with --http-tls-cert
  tcp::acceptor agent_acceptor{io};
  tcp::acceptor http_acceptor{io};
  std::unique_ptr<IngestPipeline> ingest;   // the database writer and its health
  std::unique_ptr<store::Store> reader;     // the HTTP API's queries, on `reads` only
  asio::thread_pool reads{1};               // declared after `reader`: joined before it goes
  AgentRoster roster;                       // the agents: connected, known, gone
  std::unique_ptr<JobService> jobs;         // every job (on `ingest`, made with it)
  std::unique_ptr<AgentSessions> sessions;  // the agents' connections (made with `jobs`)
  Metrics metrics;
  HttpConnections http_connections{256};  // the HTTP port's, capped (set by Create)
  LogLimiter peer_log;                    // lines about HTTP peers
  int reserve_fd = -1;                    // /dev/null, given up to shed a connection at EMFILE
  uint64_t evictions_logged = 0;          // http_connections.evicted() when last logged
  bool stopping = false;
  bool sync_failing = false;  // the last sync's read failed (logged once)
  Status exit_status = Status::Ok();
};

}  // namespace effbench::coordinator
