#include "harness/coordinator/internal/leases.h"

namespace effbench::coordinator {

LeaseVerdicts CheckLeases(const JobQueue& queue, const AgentRoster& roster,
                          AgentRoster::Instant now, std::chrono::milliseconds lease,
                          std::chrono::milliseconds heartbeat) {
  LeaseVerdicts v;
  for (const std::string& id : queue.Dispatched()) {
    const store::JobRow& job = *queue.Find(id);
    const auto session = roster.Live(job.agent);
    if (!session && roster.Elsewhere(job.agent)) continue;  // that coordinator holds the lease
    if (!session) {
      const auto gone = roster.GoneSince(job.agent);
      if (gone && now - *gone > lease) {
        v.expired.emplace_back(
            id, "lease expired: agent " + job.agent + " stayed gone for more than " +
                    std::to_string(lease.count() / 1000) + " s; the results it sent are kept");
      }
      continue;
    }
    // Connected and idle, yet this job is dispatched to it: the job frame was
    // lost, or the agent lost the job. Send it again (the agent ignores a job
    // it knows), at most once per three heartbeats.
    const auto sent = queue.SentAt(id);
    if (session->state == "idle" && session->job.empty() &&
        (!sent || now - *sent > 3 * heartbeat)) {
      v.resend.emplace_back(id, job.agent);
    }
  }
  return v;
}

}  // namespace effbench::coordinator
