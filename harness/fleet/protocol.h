// The fleet protocol's messages, typed (messages.h has the wire format: the
// framing, validation and error frames). Each has one ToJson (the whole message, protocol version
// and type set) and one FromJson (of a message ParseMessage already validated against its schema in
// schemas/protocol), and both ends use them, so the two sides cannot drift apart by a misspelt key.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace effbench::fleet {

// Coordinator to agent, first: prove you hold the fleet token.
struct Challenge {
  std::string nonce;               // hex, fresh per connection
  std::string server;              // the coordinator's version
  bool tls = false;                // whether the connection is TLS (then the token itself is sent)
  std::optional<int64_t> time_ms;  // the coordinator's wall clock, ms since the epoch
};

// Agent to coordinator: who it is, its machine, and its proof.
struct Hello {
  std::string name;
  std::string version;
  nlohmann::json labels = nlohmann::json::object();
  nlohmann::json machine = nlohmann::json::object();  // fingerprint, hostname, cpu_model, ...
  std::optional<std::string> token;                   // over TLS
  std::optional<std::string> proof;  // without TLS: HMAC over the nonce, name and machine
  // The coordinator's wall clock less the agent's, ms, measured on this
  // connection (Challenge::time_ms); stored with the agent's runs.
  std::optional<int64_t> clock_offset_ms;
};

// Coordinator to agent: accepted.
struct Welcome {
  std::string agent;
  double heartbeat_s = 5;
  int64_t max_frame = 0;
};

// Either side, before closing: why.
struct Bye {
  std::string reason;
};

// Coordinator to agent: results cannot be stored now; keep them and wait for
// Resume, staying connected.
struct Hold {
  std::string reason;
};

// Coordinator to agent: results are stored again; send what is unacknowledged.
struct Resume {};

// Coordinator to agent: these ids (result records, or a job's end) are stored.
struct Ack {
  std::vector<std::string> ids;
};

// Coordinator to agent: stop this job after the current workload.
struct Cancel {
  std::string job_id;
  std::string reason;
};

// Coordinator to agent: measure these workloads as run `run_id`.
struct Job {
  std::string job_id;
  std::string run_id;
  std::string suite;
  nlohmann::json workloads = nlohmann::json::array();  // workload ids
  nlohmann::json revision = nlohmann::json::object();  // repo, commit, branch, time
  nlohmann::json options = nlohmann::json::object();   // repetitions, min_time_s, threads, seed
};

// Agent to coordinator: the job ended; `results` records were measured.
struct JobDone {
  std::string job_id;
  std::string run_id;
  bool ok = false;
  int64_t results = 0;
  int64_t failed = 0;
  std::optional<std::string> error;
};

// Agent to coordinator, every few seconds: what it is doing.
struct Heartbeat {
  std::string state = "idle";          // idle, running, paused
  std::optional<std::string> problem;  // why paused
  std::string job;                     // the job running, empty when idle
  int64_t done = 0, total = 0;         // workloads of the job
  int64_t spooled = 0;                 // frames waiting for their ack
};

// Either side, last: why it closes the connection. `code` is an ErrorCode's
// name (messages.h): malformed, too_large, unauthorized, version, ...
struct Error {
  std::string code, message;
};

nlohmann::json ToJson(const Challenge& m);
nlohmann::json ToJson(const Hello& m);
nlohmann::json ToJson(const Welcome& m);
nlohmann::json ToJson(const Bye& m);
nlohmann::json ToJson(const Ack& m);
nlohmann::json ToJson(const Hold& m);
nlohmann::json ToJson(const Resume& m);
nlohmann::json ToJson(const Cancel& m);
nlohmann::json ToJson(const Job& m);
nlohmann::json ToJson(const JobDone& m);
nlohmann::json ToJson(const Heartbeat& m);
nlohmann::json ToJson(const Error& m);

void FromJson(const nlohmann::json& j, Challenge* m);
void FromJson(const nlohmann::json& j, Hello* m);
void FromJson(const nlohmann::json& j, Welcome* m);
void FromJson(const nlohmann::json& j, Bye* m);
void FromJson(const nlohmann::json& j, Ack* m);
void FromJson(const nlohmann::json& j, Hold* m);
void FromJson(const nlohmann::json& j, Resume* m);
void FromJson(const nlohmann::json& j, Cancel* m);
void FromJson(const nlohmann::json& j, Job* m);
void FromJson(const nlohmann::json& j, JobDone* m);
void FromJson(const nlohmann::json& j, Heartbeat* m);
void FromJson(const nlohmann::json& j, Error* m);

// The message `j` as T: FromJson into a fresh T.
template <typename T>
T As(const nlohmann::json& j) {
  T m;
  FromJson(j, &m);
  return m;
}

}  // namespace effbench::fleet
