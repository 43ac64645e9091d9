#include "harness/coordinator/coordinator.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <random>

#include "core/time.h"
#include "harness/analysis/regressions.h"
#include "harness/coordinator/coordinator_impl.h"
#include "harness/engine/workload_selection.h"
#include "harness/fleet/spawn.h"
#include "harness/result/record.h"

namespace effbench::coordinator {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using boost::system::error_code;
using fleet::ErrorCode;
using fleet::ProtocolError;

constexpr char kServerVersion[] = "effbench-serve/" EFFBENCH_VERSION;

json ParseOr(const std::string& text, json fallback) {
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? fallback : j;
}

// The options of a job request with their defaults filled in, or what is wrong.
Result<json> JobOptions(const json& given) {
  if (!given.is_object()) return Status::InvalidArgument("\"options\" must be an object");
  json o = {{"repetitions", 5}, {"min_time_s", 0.1}, {"threads", 1}};
  for (const auto& [key, value] : given.items()) {
    if (!o.contains(key) && key != "seed") {
      return Status::InvalidArgument("unknown option \"" + key +
                                     "\" (known: repetitions, min_time_s, threads, seed)");
    }
    o[key] = value;
  }
  if (!o["repetitions"].is_number_integer() || o["repetitions"].get<int64_t>() < 1 ||
      o["repetitions"].get<int64_t>() > 1000) {
    return Status::InvalidArgument("options.repetitions must be an integer in [1, 1000]");
  }
  if (!o["min_time_s"].is_number() || o["min_time_s"].get<double>() < 0.0001 ||
      o["min_time_s"].get<double>() > 3600) {
    return Status::InvalidArgument("options.min_time_s must be a number in [0.0001, 3600]");
  }
  if (!o["threads"].is_number_integer() || o["threads"].get<int64_t>() < 1 ||
      o["threads"].get<int64_t>() > 4096) {
    return Status::InvalidArgument("options.threads must be an integer in [1, 4096]");
  }
  if (!o.contains("seed")) o["seed"] = std::random_device{}() & 0x7fffffff;
  if (!o["seed"].is_number_unsigned()) {
    return Status::InvalidArgument("options.seed must be a non-negative integer");
  }
  return o;
}

Result<json> JobRevision(const json& given) {
  if (!given.is_object()) return Status::InvalidArgument("\"revision\" must be an object");
  json r = {{"repo", ""}, {"commit", "unknown"}, {"branch", ""}};
  for (const auto& [key, value] : given.items()) {
    if (!r.contains(key) && key != "time") {
      return Status::InvalidArgument("unknown revision field \"" + key +
                                     "\" (known: repo, commit, branch, time)");
    }
    if (!value.is_string()) {
      return Status::InvalidArgument("revision." + key + " must be a string");
    }
    r[key] = value;
  }
  if (r["commit"].get<std::string>().empty()) r["commit"] = "unknown";
  return r;
}

}  // namespace

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
  const std::string tmp = *options.ready_file + ".tmp";
  {
    std::ofstream out(tmp);
    out << json{{"agents", agent_acceptor.local_endpoint().port()},
                {"http", http_acceptor.is_open() ? http_acceptor.local_endpoint().port() : 0}}
               .dump()
        << "\n";
    if (!out) return Status::IoError("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), options.ready_file->c_str()) != 0) {
    return Status::IoError("cannot rename " + tmp + " to " + *options.ready_file);
  }
  return Status::Ok();
}

