// The schedule reads time from the injected clock: a test sets the clock a
// moment before midnight instead of waiting for it.
#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <sstream>
#include <thread>

#include "core/clock.h"
#include "core/time.h"
#include "harness/coordinator/coordinator.h"
#include "harness/store/result_store.h"
#include "tests/test_util.h"

namespace effbench::coordinator {
namespace {

using namespace std::chrono_literals;

// The machine's clock shifted by a fixed offset: time flows, from elsewhere.
class ShiftedClock final : public Clock {
 public:
  explicit ShiftedClock(std::chrono::system_clock::duration offset) : offset_(offset) {}
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now() + offset_;
  }
  std::chrono::steady_clock::time_point Steady() const override {
    return std::chrono::steady_clock::now();
  }

 private:
  std::chrono::system_clock::duration offset_;
};

// The next local midnight after `t`.
std::chrono::system_clock::time_point NextLocalMidnight(std::chrono::system_clock::time_point t) {
  const std::time_t now = std::chrono::system_clock::to_time_t(t);
  std::tm local{};
  localtime_r(&now, &local);
  local.tm_mday += 1;
  local.tm_hour = local.tm_min = local.tm_sec = 0;
  local.tm_isdst = -1;
  return std::chrono::system_clock::from_time_t(std::mktime(&local));
}

// A database with agent edge-1, and a coordinator's options on it with a
// nightly schedule for edge-1, on a clock 1.5 s before the next midnight.
struct NightlySetup {
  testing::TempDir dir;
  std::chrono::system_clock::time_point midnight =
      NextLocalMidnight(std::chrono::system_clock::now());
  ShiftedClock clock{midnight - 1500ms - std::chrono::system_clock::now()};
  CoordinatorOptions options;

  NightlySetup() {
    const std::string seen = Iso8601(clock.Now());
    auto db = store::ResultStore::Open(dir.File("effbench.db"));
    REQUIRE(db.ok());
    REQUIRE((*db)->UpsertAgent({"edge-1", "0123abcd", "test", "{}", seen, seen}).ok());
    options.db_path = dir.File("effbench.db");
    options.listen = "127.0.0.1:0";
    options.clock = &clock;
    options.schedules = {
        {"00:00", "full", "gemm.fp32/m35n700k2048@ref", "edge-1", nlohmann::json::object()}};
  }
  std::vector<store::JobRow> Jobs() const {
    auto db = store::ResultStore::Open(options.db_path);
    if (!db.ok()) return {};
    auto rows = (*db)->Jobs();
    return rows.ok() ? *rows : std::vector<store::JobRow>{};
  }
};

TEST_CASE("a schedule fires at midnight by the injected clock, without waiting for the real one",
          "[coordinator]") {
  NightlySetup night;
  const auto& midnight = night.midnight;
  std::ostringstream log;  // written by the coordinator's thread: read only after it ends
  auto coordinator = Coordinator::Create(night.options, log);
  REQUIRE(coordinator.ok());
  Status served;
  std::thread serving([&] { served = (*coordinator)->Run(); });

  const auto jobs = [&] { return night.Jobs(); };
  const bool queued = testing::WaitFor([&] { return !jobs().empty(); }, 30);
  (*coordinator)->Stop();
  serving.join();
  REQUIRE(queued);
  CHECK(served.ok());
  // (The schedule's log line may be written after the test saw the job
  // committed and stopped the coordinator, so it is not checked here.)
  const auto rows = jobs();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].agent == "edge-1");
  // Stamped by the injected clock: at or after its midnight, not the real time.
  CHECK(rows[0].created_at >= Iso8601(midnight));
}

TEST_CASE("two coordinators on one database given the same schedule queue its run once",
          "[coordinator]") {
  NightlySetup night;
  std::array<std::ostringstream, 2> logs;  // read only after the coordinators end
  auto first = Coordinator::Create(night.options, logs[0]);
  REQUIRE(first.ok());
  auto second = Coordinator::Create(night.options, logs[1]);
  REQUIRE(second.ok());
  std::thread serving_first([&] { (void)(*first)->Run(); });
  std::thread serving_second([&] { (void)(*second)->Run(); });
  const auto jobs = [&] { return night.Jobs(); };
  const bool queued = testing::WaitFor([&] { return !jobs().empty(); }, 30);
  // Both fired at the same midnight: the second has its say meanwhile.
  std::this_thread::sleep_for(2s);
  (*first)->Stop();
  (*second)->Stop();
  serving_first.join();
  serving_second.join();
  REQUIRE(queued);
  CHECK(jobs().size() == 1);
  const std::string said = logs[0].str() + logs[1].str();
  CHECK_THAT(said, Catch::Contains("submitted by another coordinator on this database"));
}

}  // namespace
}  // namespace effbench::coordinator
