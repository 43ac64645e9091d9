// The coordinator's life: creating it (database, TLS, listeners), running
// it (accept loops, schedules, leases, signals), logging and shutting down.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/file.h"
#include "core/time.h"
#include "harness/analysis/regressions.h"
#include "harness/coordinator/coordinator.h"
#include "harness/coordinator/internal/coordinator_impl.h"
#include "harness/coordinator/internal/shared_fleet.h"
#include "harness/fleet/spawn.h"
#include "harness/result/record.h"
#include "workloads/catalog/specs.h"

namespace effbench::coordinator {
Result<tcp::endpoint> ParseEndpoint(const std::string& text, const std::string& what) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) {
    return Status::InvalidArgument(what + " \"" + text + "\" is not HOST:PORT");
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty() || host == "*") host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  unsigned long port = 0;
  try {
    size_t used = 0;
    port = std::stoul(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || port > 65535) throw std::out_of_range("port");
  } catch (const std::exception&) {
    return Status::InvalidArgument(what + " \"" + text + "\": port must be 0-65535");
  }
  error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) {
    return Status::InvalidArgument(what + " \"" + text + "\": \"" + host +
                                   "\" is not an IP address");
  }
  return tcp::endpoint(address, static_cast<uint16_t>(port));
}

Coordinator::Impl::Impl(CoordinatorOptions o, std::ostream& l) : options(std::move(o)), log(l) {
  reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

Coordinator::Impl::~Impl() {
  if (reserve_fd >= 0) ::close(reserve_fd);
}

void Coordinator::Impl::Log(const std::string& line) {
  // A failed write (the log's disk full) sets the stream's badbit, which
  // would silence every later line, the recovery's included: clear it.
  log.clear();
  log << effbench::UtcNowIso8601(*options.clock) << " effbench serve: " << line << "\n"
      << std::flush;
}

Status Coordinator::Impl::WriteReadyFile() const {
  if (!options.ready_file) return Status::Ok();
  return WriteFileReplacing(
      *options.ready_file,
      json{{"agents", agent_acceptor.local_endpoint().port()},
           {"http", http_acceptor.is_open() ? http_acceptor.local_endpoint().port() : 0}}
              .dump() +
          "\n");
}

void Coordinator::Impl::LogLimited(LogLimiter& limiter, const std::string& line) {
  if (auto passed = limiter.Pass(options.clock->Steady(), line)) Log(*passed);
}

void Coordinator::Impl::ShedOne(tcp::acceptor& acceptor) {
  if (reserve_fd < 0) return;
  ::close(reserve_fd);
  const int fd = ::accept4(acceptor.native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
  if (fd >= 0) {
    ::close(fd);
    ++metrics.connections_shed;
  }
  reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

asio::awaitable<void> Coordinator::Impl::Accept(tcp::acceptor& acceptor,
                                                std::function<void(tcp::socket)> serve) {
  // A failing accept (EMFILE at the descriptor limit) fails again at once:
  // back off, log the state change and not every failure.
  auto backoff = 10ms;
  uint64_t failures = 0;
  asio::steady_timer pause(io);
  while (!stopping) {
    error_code ec;
    tcp::socket socket =
        co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (stopping || ec == asio::error::operation_aborted) break;
      if (failures++ == 0) {
        Log("accept on port " + std::to_string(acceptor.local_endpoint().port()) + " failed: " +
            ec.message() + "; shedding new connections and backing off until it works again");
      }
      if (ec == asio::error::no_descriptors || ec.value() == ENFILE) ShedOne(acceptor);
      pause.expires_after(backoff);
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, 1s);
      continue;
    }
    if (failures > 0) {
      Log("accepting again on port " + std::to_string(acceptor.local_endpoint().port()) +
          " after " + std::to_string(failures) + " failed accept(s)");
      failures = 0;
      backoff = 10ms;
    }
    serve(std::move(socket));
  }
}

void Coordinator::Impl::Fatal(const std::string& failure) {
  Log(failure + "; the coordinator cannot go on without it");
  if (exit_status.ok()) exit_status = Status::Internal(failure);
  Shutdown();
}

void Coordinator::Impl::Shutdown() {
  if (stopping) return;
  stopping = true;
  ingest->Stop();
  jobs->Stop();
  Log("stopping: no new connections; telling " + std::to_string(roster.sessions().size()) +
      " agent(s); draining the write queue");
  error_code ignored;
  agent_acceptor.close(ignored);
  http_acceptor.close(ignored);
  sessions->Stop();
  // Failing, it cannot finish itself: Fatal's Shutdown is a no-op by now.
  fleet::Spawn(io, FinishShutdown(), "the shutdown", [this](const std::string& m) {
    Fatal(m);
    io.stop();
  });
}

asio::awaitable<void> Coordinator::Impl::FinishShutdown() {
  co_await sessions->Close(1s);
  if (!ingest->Drain(options.drain_timeout)) {
    exit_status = Status::Internal("the write queue did not drain within " +
                                   std::to_string(options.drain_timeout.count()) + " ms; " +
                                   std::to_string(ingest->queued_records()) +
                                   " results left unacknowledged (agents will resend them)");
  }
  io.stop();
}

asio::awaitable<Status> Coordinator::Impl::ForgetAgent(const std::string& name) {
  if (!roster.Known(name)) co_return Status::NotFound("no agent " + name);
  if (roster.Live(name) || roster.Elsewhere(name)) {
    co_return Status::FailedPrecondition("agent " + name + " is connected" +
                                         (roster.Live(name) ? "" : " to another coordinator") +
                                         "; stop it before forgetting it");
  }
  const FleetWrites::Operation remove = [name](store::RunStore&, store::FleetStore& fleet) {
    return fleet.RemoveAgent(name);
  };
  const Status removed = co_await Write(*ingest, remove);
  if (!removed.ok()) co_return removed;
  roster.Forget(name);
  const size_t cancelled = co_await jobs->CancelJobsOf(name);
  Log("agent " + name + " forgotten; " + std::to_string(cancelled) +
      " unfinished job(s) cancelled");
  co_return Status::Ok();
}

asio::awaitable<void> Coordinator::Impl::SyncLoop() {
  asio::steady_timer tick(io);
  while (!stopping) {
    tick.expires_after(options.sync_interval);
    error_code ec;
    co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopping) break;
    co_await Sync();
  }
}

