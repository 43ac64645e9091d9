// The agents' sessions (internal/agent_sessions.h): the handshake (TLS,
// challenge, proof of the fleet token), registration, and the messages of a
// session: results, job ends, heartbeats.
#include "harness/coordinator/internal/agent_sessions.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdlib>

#include "core/time.h"
#include "harness/fleet/auth.h"
#include "harness/fleet/spawn.h"
#include "harness/result/record.h"

namespace effbench::coordinator {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using fleet::ErrorCode;
using nlohmann::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr char kServerVersion[] = "effbench-serve/" EFFBENCH_VERSION;

}  // namespace

AgentSessions::AgentSessions(asio::io_context& io, const CoordinatorOptions& options,
                             asio::ssl::context* tls, AgentRoster& roster, JobService& jobs,
                             FleetWrites& writes, Metrics& metrics, Hooks hooks)
    : io_(io),
      options_(options),
      credentials_(options.stored_key, options.require_enrolled),
      ssl_(tls),
      roster_(roster),
      jobs_(jobs),
      writes_(writes),
      metrics_(metrics),
      hooks_(std::move(hooks)) {}

void AgentSessions::Log(const std::string& line) const { hooks_.log(line); }

void AgentSessions::LogLimited(const std::string& line) {
  if (auto passed = peer_log_.Pass(options_.clock->Steady(), line)) Log(*passed);
}

void AgentSessions::Stop() {
  stopping_ = true;
  for (const auto& [name, session] : roster_.sessions()) {
    session->channel->Send(fleet::ByeMessage("coordinator shutting down"));
  }
}

asio::awaitable<void> AgentSessions::Close(std::chrono::milliseconds timeout) {
  const auto sessions_now = roster_.sessions();
  for (auto& [name, session] : sessions_now)
    co_await session->channel->Flush(timeout, asio::use_awaitable);
  for (auto& [name, session] : sessions_now) session->channel->Close();
}

asio::awaitable<Result<std::string>> AgentSessions::Enroll(const std::string& name) {
  if (Status valid = ValidateAgentName(name); !valid.ok()) co_return valid;
  const std::string key = fleet::NewNonceHex();
  const fleet::Key stored = fleet::StoredKeyFromToken(key);
  const store::AgentKeyRow row{name, fleet::Hex(stored.data(), stored.size()),
                               effbench::UtcNowIso8601(*options_.clock), std::nullopt};
  const FleetWrites::Operation put = [row](store::RunStore&, store::FleetStore& fleet) {
    return fleet.PutAgentKey(row);
  };
  const Status stored_row = co_await Write(writes_, put);
  if (!stored_row.ok())
    co_return Status::IoError("agent " + name + " not enrolled: " + stored_row.message());
  if (Status known = credentials_.Put(row); !known.ok()) co_return known;
  const bool connected =
      Disconnect(name, "agent " + name + " was given a key of its own; connect with it");
  Log("agent " + name + " enrolled with a key of its own" +
      (connected ? "; its open connection closed: it reconnects with the new key" : ""));
  co_return key;
}

asio::awaitable<Status> AgentSessions::Revoke(const std::string& name) {
  const store::AgentKeyRow* row = credentials_.Find(name);
  if (row == nullptr) co_return Status::NotFound("agent " + name + " is not enrolled");
  if (row->revoked_at) {
    co_return Status::FailedPrecondition("agent " + name + "'s key was revoked already, at " +
                                         *row->revoked_at);
  }
  const std::string now = effbench::UtcNowIso8601(*options_.clock);
  const FleetWrites::Operation revoke = [name, now](store::RunStore&, store::FleetStore& fleet) {
    return fleet.RevokeAgentKey(name, now);
  };
  const Status stored = co_await Write(writes_, revoke);
  if (!stored.ok())
    co_return Status::IoError("agent " + name + " not revoked: " + stored.message());
  credentials_.Revoke(name, now);
  const bool connected = Disconnect(name, "this agent's key was revoked");
  Log("agent " + name + "'s key revoked" +
      (connected ? "; its connection closed: what it sent until now is kept" : ""));
  co_return Status::Ok();
}

