// The conversation with one agent: the handshake (TLS, challenge, proof of
// the fleet token), registration, and the messages of a session: results,
// job ends, heartbeats.
#include "core/time.h"
#include "harness/analysis/regressions.h"
#include "harness/coordinator/internal/coordinator_impl.h"
#include "harness/fleet/spawn.h"
#include "harness/result/record.h"

namespace effbench::coordinator {
namespace {

constexpr char kServerVersion[] = "effbench-serve/" EFFBENCH_VERSION;

}  // namespace

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
  fleet::TlsEnd tls;
  if (ssl) tls.context = &*ssl;
  auto adopted = fleet::Channel::Adopt(io, socket.release(ec), options.limits, tls);
  if (!adopted.ok()) {
    LogLimited(peer_log, "a peer: " + adopted.status().message());
    return;
  }
  const std::shared_ptr<fleet::Channel> channel = std::move(adopted).value();
  channel->SetMaxFrame(std::min(options.preauth_max_frame, options.limits.max_frame));
  fleet::Spawn(io, ServeAgent(channel), "the session of a connection",
               [this, channel](const std::string& m) {
                 Log(m);
                 channel->Close();
               });
}

asio::awaitable<std::optional<fleet::Hello>> Coordinator::Impl::Authenticate(
    const std::shared_ptr<fleet::Channel>& channel, const std::string& peer) {
  if (auto failed = co_await channel->Handshake(10s, asio::use_awaitable)) {
    LogLimited(peer_log, peer + ": " + *failed);
    co_return std::nullopt;
  }
  const std::string nonce = fleet::NewNonceHex();
  channel->Send(fleet::ToJson(fleet::Challenge{nonce, kServerVersion, channel->tls()}));

  fleet::ReadOutcome hello =
      co_await channel->Read(options.limits.frame_timeout, asio::use_awaitable);
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
    co_await channel->Flush(1s, asio::use_awaitable);
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
  const std::string now = session->connected_at;
  store::AgentRow row{name, fingerprint, session->version, session->labels.dump(), now, now};
  if (const auto older = roster.Connect(session, row)) {
    Log("agent " + name + " reconnected from " + peer + "; closing its older connection");
    older->channel->Send(fleet::ByeMessage("replaced by a newer connection of this agent"));
    older->channel->Close();
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
      fleet::ToJson(fleet::Welcome{name, std::chrono::duration<double>(options.heartbeat).count(),
                                   static_cast<int64_t>(options.limits.max_frame)}));
  Log("agent " + name + " connected from " + peer + (channel->tls() ? " (TLS)" : "") + ", " +
      std::string(machine["cpu_model"]) + ", " + session->version);
  if (ingest->fault()) channel->Send(fleet::ToJson(fleet::Hold{*ingest->fault()}));
  return session;
}

void Coordinator::Impl::StoreMachine(const std::shared_ptr<Session>& session) {
  ingest->Execute(
      [machine_row = session->machine_row, row = session->agent_row](store::Store& db) {
        EFFBENCH_RETURN_IF_ERROR(db.UpsertMachine(machine_row));
        return db.UpsertAgent(row);
      },
      [this, name = session->name](Status s) {
        // A database fault is logged once by the pipeline, and the machine
        // stored again when it clears (OnStoreHealth).
        if (!s.ok() && !ingest->fault()) {
          Log("agent " + name + ": cannot store its machine: " + s.message());
        }
      });
}

void Coordinator::Impl::OnStoreHealth(const std::optional<std::string>& fault) {
  if (!ingest) return;  // the probe at start: no agent yet
  for (const auto& [name, session] : roster.sessions()) {
    if (fault) {
      session->channel->Send(fleet::ToJson(fleet::Hold{*fault}));
      continue;
    }
    StoreMachine(session);
    session->channel->Send(fleet::ToJson(fleet::Resume{}));
  }
}

void Coordinator::Impl::Unregister(const std::shared_ptr<Session>& session) {
  const std::string& name = session->name;
  const auto gone =
      roster.Disconnect(session, options.clock->Steady(), effbench::UtcNowIso8601(*options.clock));
  if (gone) {
    ingest->Execute([row = *gone](store::Store& db) { return db.UpsertAgent(row); });
    Log("agent " + name + " disconnected");
  }
  session->resume->cancel();
}

asio::awaitable<void> Coordinator::Impl::ServeAgent(std::shared_ptr<fleet::Channel> channel) {
  channel->Start([this](const std::string& m) { Log(m); });
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
    fleet::ReadOutcome in = co_await channel->Read(idle, asio::use_awaitable);
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
  ingest->Ingest(std::move(records), [this, weak, ids = std::move(ids), n, received](Status s) {
    auto live = weak.lock();
    if (!live) return;
    live->in_flight -= n;
    if (live->in_flight <= options.max_in_flight / 2) live->resume->cancel();
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
  const IngestPipeline::Operation adopt = [job, run](store::Store& db) {
    EFFBENCH_RETURN_IF_ERROR(db.BeginRun(run));
    return db.InsertJob(job);
  };
  const Status stored = co_await ingest->Write(adopt);
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
  ingest->Execute(
      [=](store::Store& db) {
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
        for (const std::string& line : *found) Log("run " + message.run_id + ": " + line);
        auto live = weak.lock();
        if (!s.ok()) {
          // Not acknowledged: the agent sends it again, after resume when the
          // database failed (logged once by the pipeline), else after a
          // reconnect.
          // (While the database fails, the results it needs were not stored
          // either: "not done until all are" is the fault too.)
          if (ingest->fault()) return;
          LogLimited(peer_log, "job " + job_id + ": cannot record its end: " + s.message());
          if (live) live->channel->Close();
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
  ingest->Execute([row, clock = options.clock](store::Store& db) {
    return db.SetJobState(row.id, row.state, effbench::UtcNowIso8601(*clock), row.error);
  });
}

}  // namespace effbench::coordinator
