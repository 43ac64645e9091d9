// The coordinator's ingest pipeline: the database writer (IngestWriter, its
// own thread) as the network thread sees it. Every completion passes through
// here first, so the database's health is one piece of state: a failing write
// is logged once, the database is probed until writes work again, and
// /healthz reports the fault.
// Thread-safety: call it from the network thread (`io`'s) only; completions
// run there too.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/coordinator/internal/fleet_writes.h"
#include "harness/coordinator/internal/ingest_writer.h"

namespace effbench::coordinator {

class IngestPipeline final : public FleetWrites {
 public:
  using Operation = IngestWriter::Operation;  // on the whole store: the probe, the regression check
  using Done = FleetWrites::Done;
  struct Hooks {
    std::function<void(const std::string&)> log;    // a line for the server log
    std::function<void(const std::string&)> fatal;  // the probe failed: stop the server
    // Writes started failing (the reason) or work again (nullopt): once per
    // change, after it was logged.
    std::function<void(const std::optional<std::string>&)> health;
  };

  // `writable`: the outcome of a write probe made before the ports opened;
  // an I/O error starts the pipeline faulty (logged, probed until it clears).
  // While faulty, the database is probed every `probe_interval`.
  // The pipeline owns the whole store: it is the one writer, and the
  // operations it runs write every part of it.
  IngestPipeline(boost::asio::io_context& io, std::unique_ptr<store::Store> db, std::string db_path,
                 Hooks hooks, const Status& writable = Status::Ok(),
                 std::chrono::milliseconds probe_interval = std::chrono::seconds(2));

  // Stores `records` (group commit); `done` runs after the commit.
  void Ingest(std::vector<result::RecordRow> records, Done done) override;
  // Runs `op` on the runs and the fleet, in queue order.
  void Queue(FleetWrites::Operation op, Done done = {}) override;
  // Runs `op` on the store in queue order; `done` may be empty.
  void Execute(Operation op, Done done = {});
  // Runs `op` and waits for its outcome. Callers pass a named operation: GCC
  // 12 destroys temporaries in a co_await operand twice.
  boost::asio::awaitable<Status> Write(const Operation& op);

  // Why the last database write failed, while writes fail.
  const std::optional<std::string>& fault() const override { return fault_; }
  // No more probes; what is queued is still written.
  void Stop() { stopping_ = true; }
  // Waits until everything queued is written, or `timeout`. Whether it drained.
  bool Drain(std::chrono::milliseconds timeout) { return writer_->Drain(timeout); }
  size_t queued_records() const { return writer_->queued_records(); }
  uint64_t commits() const { return writer_->commits(); }
  uint64_t ingested() const { return writer_->ingested(); }

 private:
  // The outcome of a write: logs a change of the database's health once.
  // Refusals (NotFound, FailedPrecondition) are answers, not faults.
  void NoteWrite(const Status& outcome);
  Done Noting(Done done);
  // While writes fail: probes the database every few seconds, so that health
  // returns when the fault clears even if no agent sends anything.
  boost::asio::awaitable<void> ProbeWhileFaulty();

  boost::asio::io_context& io_;
  std::string db_path_;
  Hooks hooks_;
  std::optional<std::string> fault_;
  bool stopping_ = false;
  std::chrono::milliseconds probe_interval_;
  std::unique_ptr<IngestWriter> writer_;
};

}  // namespace effbench::coordinator
