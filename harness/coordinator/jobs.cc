// Jobs: submitting them (API and schedules), dispatching them to agents,
// their leases, cancelling them, and forgetting an agent.
#include <random>

#include "core/time.h"
#include "harness/coordinator/internal/coordinator_impl.h"
#include "harness/coordinator/internal/leases.h"
#include "harness/fleet/spawn.h"
#include "workloads/catalog/specs.h"

namespace effbench::coordinator {
namespace {

json JobMessage(const store::JobRow& row) {
  const json spec = ParseOr(row.spec_json, json::object());
  return fleet::ToJson(
      fleet::Job{row.id, row.run_id, row.suite, spec.value("workloads", json::array()),
                 spec.value("revision", json::object()), spec.value("options", json::object())});
}

}  // namespace

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
  ingest->Execute(
      [run, job_id, now](store::Store& db) {
        EFFBENCH_RETURN_IF_ERROR(db.BeginRun(run));
        return db.SetJobState(job_id, "dispatched", now, std::nullopt);
      },
      [this, job_id, agent, now, workloads](Status s) {
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
        if (const auto live = roster.Live(agent)) {
          live->channel->Send(JobMessage(*job));
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
    if (const auto live = roster.Live(agent)) Dispatch(live);
  });
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
  const IngestPipeline::Operation end = [job_id, state, now, reason](store::Store& db) {
    return db.EndUnfinishedJob(job_id, state, now, reason);
  };
  const Status stored = co_await ingest->Write(end);
  if (!stored.ok()) co_return stored;
  const store::JobRow& row = *queue.Find(job_id);
  const bool was_dispatched = row.state == "dispatched";
  queue.Update(job_id, state, now, reason);
  Log("job " + job_id + " on " + row.agent + " " + state + ": " + reason);
  if (const auto session = roster.Live(row.agent)) {
    if (was_dispatched && state == "cancelled") {
      session->channel->Send(fleet::ToJson(fleet::Cancel{job_id, reason}));
    } else {
      Dispatch(session);
    }
  }
  co_return Status::Ok();
}

asio::awaitable<Status> Coordinator::Impl::ForgetAgent(const std::string& name) {
  if (!roster.Known(name)) co_return Status::NotFound("no agent " + name);
  if (roster.Live(name)) {
    co_return Status::FailedPrecondition("agent " + name +
                                         " is connected; stop it before forgetting it");
  }
  const IngestPipeline::Operation remove = [name](store::Store& db) {
    return db.RemoveAgent(name);
  };
  const Status removed = co_await ingest->Write(remove);
  if (!removed.ok()) co_return removed;
  roster.Forget(name);
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
    const LeaseVerdicts verdicts =
        CheckLeases(queue, roster, options.clock->Steady(), options.job_lease, options.heartbeat);
    for (const auto& [id, agent] : verdicts.resend) {
      const auto session = roster.Live(agent);
      if (!session) continue;
      LogLimited(peer_log, "agent " + agent + " is idle but job " + id +
                               " is dispatched to it; sending the job again");
      Dispatch(session);
    }
    const auto& expired = verdicts.expired;
    for (const auto& [id, reason] : expired) {
      const std::string failed = "failed";
      const Status ended = co_await EndJob(id, failed, reason);
      if (!ended.ok() && ended.code() != Status::Code::kFailedPrecondition) {
        LogLimited(peer_log, "job " + id + ": lease expired, but " + ended.message());
      }
    }
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
  auto selected = catalog::Select(suite, pattern);
  if (!selected.ok()) co_return Status::InvalidArgument(selected.status().message());
  const std::string selector = request.value("agents", "*");
  if (Status s = ValidateSelector(selector); !s.ok()) co_return s;
  auto options_json = JobOptions(request.value("options", json::object()));
  if (!options_json.ok()) co_return options_json.status();
  auto revision = JobRevision(request.value("revision", json::object()));
  if (!revision.ok()) co_return revision.status();

  json names = json::array();
  for (size_t i : *selected) names.push_back(catalog::Entries()[i].id);
  json spec = {{"workloads", names}, {"revision", *revision}, {"options", *options_json}};
  if (pattern) spec["workload"] = *pattern;
  auto chosen = roster.Targets(selector, options.clock->Now(), options.agent_ttl);
  if (!chosen.ok()) co_return chosen.status();
  const std::vector<std::string>& targets = *chosen;
  const std::string now = effbench::UtcNowIso8601(*options.clock);
  std::vector<store::JobRow> rows;
  for (const std::string& agent : targets) {
    rows.push_back(store::JobRow{result::NewUuid(), agent, result::NewUuid(),
                                 suite.value_or("custom"), spec.dump(), "queued", now, now,
                                 std::nullopt});
  }
  // Stored before anyone hears of them: a 201 means the jobs survive a crash.
  const IngestPipeline::Operation insert = [rows](store::Store& db) { return db.InsertJobs(rows); };
  const Status stored = co_await ingest->Write(insert);  // named: see AdoptUnknownJob
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
    const auto session = roster.Live(agent);
    if (session && !queue.Busy(agent)) Dispatch(session);
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

}  // namespace effbench::coordinator