void Coordinator::Impl::LogLimited(LogLimiter& limiter, const std::string& line) {
  uint64_t suppressed = 0;
  if (!limiter.Allow(options.clock->Steady(), suppressed)) return;
  Log(line + (suppressed > 0 ? " (" + std::to_string(suppressed) + " similar lines not logged)"
                             : std::string()));
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

void Coordinator::Impl::OnAgentConnection(tcp::socket socket) {
  error_code ec;
  if (preauth >= options.max_preauth) {
    ++metrics.connections_shed;
    const auto peer = socket.remote_endpoint(ec);
    LogLimited(peer_log, (ec ? std::string("a peer") : peer.address().to_string()) +
                             ": closed at once: " + std::to_string(preauth) +
                             " connections are already waiting to authenticate");
    socket.close(ec);
    return;
  }
  socket.set_option(tcp::no_delay(true), ec);
  ++metrics.connections;
  std::shared_ptr<fleet::Channel> channel =
      ssl ? std::make_shared<fleet::Channel>(fleet::SslStream(std::move(socket), *ssl),
                                             options.limits)
          : std::make_shared<fleet::Channel>(std::move(socket), options.limits);
  channel->SetMaxFrame(std::min(options.preauth_max_frame, options.limits.max_frame));
  fleet::Spawn(io, ServeAgent(channel), "the session of a connection",
               [this, channel](const std::string& m) {
                 Log(m);
                 channel->Close();
               });
}

asio::awaitable<std::optional<fleet::Hello>> Coordinator::Impl::Authenticate(
    const std::shared_ptr<fleet::Channel>& channel, const std::string& peer) {
  if (auto failed = co_await channel->Handshake(asio::ssl::stream_base::server, 10s)) {
    LogLimited(peer_log, peer + ": " + *failed);
    co_return std::nullopt;
  }
  const std::string nonce = fleet::NewNonceHex();
  channel->Send(fleet::ToJson(fleet::Challenge{nonce, kServerVersion, channel->tls()}));

  fleet::ReadOutcome hello = co_await channel->Read(options.limits.frame_timeout);
  if (hello.closed) co_return std::nullopt;
  if (hello.error) {
    ++metrics.protocol_errors;
    LogLimited(peer_log, peer + ": refused before authentication: " + hello.error->message);
    channel->Fail(*hello.error);
    co_return std::nullopt;
  }
  const std::string type = hello.message["type"];
  if (type != "hello") {
    ++metrics.protocol_errors;
    channel->Fail(
        {ErrorCode::kUnexpected, "expected hello, got " + type + " before authentication"});
    co_return std::nullopt;
  }
  auto m = fleet::As<fleet::Hello>(hello.message);
  const std::string& name = m.name;
  const json& machine = m.machine;
  const std::string fingerprint = machine["fingerprint"];
  bool authenticated = false;
  std::string why = "wrong fleet token";
  if (m.token) {
    if (channel->tls()) {
      authenticated = fleet::VerifyToken(options.stored_key, *m.token);
    } else {
      why = "the token was sent in clear: without TLS only the HMAC proof is accepted";
    }
  } else {
    authenticated = fleet::VerifyProof(
        options.stored_key, fleet::AuthMessage(nonce, name, fingerprint), m.proof.value_or(""));
  }
  if (!authenticated) {
    ++metrics.auth_failures;
    LogLimited(peer_log, peer + ": agent \"" + name + "\" refused: " + why);
    channel->Fail({ErrorCode::kUnauthorized, "authentication failed: " + why});
    co_return std::nullopt;
  }
  if (stopping) {
    channel->Send(fleet::ByeMessage("coordinator shutting down"));
    co_await channel->Flush(1s);
    channel->Close();
    co_return std::nullopt;
  }
  co_return m;
}

std::shared_ptr<Session> Coordinator::Impl::Register(const std::shared_ptr<fleet::Channel>& channel,
                                                     const fleet::Hello& m,
                                                     const std::string& peer) {
  const std::string& name = m.name;
  const json& machine = m.machine;
  const std::string fingerprint = machine["fingerprint"];
  channel->SetMaxFrame(options.limits.max_frame);
  auto session = std::make_shared<Session>();
  session->name = name;
  session->fingerprint = fingerprint;
  session->version = m.version;
  session->labels = m.labels;
  session->channel = channel;
  session->connected_at = session->last_heartbeat = effbench::UtcNowIso8601(*options.clock);
  session->resume = std::make_unique<asio::steady_timer>(io);
  session->facts = AgentFacts{name, machine["hostname"], machine["arch"], {}};
  for (const auto& [k, v] : session->labels.items()) session->facts.labels[k] = v;
  if (auto old = sessions.find(name); old != sessions.end()) {
    Log("agent " + name + " reconnected from " + peer + "; closing its older connection");
    old->second->channel->Send(fleet::ByeMessage("replaced by a newer connection of this agent"));
    old->second->channel->Close();
  }
  sessions[name] = session;
  facts[name] = session->facts;
  gone_since.erase(name);
  const std::string now = session->connected_at;
  store::AgentRow row{name, fingerprint, session->version, session->labels.dump(), now, now};
  if (auto known = agents.find(name); known != agents.end())
    row.first_seen = known->second.first_seen;
  agents[name] = row;
  std::optional<std::string> calibration;
  if (machine.contains("calibration") && machine["calibration"].is_object()) {
    calibration = machine["calibration"].dump();
  }
  store::MachineRow machine_row{fingerprint,
                                machine["hostname"],
                                machine["cpu_model"],
                                machine["arch"],
                                machine["inventory"].dump(),
                                calibration,
                                now,
                                now};
  writer->Execute(
      [machine_row, row](store::ResultStore& db) {
        EFFBENCH_RETURN_IF_ERROR(db.UpsertMachine(machine_row));
        return db.UpsertAgent(row);
      },
      [this, name](Status s) {
        if (!s.ok()) Log("agent " + name + ": cannot store its machine: " + s.message());
      });

  channel->Send(
      fleet::ToJson(fleet::Welcome{name, std::chrono::duration<double>(options.heartbeat).count(),
                                   static_cast<int64_t>(options.limits.max_frame)}));
  Log("agent " + name + " connected from " + peer + (channel->tls() ? " (TLS)" : "") + ", " +
      std::string(machine["cpu_model"]) + ", " + session->version);
  return session;
}

void Coordinator::Impl::Unregister(const std::shared_ptr<Session>& session) {
  const std::string& name = session->name;
  if (auto it = sessions.find(name); it != sessions.end() && it->second == session) {
    sessions.erase(it);
    gone_since[name] = options.clock->Steady();
    if (auto known = agents.find(name); known != agents.end()) {
      known->second.last_seen = effbench::UtcNowIso8601(*options.clock);
      writer->Execute([row = known->second](store::ResultStore& db) { return db.UpsertAgent(row); },
                      [this](Status s) { NoteWrite(s); });
    }
    Log("agent " + name + " disconnected");
  }
  session->resume->cancel();
}

asio::awaitable<void> Coordinator::Impl::ServeAgent(std::shared_ptr<fleet::Channel> channel) {
  fleet::Spawn(io, channel->WriteLoop(), "a connection's writer",
               [this, channel](const std::string& m) {
                 Log(m);
                 channel->Close();
               });
  // However this ends (the peer gone, refused, a protocol error), the socket
  // is closed now, not left in CLOSE_WAIT; and it stops counting as a
  // pre-authentication connection once authenticated or gone.
  struct Guard {
    Impl& c;
    std::shared_ptr<fleet::Channel> channel;
    bool preauth = true;
    void Authenticated() {
      if (std::exchange(preauth, false)) --c.preauth;
    }
    ~Guard() {
      Authenticated();
      if (!channel->closed()) channel->Close();
    }
  } guard{*this, channel};
  ++preauth;
  const std::string peer = channel->remote();
  const std::optional<fleet::Hello> hello = co_await Authenticate(channel, peer);
  if (!hello) co_return;
  guard.Authenticated();
  const std::shared_ptr<Session> session = Register(channel, *hello, peer);
  Dispatch(session);
  co_await Converse(session);
  Unregister(session);
}

asio::awaitable<void> Coordinator::Impl::Converse(std::shared_ptr<Session> session) {
  const auto channel = session->channel;
  const auto idle = options.heartbeat * options.heartbeat_misses;
  channel->SetDecoding(fleet::Decoding::kResultRows);
  while (!channel->closed()) {
    fleet::ReadOutcome in = co_await channel->Read(idle);
    if (in.closed) break;
    if (in.error) {
      ++metrics.protocol_errors;
      Log("agent " + session->name + ": " + std::string(fleet::ErrorCodeName(in.error->code)) +
          ": " + in.error->message + "; closing");
      channel->Fail(*in.error);
      break;
    }
    ++metrics.frames_received;
    if (in.results) {
      if (!co_await OnResult(session, *in.results)) break;
      continue;
    }
    const std::string type = in.message["type"];
    if (type == "heartbeat") {
      const auto heartbeat = fleet::As<fleet::Heartbeat>(in.message);
      const std::string previous = session->state;
      session->state = heartbeat.state;
      session->job = heartbeat.job;
      NotePause(*session, previous, heartbeat.problem.value_or(""));
      session->done = heartbeat.done;
      session->total = heartbeat.total;
      session->spooled = heartbeat.spooled;
      session->last_heartbeat = effbench::UtcNowIso8601(*options.clock);
    } else if (type == "job_done") {
      const auto done = fleet::As<fleet::JobDone>(in.message);
      if (!OnJobDone(session, done)) {
        channel->Fail({ErrorCode::kInvalid, "job_done for job " + done.job_id +
                                                ", which was not given to agent " + session->name});
        break;
      }
    } else if (type == "bye") {
      Log("agent " + session->name + " said bye: " + fleet::As<fleet::Bye>(in.message).reason);
      channel->Close();
      break;
    } else {
      ++metrics.protocol_errors;
      channel->Fail(
          {ErrorCode::kUnexpected, type + " is not a message an agent sends after hello"});
      break;
    }
  }
}

asio::awaitable<bool> Coordinator::Impl::OnResult(const std::shared_ptr<Session>& session,
                                                  fleet::ResultBatch& batch) {
  const auto channel = session->channel;
  const auto received = options.clock->Steady();
  const std::string job_id = batch.job_id;
  const store::JobRow* job = queue.Find(job_id);
  if (job == nullptr) {
    if (!co_await AdoptUnknownJob(session, batch)) co_return false;
    job = queue.Find(job_id);
  }
  if (job->agent != session->name) {
    ++metrics.protocol_errors;
    channel->Fail({ErrorCode::kInvalid, "result for job " + job_id + ", which was given to agent " +
                                            job->agent + ", not to " + session->name});
    co_return false;
  }
  std::vector<result::RecordRow>& records = batch.rows;
  std::vector<std::string> ids;
  ids.reserve(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].run_id != job->run_id) {
      ++metrics.protocol_errors;
      channel->Fail({ErrorCode::kInvalid, "result record " + std::to_string(i) + ": run_id " +
                                              records[i].run_id + " is not job " + job_id +
                                              "'s run " + job->run_id});
      co_return false;
    }
    ids.push_back(records[i].id);
  }
  metrics.results_received += records.size();
  session->in_flight += records.size();
  std::weak_ptr<Session> weak = session;
  const size_t n = records.size();
  writer->Ingest(std::move(records), [this, weak, ids = std::move(ids), n, received](Status s) {
    NoteWrite(s);
    auto live = weak.lock();
    if (!live) return;
    live->in_flight -= n;
    if (live->in_flight <= options.max_in_flight / 2) live->resume->cancel();
    if (!s.ok()) {
      // Not acknowledged: the agent keeps them and sends them again after
      // reconnecting. NoteWrite logged the fault once.
      live->channel->Fail({ErrorCode::kInternal, "results not stored: " + s.message()});
      return;
    }
    if (!live->channel->Send(fleet::ToJson(fleet::Ack{ids}))) {
      live->channel->Close();  // it does not read: it will resend after reconnecting
      return;
    }
    metrics.results_acked += n;
    metrics.ObserveLatency(
        std::chrono::duration<double>(options.clock->Steady() - received).count());
  });
  while (session->in_flight > options.max_in_flight && !channel->closed()) {
    session->resume->expires_at(asio::steady_timer::time_point::max());
    error_code ignored;
    co_await session->resume->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  co_return true;
}