bool AgentSessions::Disconnect(const std::string& name, const std::string& why) {
  const auto session = roster_.Live(name);
  if (!session) return false;
  session->channel->Fail({ErrorCode::kUnauthorized, why});
  return true;
}

void AgentSessions::Serve(tcp::socket socket) {
  error_code ec;
  if (preauth_ >= options_.max_preauth) {
    ++metrics_.connections_shed;
    const auto peer = socket.remote_endpoint(ec);
    LogLimited((ec ? std::string("a peer") : peer.address().to_string()) + ": closed at once: " +
               std::to_string(preauth_) + " connections are already waiting to authenticate");
    socket.close(ec);
    return;
  }
  socket.set_option(tcp::no_delay(true), ec);
  ++metrics_.connections;
  fleet::TlsEnd tls;
  tls.context = ssl_;
  auto adopted = fleet::Channel::Adopt(io_, socket.release(ec), options_.limits, tls);
  if (!adopted.ok()) {
    LogLimited("a peer: " + adopted.status().message());
    return;
  }
  const std::shared_ptr<fleet::Channel> channel = std::move(adopted).value();
  channel->SetMaxFrame(std::min(options_.preauth_max_frame, options_.limits.max_frame));
  fleet::Spawn(io_, ServeAgent(channel), "the session of a connection",
               [this, channel](const std::string& m) {
                 Log(m);
                 channel->Close();
               });
}

asio::awaitable<std::optional<AgentSessions::Admitted>> AgentSessions::Authenticate(
    const std::shared_ptr<fleet::Channel>& channel, const std::string& peer) {
  if (auto failed = co_await channel->Handshake(10s, asio::use_awaitable)) {
    LogLimited(peer + ": " + *failed);
    co_return std::nullopt;
  }
  const std::string nonce = fleet::NewNonceHex();
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             options_.clock->Now().time_since_epoch())
                             .count();
  channel->Send(fleet::ToJson(fleet::Challenge{nonce, kServerVersion, channel->tls(), now_ms}));

  fleet::ReadOutcome hello =
      co_await channel->Read(options_.limits.frame_timeout, asio::use_awaitable);
  if (hello.closed) co_return std::nullopt;
  if (hello.error) {
    ++metrics_.protocol_errors;
    LogLimited(peer + ": refused before authentication: " + hello.error->message);
    channel->Fail(*hello.error);
    co_return std::nullopt;
  }
  const std::string type = hello.message["type"];
  if (type != "hello") {
    ++metrics_.protocol_errors;
    channel->Fail(
        {ErrorCode::kUnexpected, "expected hello, got " + type + " before authentication"});
    co_return std::nullopt;
  }
  auto m = fleet::As<fleet::Hello>(hello.message);
  const Result<std::string> credential = credentials_.Check(m, nonce, channel->tls());
  if (!credential.ok()) {
    ++metrics_.auth_failures;
    const std::string& why = credential.status().message();
    LogLimited(peer + ": agent \"" + m.name + "\" refused: " + why);
    channel->Fail({ErrorCode::kUnauthorized, "authentication failed: " + why});
    co_return std::nullopt;
  }
  if (stopping_) {
    channel->Send(fleet::ByeMessage("coordinator shutting down"));
    co_await channel->Flush(1s, asio::use_awaitable);
    channel->Close();
    co_return std::nullopt;
  }
  co_return Admitted{std::move(m), *credential};
}