asio::awaitable<void> Coordinator::Impl::Sync() {
  const auto fresh = PresenceFresh(options.heartbeat, options.heartbeat_misses);
  const std::vector<std::string> unfinished = jobs->queue().Unfinished();
  std::set<std::string> known;
  for (const auto& [name, row] : roster.agents()) known.insert(name);
  const Result<FleetSnapshot> snapshot = co_await OnReader<FleetSnapshot>(
      [&](store::QueryStore& db) { return ReadFleet(db, unfinished, known, fresh); });
  if (stopping) co_return;
  if (!snapshot.ok()) {
    // The writer's health says whether the database is down; this read
    // fails alike, and is tried again each interval.
    if (!std::exchange(sync_failing, true)) {
      Log("cannot read the database's fleet: " + snapshot.status().message());
    }
    co_return;
  }
  if (std::exchange(sync_failing, false)) Log("reading the database's fleet again");
  std::set<std::string> elsewhere;
  for (const store::AgentPresenceRow& p : snapshot->presence) {
    if (p.coordinator != options.id) elsewhere.insert(p.name);
  }
  roster.Sync(snapshot->agents, snapshot->facts, std::move(elsewhere), options.clock->Steady());
  sessions->SyncKeys(snapshot->keys);
  jobs->Sync(snapshot->jobs);
}

void Coordinator::Impl::CheckRun(const std::string& run_id) {
  auto found = std::make_shared<std::vector<std::string>>();
  ingest->Execute(
      [run_id, found, change_points = options.detection](store::Store& db) {
        auto changes = analysis::CheckRun(db, db, run_id, change_points);
        if (!changes.ok()) {
          found->push_back("regression check failed: " + changes.status().message());
        } else {
          *found = analysis::DescribeNewChanges(*changes, run_id);
        }
        return Status::Ok();
      },
      [this, run_id, found](Status) {
        for (const std::string& line : *found) Log("run " + run_id + ": " + line);
      });
}

Coordinator::Coordinator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Coordinator::~Coordinator() = default;

uint16_t Coordinator::agent_port() const { return impl_->agent_acceptor.local_endpoint().port(); }
uint16_t Coordinator::http_port() const {
  return impl_->http_acceptor.is_open() ? impl_->http_acceptor.local_endpoint().port() : 0;
}