asio::awaitable<bool> Coordinator::Impl::AdoptUnknownJob(const std::shared_ptr<Session>& session,
                                                         const fleet::ResultBatch& batch) {
  const auto refuse = [&](const std::string& why) {
    ++metrics.protocol_errors;
    LogLimited(peer_log, "agent " + session->name + ": " + why);
    session->channel->Fail({ErrorCode::kInvalid, why});
    return false;
  };
  const std::string& job_id = batch.job_id;
  if (batch.rows.empty())
    co_return refuse("result for job " + job_id + ", unknown here, with no records");
  const json first = json::parse(batch.rows.front().record_json, nullptr, false);
  const std::string run_id = batch.rows.front().run_id;
  if (!first.is_object() || first.value("machine", "") != session->fingerprint ||
      !first.contains("revision")) {
    co_return refuse("result for job " + job_id + ", unknown here, from records that do not " +
                     "name this agent's machine");
  }
  for (const auto& row : batch.rows) {
    if (row.run_id != run_id)
      co_return refuse("result for job " + job_id + ": records of two runs");
  }
  std::string owner;  // the job whose run this is already
  queue.ForEach([&](const store::JobRow& j) {
    if (owner.empty() && j.run_id == run_id) owner = j.id;
  });
  if (!owner.empty()) {
    co_return refuse("result for job " + job_id + ": its run " + run_id + " is job " + owner +
                     "'s");
  }
  const std::string now = effbench::UtcNowIso8601(*options.clock);
  const json spec = {{"workloads", json::array()},
                     {"revision", first["revision"]},
                     {"options", json::object()},
                     {"recovered", true}};
  const std::string why =
      "re-created from its results: this coordinator's database did not know it";
  store::JobRow job{job_id,       session->name, run_id, "recovered", spec.dump(),
                    "dispatched", now,           now,    why};
  store::RunRow run{run_id,
                    session->fingerprint,
                    result::RevisionFromJson(first["revision"]),
                    "recovered",
                    now,
                    std::nullopt,
                    json{{"agent", session->name}, {"job", job_id}, {"recovered", true}}.dump()};
  // Named, not a temporary in the co_await: GCC 12 destroys those twice.
  const IngestWriter::Operation adopt = [job, run](store::ResultStore& db) {
    EFFBENCH_RETURN_IF_ERROR(db.BeginRun(run));
    return db.InsertJob(job);
  };
  const Status stored = co_await Write(adopt);
  if (!stored.ok()) {
    session->channel->Close();  // nothing acknowledged: the agent sends it again later
    co_return false;
  }
  queue.Add(job);
  Log("agent " + session->name + " sent results of job " + job_id +
      ", which this database did not know (restored from a backup?): re-created it as run " +
      run_id + " from the results' own run, machine and revision fields");
  co_return true;
}

