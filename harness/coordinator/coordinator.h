// effbench serve: the fleet's coordinator. One network thread (Boost.Asio,
// C++20 coroutines) serves the agents and the HTTP API; one writer thread owns
// the store (IngestWriter: SQLite or PostgreSQL). It keeps the registry of
// agents, queues and dispatches jobs (now or on a nightly schedule), and
// acknowledges each result only after its commit. Several coordinators may
// share one database: jobs are claimed and leased there, and each reads what
// the others did every second (sync_interval).
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "harness/fleet/auth.h"
#include "harness/fleet/channel_limits.h"
#include "harness/stats/change_points.h"
#include "harness/store/stores.h"

namespace effbench::coordinator {

// A nightly job: `suite` on the agents matching `agents` at `at` (local time).
struct Schedule {
  std::string at;  // "02:00" (or "02:00:30")
  std::string suite = "standard";
  std::string workload;  // a glob narrowing the suite; empty: all of it
  std::string agents = "*";
  nlohmann::json options = nlohmann::json::object();  // repetitions, min_time_s, threads, seed
};

struct CoordinatorOptions {
  std::string db_path = "effbench.db";  // a SQLite file or a postgresql:// URI
  // This coordinator's name among those sharing the database: what holds its
  // job leases and its agents' presence. Empty: HOST:PID:RANDOM, made at start.
  std::string id;
  // Whether a PostgreSQL server on another machine may be reached without
  // TLS (--insecure).
  store::ServerTransport db_transport = store::ServerTransport::kTlsUnlessLocal;
  std::string listen = "127.0.0.1:7450";                   // agents; port 0 picks one
  std::optional<std::string> http;                         // the HTTP API, e.g. 127.0.0.1:7451
  std::optional<std::string> tls_cert, tls_key;            // the agents' listener
  std::optional<std::string> http_tls_cert, http_tls_key;  // the HTTP API
  bool http_read_token = false;  // GET /api/* needs the token too (/healthz, /metrics do not)
  fleet::Key stored_key{};       // from the token file; the token itself is not kept
  // Agents must prove a key of their own (`agents enroll`); the fleet token
  // opens no agent name, only the HTTP API.
  bool require_enrolled = false;
  // How a finished run's series are checked for changes.
  stats::ChangePointOptions detection = stats::kDetectionDefaults;
  std::chrono::milliseconds heartbeat{5'000};
  int heartbeat_misses = 3;  // silent this many heartbeats: the agent is gone
  fleet::ChannelLimits limits;
  // Until a peer's hello is verified: the largest frame it may send, and how
  // many such connections may be open at once (more are closed at accept).
  size_t preauth_max_frame = 64 * 1024;
  size_t max_preauth = 64;
  // The HTTP port's open connections at most (fewer under a low descriptor
  // limit: HttpConnectionCap); at the cap a new connection takes the place of
  // the one waiting longest for its request. A request must arrive whole
  // within http_request_timeout.
  size_t http_max_connections = 256;
  std::chrono::milliseconds http_request_timeout{30'000};
  // A job dispatched to an agent that stays disconnected this long fails,
  // with the reason (what it measured so far is kept); its agent's later jobs
  // run when it returns.
  std::chrono::milliseconds job_lease{600'000};
  // Selectors ("*", labels, globs) match agents connected now or seen within
  // this; an exact agent name matches it whenever it was last seen.
  std::chrono::milliseconds agent_ttl{24 * 3600'000};
  size_t max_in_flight = 16'384;  // records per agent received and not yet committed
  std::chrono::milliseconds drain_timeout{10'000};
  std::vector<Schedule> schedules;
  std::optional<std::string> ready_file;  // JSON {"agents": port, "http": port} once serving
  // How often the coordinator reads what other coordinators on the same
  // database did (jobs, agents, keys, presence).
  std::chrono::milliseconds sync_interval{1'000};
  // Every time the coordinator reads: schedules, leases, stamps. Tests inject
  // one; it must outlive the coordinator.
  const Clock* clock = &Clock::System();
};

class Coordinator {
 public:
  // Opens the database, loads queued jobs, binds the listeners.
  static Result<std::unique_ptr<Coordinator>> Create(CoordinatorOptions options, std::ostream& log);
  ~Coordinator();

  // Serves until SIGTERM or SIGINT: then stops accepting, says bye to the
  // agents, drains the write queue (within drain_timeout) and returns.
  Status Run();
  // Asks Run to stop as SIGTERM does. Safe from any thread.
  void Stop();

  uint16_t agent_port() const;
  uint16_t http_port() const;  // 0 without an HTTP listener

 private:
  struct Impl;
  explicit Coordinator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace effbench::coordinator