std::shared_ptr<Session> AgentSessions::Register(const std::shared_ptr<fleet::Channel>& channel,
                                                 const Admitted& admitted,
                                                 const std::string& peer) {
  const fleet::Hello& m = admitted.hello;
  const std::string& name = m.name;
  const json& machine = m.machine;
  const std::string fingerprint = machine["fingerprint"];
  channel->SetMaxFrame(options_.limits.max_frame);
  auto session = std::make_shared<Session>();
  session->name = name;
  session->fingerprint = fingerprint;
  session->version = m.version;
  session->credential = admitted.credential;
  session->clock_offset_ms = m.clock_offset_ms;
  session->labels = m.labels;
  session->channel = channel;
  session->connected_at = session->last_heartbeat = effbench::UtcNowIso8601(*options_.clock);
  session->resume = std::make_unique<asio::steady_timer>(io_);
  session->facts = AgentFacts{name, machine["hostname"], machine["arch"], {}};
  for (const auto& [k, v] : session->labels.items()) session->facts.labels[k] = v;
  const std::string now = session->connected_at;
  store::AgentRow row{name, fingerprint, session->version, session->labels.dump(), now, now};
  if (const auto older = roster_.Connect(session, row)) {
    Log("agent " + name + " reconnected from " + peer + "; closing its older connection");
    // Closed once the bye is written (Close alone would drop it).
    older->channel->Send(fleet::ByeMessage("replaced by a newer connection of this agent"));
    older->channel->Flush(1s, [channel = older->channel](std::exception_ptr) { channel->Close(); });
  }
  std::optional<std::string> calibration;
  if (machine.contains("calibration") && machine["calibration"].is_object()) {
    calibration = machine["calibration"].dump();
  }
  session->machine_row = store::MachineRow{fingerprint,
                                           machine["hostname"],
                                           machine["cpu_model"],
                                           machine["arch"],
                                           machine["inventory"].dump(),
                                           calibration,
                                           now,
                                           now};
  session->agent_row = row;
  StoreMachine(session);

  channel->Send(
      fleet::ToJson(fleet::Welcome{name, std::chrono::duration<double>(options_.heartbeat).count(),
                                   static_cast<int64_t>(options_.limits.max_frame)}));
  Log("agent " + name + " connected from " + peer + (channel->tls() ? " (TLS)" : "") + ", " +
      std::string(machine["cpu_model"]) + ", " + session->version + ", with " +
      admitted.credential);
  if (m.clock_offset_ms && std::abs(*m.clock_offset_ms) >= 2000) {
    Log("agent " + name + ": its clock is " + std::to_string(std::abs(*m.clock_offset_ms) / 1000) +
        " s " + (*m.clock_offset_ms > 0 ? "behind" : "ahead of") +
        " this coordinator's; it stamps its results with this clock's time");
  }
  if (writes_.fault()) channel->Send(fleet::ToJson(fleet::Hold{*writes_.fault()}));
  return session;
}

store::AgentPresenceRow AgentSessions::Presence(const Session& session) const {
  return store::AgentPresenceRow{
      session.name,           options_.id,        session.state,        session.job,
      session.done,           session.total,      session.spooled,      session.channel->remote(),
      session.channel->tls(), session.credential, session.connected_at, session.last_heartbeat};
}

void AgentSessions::RecordPresence(const std::shared_ptr<Session>& session, bool changed) {
  const auto now = options_.clock->Steady();
  if (!changed &&
      now - session->presence_at < PresenceRefresh(options_.heartbeat, options_.heartbeat_misses)) {
    return;
  }
  session->presence_at = now;
  writes_.Queue([row = Presence(*session)](store::RunStore&, store::FleetStore& fleet) {
    return fleet.PutAgentPresence(row);
  });
}

void AgentSessions::SyncKeys(const std::vector<store::AgentKeyRow>& rows) {
  for (const std::string& name : credentials_.Sync(rows)) {
    if (Disconnect(name,
                   "agent " + name + "'s key was changed or revoked on another coordinator")) {
      Log("agent " + name + ": its key was changed or revoked on another coordinator; " +
          "closed its connection");
    }
  }
}