Result<std::unique_ptr<Coordinator>> Coordinator::Create(CoordinatorOptions options,
                                                         std::ostream& log) {
  for (const Schedule& s : options.schedules) {
    auto at = ParseDailyTime(s.at);
    if (!at.ok()) return at.status();
    EFFBENCH_RETURN_IF_ERROR(ValidateSelector(s.agents));
    auto selected = catalog::Select(
        s.suite, s.workload.empty() ? std::nullopt : std::optional<std::string>(s.workload));
    if (!selected.ok()) return selected.status().WithContext("schedule " + s.at);
    auto o = JobOptions(s.options);
    if (!o.ok()) return o.status().WithContext("schedule " + s.at);
  }
  if (options.id.empty()) {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    options.id =
        std::string(host) + ":" + std::to_string(::getpid()) + ":" + result::NewUuid().substr(0, 8);
  }
  auto impl = std::make_unique<Impl>(std::move(options), log);
  Impl& c = *impl;
  // The HTTP port may hold a quarter of the descriptors left after a reserve:
  // at `ulimit -n 256`, 48 half-sent requests, and the agents keep the rest.
  rlimit nofile{};
  const size_t limit = ::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY
                           ? static_cast<size_t>(nofile.rlim_cur)
                           : SIZE_MAX;
  c.http_connections = HttpConnections(HttpConnectionCap(c.options.http_max_connections, limit));
  if (c.options.http && c.http_connections.max() < c.options.http_max_connections) {
    c.Log("HTTP: at most " + std::to_string(c.http_connections.max()) +
          " connections (--http-max-connections " + std::to_string(c.options.http_max_connections) +
          ", descriptor limit " + std::to_string(limit) + ")");
  }
  auto db = store::OpenStore(c.options.db_path, store::Durability::kFull,
                             store::OpenCheck::kQuickCheck, c.options.db_transport);
  if (!db.ok()) return db.status();
  // The writer above checked every page; the reader need not again.
  auto reader = store::OpenStore(c.options.db_path, store::Durability::kNormal,
                                 store::OpenCheck::kNone, c.options.db_transport);
  if (!reader.ok()) return reader.status();
  c.reader = std::move(*reader);

  auto agents = (*db)->Agents();
  if (!agents.ok()) return agents.status();
  auto machines = (*db)->Machines();
  if (!machines.ok()) return machines.status();
  for (const store::AgentRow& a : *agents) c.roster.Restore(a, FactsOf(a, *machines));
  auto jobs = (*db)->Jobs();
  if (!jobs.ok()) return jobs.status();
  auto keys = (*db)->AgentKeys();
  if (!keys.ok()) return keys.status();
  // A write before either port opens: a coordinator restarted on a full
  // disk is unhealthy from its first /healthz on, not "ok" until the first
  // agent's write fails.
  const Status writable = (*db)->ProbeWrite();
  c.ingest = std::make_unique<IngestPipeline>(
      c.io, std::move(*db), c.options.db_path,
      IngestPipeline::Hooks{[&c](const std::string& m) { c.Log(m); },
                            [&c](const std::string& m) { c.Fatal(m); },
                            [&c](const std::optional<std::string>& fault) {
                              if (c.sessions) c.sessions->OnStoreHealth(fault);
                            }},
      writable);
  c.jobs = std::make_unique<JobService>(
      c.io, c.roster, *c.ingest,
      JobService::Hooks{[&c](const std::string& m) { c.Log(m); },
                        [&c](const std::string& agent, const json& message) {
                          const auto session = c.roster.Live(agent);
                          return session && session->channel->Send(message);
                        },
                        [&c](const std::string& agent) {
                          if (const auto session = c.roster.Live(agent)) session->channel->Close();
                        },
                        [&c](const std::string& run_id) { c.CheckRun(run_id); }},
      JobService::Options{c.options.clock, c.options.heartbeat, c.options.job_lease,
                          c.options.agent_ttl, c.options.id});
  c.jobs->Restore(*jobs);

  const auto tls = [](const std::optional<std::string>& cert, const std::optional<std::string>& key,
                      const std::string& flag,
                      std::optional<asio::ssl::context>& context) -> Status {
    if (!cert && !key) return Status::Ok();
    if (!cert || !key) {
      return Status::InvalidArgument("TLS needs both " + flag + "-cert and " + flag + "-key");
    }
    context.emplace(asio::ssl::context::tls_server);
    context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                         asio::ssl::context::no_tlsv1_1);
    error_code ec;
    context->use_certificate_chain_file(*cert, ec);
    if (ec) return Status::InvalidArgument(flag + "-cert " + *cert + ": " + ec.message());
    context->use_private_key_file(*key, asio::ssl::context::pem, ec);
    if (ec) return Status::InvalidArgument(flag + "-key " + *key + ": " + ec.message());
    return Status::Ok();
  };
  EFFBENCH_RETURN_IF_ERROR(tls(c.options.tls_cert, c.options.tls_key, "--tls", c.ssl));
  EFFBENCH_RETURN_IF_ERROR(
      tls(c.options.http_tls_cert, c.options.http_tls_key, "--http-tls", c.http_ssl));
  if (c.http_ssl && !c.options.http) {
    return Status::InvalidArgument("--http-tls-cert needs --http HOST:PORT");
  }

  const auto bind = [&](tcp::acceptor& acceptor, const std::string& text,
                        const std::string& what) -> Status {
    auto endpoint = ParseEndpoint(text, what);
    if (!endpoint.ok()) return endpoint.status();
    error_code ec;
    acceptor.open(endpoint->protocol(), ec);
    if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor.bind(*endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Status::IoError(what + " " + text + ": " + ec.message());
    return Status::Ok();
  };
  c.sessions = std::make_unique<AgentSessions>(
      c.io, c.options, c.ssl ? &*c.ssl : nullptr, c.roster, *c.jobs, *c.ingest, c.metrics,
      AgentSessions::Hooks{[&c](const std::string& m) { c.Log(m); }});
  EFFBENCH_RETURN_IF_ERROR(c.sessions->RestoreKeys(*keys).WithContext(c.options.db_path));
  EFFBENCH_RETURN_IF_ERROR(bind(c.agent_acceptor, c.options.listen, "--listen"));
  if (c.options.http) EFFBENCH_RETURN_IF_ERROR(bind(c.http_acceptor, *c.options.http, "--http"));
  return std::unique_ptr<Coordinator>(new Coordinator(std::move(impl)));
}

