#include "harness/coordinator/internal/ingest_pipeline.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "harness/fleet/spawn.h"

namespace effbench::coordinator {

namespace asio = boost::asio;
using namespace std::chrono_literals;

IngestPipeline::IngestPipeline(asio::io_context& io, std::unique_ptr<store::Store> db,
                               std::string db_path, Hooks hooks, const Status& writable,
                               std::chrono::milliseconds probe_interval)
    : io_(io),
      db_path_(std::move(db_path)),
      hooks_(std::move(hooks)),
      probe_interval_(probe_interval),
      writer_(std::make_unique<IngestWriter>(std::move(db), io.get_executor())) {
  NoteWrite(writable);
}

IngestPipeline::Done IngestPipeline::Noting(Done done) {
  return [this, done = std::move(done)](Status s) {
    NoteWrite(s);
    if (done) done(std::move(s));
  };
}

void IngestPipeline::Ingest(std::vector<result::RecordRow> records, Done done) {
  writer_->Ingest(std::move(records), Noting(std::move(done)));
}

void IngestPipeline::Execute(Operation op, Done done) {
  writer_->Execute(std::move(op), Noting(std::move(done)));
}

void IngestPipeline::Queue(FleetWrites::Operation op, Done done) {
  Execute([op = std::move(op)](store::Store& db) { return op(db, db); }, std::move(done));
}

asio::awaitable<Status> IngestPipeline::Write(const Operation& op) {
  return AwaitWrite([this, op](Done done) { Execute(op, std::move(done)); });
}

void IngestPipeline::NoteWrite(const Status& outcome) {
  // A refusal (no such job, already ended, not all results stored) is an
  // answer of a working database; only an I/O error (SQLite's) is a fault.
  if (!outcome.ok() && outcome.code() != Status::Code::kIoError) return;
  if (outcome.ok()) {
    if (fault_) {
      hooks_.log("database " + db_path_ + ": writes work again; acknowledging results again");
      fault_.reset();
      if (hooks_.health) hooks_.health(std::nullopt);
    }
    return;
  }
  if (!fault_) {
    hooks_.log("database " + db_path_ + ": a write failed: " + outcome.message() +
               "; nothing is acknowledged until writes work again (agents are told to hold " +
               "their results, and resend them then)");
    fault_ = outcome.message();
    fleet::Spawn(io_, ProbeWhileFaulty(), "the database probe", hooks_.fatal);
    if (hooks_.health) hooks_.health(fault_);
    return;
  }
  fault_ = outcome.message();
}

asio::awaitable<void> IngestPipeline::ProbeWhileFaulty() {
  asio::steady_timer pause(io_);
  while (fault_ && !stopping_) {
    pause.expires_after(probe_interval_);
    boost::system::error_code ec;
    co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!fault_ || stopping_) break;
    const Operation probe = [](store::Store& db) { return db.ProbeWrite(); };
    co_await Write(probe);  // NoteWrite clears the fault
  }
}

}  // namespace effbench::coordinator
