// The coordinator's one database writer: a thread that owns the SQLite store
// and executes queued work in order. Consecutive result batches, from any
// number of agents, are committed in one transaction (group commit), and each
// batch's completion is posted back to the network thread only after that
// commit: acknowledging a result means it is in the database.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "harness/result/record.h"
#include "harness/store/stores.h"

namespace effbench::coordinator {

class IngestWriter {
 public:
  // Called on `completions` (the network thread) after the commit, with OK or
  // the error that kept the records out.
  using IngestDone = std::function<void(Status)>;
  using Operation = std::function<Status(store::Store&)>;
  using OperationDone = std::function<void(Status)>;

  IngestWriter(std::unique_ptr<store::Store> store, boost::asio::any_io_executor completions);
  ~IngestWriter();  // finishes what is queued, then joins

  void Ingest(std::vector<result::RecordRow> records, IngestDone done);
  // Runs `op` on the store in queue order; `done` may be empty.
  void Execute(Operation op, OperationDone done = {});

  // Records queued and not yet committed.
  size_t queued_records() const;
  // Waits until the queue is empty and nothing is being written, or `timeout`.
  // Returns whether it drained.
  bool Drain(std::chrono::milliseconds timeout);
  // Transactions committed with results, and the new records they held
  // (resent records already stored are not counted).
  uint64_t commits() const;
  uint64_t ingested() const;

 private:
  struct Task {
    std::vector<result::RecordRow> records;
    IngestDone ingest_done;
    Operation op;
    OperationDone op_done;
  };
  void Loop();
  void CommitBatch(std::vector<Task>& batch);

  std::unique_ptr<store::Store> store_;
  boost::asio::any_io_executor completions_;
  mutable std::mutex mu_;
  std::condition_variable wake_, idle_;
  std::deque<Task> queue_;
  size_t queued_records_ = 0;
  bool busy_ = false;
  bool stop_ = false;
  uint64_t commits_ = 0;
  uint64_t ingested_ = 0;
  std::thread thread_;
};

}  // namespace effbench::coordinator
