#include "harness/fleet/job_messages.h"

#include "harness/fleet/messages.h"

namespace effbench::fleet {

using nlohmann::json;

json ToJson(const Ack& m) {
  json j = NewMessage("ack");
  j["ids"] = m.ids;
  return j;
}

json ToJson(const Cancel& m) {
  json j = NewMessage("cancel");
  j["job_id"] = m.job_id;
  j["reason"] = m.reason.substr(0, 1000);
  return j;
}

json ToJson(const Job& m) {
  json j = NewMessage("job");
  j["job_id"] = m.job_id;
  j["run_id"] = m.run_id;
  j["suite"] = m.suite;
  j["workloads"] = m.workloads;
  j["revision"] = m.revision;
  j["options"] = m.options;
  return j;
}

json ToJson(const JobDone& m) {
  json j = NewMessage("job_done");
  j["job_id"] = m.job_id;
  j["run_id"] = m.run_id;
  j["ok"] = m.ok;
  j["results"] = m.results;
  j["failed"] = m.failed;
  if (m.error) j["error"] = *m.error;
  return j;
}

json ToJson(const Heartbeat& m) {
  json j = NewMessage("heartbeat");
  j["state"] = m.state;
  if (m.problem) j["problem"] = m.problem->substr(0, 1000);
  if (!m.job.empty()) {
    j["job"] = m.job;
    j["done"] = m.done;
    j["total"] = m.total;
  }
  j["spooled"] = m.spooled;
  return j;
}

void FromJson(const json& j, Ack* m) { m->ids = j.at("ids").get<std::vector<std::string>>(); }

void FromJson(const json& j, Cancel* m) {
  m->job_id = j.at("job_id");
  m->reason = j.at("reason");
}

void FromJson(const json& j, Job* m) {
  m->job_id = j.at("job_id");
  m->run_id = j.at("run_id");
  m->suite = j.at("suite");
  m->workloads = j.at("workloads");
  m->revision = j.at("revision");
  m->options = j.at("options");
}

void FromJson(const json& j, JobDone* m) {
  m->job_id = j.at("job_id");
  m->run_id = j.at("run_id");
  m->ok = j.at("ok");
  m->results = j.at("results");
  m->failed = j.at("failed");
  if (j.contains("error")) m->error = j["error"].get<std::string>();
}

void FromJson(const json& j, Heartbeat* m) {
  m->state = j.at("state");
  if (j.contains("problem")) m->problem = j["problem"].get<std::string>();
  m->job = j.value("job", "");
  m->done = j.value("done", int64_t{0});
  m->total = j.value("total", int64_t{0});
  m->spooled = j.value("spooled", int64_t{0});
}

}  // namespace effbench::fleet