void Coordinator::Stop() {
  asio::post(impl_->io, [impl = impl_.get()] { impl->Shutdown(); });
}

Status Coordinator::Run() {
  Impl& c = *impl_;
  asio::signal_set signals(c.io, SIGTERM, SIGINT);
  signals.async_wait([&c](error_code ec, int signal) {
    if (ec) return;
    c.Log(std::string("received ") + (signal == SIGTERM ? "SIGTERM" : "SIGINT"));
    c.Shutdown();
  });
  const auto fatal = [&c](const std::string& m) { c.Fatal(m); };
  fleet::Spawn(c.io,
               c.Accept(c.agent_acceptor, [&c](tcp::socket s) { c.sessions->Serve(std::move(s)); }),
               "accepting agents", fatal);
  if (c.http_acceptor.is_open()) {
    fleet::Spawn(c.io,
                 c.Accept(c.http_acceptor,
                          [&c](tcp::socket s) {
                            fleet::Spawn(c.io, c.ServeHttp(std::move(s)), "an HTTP connection",
                                         [&c](const std::string& m) { c.Log(m); });
                          }),
                 "accepting HTTP connections", fatal);
  }
  for (const Schedule& s : c.options.schedules) {
    fleet::Spawn(c.io, c.jobs->ScheduleLoop(s), "the schedule " + s.at, fatal);
  }
  // Agents not connected yet have their jobs' lease from now on.
  c.roster.StartLeases(c.options.clock->Steady());
  fleet::Spawn(c.io, c.jobs->LeaseLoop(), "the job lease check", fatal);
  fleet::Spawn(c.io, c.SyncLoop(), "the sync with the database's fleet", fatal);
  const size_t pending = c.jobs->unfinished();
  c.Log("serving agents on " + c.options.listen + " (port " + std::to_string(agent_port()) +
        (c.ssl ? ", TLS" : ", HMAC auth without TLS") + ")" +
        (c.http_acceptor.is_open()
             ? ", HTTP API on port " + std::to_string(http_port()) + (c.http_ssl ? " (HTTPS)" : "")
             : "") +
        "; database " + c.options.db_path + " as coordinator " + c.options.id + "; " +
        std::to_string(c.roster.agents().size()) + " known agent(s), " + std::to_string(pending) +
        " unfinished job(s)");
  EFFBENCH_RETURN_IF_ERROR(c.WriteReadyFile());
  c.io.run();
  c.Log(c.exit_status.ok() ? "stopped cleanly" : "stopped: " + c.exit_status.message());
  return c.exit_status;
}

}  // namespace effbench::coordinator
