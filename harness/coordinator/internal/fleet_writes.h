// How the coordinator's parts write: not through the whole store, but
// through this. Result batches and operations on the runs and the fleet
// (machines, agents, jobs) run in order on the one writer's thread, and each
// completion comes back on the network thread. The coordinator's
// IngestPipeline is it; the parts' unit tests use a fake over an in-memory
// store (tests/unit/coordinator/fake_fleet_writes.h).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/result/record_row.h"
#include "harness/store/stores.h"

namespace effbench::coordinator {

class FleetWrites {
 public:
  // One operation sees the runs and the fleet, and nothing else.
  using Operation = std::function<Status(store::RunStore& runs, store::FleetStore& fleet)>;
  using Done = std::function<void(Status)>;

  virtual ~FleetWrites() = default;
  // Stores `records`; `done` runs after the commit, with OK or the error that
  // kept them out.
  virtual void Ingest(std::vector<result::RecordRow> records, Done done) = 0;
  // Runs `op` in write order; `done` (may be empty) runs after it.
  virtual void Queue(Operation op, Done done = {}) = 0;
  // Why the database's writes fail now; nullopt while they work.
  virtual const std::optional<std::string>& fault() const = 0;
};

// Starts a write with `start(done)` and waits, on the calling coroutine's
// executor, until `done` is called with its outcome.
template <typename Start>
boost::asio::awaitable<Status> AwaitWrite(Start start) {
  namespace asio = boost::asio;
  auto finished = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                       asio::steady_timer::time_point::max());
  auto outcome = std::make_shared<std::optional<Status>>();
  start([finished, outcome](Status s) {
    *outcome = std::move(s);
    finished->cancel();
  });
  while (!outcome->has_value()) {
    boost::system::error_code ignored;
    co_await finished->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  co_return std::move(**outcome);
}

// Queues `op` and waits for its outcome. Callers pass a named operation: GCC
// 12 destroys temporaries in a co_await operand twice.
inline boost::asio::awaitable<Status> Write(FleetWrites& writes, const FleetWrites::Operation& op) {
  return AwaitWrite([&writes, op](FleetWrites::Done done) { writes.Queue(op, std::move(done)); });
}

}  // namespace effbench::coordinator