bool Coordinator::Impl::OnJobDone(const std::shared_ptr<Session>& session,
                                  const fleet::JobDone& message) {
  const std::string job_id = message.job_id;
  const store::JobRow* job = queue.Find(job_id);
  if (job == nullptr) {
    // A job this database never knew, and with no result (else the results
    // would have re-created it): nothing to record. Acknowledged, so that the
    // agent forgets it instead of sending it forever.
    Log("agent " + session->name + ": job_done for job " + job_id +
        ", unknown here and without results; acknowledged and forgotten");
    session->channel->Send(fleet::ToJson(fleet::Ack{{job_id}}));
    return true;
  }
  if (job->agent != session->name || job->run_id != message.run_id) {
    return false;
  }
  const bool ok = message.ok;
  const bool cancelled = job->state == "cancelled";
  const std::string state = cancelled ? "cancelled" : ok ? "done" : "failed";
  std::optional<std::string> error = message.error;
  if (cancelled) error = job->error;
  const std::string run_id = job->run_id;
  const int64_t measured = message.results;
  const std::string now = effbench::UtcNowIso8601(*options.clock);
  std::weak_ptr<Session> weak = session;
  // The run's series are re-checked for changes once it is complete.
  auto found = std::make_shared<std::vector<std::string>>();
  writer->Execute(
      [=](store::ResultStore& db) {
        // Done only once every result the agent measured is stored.
        auto stored = db.ResultCountOfRun(run_id);
        if (!stored.ok()) return stored.status();
        if (*stored < measured) {
          return Status::FailedPrecondition("the agent measured " + std::to_string(measured) +
                                            " results, " + std::to_string(*stored) +
                                            " are stored; not done until all are");
        }
        EFFBENCH_RETURN_IF_ERROR(db.FinishRun(run_id, now));
        EFFBENCH_RETURN_IF_ERROR(db.SetJobState(job_id, state, now, error));
        auto changes = analysis::CheckRun(db, run_id);
        if (!changes.ok()) {
          found->push_back("regression check failed: " + changes.status().message());
        } else {
          *found = analysis::DescribeNewChanges(*changes, run_id);
        }
        return Status::Ok();
      },
      [this, weak, job_id, state, now, error, message, found](Status s) {
        NoteWrite(s);
        for (const std::string& line : *found) Log("run " + message.run_id + ": " + line);
        auto live = weak.lock();
        if (!s.ok()) {
          LogLimited(peer_log, "job " + job_id + ": cannot record its end: " + s.message());
          if (live) live->channel->Close();  // not acked: the agent sends it again
          return;
        }
        const store::JobRow* row = queue.Find(job_id);
        const bool first = row != nullptr && row->state != state;
        if (row != nullptr) queue.Update(job_id, state, now, error);
        if (first) {
          Log("job " + job_id + " on " + row->agent + " " + state + ": " +
              std::to_string(message.results) + " results, " + std::to_string(message.failed) +
              " failed" + (error ? " (" + *error + ")" : ""));
        }
        if (!live) return;
        live->channel->Send(fleet::ToJson(fleet::Ack{{job_id}}));
        Dispatch(live);
      });
  return true;
}

