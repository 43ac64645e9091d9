// The agent's spool: every frame that must reach the coordinator (a result,
// a job's end) is written here, fsync'd, before it is sent, and removed only
// when the coordinator acknowledges it, i.e. after its database commit. Jobs
// in progress are kept here too, with the workloads already measured, so that
// a restarted agent resumes its job instead of measuring anything twice.
//
// Layout: DIR/outbox/<seq>-<id>.json (one frame each, sent in seq order),
// DIR/jobs/<job id>.json, DIR/calibration-<fingerprint>.json, DIR/lock.
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace effbench::agent {

class Spool {
 public:
  struct Entry {
    uint64_t seq = 0;
    std::string id;  // a result's id, or the job id of a job_done
    nlohmann::json message;
    size_t bytes = 0;  // its size on disk
  };

  // Opens (creating) the spool and takes its lock: a second agent on the
  // same spool is refused. Files that cannot be read are moved to
  // DIR/corrupt/ and reported in `warnings`, never dropped silently.
  // `max_bytes` bounds what is pending (0: no bound but the disk's).
  static Result<std::unique_ptr<Spool>> Open(const std::string& dir,
                                             std::vector<std::string>* warnings,
                                             uint64_t max_bytes = 0);
  ~Spool();

  // Writes `message` durably; it is pending until Remove(id). When it would
  // take what is pending past the bound, it is refused (FailedPrecondition,
  // naming the bound) and nothing pending is touched: the newest waits,
  // never an older one is dropped.
  Status Append(const std::string& id, const nlohmann::json& message);
  // Drops an acknowledged entry; an unknown id is ignored (acks can repeat).
  Status Remove(const std::string& id);
  // Up to `limit` pending entries after `seq`, in order.
  std::vector<Entry> PendingAfter(uint64_t seq, size_t limit) const;
  size_t pending() const;
  // The bytes of what is pending.
  uint64_t pending_bytes() const;
  // The ids of pending entries whose message's job_id is `job_id`, and the
  // workload names of its pending results.
  std::vector<std::string> PendingNames(const std::string& job_id) const;
  bool HasPending(const std::string& id) const;

  // A job in progress: {"job": <job message>, "done": [workload names],
  // "accepted": <ms since the epoch>}; Jobs() lists them by "accepted".
  Status SaveJob(const std::string& job_id, const nlohmann::json& state);
  Status RemoveJob(const std::string& job_id);
  std::vector<nlohmann::json> Jobs() const;

  std::optional<nlohmann::json> LoadCalibration(const std::string& fingerprint) const;
  Status SaveCalibration(const std::string& fingerprint, const nlohmann::json& calibration);

  const std::string& dir() const { return dir_; }

 private:
  Spool(std::string dir, int lock_fd);
  Status WriteDurably(const std::string& path, const std::string& text) const;

  std::string dir_;
  int lock_fd_;
  uint64_t max_bytes_ = 0;
  uint64_t pending_bytes_ = 0;
  mutable std::mutex mu_;
  uint64_t next_seq_ = 1;
  std::map<uint64_t, Entry> pending_;
  std::map<std::string, uint64_t> seq_of_;
};

}  // namespace effbench::agent
