// The coordinator's state, shared by its agent side (coordinator.cc) and its
// HTTP API (http_api.cc). Everything here but `writer` (its own thread) and
// `reader` (used on the `reads` thread only) is touched only on the network
// thread.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "harness/coordinator/coordinator.h"
#include "harness/coordinator/ingest_writer.h"
#include "harness/coordinator/selection.h"
#include "harness/store/result_store.h"

namespace effbench::coordinator {

namespace asio = fleet::asio;
using fleet::tcp;

// A connected, authenticated agent.
struct Session {
  std::string name, fingerprint, version;
  AgentFacts facts;
  nlohmann::json labels = nlohmann::json::object();
  std::shared_ptr<fleet::Channel> channel;
  std::string state = "idle";  // from its heartbeats: idle, running
  std::string job;
  int64_t done = 0, total = 0, spooled = 0;
  std::string connected_at, last_heartbeat;
  size_t in_flight = 0;                        // records received, not yet committed
  std::unique_ptr<asio::steady_timer> resume;  // wakes a reader paused by in_flight
};

// Prometheus metrics; counters only grow.
struct Metrics {
  // Upper bounds of the ingest latency histogram, seconds.
  static constexpr std::array<double, 10> kBuckets = {0.001, 0.002, 0.005, 0.01, 0.02,
                                                      0.05,  0.1,   0.25,  0.5,  1.0};
  uint64_t connections = 0, auth_failures = 0, protocol_errors = 0;
  uint64_t results_received = 0, results_acked = 0, frames_received = 0;
  uint64_t http_requests = 0;
  std::array<uint64_t, kBuckets.size()> latency_counts{};
  uint64_t latency_count = 0;
  double latency_sum = 0;
  void ObserveLatency(double seconds);
};

struct Coordinator::Impl {
  Impl(CoordinatorOptions o, std::ostream& l);

  // coordinator.cc: the agents.
  // Accepts connections on `acceptor` until stopping, handing each to `serve`.
  asio::awaitable<void> Accept(tcp::acceptor& acceptor, std::function<void(tcp::socket)> serve);
  void OnAgentConnection(tcp::socket socket);
  asio::awaitable<void> ServeAgent(std::shared_ptr<fleet::Channel> channel);
  asio::awaitable<void> Converse(std::shared_ptr<Session> session);
  // Takes the records out of `message`.
  asio::awaitable<bool> OnResult(const std::shared_ptr<Session>& session,
                                 fleet::ResultBatch& batch);
  bool OnJobDone(const std::shared_ptr<Session>& session, const nlohmann::json& message);
  asio::awaitable<void> ScheduleLoop(Schedule schedule);
  void Dispatch(const std::shared_ptr<Session>& session);
  // Queues `request` (suite, workload, agents, revision, options) on every
  // matching agent; the jobs as JSON, or what was wrong with the request.
  Result<nlohmann::json> SubmitJobs(const nlohmann::json& request, const std::string& origin);
  void Shutdown();
  asio::awaitable<void> FinishShutdown();
  void Log(const std::string& line);
  Status WriteReadyFile() const;

  // http_api.cc: the HTTP API.
  asio::awaitable<void> ServeHttp(tcp::socket socket);
  nlohmann::json AgentsJson() const;
  nlohmann::json JobJson(const store::JobRow& job) const;
  std::string MetricsText() const;

  CoordinatorOptions options;
  std::ostream& log;
  asio::io_context io{1};
  std::optional<asio::ssl::context> ssl;
  tcp::acceptor agent_acceptor{io};
  tcp::acceptor http_acceptor{io};
  std::unique_ptr<IngestWriter> writer;
  std::unique_ptr<store::ResultStore> reader;  // the HTTP API's queries, on `reads` only
  asio::thread_pool reads{1};                  // declared after `reader`: joined before it goes
  std::map<std::string, std::shared_ptr<Session>> sessions;  // connected, by agent name
  std::map<std::string, store::AgentRow> agents;             // every agent ever seen
  std::map<std::string, AgentFacts> facts;                   // what selectors match, by name
  std::map<std::string, store::JobRow> jobs;                 // by id
  std::vector<std::string> job_order;                        // ids, oldest first
  Metrics metrics;
  bool stopping = false;
  Status exit_status = Status::Ok();
};

}  // namespace effbench::coordinator
