#include "harness/coordinator/coordinator.h"

#include <fstream>
#include <iostream>
#include <random>

#include "harness/analysis/regressions.h"
#include "harness/coordinator/coordinator_impl.h"
#include "harness/engine/workload_selection.h"
#include "harness/result/record.h"

namespace effbench::coordinator {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using boost::system::error_code;
using fleet::ErrorCode;
using fleet::ProtocolError;

constexpr char kServerVersion[] = "effbench-serve/" EFFBENCH_VERSION;

bool IsFinal(const std::string& state) { return state == "done" || state == "failed"; }

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

void Metrics::ObserveLatency(double seconds) {
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++latency_counts[i];
  }
  ++latency_count;
  latency_sum += seconds;
}

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

Coordinator::Impl::Impl(CoordinatorOptions o, std::ostream& l) : options(std::move(o)), log(l) {}

void Coordinator::Impl::Log(const std::string& line) {
  log << result::UtcNowIso8601() << " effbench serve: " << line << "\n" << std::flush;
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

asio::awaitable<void> Coordinator::Impl::Accept(tcp::acceptor& acceptor,
                                                std::function<void(tcp::socket)> serve) {
  while (!stopping) {
    error_code ec;
    tcp::socket socket =
        co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (stopping || ec == asio::error::operation_aborted) break;
      Log("accept failed: " + ec.message());
      continue;
    }
    serve(std::move(socket));
  }
}

void Coordinator::Impl::OnAgentConnection(tcp::socket socket) {
  error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  ++metrics.connections;
  std::shared_ptr<fleet::Channel> channel =
      ssl ? std::make_shared<fleet::Channel>(fleet::SslStream(std::move(socket), *ssl),
                                             options.limits)
          : std::make_shared<fleet::Channel>(std::move(socket), options.limits);
  asio::co_spawn(io, ServeAgent(std::move(channel)), asio::detached);
}

