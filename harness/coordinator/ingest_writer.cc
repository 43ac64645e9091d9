#include "harness/coordinator/internal/ingest_writer.h"

#include <boost/asio/post.hpp>

namespace effbench::coordinator {

IngestWriter::IngestWriter(std::unique_ptr<store::Store> store,
                           boost::asio::any_io_executor completions)
    : store_(std::move(store)), completions_(std::move(completions)) {
  thread_ = std::thread([this] { Loop(); });
}

IngestWriter::~IngestWriter() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void IngestWriter::Ingest(std::vector<result::RecordRow> records, IngestDone done) {
  {
    std::lock_guard lock(mu_);
    queued_records_ += records.size();
    queue_.push_back(Task{std::move(records), std::move(done), {}, {}});
  }
  wake_.notify_one();
}

void IngestWriter::Execute(Operation op, OperationDone done) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(Task{{}, {}, std::move(op), std::move(done)});
  }
  wake_.notify_one();
}

size_t IngestWriter::queued_records() const {
  std::lock_guard lock(mu_);
  return queued_records_;
}

uint64_t IngestWriter::commits() const {
  std::lock_guard lock(mu_);
  return commits_;
}

uint64_t IngestWriter::ingested() const {
  std::lock_guard lock(mu_);
  return ingested_;
}

bool IngestWriter::Drain(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return idle_.wait_for(lock, timeout, [this] { return queue_.empty() && !busy_; });
}

void IngestWriter::CommitBatch(std::vector<Task>& batch) {
  if (batch.empty()) return;
  std::vector<result::RecordRow> all;
  for (Task& t : batch) {
    for (auto& r : t.records) all.push_back(std::move(r));
  }
  Result<size_t> inserted = store_->InsertResults(all);
  std::vector<Status> outcomes(batch.size(), Status::Ok());
  size_t fresh = inserted.ok() ? *inserted : 0;
  if (!inserted.ok()) {
    // One bad batch must not keep the others out: commit task by task.
    size_t at = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
      const size_t n = batch[i].records.size();
      std::vector<result::RecordRow> mine(std::make_move_iterator(all.begin() + at),
                                          std::make_move_iterator(all.begin() + at + n));
      at += n;
      Result<size_t> one = store_->InsertResults(mine);
      outcomes[i] = one.status();
      if (one.ok()) fresh += *one;
    }
  }
  {
    std::lock_guard lock(mu_);
    ++commits_;
    ingested_ += fresh;
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    boost::asio::post(completions_, [done = std::move(batch[i].ingest_done),
                                     outcome = std::move(outcomes[i])]() mutable {
      if (done) done(outcome);
    });
  }
  std::lock_guard lock(mu_);
  for (Task& t : batch) queued_records_ -= t.records.size();
  batch.clear();
}

void IngestWriter::Loop() {
  for (;;) {
    std::deque<Task> tasks;
    {
      std::unique_lock lock(mu_);
      idle_.notify_all();
      wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty() && stop_) return;
      tasks.swap(queue_);
      busy_ = true;
    }
    std::vector<Task> batch;
    for (Task& t : tasks) {
      if (!t.op) {
        batch.push_back(std::move(t));
        continue;
      }
      CommitBatch(batch);  // keep the queue's order around operations
      Status s = t.op(*store_);
      if (t.op_done) {
        boost::asio::post(completions_,
                          [done = std::move(t.op_done), s = std::move(s)]() mutable { done(s); });
      }
    }
    CommitBatch(batch);
    std::lock_guard lock(mu_);
    busy_ = false;
  }
}

}  // namespace effbench::coordinator
