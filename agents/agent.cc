#include "agents/agent.h"

#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <condition_variable>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <utility>
#include <variant>

#include "agents/spool.h"
#include "core/time.h"
#include "harness/energy/energy_meter.h"
#include "harness/engine/engine.h"
#include "harness/fleet/auth.h"
#include "harness/fleet/channel.h"
#include "harness/fleet/protocol.h"
#include "harness/fleet/spawn.h"
#include "harness/machine/calibration.h"
#include "harness/machine/inventory.h"
#include "harness/result/record.h"
#include "workloads/catalog.h"

namespace effbench::agent {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr char kAgentVersion[] = "effbench-agent/" EFFBENCH_VERSION;

int64_t NowMs(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch())
      .count();
}

// Why a connection ended, and whether trying again can help.
struct Ending {
  std::string why;
  bool fatal = false;
};

}  // namespace

Result<std::map<std::string, std::string>> ParseLabels(const std::string& text) {
  std::map<std::string, std::string> labels;
  size_t at = 0;
  while (at < text.size()) {
    const size_t comma = std::min(text.find(',', at), text.size());
    const std::string pair = text.substr(at, comma - at);
    const size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("--labels: \"" + pair + "\" is not key=value");
    }
    labels[pair.substr(0, eq)] = pair.substr(eq + 1);
    at = comma + 1;
  }
  return labels;
}

struct Agent::Impl {
  Impl(AgentOptions o, std::ostream& l) : options(std::move(o)), log(l) {}

  void Log(const std::string& line) {
    std::lock_guard lock(log_mu);
    log.clear();  // a failed write (disk full) must not silence every later line
    log << effbench::UtcNowIso8601(*options.clock) << " effbench-agent " << options.name << ": "
        << line << "\n"
        << std::flush;
  }

  asio::awaitable<void> ConnectLoop();
  asio::awaitable<Ending> Session();
  asio::awaitable<std::variant<std::chrono::milliseconds, Ending>> Introduce(
      const std::shared_ptr<fleet::Channel>& ch);
  asio::awaitable<void> Sender(std::shared_ptr<fleet::Channel> channel);
  asio::awaitable<void> Heartbeats(std::shared_ptr<fleet::Channel> channel,
                                   std::chrono::milliseconds every);
  asio::awaitable<void> Stop();
  void AcceptJob(const json& job);
  void CancelJob(const std::string& job_id, const std::string& reason);
  // Appends to the spool; while that fails (the spool's disk is full), pauses
  // the job, says so in the heartbeats, and retries until it works or the
  // agent stops. Nothing measured is dropped.
  Status AppendOrPause(const std::string& id, const json& message);
  void WorkerLoop();
  void RunJob(json state);
  json Heartbeat() const;

  AgentOptions options;
  size_t next_coordinator = 0;  // options.coordinators[next_coordinator] is options.host
  // The wall clock results are stamped with: options.clock, moved to the
  // coordinator's at each handshake. Durations use the steady face only.
  OffsetClock stamps{*options.clock};
  std::ostream& log;
  std::mutex log_mu;
  asio::io_context io{1};
  std::unique_ptr<Spool> spool;
  machine::Inventory inventory;
  std::string fingerprint;
  std::optional<machine::Calibration> calibration;
  json calibration_json;  // null when not calibrated

  // Network thread only.
  std::shared_ptr<fleet::Channel> channel;  // while connected and welcomed
  std::unique_ptr<asio::steady_timer> wake_sender;
  uint64_t sent_through = 0;
  // The coordinator said hold (it cannot store now): nothing is sent until
  // it says resume; results stay in the spool.
  bool held = false;
  bool stopping = false;
  int exit_code = 0;
  // A coroutine the agent needs failed: logs it and stops with exit code 1.
  void Fail(const std::string& failure) {
    Log(failure + "; stopping");
    exit_code = 1;
    io.stop();
  }