namespace {

json JobMessage(const store::JobRow& row) {
  const json spec = ParseOr(row.spec_json, json::object());
  return fleet::ToJson(
      fleet::Job{row.id, row.run_id, row.suite, spec.value("workloads", json::array()),
                 spec.value("revision", json::object()), spec.value("options", json::object())});
}

}  // namespace

void Coordinator::Impl::Dispatch(const std::shared_ptr<Session>& session) {
  if (stopping || session->channel->closed()) return;
  const store::JobRow* next = nullptr;
  for (const std::string& id : queue.Unfinished(session->name)) {
    const store::JobRow& job = *queue.Find(id);
    if (job.state == "dispatched") {
      // Again, after a reconnect or a lost frame: the agent ignores a job it knows.
      session->channel->Send(JobMessage(job));
      queue.NoteSent(id, options.clock->Steady());
      return;
    }
    if (queue.Starting(id)) return;  // its run is being stored; Dispatch runs again then
    if (job.state == "queued" && !next) next = &job;
  }
  if (!next) return;
  // The run is stored, and the job marked dispatched, before the agent hears
  // of it: whatever the agent measures then has a run to land in.
  const json spec = ParseOr(next->spec_json, json::object());
  const std::string now = effbench::UtcNowIso8601(*options.clock);
  json config = spec.value("options", json::object());
  config["agent"] = session->name;
  config["job"] = next->id;
  config["workload"] = spec.value("workload", "*");
  store::RunRow run{next->run_id,
                    session->fingerprint,
                    result::RevisionFromJson(spec.value("revision", json::object())),
                    next->suite,
                    now,
                    std::nullopt,
                    config.dump()};
  const std::string job_id = next->id, agent = session->name;
  const size_t workloads = spec.value("workloads", json::array()).size();
  queue.SetStarting(job_id, true);
  writer->Execute(
      [run, job_id, now](store::ResultStore& db) {
        EFFBENCH_RETURN_IF_ERROR(db.BeginRun(run));
        return db.SetJobState(job_id, "dispatched", now, std::nullopt);
      },
      [this, job_id, agent, now, workloads](Status s) {
        NoteWrite(s);
        queue.SetStarting(job_id, false);
        const store::JobRow* job = queue.Find(job_id);
        if (job == nullptr || job->state != "queued") return;  // cancelled meanwhile
        if (!s.ok()) {
          if (++dispatch_failures[agent] == 1) {
            Log("job " + job_id + ": cannot store its run: " + s.message() +
                "; not dispatched, retrying until it is stored");
          }
          RetryDispatchLater(agent);
          return;
        }
        if (const auto failed = dispatch_failures.find(agent); failed != dispatch_failures.end()) {
          Log("job " + job_id + ": run stored after " + std::to_string(failed->second) +
              " failed attempt(s)");
          dispatch_failures.erase(failed);
        }
        queue.Update(job_id, "dispatched", now, std::nullopt);
        Log("job " + job_id + " (" + job->suite + ", " + std::to_string(workloads) +
            " workloads) dispatched to " + agent);
        if (const auto live = sessions.find(agent); live != sessions.end()) {
          live->second->channel->Send(JobMessage(*job));
          queue.NoteSent(job_id, options.clock->Steady());
        }
      });
}

void Coordinator::Impl::RetryDispatchLater(const std::string& agent) {
  const int failures = std::min(dispatch_failures[agent], 7);
  auto timer = std::make_shared<asio::steady_timer>(io);
  timer->expires_after(std::min<std::chrono::milliseconds>(250ms * (1 << failures), 30s));
  timer->async_wait([this, timer, agent](error_code ec) {
    if (ec || stopping) return;
    if (const auto live = sessions.find(agent); live != sessions.end()) Dispatch(live->second);
  });
}

void Coordinator::Impl::NotePause(Session& session, const std::string& previous,
                                  const std::string& problem) {
  const std::string job_id = session.job;
  store::JobRow* job = queue.Find(job_id);
  if (session.state == "paused" && previous != "paused") {
    Log("agent " + session.name + " paused job " + job_id + ": " + problem);
    if (job == nullptr) return;
    job->error = "paused: " + problem;
  } else if (previous == "paused" && session.state != "paused") {
    Log("agent " + session.name + " resumed job " + job_id);
    if (job == nullptr || !job->error) return;
    job->error.reset();
  } else {
    return;
  }
  const store::JobRow row = *job;
  writer->Execute(
      [row, clock = options.clock](store::ResultStore& db) {
        return db.SetJobState(row.id, row.state, effbench::UtcNowIso8601(*clock), row.error);
      },
      [this](Status s) { NoteWrite(s); });
}