void AgentSessions::StoreMachine(const std::shared_ptr<Session>& session) {
  session->presence_at = options_.clock->Steady();
  writes_.Queue(
      [machine_row = session->machine_row, row = session->agent_row, presence = Presence(*session)](
          store::RunStore& runs, store::FleetStore& fleet) {
        EFFBENCH_RETURN_IF_ERROR(runs.UpsertMachine(machine_row));
        EFFBENCH_RETURN_IF_ERROR(fleet.UpsertAgent(row));
        return fleet.PutAgentPresence(presence);
      },
      [this, name = session->name](Status s) {
        // A database fault is logged once by the pipeline, and the machine
        // stored again when it clears (OnStoreHealth).
        if (!s.ok() && !writes_.fault()) {
          Log("agent " + name + ": cannot store its machine: " + s.message());
        }
      });
}

void AgentSessions::OnStoreHealth(const std::optional<std::string>& fault) {
  for (const auto& [name, session] : roster_.sessions()) {
    if (fault) {
      session->channel->Send(fleet::ToJson(fleet::Hold{*fault}));
      continue;
    }
    StoreMachine(session);
    session->channel->Send(fleet::ToJson(fleet::Resume{}));
  }
}

void AgentSessions::Unregister(const std::shared_ptr<Session>& session) {
  const std::string& name = session->name;
  const auto gone = roster_.Disconnect(session, options_.clock->Steady(),
                                       effbench::UtcNowIso8601(*options_.clock));
  if (gone) {
    writes_.Queue(
        [row = *gone, coordinator = options_.id](store::RunStore&, store::FleetStore& fleet) {
          EFFBENCH_RETURN_IF_ERROR(fleet.UpsertAgent(row));
          return fleet.EndAgentPresence(row.name, coordinator);
        });
    Log("agent " + name + " disconnected");
  }
  session->resume->cancel();
}

asio::awaitable<void> AgentSessions::ServeAgent(std::shared_ptr<fleet::Channel> channel) {
  channel->Start([this](const std::string& m) { Log(m); });
  // However this ends (the peer gone, refused, a protocol error), the socket
  // is closed now, not left in CLOSE_WAIT; and it stops counting as a
  // pre-authentication connection once authenticated or gone.
  struct Guard {
    AgentSessions& c;
    std::shared_ptr<fleet::Channel> channel;
    bool waiting = true;
    void Authenticated() {
      if (std::exchange(waiting, false)) --c.preauth_;
    }
    ~Guard() {
      Authenticated();
      if (!channel->closed()) channel->Close();
    }
  } guard{*this, channel};
  ++preauth_;
  const std::string peer = channel->remote();
  const std::optional<Admitted> admitted = co_await Authenticate(channel, peer);
  if (!admitted) co_return;
  guard.Authenticated();
  const std::shared_ptr<Session> session = Register(channel, *admitted, peer);
  jobs_.Dispatch(session->name);
  co_await Converse(session);
  Unregister(session);
}