  // Shared with the worker thread.
  mutable std::mutex mu;
  std::condition_variable work_ready;
  std::deque<json> queue;       // job states waiting to run
  std::set<std::string> known;  // job ids accepted in this process or found in the spool
  std::atomic<bool> stop_work{false};
  std::atomic<bool> worker_done{false};
  // Cancelled (on the network thread) once the worker has stopped: Stop
  // waits on it instead of polling worker_done.
  std::unique_ptr<asio::steady_timer> worker_stopped;
  std::string current_job;  // guarded by mu
  std::string paused_for;   // guarded by mu: why the current job waits, empty when it does not
  std::set<std::string> cancelled;  // guarded by mu: job id → stop it (effbench jobs cancel)
  std::map<std::string, std::string> cancel_reasons;  // guarded by mu
  std::atomic<int64_t> done{0}, total{0};
  std::thread worker;
};

Result<std::unique_ptr<Agent>> Agent::Create(AgentOptions options, std::ostream& log) {
  if (options.token.empty()) return Status::InvalidArgument("the fleet token is empty");
  auto impl = std::make_unique<Impl>(std::move(options), log);
  Impl& a = *impl;
  a.inventory = machine::Probe();
  a.fingerprint = machine::Fingerprint(a.inventory);
  if (a.options.name.empty())
    a.options.name = a.inventory.hostname.empty() ? "agent" : a.inventory.hostname;
  for (char& c : a.options.name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '-';
  }
  std::vector<std::string> warnings;
  auto spool = Spool::Open(a.options.spool_dir, &warnings, a.options.spool_max_bytes);
  if (!spool.ok()) return spool.status();
  a.spool = std::move(*spool);
  for (const std::string& w : warnings) a.Log("warning: " + w);

  a.calibration_json = nullptr;
  if (auto cached = a.spool->LoadCalibration(a.fingerprint)) {
    auto parsed = machine::CalibrationFromJson(*cached);
    if (parsed.ok()) {
      a.calibration = *parsed;
      a.calibration_json = *cached;
    }
  }
  if (!a.calibration && a.options.calibrate) {
    a.Log("calibrating this machine's roofline (fp32/bf16/int8 peaks, bandwidth)...");
    a.calibration = machine::Calibrate(a.inventory);
    a.calibration_json = machine::ToJson(*a.calibration);
    if (Status s = a.spool->SaveCalibration(a.fingerprint, a.calibration_json); !s.ok()) {
      a.Log("warning: calibration not cached: " + s.message());
    }
  }
  // Jobs interrupted by a restart resume where they stopped; job_done frames
  // still pending mean their job is finished.
  for (json& state : a.spool->Jobs()) {
    const std::string id = state["job"]["job_id"];
    a.known.insert(id);
    a.queue.push_back(std::move(state));
  }
  for (const auto& e : a.spool->PendingAfter(0, SIZE_MAX)) {
    if (e.message.value("type", "") == "job_done") a.known.insert(e.id);
  }
  if (!a.queue.empty() || a.spool->pending() > 0) {
    a.Log("spool " + a.options.spool_dir + ": " + std::to_string(a.queue.size()) +
          " job(s) to resume, " + std::to_string(a.spool->pending()) + " frame(s) to resend");
  }
  return std::unique_ptr<Agent>(new Agent(std::move(impl)));
}