asio::awaitable<void> Coordinator::Impl::ServeAgent(std::shared_ptr<fleet::Channel> channel) {
  asio::co_spawn(io, channel->WriteLoop(), asio::detached);
  const std::string peer = channel->remote();
  if (auto failed = co_await channel->Handshake(asio::ssl::stream_base::server, 10s)) {
    Log(peer + ": " + *failed);
    channel->Close();
    co_return;
  }
  const std::string nonce = fleet::NewNonceHex();
  json challenge = fleet::NewMessage("challenge");
  challenge["nonce"] = nonce;
  challenge["server"] = kServerVersion;
  challenge["tls"] = channel->tls();
  channel->Send(challenge);

  fleet::ReadOutcome hello = co_await channel->Read(options.limits.frame_timeout);
  if (hello.closed) co_return;
  if (hello.error) {
    ++metrics.protocol_errors;
    Log(peer + ": refused before authentication: " + hello.error->message);
    channel->Fail(*hello.error);
    co_return;
  }
  const std::string type = hello.message["type"];
  if (type != "hello") {
    ++metrics.protocol_errors;
    channel->Fail(
        {ErrorCode::kUnexpected, "expected hello, got " + type + " before authentication"});
    co_return;
  }
  const json& m = hello.message;
  const std::string name = m["name"];
  const json& machine = m["machine"];
  const std::string fingerprint = machine["fingerprint"];
  const json& auth = m["auth"];
  bool authenticated = false;
  std::string why = "wrong fleet token";
  if (auth.contains("token")) {
    if (channel->tls()) {
      authenticated = fleet::VerifyToken(options.stored_key, auth["token"].get<std::string>());
    } else {
      why = "the token was sent in clear: without TLS only the HMAC proof is accepted";
    }
  } else {
    authenticated =
        fleet::VerifyProof(options.stored_key, fleet::AuthMessage(nonce, name, fingerprint),
                           auth["proof"].get<std::string>());
  }
  if (!authenticated) {
    ++metrics.auth_failures;
    Log(peer + ": agent \"" + name + "\" refused: " + why);
    channel->Fail({ErrorCode::kUnauthorized, "authentication failed: " + why});
    co_return;
  }
  if (stopping) {
    channel->Send(fleet::ByeMessage("coordinator shutting down"));
    co_await channel->Flush(1s);
    channel->Close();
    co_return;
  }

  auto session = std::make_shared<Session>();
  session->name = name;
  session->fingerprint = fingerprint;
  session->version = m["version"];
  session->labels = m["labels"];
  session->channel = channel;
  session->connected_at = session->last_heartbeat = result::UtcNowIso8601();
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

  json welcome = fleet::NewMessage("welcome");
  welcome["agent"] = name;
  welcome["heartbeat_s"] = std::chrono::duration<double>(options.heartbeat).count();
  welcome["max_frame"] = options.limits.max_frame;
  channel->Send(welcome);
  Log("agent " + name + " connected from " + peer + (channel->tls() ? " (TLS)" : "") + ", " +
      std::string(machine["cpu_model"]) + ", " + session->version);
  Dispatch(session);

  co_await Converse(session);

  if (auto it = sessions.find(name); it != sessions.end() && it->second == session) {
    sessions.erase(it);
    Log("agent " + name + " disconnected");
  }
  session->resume->cancel();
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
      session->state = in.message["state"];
      session->job = in.message.value("job", "");
      session->done = in.message.value("done", int64_t{0});
      session->total = in.message.value("total", int64_t{0});
      session->spooled = in.message.value("spooled", int64_t{0});
      session->last_heartbeat = result::UtcNowIso8601();
    } else if (type == "job_done") {
      if (!OnJobDone(session, in.message)) {
        channel->Fail({ErrorCode::kInvalid, "job_done for job " +
                                                in.message["job_id"].get<std::string>() +
                                                ", which was not given to agent " + session->name});
        break;
      }
    } else if (type == "bye") {
      Log("agent " + session->name + " said bye: " + in.message["reason"].get<std::string>());
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
  const auto received = std::chrono::steady_clock::now();
  const std::string& job_id = batch.job_id;
  const auto job = jobs.find(job_id);
  if (job == jobs.end() || job->second.agent != session->name) {
    ++metrics.protocol_errors;
    channel->Fail({ErrorCode::kInvalid,
                   "result for job " + job_id + ", which was not given to agent " + session->name});
    co_return false;
  }
  std::vector<result::RecordRow>& records = batch.rows;
  std::vector<std::string> ids;
  ids.reserve(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].run_id != job->second.run_id) {
      ++metrics.protocol_errors;
      channel->Fail({ErrorCode::kInvalid, "result record " + std::to_string(i) + ": run_id " +
                                              records[i].run_id + " is not job " + job_id +
                                              "'s run " + job->second.run_id});
      co_return false;
    }
    ids.push_back(records[i].id);
  }
  metrics.results_received += records.size();
  session->in_flight += records.size();
  std::weak_ptr<Session> weak = session;
  const size_t n = records.size();
  writer->Ingest(std::move(records), [this, weak, ids = std::move(ids), n, received](Status s) {
    auto live = weak.lock();
    if (!live) return;
    live->in_flight -= n;
    if (live->in_flight <= options.max_in_flight / 2) live->resume->cancel();
    if (!s.ok()) {
      Log("agent " + live->name + ": results not stored: " + s.message());
      live->channel->Fail({ErrorCode::kInternal, "results not stored: " + s.message()});
      return;
    }
    json ack = fleet::NewMessage("ack");
    ack["ids"] = ids;
    if (!live->channel->Send(ack)) {
      live->channel->Close();  // it does not read: it will resend after reconnecting
      return;
    }
    metrics.results_acked += n;
    metrics.ObserveLatency(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - received).count());
  });
  while (session->in_flight > options.max_in_flight && !channel->closed()) {
    session->resume->expires_at(asio::steady_timer::time_point::max());
    error_code ignored;
    co_await session->resume->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  co_return true;
}

bool Coordinator::Impl::OnJobDone(const std::shared_ptr<Session>& session, const json& message) {
  const std::string job_id = message["job_id"];
  const auto job = jobs.find(job_id);
  if (job == jobs.end() || job->second.agent != session->name ||
      job->second.run_id != message["run_id"].get<std::string>()) {
    return false;
  }
  const bool ok = message["ok"];
  const std::string state = ok ? "done" : "failed";
  std::optional<std::string> error;
  if (message.contains("error")) error = message["error"].get<std::string>();
  const std::string run_id = job->second.run_id;
  const std::string now = result::UtcNowIso8601();
  std::weak_ptr<Session> weak = session;
  // The run's series are re-checked for changes once it is complete.
  auto found = std::make_shared<std::vector<std::string>>();
  writer->Execute(
      [=](store::ResultStore& db) {
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
        for (const std::string& line : *found)
          Log("run " + message["run_id"].get<std::string>() + ": " + line);
        auto live = weak.lock();
        if (!s.ok()) {
          Log("job " + job_id + ": cannot record its end: " + s.message());
          if (live) live->channel->Close();  // not acked: the agent sends it again
          return;
        }
        auto& row = jobs[job_id];
        const bool first = !IsFinal(row.state);
        row.state = state;
        row.updated_at = now;
        row.error = error;
        if (first) {
          Log("job " + job_id + " on " + row.agent + " " + state + ": " +
              std::to_string(message["results"].get<int64_t>()) + " results, " +
              std::to_string(message["failed"].get<int64_t>()) + " failed" +
              (error ? " (" + *error + ")" : ""));
        }
        if (!live) return;
        json ack = fleet::NewMessage("ack");
        ack["ids"] = json::array({job_id});
        live->channel->Send(ack);
        Dispatch(live);
      });
  return true;
}

