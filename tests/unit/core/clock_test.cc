#include "core/clock.h"

#include <catch2/catch.hpp>

#include "core/time.h"

namespace effbench {
namespace {

using namespace std::chrono_literals;

TEST_CASE("a manual clock moves only when told, and its wall face may jump back", "[clock]") {
  const auto start = ParseIso8601("2026-11-29T23:59:58Z").value();
  ManualClock clock(start);
  const auto steady0 = clock.Steady();
  CHECK(clock.Now() == start);
  CHECK(UtcNowIso8601(clock) == "2026-11-29T23:59:58Z");
  clock.Advance(3s);
  CHECK(UtcNowIso8601(clock) == "2026-11-30T00:00:01Z");
  CHECK(clock.Steady() - steady0 == 3s);
  // NTP steps the wall clock back an hour: the steady face does not move.
  clock.Set(start - 1h);
  CHECK(UtcNowIso8601(clock) == "2026-11-29T22:59:58Z");
  CHECK(clock.Steady() - steady0 == 3s);
  clock.Advance(1s);
  CHECK(UtcNowIso8601(clock) == "2026-11-29T22:59:59Z");
  CHECK(clock.Steady() - steady0 == 4s);
}

TEST_CASE("the system clock reads the machine's clocks", "[clock]") {
  const Clock& clock = Clock::System();
  const auto before = std::chrono::system_clock::now();
  const auto now = clock.Now();
  CHECK(now >= before);
  CHECK(now - before < 60s);
  const auto s0 = clock.Steady();
  CHECK(clock.Steady() >= s0);
}

}  // namespace
}  // namespace effbench
