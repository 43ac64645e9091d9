// The job service (internal/job_service.h): submitting jobs, dispatching
// them, their leases and ends, schedules.
#include "harness/coordinator/internal/job_service.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>
#include <set>

#include "core/time.h"
#include "harness/coordinator/internal/leases.h"
#include "harness/coordinator/selection.h"
#include "workloads/catalog/specs.h"

namespace effbench::coordinator {
namespace {

namespace asio = boost::asio;
using nlohmann::json;
using namespace std::chrono_literals;

json ParseOr(const std::string& text, json fallback) {
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? fallback : j;
}

json JobMessage(const store::JobRow& row) {
  const json spec = ParseOr(row.spec_json, json::object());
  return fleet::ToJson(
      fleet::Job{row.id, row.run_id, row.suite, spec.value("workloads", json::array()),
                 spec.value("revision", json::object()), spec.value("options", json::object())});
}

}  // namespace

json JobJson(const store::JobRow& job) {
  json spec = json::parse(job.spec_json, nullptr, false);
  json j = {{"id", job.id},
            {"agent", job.agent},
            {"run_id", job.run_id},
            {"suite", job.suite},
            {"state", job.state},
            {"created_at", job.created_at},
            {"updated_at", job.updated_at}};
  if (spec.is_object()) {
    j["workloads"] = spec["workloads"].size();
    j["revision"] = spec["revision"];
    j["options"] = spec["options"];
  }
  if (job.error) j["error"] = *job.error;
  return j;
}

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
  if (!o["seed"].is_number_integer() || o["seed"].get<int64_t>() < 0) {
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

JobService::JobService(asio::io_context& io, const AgentRoster& roster, FleetWrites& writes,
                       Hooks hooks, Options options)
    : io_(io), roster_(roster), writes_(writes), hooks_(std::move(hooks)), options_(options) {}

void JobService::Restore(const std::vector<store::JobRow>& jobs) {
  for (const store::JobRow& job : jobs) queue_.Add(job);
}

size_t JobService::unfinished() const { return queue_.Unfinished().size(); }

void JobService::LogLimited(const std::string& line) {
  if (auto passed = log_limiter_.Pass(options_.clock->Steady(), line)) Log(*passed);
}

void JobService::Dispatch(const std::string& agent) {
  const auto session = roster_.Live(agent);
  if (stopping_ || !session) return;
  for (const std::string& id : queue_.Unfinished(agent)) {
    const store::JobRow& job = *queue_.Find(id);
    // Again, after a reconnect or a lost frame (the agent ignores a job it
    // knows): a job this coordinator sent before, whose run it stored. One
    // it learned of from the database (restored, synced: dispatched by
    // another coordinator, whose claim may have stored no run yet) goes
    // through the claim below, which stores its run first.
    if (job.state == "dispatched" && queue_.SentAt(id)) {
      if (hooks_.send(agent, JobMessage(job))) queue_.NoteSent(id, options_.clock->Steady());
      return;
    }
  }
  if (!claiming_.insert(agent).second) {
    // A claim is on its way, made before whatever asks again now (a job
    // queued since): it claims again once that one is done.
    claim_again_.insert(agent);
    return;
  }
  // The job is claimed in the database (leased to this coordinator) and its
  // run stored before the agent hears of it: whatever the agent measures then
  // has a run to land in, and no other coordinator gives the agent another.
  // The claim finds a job queued by another coordinator since the last sync
  // too, and a job already dispatched to the agent (it moved here).
  const std::string now = effbench::UtcNowIso8601(*options_.clock);
  const std::string fingerprint = session->fingerprint;
  const std::optional<int64_t> clock_offset = session->clock_offset_ms;
  auto claimed = std::make_shared<std::optional<store::JobRow>>();
  writes_.Queue(
      [agent, now, fingerprint, clock_offset, claimed, coordinator = options_.coordinator,
       lease = options_.job_lease](store::RunStore& runs, store::FleetStore& fleet) -> Status {
        auto job = fleet.ClaimNextJob(agent, coordinator, lease, now);
        if (!job.ok()) return job.status();
        if (!job->has_value()) return Status::Ok();
        const store::JobRow& row = **job;
        const json spec = ParseOr(row.spec_json, json::object());
        json config = spec.value("options", json::object());
        config["agent"] = agent;
        config["job"] = row.id;
        config["workload"] = spec.value("workload", "*");
        if (clock_offset) config["agent_clock_offset_ms"] = *clock_offset;
        // Stored once: a run that exists (the job was dispatched before) stays.
        EFFBENCH_RETURN_IF_ERROR(runs.BeginRun(
            store::RunRow{row.run_id, fingerprint,
                          result::RevisionFromJson(spec.value("revision", json::object())),
                          row.suite, now, std::nullopt, config.dump()}));
        *claimed = row;
        return Status::Ok();
      },
      [this, agent, claimed](Status s) {
        claiming_.erase(agent);
        const bool again = claim_again_.erase(agent) > 0;
        if (!s.ok()) {
          if (++dispatch_failures_[agent] == 1) {
            Log("agent " + agent + ": cannot claim its next job: " + s.message() +
                "; retrying until the database takes it");
          }
          RetryDispatchLater(agent);
          return;
        }
        if (const auto failed = dispatch_failures_.find(agent);
            failed != dispatch_failures_.end()) {
          Log("agent " + agent + ": job claimed after " + std::to_string(failed->second) +
              " failed attempt(s)");
          dispatch_failures_.erase(failed);
        }
        if (!claimed->has_value()) {
          if (again) Dispatch(agent);
          return;
        }
        const store::JobRow& row = **claimed;
        const store::JobRow* known = queue_.Find(row.id);
        if (known != nullptr && IsFinal(known->state)) {
          // Cancelled after the claim: its end is recorded, and it is not sent.
          Dispatch(agent);
          return;
        }
        const bool fresh = known == nullptr || known->state == "queued";
        if (known == nullptr) {
          queue_.Add(row);
        } else {
          queue_.Update(row.id, row.state, row.updated_at, row.error);
        }
        const json spec = ParseOr(row.spec_json, json::object());
        Log("job " + row.id + " (" + row.suite + ", " +
            std::to_string(spec.value("workloads", json::array()).size()) + " workloads) " +
            (fresh ? "dispatched to " : "sent again to ") + agent);
        if (hooks_.send(agent, JobMessage(row))) queue_.NoteSent(row.id, options_.clock->Steady());
      });
}

bool JobService::Busy(const std::string& agent) const {
  for (const std::string& id : queue_.Unfinished(agent)) {
    if (queue_.Find(id)->state == "dispatched") return true;
  }
  return false;
}

void JobService::Sync(const std::vector<store::JobRow>& rows) {
  // The database's rows may be older than what this coordinator wrote since
  // it read them: a job only ever moves on (queued, dispatched, ended).
  const auto rank = [](const std::string& state) {
    return state == "queued" ? 0 : state == "dispatched" ? 1 : 2;
  };
  std::set<std::string> wake;
  for (const store::JobRow& row : rows) {
    const store::JobRow* known = queue_.Find(row.id);
    if (known == nullptr) {
      queue_.Add(row);
      if (!IsFinal(row.state)) wake.insert(row.agent);
      continue;
    }
    if (rank(row.state) <= rank(known->state)) continue;
    const bool was_dispatched = known->state == "dispatched";
    queue_.Update(row.id, row.state, row.updated_at, row.error);
    if (!IsFinal(row.state)) continue;
    if (roster_.Live(row.agent)) {
      Log("job " + row.id + " on " + row.agent + " " + row.state + " by another coordinator" +
          (row.error ? ": " + *row.error : ""));
      if (was_dispatched && row.state == "cancelled") {
        hooks_.send(row.agent, fleet::ToJson(fleet::Cancel{row.id, row.error.value_or("")}));
      }
    }
    wake.insert(row.agent);
  }
  // And every agent connected here that idles with a job queued: whatever
  // race left it so, the sync ends it within a second.
  for (const auto& [name, session] : roster_.sessions()) {
    for (const std::string& id : queue_.Unfinished(name)) {
      if (queue_.Find(id)->state == "queued") wake.insert(name);
    }
  }
  for (const std::string& agent : wake) {
    if (!Busy(agent)) Dispatch(agent);
  }
}

asio::awaitable<const store::JobRow*> JobService::Lookup(const std::string& job_id) {
  if (const store::JobRow* job = queue_.Find(job_id)) co_return job;
  auto rows = std::make_shared<std::vector<store::JobRow>>();
  const FleetWrites::Operation read = [rows, job_id](store::RunStore&, store::FleetStore& fleet) {
    auto open = fleet.OpenJobs({job_id});
    if (!open.ok()) return open.status();
    *rows = std::move(*open);
    return Status::Ok();
  };
  const Status s = co_await Write(writes_, read);
  if (s.ok()) Sync(*rows);
  co_return queue_.Find(job_id);
}

void JobService::RetryDispatchLater(const std::string& agent) {
  const int failures = std::min(dispatch_failures_[agent], 7);
  auto timer = std::make_shared<asio::steady_timer>(io_);
  timer->expires_after(std::min<std::chrono::milliseconds>(250ms * (1 << failures), 30s));
  timer->async_wait([this, timer, agent](boost::system::error_code ec) {
    if (!ec) Dispatch(agent);
  });
}

asio::awaitable<Status> JobService::End(const std::string& job_id, const std::string& state,
                                        const std::string& reason) {
  const store::JobRow* job = co_await Lookup(job_id);
  if (job == nullptr) co_return Status::NotFound("no job " + job_id);
  if (IsFinal(job->state)) {
    co_return Status::FailedPrecondition("job " + job_id + " is already " + job->state);
  }
  const std::string now = effbench::UtcNowIso8601(*options_.clock);
  // Ended in the database only if still unfinished there: a job_done queued
  // ahead of this write wins, and memory and file agree on it.
  const FleetWrites::Operation end = [job_id, state, now, reason](store::RunStore&,
                                                                  store::FleetStore& fleet) {
    return fleet.EndUnfinishedJob(job_id, state, now, reason);
  };
  const Status stored = co_await Write(writes_, end);
  if (!stored.ok()) co_return stored;
  const store::JobRow& row = *queue_.Find(job_id);
  const bool was_dispatched = row.state == "dispatched";
  const std::string agent = row.agent;
  queue_.Update(job_id, state, now, reason);
  Log("job " + job_id + " on " + agent + " " + state + ": " + reason);
  if (was_dispatched && state == "cancelled") {
    hooks_.send(agent, fleet::ToJson(fleet::Cancel{job_id, reason}));
  } else {
    Dispatch(agent);
  }
  co_return Status::Ok();
}

asio::awaitable<size_t> JobService::CancelJobsOf(const std::string& agent) {
  const std::string reason = "agent " + agent + " was forgotten";
  const std::vector<std::string> open = queue_.Unfinished(agent);
  for (const std::string& id : open) {
    const std::string cancelled = "cancelled";
    const Status ended = co_await End(id, cancelled, reason);
    if (!ended.ok()) Log("job " + id + ": " + ended.message());
  }
  co_return open.size();
}

void JobService::RenewLeases() {
  std::vector<std::string> agents;
  for (const auto& [name, session] : roster_.sessions()) agents.push_back(name);
  if (agents.empty()) return;
  writes_.Queue([agents, coordinator = options_.coordinator, lease = options_.job_lease](
                    store::RunStore&, store::FleetStore& fleet) {
    return fleet.RenewJobLeases(coordinator, agents, lease);
  });
}

asio::awaitable<void> JobService::Expire(const std::string& job_id, const std::string& reason) {
  const std::string now = effbench::UtcNowIso8601(*options_.clock);
  const FleetWrites::Operation expire = [job_id, now, reason](store::RunStore&,
                                                              store::FleetStore& fleet) {
    return fleet.ExpireJobLease(job_id, now, reason);
  };
  const Status stored = co_await Write(writes_, expire);
  if (!stored.ok()) {
    // Ended meanwhile, or its lease renewed by the coordinator its agent
    // went to: the next sync says which.
    LogLimited("job " + job_id + ": lease not expired: " + stored.message());
    co_return;
  }
  const store::JobRow* job = queue_.Find(job_id);
  if (job == nullptr || IsFinal(job->state)) co_return;
  const std::string agent = job->agent;
  queue_.Update(job_id, "failed", now, reason);
  Log("job " + job_id + " on " + agent + " failed: " + reason);
  Dispatch(agent);
}

asio::awaitable<void> JobService::LeaseLoop() {
  asio::steady_timer tick(io_);
  // Leases are renewed four times a lease: a coordinator that dies leaves
  // its agents' jobs to whichever coordinator the agents go to, or to
  // expire one lease after its last renewal.
  const auto renew_every = std::max<std::chrono::milliseconds>(options_.job_lease / 4, 1ms);
  auto renewed = options_.clock->Steady();
  while (!stopping_) {
    tick.expires_after(std::min<std::chrono::milliseconds>(1s, options_.job_lease / 4 + 1ms));
    boost::system::error_code ec;
    co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopping_) break;
    if (options_.clock->Steady() - renewed >= renew_every) {
      RenewLeases();
      renewed = options_.clock->Steady();
    }
    const LeaseVerdicts verdicts = CheckLeases(queue_, roster_, options_.clock->Steady(),
                                               options_.job_lease, options_.heartbeat);
    for (const auto& [id, agent] : verdicts.resend) {
      if (!roster_.Live(agent)) continue;
      LogLimited("agent " + agent + " is idle but job " + id +
                 " is dispatched to it; sending the job again");
      Dispatch(agent);
    }
    const auto& expired = verdicts.expired;
    for (const auto& [id, reason] : expired) co_await Expire(id, reason);
  }
}

asio::awaitable<Result<json>> JobService::Submit(const json& request, const std::string& origin) {
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
  auto chosen = roster_.Targets(selector, options_.clock->Now(), options_.agent_ttl);
  if (!chosen.ok()) co_return chosen.status();
  const std::vector<std::string>& targets = *chosen;
  const std::string now = effbench::UtcNowIso8601(*options_.clock);
  std::vector<store::JobRow> rows;
  for (const std::string& agent : targets) {
    rows.push_back(store::JobRow{result::NewUuid(), agent, result::NewUuid(),
                                 suite.value_or("custom"), spec.dump(), "queued", now, now,
                                 std::nullopt});
  }
  // Stored before anyone hears of them: a 201 means the jobs survive a crash.
  const FleetWrites::Operation insert = [rows](store::RunStore&, store::FleetStore& fleet) {
    return fleet.InsertJobs(rows);
  };
  const Status stored = co_await Write(writes_, insert);
  if (!stored.ok()) {
    co_return Status::IoError("no job queued: the database did not store them: " +
                              stored.message());
  }
  json out = json::array();
  for (const store::JobRow& job : rows) {
    queue_.Add(job);
    out.push_back(JobJson(job));
  }
  for (const std::string& agent : targets) {
    if (!Busy(agent)) Dispatch(agent);
  }
  Log(origin + " queued " + suite.value_or(pattern.value_or("")) + " (" +
      std::to_string(names.size()) + " workloads) on " + std::to_string(targets.size()) +
      " agent(s)");
  co_return json{{"jobs", out}};
}

asio::awaitable<void> JobService::ScheduleLoop(Schedule schedule) {
  auto at = ParseDailyTime(schedule.at);
  if (!at.ok()) co_return;  // checked in Create
  asio::steady_timer timer(io_);
  const Clock& clock = *options_.clock;
  while (!stopping_) {
    // Waits in steps of at most 30 s, reading the wall clock after each: a
    // clock stepped forward past the time (NTP, a resumed VM) fires the run
    // once within 30 s, one stepped back waits for the time again.
    const auto due = NextOccurrence(*at, clock.Now());
    boost::system::error_code ec;
    while (!stopping_ && !ec && clock.Now() < due) {
      timer.expires_after(std::min<std::chrono::system_clock::duration>(due - clock.Now(), 30s));
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec || stopping_) break;
    // One submission of this occurrence among the coordinators given the
    // same schedule: the first to claim it in the database.
    const std::string key = schedule.at + " " + schedule.suite + " " + schedule.workload + " " +
                            schedule.agents + " " + effbench::Iso8601(due);
    auto claimed = std::make_shared<bool>(false);
    const FleetWrites::Operation claim = [key, claimed, coordinator = options_.coordinator,
                                          now = effbench::UtcNowIso8601(clock)](
                                             store::RunStore&, store::FleetStore& fleet) {
      auto first = fleet.ClaimScheduledRun(key, coordinator, now);
      if (!first.ok()) return first.status();
      *claimed = *first;
      return Status::Ok();
    };
    const Status stored = co_await Write(writes_, claim);
    if (!stored.ok()) {
      Log("schedule " + schedule.at +
          ": not submitted, the database did not take its claim: " + stored.message());
      continue;
    }
    if (!*claimed) {
      Log("schedule " + schedule.at + ": submitted by another coordinator on this database");
      continue;
    }
    json request = {
        {"suite", schedule.suite}, {"agents", schedule.agents}, {"options", schedule.options}};
    if (!schedule.workload.empty()) request["workload"] = schedule.workload;
    const std::string origin = "schedule " + schedule.at;
    auto submitted = co_await Submit(request, origin);
    if (!submitted.ok()) Log("schedule " + schedule.at + ": " + submitted.status().message());
  }
}

asio::awaitable<Status> JobService::AcceptResults(const std::string& agent,
                                                  const std::string& fingerprint,
                                                  const fleet::ResultBatch& batch) {
  const std::string& job_id = batch.job_id;
  const store::JobRow* job = co_await Lookup(job_id);
  if (job != nullptr) {
    if (job->agent != agent) {
      co_return Status::InvalidArgument("result for job " + job_id + ", which was given to agent " +
                                        job->agent + ", not to " + agent);
    }
    for (size_t i = 0; i < batch.rows.size(); ++i) {
      if (batch.rows[i].run_id != job->run_id) {
        co_return Status::InvalidArgument("result record " + std::to_string(i) + ": run_id " +
                                          batch.rows[i].run_id + " is not job " + job_id +
                                          "'s run " + job->run_id);
      }
    }
    co_return Status::Ok();
  }
  // A job this coordinator does not know (its database lost it: restored from
  // a backup, say): re-created from the records' own run, machine and
  // revision fields, so that nothing the agent measured is lost or refused
  // forever.
  if (batch.rows.empty()) {
    co_return Status::InvalidArgument("result for job " + job_id +
                                      ", unknown here, with no records");
  }
  const json first = json::parse(batch.rows.front().record_json, nullptr, false);
  const std::string run_id = batch.rows.front().run_id;
  if (!first.is_object() || first.value("machine", "") != fingerprint ||
      !first.contains("revision")) {
    co_return Status::InvalidArgument("result for job " + job_id +
                                      ", unknown here, from records that do not name this " +
                                      "agent's machine");
  }
  for (const auto& row : batch.rows) {
    if (row.run_id != run_id) {
      co_return Status::InvalidArgument("result for job " + job_id + ": records of two runs");
    }
  }
  std::string owner;  // the job whose run this is already
  queue_.ForEach([&](const store::JobRow& j) {
    if (owner.empty() && j.run_id == run_id) owner = j.id;
  });
  if (!owner.empty()) {
    co_return Status::InvalidArgument("result for job " + job_id + ": its run " + run_id +
                                      " is job " + owner + "'s");
  }
  const std::string now = effbench::UtcNowIso8601(*options_.clock);
  const json spec = {{"workloads", json::array()},
                     {"revision", first["revision"]},
                     {"options", json::object()},
                     {"recovered", true}};
  const std::string why =
      "re-created from its results: this coordinator's database did not know it";
  const store::JobRow adopted{job_id,       agent, run_id, "recovered", spec.dump(),
                              "dispatched", now,   now,    why};
  const store::RunRow run{run_id,
                          fingerprint,
                          result::RevisionFromJson(first["revision"]),
                          "recovered",
                          now,
                          std::nullopt,
                          json{{"agent", agent}, {"job", job_id}, {"recovered", true}}.dump()};
  const FleetWrites::Operation adopt = [adopted, run](store::RunStore& runs,
                                                      store::FleetStore& fleet) {
    EFFBENCH_RETURN_IF_ERROR(runs.BeginRun(run));
    return fleet.InsertJob(adopted);
  };
  const Status stored = co_await Write(writes_, adopt);
  if (!stored.ok())
    co_return Status::IoError("job " + job_id + " not re-created: " + stored.message());
  queue_.Add(adopted);
  Log("agent " + agent + " sent results of job " + job_id +
      ", which this database did not know (restored from a backup?): re-created it as run " +
      run_id + " from the results' own run, machine and revision fields");
  co_return Status::Ok();
}

bool JobService::JobDone(const std::string& agent, const fleet::JobDone& message) {
  if (queue_.Find(message.job_id) != nullptr) return RecordEnd(agent, message);
  // Not known here: perhaps queued by another coordinator since the last
  // sync. Looked up in the database first, then recorded.
  asio::co_spawn(
      io_,
      [this, agent, message]() -> asio::awaitable<void> {
        co_await Lookup(message.job_id);
        if (!RecordEnd(agent, message)) {
          LogLimited("agent " + agent + ": job_done for job " + message.job_id +
                     ", which was not given to it; disconnecting it");
          if (hooks_.disconnect) hooks_.disconnect(agent);
        }
      },
      asio::detached);
  return true;
}

bool JobService::RecordEnd(const std::string& agent, const fleet::JobDone& message) {
  const std::string job_id = message.job_id;
  const store::JobRow* job = queue_.Find(job_id);
  if (job == nullptr) {
    // A job this database never knew, and with no result (else the results
    // would have re-created it): nothing to record. Acknowledged, so that the
    // agent forgets it instead of sending it forever.
    Log("agent " + agent + ": job_done for job " + job_id +
        ", unknown here and without results; acknowledged and forgotten");
    hooks_.send(agent, fleet::ToJson(fleet::Ack{{job_id}}));
    return true;
  }
  if (job->agent != agent || job->run_id != message.run_id) return false;
  const bool cancelled = job->state == "cancelled";
  const std::string state = cancelled ? "cancelled" : message.ok ? "done" : "failed";
  const std::optional<std::string> error = cancelled ? job->error : message.error;
  const std::string run_id = job->run_id;
  const int64_t measured = message.results;
  const std::string now = effbench::UtcNowIso8601(*options_.clock);
  writes_.Queue(
      [=](store::RunStore& runs, store::FleetStore& fleet) {
        // Done only once every result the agent measured is stored.
        auto stored = runs.ResultCountOfRun(run_id);
        if (!stored.ok()) return stored.status();
        if (*stored < measured) {
          return Status::FailedPrecondition("the agent measured " + std::to_string(measured) +
                                            " results, " + std::to_string(*stored) +
                                            " are stored; not done until all are");
        }
        EFFBENCH_RETURN_IF_ERROR(runs.FinishRun(run_id, now));
        return fleet.SetJobState(job_id, state, now, error);
      },
      [this, agent, job_id, run_id, state, now, error, message](Status s) {
        if (!s.ok()) {
          // Not acknowledged: the agent sends it again, after resume when the
          // database failed (logged once by the pipeline: "not done until
          // all are" is the fault too, since the results were not stored
          // either), else after a reconnect.
          if (writes_.fault()) return;
          LogLimited("job " + job_id + ": cannot record its end: " + s.message());
          if (hooks_.disconnect) hooks_.disconnect(agent);
          return;
        }
        const store::JobRow* row = queue_.Find(job_id);
        const bool first = row != nullptr && row->state != state;
        if (row != nullptr) queue_.Update(job_id, state, now, error);
        if (first) {
          Log("job " + job_id + " on " + agent + " " + state + ": " +
              std::to_string(message.results) + " results, " + std::to_string(message.failed) +
              " failed" + (error ? " (" + *error + ")" : ""));
        }
        // Checked again on a repeated end too: a crash may have come between.
        if (hooks_.run_complete) hooks_.run_complete(run_id);
        if (hooks_.send(agent, fleet::ToJson(fleet::Ack{{job_id}}))) Dispatch(agent);
      });
  return true;
}

void JobService::NotePause(const std::string& job_id, const std::optional<std::string>& problem) {
  store::JobRow* job = queue_.Find(job_id);
  if (job == nullptr) return;
  if (problem) {
    job->error = "paused: " + *problem;
  } else if (job->error) {
    job->error.reset();
  } else {
    return;
  }
  const store::JobRow row = *job;
  writes_.Queue([row, clock = options_.clock](store::RunStore&, store::FleetStore& fleet) {
    return fleet.SetJobState(row.id, row.state, effbench::UtcNowIso8601(*clock), row.error);
  });
}

}  // namespace effbench::coordinator