asio::awaitable<void> AgentSessions::Converse(std::shared_ptr<Session> session) {
  const auto channel = session->channel;
  const auto idle = options_.heartbeat * options_.heartbeat_misses;
  channel->SetDecoding(fleet::Decoding::kResultRows);
  while (!channel->closed()) {
    fleet::ReadOutcome in = co_await channel->Read(idle, asio::use_awaitable);
    if (in.closed) break;
    if (in.error) {
      ++metrics_.protocol_errors;
      Log("agent " + session->name + ": " + std::string(fleet::ErrorCodeName(in.error->code)) +
          ": " + in.error->message + "; closing");
      channel->Fail(*in.error);
      break;
    }
    ++metrics_.frames_received;
    if (in.results) {
      if (!co_await OnResult(session, *in.results)) break;
      continue;
    }
    const std::string type = in.message["type"];
    if (type == "heartbeat") {
      const auto heartbeat = fleet::As<fleet::Heartbeat>(in.message);
      const std::string previous = session->state, previous_job = session->job;
      session->state = heartbeat.state;
      session->job = heartbeat.job;
      NotePause(*session, previous, heartbeat.problem.value_or(""));
      session->done = heartbeat.done;
      session->total = heartbeat.total;
      session->spooled = heartbeat.spooled;
      session->last_heartbeat = effbench::UtcNowIso8601(*options_.clock);
      RecordPresence(session, session->state != previous || session->job != previous_job);
    } else if (type == "job_done") {
      const auto done = fleet::As<fleet::JobDone>(in.message);
      if (!jobs_.JobDone(session->name, done)) {
        channel->Fail({ErrorCode::kInvalid, "job_done for job " + done.job_id +
                                                ", which was not given to agent " + session->name});
        break;
      }
    } else if (type == "bye") {
      Log("agent " + session->name + " said bye: " + fleet::As<fleet::Bye>(in.message).reason);
      channel->Close();
      break;
    } else {
      ++metrics_.protocol_errors;
      channel->Fail(
          {ErrorCode::kUnexpected, type + " is not a message an agent sends after hello"});
      break;
    }
  }
}

asio::awaitable<bool> AgentSessions::OnResult(const std::shared_ptr<Session>& session,
                                              fleet::ResultBatch& batch) {
  const auto channel = session->channel;
  const auto received = options_.clock->Steady();
  const Status accepted = co_await jobs_.AcceptResults(session->name, session->fingerprint, batch);
  if (!accepted.ok()) {
    if (accepted.code() != Status::Code::kInvalidArgument) {
      channel->Close();  // nothing acknowledged: the agent sends it again later
      co_return false;
    }
    ++metrics_.protocol_errors;
    LogLimited("agent " + session->name + ": " + accepted.message());
    channel->Fail({ErrorCode::kInvalid, accepted.message()});
    co_return false;
  }
  std::vector<result::RecordRow>& records = batch.rows;
  std::vector<std::string> ids;
  ids.reserve(records.size());
  for (const result::RecordRow& record : records) ids.push_back(record.id);
  metrics_.results_received += records.size();
  session->in_flight += records.size();
  std::weak_ptr<Session> weak = session;
  const size_t n = records.size();
  writes_.Ingest(std::move(records), [this, weak, ids = std::move(ids), n, received](Status s) {
    auto live = weak.lock();
    if (!live) return;
    live->in_flight -= n;
    if (live->in_flight <= options_.max_in_flight / 2) live->resume->cancel();
    if (!s.ok()) {
      // Not acknowledged: the agent keeps them. A database fault (logged
      // once by the pipeline, which told every agent to hold) keeps the
      // connection: they come again after resume. Anything else closes it,
      // and they come again after the reconnect.
      if (s.code() != Status::Code::kIoError) {
        live->channel->Fail({ErrorCode::kInternal, "results not stored: " + s.message()});
      }
      return;
    }
    if (!live->channel->Send(fleet::ToJson(fleet::Ack{ids}))) {
      live->channel->Close();  // it does not read: it will resend after reconnecting
      return;
    }
    metrics_.results_acked += n;
    metrics_.ObserveLatency(
        std::chrono::duration<double>(options_.clock->Steady() - received).count());
  });
  while (session->in_flight > options_.max_in_flight && !channel->closed()) {
    session->resume->expires_at(asio::steady_timer::time_point::max());
    error_code ignored;
    co_await session->resume->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  co_return true;
}

void AgentSessions::NotePause(Session& session, const std::string& previous,
                              const std::string& problem) {
  if (session.state == "paused" && previous != "paused") {
    Log("agent " + session.name + " paused job " + session.job + ": " + problem);
    jobs_.NotePause(session.job, problem);
  } else if (previous == "paused" && session.state != "paused") {
    Log("agent " + session.name + " resumed job " + session.job);
    jobs_.NotePause(session.job, std::nullopt);
  }
}

}  // namespace effbench::coordinator