Agent::Agent(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Agent::~Agent() = default;

json Agent::Impl::Heartbeat() const {
  fleet::Heartbeat hb;
  std::lock_guard lock(mu);
  hb.state = current_job.empty() ? "idle" : paused_for.empty() ? "running" : "paused";
  if (!paused_for.empty()) hb.problem = paused_for;
  if (!current_job.empty()) {
    hb.job = current_job;
    hb.done = done.load();
    hb.total = total.load();
  }
  hb.spooled = static_cast<int64_t>(spool->pending());
  return fleet::ToJson(hb);
}

void Agent::Impl::AcceptJob(const json& job) {
  const auto typed = fleet::As<fleet::Job>(job);
  const std::string& id = typed.job_id;
  {
    std::lock_guard lock(mu);
    if (known.count(id)) return;  // a resend after a reconnect: running, queued or finished
    known.insert(id);
  }
  json state = {{"job", job}, {"done", json::array()}, {"accepted", NowMs(*options.clock)}};
  if (Status s = spool->SaveJob(id, state); !s.ok()) {
    Log("cannot spool job " + id + ": " + s.message() + "; it runs without resume");
  }
  Log("job " + id + ": " + std::to_string(typed.workloads.size()) + " workloads of " + typed.suite +
      ", run " + typed.run_id);
  {
    std::lock_guard lock(mu);
    queue.push_back(std::move(state));
  }
  work_ready.notify_one();
}

Status Agent::Impl::AppendOrPause(const std::string& id, const json& message) {
  Status s = spool->Append(id, message);
  if (s.ok()) return s;
  Log("spool " + options.spool_dir + ": " + s.message() +
      "; pausing the job until it can be written (nothing is dropped)");
  {
    std::lock_guard lock(mu);
    paused_for = "spool " + options.spool_dir + ": " + s.message();
  }
  asio::post(io, [this] {
    if (channel) channel->Send(Heartbeat());
  });
  int attempts = 1;
  while (!s.ok() && !stop_work) {
    std::unique_lock lock(mu);
    work_ready.wait_for(lock, std::chrono::seconds(1), [this] { return stop_work.load(); });
    lock.unlock();
    if (stop_work) break;
    s = spool->Append(id, message);
    ++attempts;
  }
  {
    std::lock_guard lock(mu);
    paused_for.clear();
  }
  if (s.ok()) {
    Log("spool " + options.spool_dir + " writable again after " + std::to_string(attempts) +
        " attempts; the job resumes");
  }
  return s;
}

void Agent::Impl::CancelJob(const std::string& job_id, const std::string& reason) {
  std::lock_guard lock(mu);
  if (!known.count(job_id)) return;  // never accepted, or finished long ago: nothing to stop
  cancelled.insert(job_id);
  cancel_reasons[job_id] = reason;
  Log("job " + job_id + ": cancelled by the coordinator (" + reason + ")");
  work_ready.notify_all();
}

void Agent::Impl::WorkerLoop() {
  for (;;) {
    json state;
    {
      std::unique_lock lock(mu);
      work_ready.wait(lock, [this] { return stop_work || !queue.empty(); });
      if (stop_work) break;
      state = std::move(queue.front());
      queue.pop_front();
      current_job = state["job"]["job_id"];
    }
    RunJob(std::move(state));
    std::lock_guard lock(mu);
    current_job.clear();
  }
  worker_done = true;
  asio::post(io, [this] {
    if (wake_sender) wake_sender->cancel();
    if (worker_stopped) worker_stopped->cancel();
  });
}

void Agent::Impl::RunJob(json state) {
  const json job = state["job"];
  const std::string job_id = job["job_id"], run_id = job["run_id"];
  std::set<std::string> measured;
  for (const json& n : state["done"]) measured.insert(n.get<std::string>());
  for (const std::string& n : spool->PendingNames(job_id)) measured.insert(n);

  std::vector<const workloads::WorkloadSpec*> specs;
  std::vector<std::string> unknown;
  for (const json& n : job["workloads"]) {
    const std::string name = n;
    if (measured.count(name)) continue;
    const workloads::WorkloadSpec* found = nullptr;
    for (const auto& spec : workloads::Catalog()) {
      if (spec.id == name) found = &spec;
    }
    if (found) {
      specs.push_back(found);
    } else {
      unknown.push_back(name);
    }
  }
  {
    std::lock_guard lock(mu);
    if (cancelled.count(job_id)) specs.clear();  // cancelled while queued: measure nothing
  }
  total = static_cast<int64_t>(job["workloads"].size());
  done = static_cast<int64_t>(measured.size());
  if (!measured.empty()) {
    Log("job " + job_id + ": resuming, " + std::to_string(measured.size()) + " of " +
        std::to_string(total.load()) + " already measured");
  }

  const json& o = job["options"];
  engine::EngineOptions eo;
  eo.repetitions = o["repetitions"];
  eo.min_time_s = o["min_time_s"];
  eo.threads = o["threads"];
  eo.seed = o["seed"];
  eo.data_dir = options.data_dir;
  eo.cache_dir = options.cache_dir;
  eo.clock = &stamps;
  const result::Revision revision = result::RevisionFromJson(job["revision"]);
  auto meter = energy::MakeEnergyMeter();
  engine::Engine engine(eo, engine::RunContext{run_id, fingerprint, revision, calibration}, *meter);
  int64_t results = 0, failed = 0;
  const Status run = engine.Run(
      specs, [](size_t, size_t, const std::string&) {},
      [&](const result::ResultRecord& record) -> Status {
        json frame = fleet::NewMessage("result");
        frame["job_id"] = job_id;
        frame["records"] = json::array({result::ToJson(record)});
        EFFBENCH_RETURN_IF_ERROR(AppendOrPause(record.id, frame));
        state["done"].push_back(record.name);
        if (Status s = spool->SaveJob(job_id, state); !s.ok()) {
          Log("warning: job progress not saved: " + s.message());
        }
        ++results;
        failed += !record.ok && !record.skipped;
        ++done;
        asio::post(io, [this] {
          if (wake_sender) wake_sender->cancel();
        });
        if (stop_work) return Status::FailedPrecondition("stopping");
        std::lock_guard lock(mu);
        if (cancelled.count(job_id)) return Status::FailedPrecondition("cancelled");
        return Status::Ok();
      });
  if (stop_work) {
    Log("job " + job_id + ": stopped after " + std::to_string(done.load()) + " of " +
        std::to_string(total.load()) + " workloads; it resumes when the agent restarts");
    return;
  }
  fleet::JobDone finished;
  finished.job_id = job_id;
  finished.run_id = run_id;
  std::string error;
  bool was_cancelled = false;
  {
    std::lock_guard lock(mu);
    if (cancelled.count(job_id)) {
      was_cancelled = true;
      error = "cancelled: " + cancel_reasons[job_id];
    }
  }
  if (!run.ok() && !was_cancelled) error = "spool: " + run.message();
  if (!unknown.empty()) {
    error += std::string(error.empty() ? "" : "; ") + std::to_string(unknown.size()) +
             " workload(s) unknown to " + kAgentVersion + ", e.g. " + unknown.front();
  }
  finished.ok = run.ok() && !was_cancelled && (specs.size() > 0 || unknown.empty());
  finished.results = done.load();
  finished.failed = failed;
  if (!error.empty()) finished.error = error;
  if (Status s = AppendOrPause(job_id, fleet::ToJson(finished)); !s.ok()) {
    Log("job " + job_id +
        ": stopped before its end was spooled; it resumes when the agent restarts");
    return;
  }
  if (Status s = spool->RemoveJob(job_id); !s.ok()) Log("warning: " + s.message());
  Log("job " + job_id + " finished: " + std::to_string(results) + " measured, " +
      std::to_string(failed) + " failed" + (error.empty() ? "" : " (" + error + ")"));
  asio::post(io, [this] {
    if (wake_sender) wake_sender->cancel();
  });
}

asio::awaitable<void> Agent::Impl::Sender(std::shared_ptr<fleet::Channel> ch) {
  sent_through = 0;  // a new connection: everything pending goes again
  asio::steady_timer pause(io);
  while (!ch->closed()) {
    auto batch = held ? std::vector<Spool::Entry>{} : spool->PendingAfter(sent_through, 256);
    if (batch.empty()) {
      wake_sender->expires_at(asio::steady_timer::time_point::max());
      error_code ignored;
      co_await wake_sender->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      continue;
    }
    for (const Spool::Entry& e : batch) {
      while (ch->send_queue_depth() > 256 && !ch->closed()) {
        pause.expires_after(2ms);
        error_code ignored;
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      }
      if (held) break;
      if (ch->closed() || !ch->Send(e.message)) co_return;
      sent_through = e.seq;
    }
  }
}

asio::awaitable<void> Agent::Impl::Heartbeats(std::shared_ptr<fleet::Channel> ch,
                                              std::chrono::milliseconds every) {
  asio::steady_timer timer(io);
  while (!ch->closed()) {
    timer.expires_after(every);
    error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ch->closed()) break;
    ch->Send(Heartbeat());
  }
}