asio::awaitable<Status> Coordinator::Impl::EndJob(const std::string& job_id,
                                                  const std::string& state,
                                                  const std::string& reason) {
  const store::JobRow* job = queue.Find(job_id);
  if (job == nullptr) co_return Status::NotFound("no job " + job_id);
  if (IsFinal(job->state)) {
    co_return Status::FailedPrecondition("job " + job_id + " is already " + job->state);
  }
  const std::string now = effbench::UtcNowIso8601(*options.clock);
  // Ended in the database only if still unfinished there: a job_done queued
  // ahead of this write wins, and memory and file agree on it.
  const IngestWriter::Operation end = [job_id, state, now, reason](store::ResultStore& db) {
    return db.EndUnfinishedJob(job_id, state, now, reason);
  };
  const Status stored = co_await Write(end);
  if (!stored.ok()) co_return stored;
  const store::JobRow& row = *queue.Find(job_id);
  const bool was_dispatched = row.state == "dispatched";
  queue.Update(job_id, state, now, reason);
  Log("job " + job_id + " on " + row.agent + " " + state + ": " + reason);
  const auto session = sessions.find(row.agent);
  if (session != sessions.end()) {
    if (was_dispatched && state == "cancelled") {
      session->second->channel->Send(fleet::ToJson(fleet::Cancel{job_id, reason}));
    } else {
      Dispatch(session->second);
    }
  }
  co_return Status::Ok();
}

asio::awaitable<Status> Coordinator::Impl::ForgetAgent(const std::string& name) {
  if (!agents.count(name)) co_return Status::NotFound("no agent " + name);
  if (sessions.count(name)) {
    co_return Status::FailedPrecondition("agent " + name +
                                         " is connected; stop it before forgetting it");
  }
  const IngestWriter::Operation remove = [name](store::ResultStore& db) {
    return db.RemoveAgent(name);
  };
  const Status removed = co_await Write(remove);
  if (!removed.ok()) co_return removed;
  agents.erase(name);
  facts.erase(name);
  gone_since.erase(name);
  const std::string reason = "agent " + name + " was forgotten";
  const std::vector<std::string> open = queue.Unfinished(name);
  for (const std::string& id : open) {
    const std::string cancelled = "cancelled";
    const Status ended = co_await EndJob(id, cancelled, reason);
    if (!ended.ok()) Log("job " + id + ": " + ended.message());
  }
  Log("agent " + name + " forgotten; " + std::to_string(open.size()) +
      " unfinished job(s) cancelled");
  co_return Status::Ok();
}

asio::awaitable<void> Coordinator::Impl::LeaseLoop() {
  asio::steady_timer tick(io);
  while (!stopping) {
    tick.expires_after(std::min<std::chrono::milliseconds>(1s, options.job_lease / 4 + 1ms));
    error_code ec;
    co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopping) break;
    const auto now = options.clock->Steady();
    std::vector<std::pair<std::string, std::string>> expired;  // job, reason
    for (const std::string& id : queue.Dispatched()) {
      const store::JobRow& job = *queue.Find(id);
      const auto session = sessions.find(job.agent);
      if (session == sessions.end()) {
        const auto gone = gone_since.find(job.agent);
        if (gone != gone_since.end() && now - gone->second > options.job_lease) {
          expired.emplace_back(id, "lease expired: agent " + job.agent +
                                       " stayed gone for more than " +
                                       std::to_string(options.job_lease.count() / 1000) +
                                       " s; the results it sent are kept");
        }
        continue;
      }
      // Connected and idle, yet this job is dispatched to it: the job frame
      // was lost, or the agent lost the job. Send it again (the agent ignores
      // a job it knows), at most once per three heartbeats.
      const Session& s = *session->second;
      const auto sent = queue.SentAt(id);
      if (s.state == "idle" && s.job.empty() && (!sent || now - *sent > 3 * options.heartbeat)) {
        LogLimited(peer_log, "agent " + job.agent + " is idle but job " + id +
                                 " is dispatched to it; sending the job again");
        Dispatch(session->second);
      }
    }
    for (const auto& [id, reason] : expired) {
      const std::string failed = "failed";
      const Status ended = co_await EndJob(id, failed, reason);
      if (!ended.ok() && ended.code() != Status::Code::kFailedPrecondition) {
        LogLimited(peer_log, "job " + id + ": lease expired, but " + ended.message());
      }
    }
  }
}

asio::awaitable<Status> Coordinator::Impl::Write(const IngestWriter::Operation& op) {
  auto done = std::make_shared<asio::steady_timer>(io, asio::steady_timer::time_point::max());
  auto outcome = std::make_shared<std::optional<Status>>();
  writer->Execute(op, [this, done, outcome](Status s) {
    NoteWrite(s);
    *outcome = std::move(s);
    done->cancel();
  });
  while (!outcome->has_value()) {
    error_code ignored;
    co_await done->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  co_return std::move(**outcome);
}

void Coordinator::Impl::NoteWrite(const Status& outcome) {
  // A refusal (no such job, already ended, not all results stored) is an
  // answer of a working database; only an I/O error (SQLite's) is a fault.
  if (!outcome.ok() && outcome.code() != Status::Code::kIoError) return;
  if (outcome.ok()) {
    if (write_fault) {
      Log("database " + options.db_path + ": writes work again; acknowledging results again");
      write_fault.reset();
    }
    return;
  }
  if (!write_fault) {
    Log("database " + options.db_path + ": a write failed: " + outcome.message() +
        "; nothing is acknowledged until writes work again (agents keep their results and " +
        "resend them)");
    write_fault = outcome.message();
    fleet::Spawn(io, ProbeWhileFaulty(), "the database probe",
                 [this](const std::string& m) { Fatal(m); });
    return;
  }
  write_fault = outcome.message();
}

asio::awaitable<void> Coordinator::Impl::ProbeWhileFaulty() {
  asio::steady_timer pause(io);
  while (write_fault && !stopping) {
    pause.expires_after(2s);
    error_code ec;
    co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!write_fault || stopping) break;
    const IngestWriter::Operation probe = [](store::ResultStore& db) { return db.ProbeWrite(); };
    co_await Write(probe);  // NoteWrite clears the fault
  }
}

