// The job service's lease check, as a decision on the queue and the roster
// alone: which dispatched jobs have outlived their lease (their agent stayed
// gone too long, and is not connected to another coordinator either), and
// which must be sent again (their agent is connected and idle, so the job
// frame or the job was lost). The coordinator's lease loop acts on it every
// second; a job is failed only where the database's lease agrees
// (FleetStore::ExpireJobLease).
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "harness/coordinator/internal/agent_roster.h"
#include "harness/coordinator/job_queue.h"

namespace effbench::coordinator {

struct LeaseVerdicts {
  // Jobs to fail, with the reason.
  std::vector<std::pair<std::string, std::string>> expired;
  // Jobs to send again, with their agent: at most once per three heartbeats.
  std::vector<std::pair<std::string, std::string>> resend;
};

LeaseVerdicts CheckLeases(const JobQueue& queue, const AgentRoster& roster,
                          AgentRoster::Instant now, std::chrono::milliseconds lease,
                          std::chrono::milliseconds heartbeat);

}  // namespace effbench::coordinator