// The handshake after the connection: challenge, hello (with the proof of
// the fleet token), welcome. The heartbeat interval the coordinator asks for,
// or how it ended.
asio::awaitable<std::variant<std::chrono::milliseconds, Ending>> Agent::Impl::Introduce(
    const std::shared_ptr<fleet::Channel>& ch) {
  // challenge -> hello -> welcome
  const auto asked = options.clock->Now();
  fleet::ReadOutcome challenge = co_await ch->Read(10s, asio::use_awaitable);
  const auto answered = options.clock->Now();
  if (challenge.closed) co_return Ending{"connection closed before the challenge"};
  if (challenge.error || challenge.message["type"] != "challenge") {
    const std::string why = challenge.error ? challenge.error->message
                                            : "expected a challenge, got " +
                                                  challenge.message["type"].get<std::string>();
    if (challenge.message.value("type", "") == "error") {
      ch->Close();
      co_return Ending{"coordinator: " + fleet::As<fleet::Error>(challenge.message).message};
    }
    ch->Fail({challenge.error ? challenge.error->code : fleet::ErrorCode::kUnexpected, why});
    co_return Ending{why};
  }
  fleet::Hello hello;
  // The coordinator's clock is the fleet's: results are stamped with it,
  // however wrong this machine's own clock is (a board without an RTC).
  if (const auto server_ms = fleet::As<fleet::Challenge>(challenge.message).time_ms) {
    const auto offset = ClockOffset(asked, answered, *server_ms);
    if (std::chrono::abs(offset - stamps.offset()) >= 2s) {
      Log("this machine's clock is " + std::to_string(std::abs(offset.count()) / 1000) + " s " +
          (offset.count() > 0 ? "behind" : "ahead of") +
          " the coordinator's; results are stamped with the coordinator's time");
    }
    stamps.SetOffset(offset);
    hello.clock_offset_ms = offset.count();
  }
  hello.name = options.name;
  hello.version = kAgentVersion;
  hello.labels = options.labels;
  hello.machine = {{"fingerprint", fingerprint},
                   {"hostname", inventory.hostname},
                   {"cpu_model", inventory.cpu_model},
                   {"arch", inventory.arch},
                   {"inventory", machine::ToJson(inventory)},
                   {"calibration", calibration_json}};
  if (ch->tls()) {
    hello.token = options.token;
  } else {
    const auto nonce = fleet::As<fleet::Challenge>(challenge.message).nonce;
    hello.proof =
        fleet::ClientProof(options.token, fleet::AuthMessage(nonce, options.name, fingerprint));
  }
  ch->Send(fleet::ToJson(hello));
  fleet::ReadOutcome welcome = co_await ch->Read(30s, asio::use_awaitable);
  if (welcome.closed) co_return Ending{"connection closed before the welcome"};
  if (welcome.error) {
    ch->Fail(*welcome.error);
    co_return Ending{welcome.error->message};
  }
  if (welcome.message["type"] == "error") {
    ch->Close();
    const auto refused = fleet::As<fleet::Error>(welcome.message);
    co_return Ending{"the coordinator refused: " + refused.message,
                     refused.code == "unauthorized" || refused.code == "version"};
  }
  if (welcome.message["type"] != "welcome") {
    const std::string why = "expected welcome, got " + welcome.message["type"].get<std::string>();
    ch->Fail({fleet::ErrorCode::kUnexpected, why});
    co_return Ending{why};
  }
  co_return std::chrono::milliseconds(
      static_cast<int64_t>(fleet::As<fleet::Welcome>(welcome.message).heartbeat_s * 1000));
}

