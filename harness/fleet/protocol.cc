#include "harness/fleet/protocol.h"

#include "harness/fleet/messages.h"

namespace effbench::fleet {

using nlohmann::json;

json ToJson(const Challenge& m) {
  json j = NewMessage("challenge");
  j["nonce"] = m.nonce;
  j["server"] = m.server;
  j["tls"] = m.tls;
  if (m.time_ms) j["time_ms"] = *m.time_ms;
  return j;
}

json ToJson(const Hello& m) {
  json j = NewMessage("hello");
  j["name"] = m.name;
  j["version"] = m.version;
  j["labels"] = m.labels;
  j["machine"] = m.machine;
  j["auth"] = json::object();
  if (m.token) j["auth"]["token"] = *m.token;
  if (m.proof) j["auth"]["proof"] = *m.proof;
  if (m.clock_offset_ms) j["clock_offset_ms"] = *m.clock_offset_ms;
  return j;
}

json ToJson(const Welcome& m) {
  json j = NewMessage("welcome");
  j["agent"] = m.agent;
  j["heartbeat_s"] = m.heartbeat_s;
  j["max_frame"] = m.max_frame;
  return j;
}

json ToJson(const Bye& m) { return ByeMessage(m.reason); }

json ToJson(const Error& m) {
  json j = NewMessage("error");
  j["code"] = m.code;
  j["message"] = m.message;
  return j;
}

json ToJson(const Ack& m) {
  json j = NewMessage("ack");
  j["ids"] = m.ids;
  return j;
}

json ToJson(const Hold& m) {
  json j = NewMessage("hold");
  j["reason"] = m.reason.substr(0, 1000);
  return j;
}

json ToJson(const Resume&) { return NewMessage("resume"); }

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

void FromJson(const json& j, Challenge* m) {
  m->nonce = j.at("nonce");
  m->server = j.at("server");
  m->tls = j.at("tls");
  if (j.contains("time_ms")) m->time_ms = j["time_ms"].get<int64_t>();
}

void FromJson(const json& j, Hello* m) {
  m->name = j.at("name");
  m->version = j.at("version");
  m->labels = j.at("labels");
  m->machine = j.at("machine");
  const json& auth = j.at("auth");
  if (auth.contains("token")) m->token = auth["token"].get<std::string>();
  if (auth.contains("proof")) m->proof = auth["proof"].get<std::string>();
  if (j.contains("clock_offset_ms")) m->clock_offset_ms = j["clock_offset_ms"].get<int64_t>();
}

void FromJson(const json& j, Welcome* m) {
  m->agent = j.at("agent");
  m->heartbeat_s = j.at("heartbeat_s");
  m->max_frame = j.at("max_frame");
}

void FromJson(const json& j, Bye* m) { m->reason = j.at("reason"); }
void FromJson(const json& j, Hold* m) { m->reason = j.at("reason"); }
void FromJson(const json&, Resume*) {}

void FromJson(const json& j, Error* m) {
  m->code = j.at("code");
  m->message = j.at("message");
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