asio::awaitable<Result<json>> Coordinator::Impl::SubmitJobs(const json& request,
                                                            const std::string& origin) {
  if (!request.is_object()) co_return Status::InvalidArgument("the request must be a JSON object");
  for (const auto& [key, value] : request.items()) {
    if (key != "suite" && key != "workload" && key != "agents" && key != "revision" &&
        key != "options") {
      co_return Status::InvalidArgument("unknown field \"" + key +
                                        "\" (known: suite, workload, agents, revision, options)");
    }
    if ((key == "suite" || key == "workload" || key == "agents") && !value.is_string()) {
      co_return Status::InvalidArgument("\"" + key + "\" must be a string");
    }
  }
  if (!request.contains("suite") && !request.contains("workload")) {
    co_return Status::InvalidArgument("give a \"suite\" or a \"workload\" pattern");
  }
  std::optional<std::string> suite, pattern;
  if (request.contains("suite")) suite = request["suite"].get<std::string>();
  if (request.contains("workload")) pattern = request["workload"].get<std::string>();
  auto selected = engine::SelectWorkloads(suite, pattern);
  if (!selected.ok()) co_return Status::InvalidArgument(selected.status().message());
  const std::string selector = request.value("agents", "*");
  if (Status s = ValidateSelector(selector); !s.ok()) co_return s;
  auto options_json = JobOptions(request.value("options", json::object()));
  if (!options_json.ok()) co_return options_json.status();
  auto revision = JobRevision(request.value("revision", json::object()));
  if (!revision.ok()) co_return revision.status();

  json names = json::array();
  for (const auto* spec : *selected) names.push_back(spec->id);
  json spec = {{"workloads", names}, {"revision", *revision}, {"options", *options_json}};
  if (pattern) spec["workload"] = *pattern;
  // A selector matches agents connected now or seen within the TTL; an exact
  // name matches its agent whenever it was last seen.
  std::vector<std::string> targets, stale;
  const auto wall_now = options.clock->Now();
  for (const auto& [name, f] : facts) {
    if (!MatchesSelector(selector, f)) continue;
    bool recent = sessions.count(name) > 0 || selector == name;
    if (!recent) {
      const auto known = agents.find(name);
      if (known != agents.end()) {
        const auto seen = effbench::ParseIso8601(known->second.last_seen);
        recent = seen.ok() && wall_now - *seen <= options.agent_ttl;
      }
    }
    (recent ? targets : stale).push_back(name);
  }
  if (targets.empty()) {
    std::string known;
    for (const auto& [name, f] : facts) known += (known.empty() ? "" : ", ") + name;
    std::string message = "no agent matches \"" + selector + "\" (known agents: ";
    message += known.empty() ? "none yet" : known;
    message += ")";
    if (!stale.empty()) {
      message += "; " + std::to_string(stale.size()) + " match(es) not seen for more than " +
                 std::to_string(options.agent_ttl.count() / 3600'000) +
                 " h (--agent-ttl); name one exactly to queue on it anyway";
    }
    co_return Status::NotFound(message);
  }
  const std::string now = effbench::UtcNowIso8601(*options.clock);
  std::vector<store::JobRow> rows;
  for (const std::string& agent : targets) {
    rows.push_back(store::JobRow{result::NewUuid(), agent, result::NewUuid(),
                                 suite.value_or("custom"), spec.dump(), "queued", now, now,
                                 std::nullopt});
  }
  // Stored before anyone hears of them: a 201 means the jobs survive a crash.
  const IngestWriter::Operation insert = [rows](store::ResultStore& db) {
    return db.InsertJobs(rows);
  };
  const Status stored = co_await Write(insert);  // named: see AdoptUnknownJob
  if (!stored.ok()) {
    co_return Status::IoError("no job queued: the database did not store them: " +
                              stored.message());
  }
  json out = json::array();
  for (const store::JobRow& job : rows) {
    queue.Add(job);
    out.push_back(JobJson(job));
  }
  for (const std::string& agent : targets) {
    const auto session = sessions.find(agent);
    if (session == sessions.end()) continue;
    if (!queue.Busy(agent)) Dispatch(session->second);
  }
  Log(origin + " queued " + suite.value_or(pattern.value_or("")) + " (" +
      std::to_string(names.size()) + " workloads) on " + std::to_string(targets.size()) +
      " agent(s)");
  co_return json{{"jobs", out}};
}

asio::awaitable<void> Coordinator::Impl::ScheduleLoop(Schedule schedule) {
  auto at = ParseDailyTime(schedule.at);
  if (!at.ok()) co_return;  // checked in Create
  asio::steady_timer timer(io);
  const Clock& clock = *options.clock;
  while (!stopping) {
    // Waits in steps of at most 30 s, reading the wall clock after each: a
    // clock stepped forward past the time (NTP, a resumed VM) fires the run
    // once within 30 s, one stepped back waits for the time again.
    const auto due = NextOccurrence(*at, clock.Now());
    error_code ec;
    while (!stopping && !ec && clock.Now() < due) {
      timer.expires_after(std::min<std::chrono::system_clock::duration>(due - clock.Now(), 30s));
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec || stopping) break;
    json request = {
        {"suite", schedule.suite}, {"agents", schedule.agents}, {"options", schedule.options}};
    if (!schedule.workload.empty()) request["workload"] = schedule.workload;
    const std::string origin = "schedule " + schedule.at;
    auto submitted = co_await SubmitJobs(request, origin);
    if (!submitted.ok()) Log("schedule " + schedule.at + ": " + submitted.status().message());
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
  Log("stopping: no new connections; telling " + std::to_string(sessions.size()) +
      " agent(s); draining the write queue");
  error_code ignored;
  agent_acceptor.close(ignored);
  http_acceptor.close(ignored);
  for (auto& [name, session] : sessions) {
    session->channel->Send(fleet::ByeMessage("coordinator shutting down"));
  }
  // Failing, it cannot finish itself: Fatal's Shutdown is a no-op by now.
  fleet::Spawn(io, FinishShutdown(), "the shutdown", [this](const std::string& m) {
    Fatal(m);
    io.stop();
  });
}

asio::awaitable<void> Coordinator::Impl::FinishShutdown() {
  const auto sessions_now = sessions;
  for (auto& [name, session] : sessions_now) co_await session->channel->Flush(1s);
  for (auto& [name, session] : sessions_now) session->channel->Close();
  if (!writer->Drain(options.drain_timeout)) {
    exit_status = Status::Internal("the write queue did not drain within " +
                                   std::to_string(options.drain_timeout.count()) + " ms; " +
                                   std::to_string(writer->queued_records()) +
                                   " results left unacknowledged (agents will resend them)");
  }
  io.stop();
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
    auto selected = engine::SelectWorkloads(
        s.suite, s.workload.empty() ? std::nullopt : std::optional<std::string>(s.workload));
    if (!selected.ok()) return selected.status().WithContext("schedule " + s.at);
    auto o = JobOptions(s.options);
    if (!o.ok()) return o.status().WithContext("schedule " + s.at);
  }
  auto impl = std::make_unique<Impl>(std::move(options), log);
  Impl& c = *impl;
  auto db = store::ResultStore::Open(c.options.db_path, store::Durability::kFull);
  if (!db.ok()) return db.status();
  auto reader = store::ResultStore::Open(c.options.db_path);
  if (!reader.ok()) return reader.status();
  c.reader = std::move(*reader);

  auto agents = (*db)->Agents();
  if (!agents.ok()) return agents.status();
  auto machines = (*db)->Machines();
  if (!machines.ok()) return machines.status();
  for (const store::AgentRow& a : *agents) {
    c.agents[a.name] = a;
    AgentFacts f{a.name, "", "", {}};
    for (const auto& m : *machines) {
      if (m.fingerprint == a.machine_fingerprint) {
        f.hostname = m.hostname;
        f.arch = m.arch;
      }
    }
    const json labels = ParseOr(a.labels_json, json::object());
    for (const auto& [k, v] : labels.items()) {
      if (v.is_string()) f.labels[k] = v;
    }
    c.facts[a.name] = f;
  }
  auto jobs = (*db)->Jobs();
  if (!jobs.ok()) return jobs.status();
  for (const store::JobRow& j : *jobs) c.queue.Add(j);
  c.writer = std::make_unique<IngestWriter>(std::move(*db), c.io.get_executor());

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
  fleet::Spawn(
      c.io, c.Accept(c.agent_acceptor, [&c](tcp::socket s) { c.OnAgentConnection(std::move(s)); }),
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
    fleet::Spawn(c.io, c.ScheduleLoop(s), "the schedule " + s.at, fatal);
  }
  // Agents not connected yet have their jobs' lease from now on.
  for (const auto& [name, row] : c.agents) c.gone_since[name] = c.options.clock->Steady();
  fleet::Spawn(c.io, c.LeaseLoop(), "the job lease check", fatal);
  size_t pending = 0;
  c.queue.ForEach([&](const store::JobRow& job) { pending += !IsFinal(job.state); });
  c.Log("serving agents on " + c.options.listen + " (port " + std::to_string(agent_port()) +
        (c.ssl ? ", TLS" : ", HMAC auth without TLS") + ")" +
        (c.http_acceptor.is_open()
             ? ", HTTP API on port " + std::to_string(http_port()) + (c.http_ssl ? " (HTTPS)" : "")
             : "") +
        "; database " + c.options.db_path + "; " + std::to_string(c.agents.size()) +
        " known agent(s), " + std::to_string(pending) + " unfinished job(s)");
  EFFBENCH_RETURN_IF_ERROR(c.WriteReadyFile());
  c.io.run();
  c.Log(c.exit_status.ok() ? "stopped cleanly" : "stopped: " + c.exit_status.message());
  return c.exit_status;
}

}  // namespace effbench::coordinator