void Coordinator::Impl::Dispatch(const std::shared_ptr<Session>& session) {
  if (stopping || session->channel->closed()) return;
  store::JobRow* next = nullptr;
  for (const std::string& id : job_order) {
    store::JobRow& job = jobs[id];
    if (job.agent != session->name) continue;
    if (job.state == "dispatched") {  // again, after a reconnect: the agent ignores a known job
      next = &job;
      break;
    }
    if (job.state == "queued" && !next) next = &job;
  }
  if (!next) return;
  const json spec = ParseOr(next->spec_json, json::object());
  if (next->state == "queued") {
    next->state = "dispatched";
    next->updated_at = result::UtcNowIso8601();
    const result::Revision revision = result::RevisionFromJson(spec["revision"]);
    json config = spec["options"];
    config["agent"] = session->name;
    config["job"] = next->id;
    config["workload"] = spec.value("workload", "*");
    store::RunRow run{next->run_id,     session->fingerprint, revision,     next->suite,
                      next->updated_at, std::nullopt,         config.dump()};
    const std::string job_id = next->id, at = next->updated_at;
    writer->Execute(
        [run, job_id, at](store::ResultStore& db) {
          EFFBENCH_RETURN_IF_ERROR(db.BeginRun(run));
          return db.SetJobState(job_id, "dispatched", at, std::nullopt);
        },
        [this, job_id](Status s) {
          if (!s.ok()) Log("job " + job_id + ": cannot record its run: " + s.message());
        });
    Log("job " + next->id + " (" + next->suite + ", " + std::to_string(spec["workloads"].size()) +
        " workloads) dispatched to " + session->name);
  }
  json job = fleet::NewMessage("job");
  job["job_id"] = next->id;
  job["run_id"] = next->run_id;
  job["suite"] = next->suite;
  job["workloads"] = spec["workloads"];
  job["revision"] = spec["revision"];
  job["options"] = spec["options"];
  session->channel->Send(job);
}

Result<json> Coordinator::Impl::SubmitJobs(const json& request, const std::string& origin) {
  if (!request.is_object()) return Status::InvalidArgument("the request must be a JSON object");
  for (const auto& [key, value] : request.items()) {
    if (key != "suite" && key != "workload" && key != "agents" && key != "revision" &&
        key != "options") {
      return Status::InvalidArgument("unknown field \"" + key +
                                     "\" (known: suite, workload, agents, revision, options)");
    }
    if ((key == "suite" || key == "workload" || key == "agents") && !value.is_string()) {
      return Status::InvalidArgument("\"" + key + "\" must be a string");
    }
  }
  if (!request.contains("suite") && !request.contains("workload")) {
    return Status::InvalidArgument("give a \"suite\" or a \"workload\" pattern");
  }
  std::optional<std::string> suite, pattern;
  if (request.contains("suite")) suite = request["suite"].get<std::string>();
  if (request.contains("workload")) pattern = request["workload"].get<std::string>();
  auto selected = engine::SelectWorkloads(suite, pattern);
  if (!selected.ok()) return Status::InvalidArgument(selected.status().message());
  const std::string selector = request.value("agents", "*");
  EFFBENCH_RETURN_IF_ERROR(ValidateSelector(selector));
  auto options_json = JobOptions(request.value("options", json::object()));
  if (!options_json.ok()) return options_json.status();
  auto revision = JobRevision(request.value("revision", json::object()));
  if (!revision.ok()) return revision.status();

  json names = json::array();
  for (const auto* spec : *selected) names.push_back(spec->id);
  json spec = {{"workloads", names}, {"revision", *revision}, {"options", *options_json}};
  if (pattern) spec["workload"] = *pattern;
  std::vector<std::string> targets;
  for (const auto& [name, f] : facts) {
    if (MatchesSelector(selector, f)) targets.push_back(name);
  }
  if (targets.empty()) {
    std::string known;
    for (const auto& [name, f] : facts) known += (known.empty() ? "" : ", ") + name;
    return Status::NotFound("no agent matches \"" + selector +
                            "\" (known agents: " + (known.empty() ? "none yet" : known) + ")");
  }
  json out = json::array();
  const std::string now = result::UtcNowIso8601();
  for (const std::string& agent : targets) {
    store::JobRow job{result::NewUuid(),
                      agent,
                      result::NewUuid(),
                      suite.value_or("custom"),
                      spec.dump(),
                      "queued",
                      now,
                      now,
                      std::nullopt};
    jobs[job.id] = job;
    job_order.push_back(job.id);
    writer->Execute([job](store::ResultStore& db) { return db.InsertJob(job); },
                    [this, id = job.id](Status s) {
                      if (!s.ok()) Log("job " + id + ": cannot store it: " + s.message());
                    });
    out.push_back(JobJson(job));
    if (auto session = sessions.find(agent); session != sessions.end()) {
      const bool busy = std::any_of(job_order.begin(), job_order.end(), [&](const auto& id) {
        return jobs[id].agent == agent && jobs[id].state == "dispatched";
      });
      if (!busy) Dispatch(session->second);
    }
  }
  Log(origin + " queued " + suite.value_or(pattern.value_or("")) + " (" +
      std::to_string(names.size()) + " workloads) on " + std::to_string(targets.size()) +
      " agent(s)");
  return json{{"jobs", out}};
}