asio::awaitable<Ending> Agent::Impl::Session() {
  tcp::resolver resolver(io);
  error_code ec;
  auto endpoints = co_await resolver.async_resolve(options.host, options.port,
                                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Ending{"cannot resolve " + options.host + ": " + ec.message()};
  tcp::socket socket(io);
  asio::steady_timer connect_timer(io);
  connect_timer.expires_after(10s);
  connect_timer.async_wait([&socket](error_code e) {
    if (!e) socket.close();
  });
  co_await asio::async_connect(socket, endpoints, asio::redirect_error(asio::use_awaitable, ec));
  connect_timer.cancel();
  if (ec) {
    co_return Ending{"cannot connect to " + options.host + ":" + options.port + ": " +
                     ec.message()};
  }
  socket.set_option(tcp::no_delay(true), ec);
  std::optional<asio::ssl::context> ssl;
  if (options.tls) {
    ssl.emplace(asio::ssl::context::tls_client);
    if (options.tls_ca) {
      ssl->load_verify_file(*options.tls_ca, ec);
      if (ec) co_return Ending{"--tls-ca " + *options.tls_ca + ": " + ec.message(), true};
    } else {
      ssl->set_default_verify_paths(ec);
    }
    ssl->set_verify_mode(asio::ssl::verify_peer);
  }
  auto adopted = fleet::Channel::Adopt(
      io, socket.release(ec), fleet::ChannelLimits{},
      {.context = ssl ? &*ssl : nullptr, .client = true, .host = options.host});
  if (!adopted.ok()) co_return Ending{adopted.status().message()};
  const std::shared_ptr<fleet::Channel> ch = std::move(adopted).value();
  ch->Start([this](const std::string& m) { Log(m); });
  if (auto failed = co_await ch->Handshake(10s, asio::use_awaitable)) {
    ch->Close();
    co_return Ending{*failed};
  }
  auto introduced = co_await Introduce(ch);
  if (auto* ended = std::get_if<Ending>(&introduced)) co_return std::move(*ended);
  const auto every = std::get<std::chrono::milliseconds>(introduced);
  Log("connected to " + options.host + ":" + options.port + (ch->tls() ? " (TLS)" : "") + "; " +
      std::to_string(spool->pending()) + " spooled frame(s) to send");
  channel = ch;
  held = false;  // a new connection: the coordinator says hold again if it must
  const auto end_connection = [this, ch](const std::string& m) {
    Log(m + "; reconnecting");
    ch->Close();
  };
  fleet::Spawn(io, Sender(ch), "the sender", end_connection);
  fleet::Spawn(io, Heartbeats(ch, every), "the heartbeats", end_connection);
  ch->Send(Heartbeat());

  Ending ending{"closed"};
  while (!ch->closed()) {
    fleet::ReadOutcome in = co_await ch->Read(0ms, asio::use_awaitable);
    if (in.closed) {
      ending.why = "connection lost: " + *in.closed;
      break;
    }
    if (in.error) {
      ending.why = in.error->message;
      ch->Fail(*in.error);
      break;
    }
    const std::string type = in.message["type"];
    if (type == "ack") {
      for (const std::string& id : fleet::As<fleet::Ack>(in.message).ids) {
        if (Status s = spool->Remove(id); !s.ok()) Log("warning: " + s.message());
      }
    } else if (type == "hold") {
      if (!std::exchange(held, true)) {
        Log("the coordinator cannot store results now (" +
            fleet::As<fleet::Hold>(in.message).reason + "); holding " +
            std::to_string(spool->pending()) + " spooled frame(s) until it can, staying connected");
      }
    } else if (type == "resume") {
      if (std::exchange(held, false)) {
        sent_through = 0;  // what was sent and not acknowledged goes again
        Log("the coordinator stores results again; sending the " +
            std::to_string(spool->pending()) + " spooled frame(s)");
        if (wake_sender) wake_sender->cancel();
      }
    } else if (type == "job") {
      AcceptJob(in.message);
    } else if (type == "cancel") {
      const auto cancel = fleet::As<fleet::Cancel>(in.message);
      CancelJob(cancel.job_id, cancel.reason);
    } else if (type == "bye") {
      ending.why = "the coordinator said bye: " + fleet::As<fleet::Bye>(in.message).reason;
      ch->Close();
    } else if (type == "error") {
      const auto error = fleet::As<fleet::Error>(in.message);
      ending.why = "the coordinator closed: " + error.code + ": " + error.message;
      ch->Close();
    } else {
      ending.why = type + " is not a message a coordinator sends after welcome";
      ch->Fail({fleet::ErrorCode::kUnexpected, ending.why});
    }
  }
  channel.reset();
  ch->Close();
  if (wake_sender) wake_sender->cancel();
  co_return ending;
}

asio::awaitable<void> Agent::Impl::ConnectLoop() {
  std::mt19937_64 rng(std::random_device{}());
  auto backoff = options.backoff_initial;
  asio::steady_timer timer(io);
  while (!stopping) {
    const auto started = options.clock->Steady();
    Ending ending = co_await Session();
    if (stopping) break;
    if (ending.fatal) {
      Log(ending.why + "; giving up");
      exit_code = 1;
      co_await Stop();
      co_return;
    }
    if (options.clock->Steady() - started > 60s) backoff = options.backoff_initial;
    // The next coordinator, where several were given; the back-off grows
    // once each round, not at each of them.
    bool round_ended = true;
    if (options.coordinators.size() > 1) {
      next_coordinator = (next_coordinator + 1) % options.coordinators.size();
      const CoordinatorAddress& next = options.coordinators[next_coordinator];
      options.host = next.host;
      options.port = next.port;
      options.tls = next.tls;
      round_ended = next_coordinator == 0;
    }
    // Full jitter: a fleet that lost its coordinator does not come back in step.
    std::uniform_int_distribution<int64_t> jitter(backoff.count() / 2, backoff.count());
    const auto wait = std::chrono::milliseconds(jitter(rng));
    Log(ending.why + "; reconnecting" +
        (options.coordinators.size() > 1 ? " to " + options.host + ":" + options.port : "") +
        " in " + std::to_string(wait.count()) + " ms");
    timer.expires_after(wait);
    error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (round_ended) backoff = std::min(backoff * 2, options.backoff_max);
  }
}

asio::awaitable<void> Agent::Impl::Stop() {
  stopping = true;
  stop_work = true;
  work_ready.notify_all();
  // The worker finishes its current workload (its result is spooled) and
  // stops; it cancels `worker_stopped` on this thread once it has. No
  // suspension between the check and the wait, so the cancel cannot come
  // between them.
  while (!worker_done) {
    worker_stopped->expires_at(asio::steady_timer::time_point::max());
    error_code ec;
    co_await worker_stopped->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (auto ch = channel) {
    ch->Send(fleet::ByeMessage("agent shutting down"));
    co_await ch->Flush(2s, asio::use_awaitable);
    ch->Close();
  }
  io.stop();
}

int Agent::Run() {
  Impl& a = *impl_;
  a.wake_sender = std::make_unique<asio::steady_timer>(a.io);
  a.worker_stopped = std::make_unique<asio::steady_timer>(a.io);
  asio::signal_set signals(a.io, SIGTERM, SIGINT);
  signals.async_wait([&a](error_code ec, int signal) {
    if (ec) return;
    a.Log(std::string("received ") + (signal == SIGTERM ? "SIGTERM" : "SIGINT") +
          "; finishing the current workload, keeping the spool");
    fleet::Spawn(a.io, a.Stop(), "stopping", [&a](const std::string& m) { a.Fail(m); });
  });
  a.worker = std::thread([&a] { a.WorkerLoop(); });
  a.Log(std::string(kAgentVersion) + " on " + a.inventory.cpu_model + " (" +
        a.fingerprint.substr(0, 12) + "), coordinator " + a.options.host + ":" + a.options.port +
        (a.options.tls ? " over TLS" : "") + ", spool " + a.options.spool_dir);
  fleet::Spawn(a.io, a.ConnectLoop(), "the connection loop",
               [&a](const std::string& m) { a.Fail(m); });
  a.io.run();
  a.stop_work = true;
  a.work_ready.notify_all();
  a.worker.join();
  a.Log(a.exit_code == 0 ? "stopped" : "stopped with an error");
  return a.exit_code;
}

}  // namespace effbench::agent
