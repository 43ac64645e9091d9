// effbench-agent: connects out to the coordinator, authenticates with the
// fleet token, reports its machine and roofline calibration, heartbeats, runs
// the jobs it is given one at a time through the measurement engine, and
// streams each result as soon as it is measured, spooled first (spool.h).
// Reconnects with exponential backoff and jitter, resending what was not
// acknowledged. Links neither SQLite nor the report code.
#pragma once

#include <chrono>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace effbench::agent {

// A coordinator's agent port.
struct CoordinatorAddress {
  std::string host, port;
  bool tls = false;
};

struct AgentOptions {
  // The coordinator connected to (or tried) now; `host`, `port` and `tls`
  // say which.
  std::string host = "127.0.0.1";
  std::string port = "7450";
  // Every coordinator given (--coordinator A,B,...; empty: host and port
  // alone). A session that ends moves to the next, round and round: the
  // agents of a coordinator that went down carry on with another.
  std::vector<CoordinatorAddress> coordinators;
  std::string token;  // the fleet token itself (read from --token-file)
  std::string name;   // default: the hostname
  std::map<std::string, std::string> labels;
  std::string spool_dir = "effbench-spool";
  // What may wait unacknowledged in the spool (a board's disk is small, and
  // the network may be gone for hours); past it the job pauses.
  uint64_t spool_max_bytes = 1024ull << 20;
  bool tls = false;
  std::optional<std::string> tls_ca;  // verify the coordinator against it (else the system's)
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{30'000};
  bool calibrate = true;  // measure the roofline at start (cached in the spool)
  // This machine's datasets and trained-model cache (empty: the defaults).
  std::string data_dir = "", cache_dir = "";
  // Every time the agent reads: a job's acceptance, log stamps, back-off.
  // Tests inject one; it must outlive the agent.
  const Clock* clock = &Clock::System();
};

// Parses "k=v,k=v". InvalidArgument naming the bad pair.
Result<std::map<std::string, std::string>> ParseLabels(const std::string& text);

class Agent {
 public:
  static Result<std::unique_ptr<Agent>> Create(AgentOptions options, std::ostream& log);
  ~Agent();

  // Runs until SIGTERM or SIGINT (0), or until the coordinator refuses the
  // token or the protocol version (1).
  int Run();

 private:
  struct Impl;
  explicit Agent(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace effbench::agent