asio::awaitable<void> Coordinator::Impl::ScheduleLoop(Schedule schedule) {
  auto at = ParseDailyTime(schedule.at);
  if (!at.ok()) co_return;  // checked in Create
  asio::system_timer timer(io);
  while (!stopping) {
    timer.expires_at(NextOccurrence(*at, std::chrono::system_clock::now()));
    error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec || stopping) break;
    json request = {
        {"suite", schedule.suite}, {"agents", schedule.agents}, {"options", schedule.options}};
    if (!schedule.workload.empty()) request["workload"] = schedule.workload;
    auto submitted = SubmitJobs(request, "schedule " + schedule.at);
    if (!submitted.ok()) Log("schedule " + schedule.at + ": " + submitted.status().message());
  }
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
  asio::co_spawn(io, FinishShutdown(), asio::detached);
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
  for (const store::JobRow& j : *jobs) {
    c.jobs[j.id] = j;
    c.job_order.push_back(j.id);
  }
  c.writer = std::make_unique<IngestWriter>(std::move(*db), c.io.get_executor());

  if (c.options.tls_cert || c.options.tls_key) {
    if (!c.options.tls_cert || !c.options.tls_key) {
      return Status::InvalidArgument("TLS needs both --tls-cert and --tls-key");
    }
    c.ssl.emplace(asio::ssl::context::tls_server);
    c.ssl->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1);
    error_code ec;
    c.ssl->use_certificate_chain_file(*c.options.tls_cert, ec);
    if (ec)
      return Status::InvalidArgument("--tls-cert " + *c.options.tls_cert + ": " + ec.message());
    c.ssl->use_private_key_file(*c.options.tls_key, asio::ssl::context::pem, ec);
    if (ec) return Status::InvalidArgument("--tls-key " + *c.options.tls_key + ": " + ec.message());
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

Status Coordinator::Run() {
  Impl& c = *impl_;
  asio::signal_set signals(c.io, SIGTERM, SIGINT);
  signals.async_wait([&c](error_code ec, int signal) {
    if (ec) return;
    c.Log(std::string("received ") + (signal == SIGTERM ? "SIGTERM" : "SIGINT"));
    c.Shutdown();
  });
  asio::co_spawn(
      c.io, c.Accept(c.agent_acceptor, [&c](tcp::socket s) { c.OnAgentConnection(std::move(s)); }),
      asio::detached);
  if (c.http_acceptor.is_open()) {
    asio::co_spawn(c.io,
                   c.Accept(c.http_acceptor,
                            [&c](tcp::socket s) {
                              asio::co_spawn(c.io, c.ServeHttp(std::move(s)), asio::detached);
                            }),
                   asio::detached);
  }
  for (const Schedule& s : c.options.schedules) {
    asio::co_spawn(c.io, c.ScheduleLoop(s), asio::detached);
  }
  size_t pending = 0;
  for (const auto& [id, job] : c.jobs) pending += !IsFinal(job.state);
  c.Log("serving agents on " + c.options.listen + " (port " + std::to_string(agent_port()) +
        (c.ssl ? ", TLS" : ", HMAC auth without TLS") + ")" +
        (c.http_acceptor.is_open() ? ", HTTP API on port " + std::to_string(http_port()) : "") +
        "; database " + c.options.db_path + "; " + std::to_string(c.agents.size()) +
        " known agent(s), " + std::to_string(pending) + " unfinished job(s)");
  EFFBENCH_RETURN_IF_ERROR(c.WriteReadyFile());
  c.io.run();
  c.Log(c.exit_status.ok() ? "stopped cleanly" : "stopped: " + c.exit_status.message());
  return c.exit_status;
}

}  // namespace effbench::coordinator
