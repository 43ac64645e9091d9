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

TEST_CASE("an offset clock moves the wall face only, and the offset is estimated from a round trip",
          "[core]") {
  ManualClock base(std::chrono::system_clock::time_point(std::chrono::hours(490'000)));
  OffsetClock stamps(base);
  const auto wall = base.Now();
  const auto steady = base.Steady();
  stamps.SetOffset(std::chrono::milliseconds(-90'000));
  CHECK(stamps.Now() == wall - 90s);
  CHECK(stamps.Steady() == steady);
  base.Set(wall + std::chrono::hours(5));  // the board's clock jumps: the offset stays
  CHECK(stamps.Now() == wall + std::chrono::hours(5) - 90s);
  CHECK(stamps.Steady() == steady);

  // Asked at t, answered at t + 40 ms; the server read its clock between,
  // and it is an hour ahead.
  const auto t = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'000'000));
  const int64_t server_ms = 1'000'020 + 3'600'000;
  CHECK(ClockOffset(t, t + 40ms, server_ms) == std::chrono::milliseconds(3'600'000));
  CHECK(ClockOffset(t, t + 40ms, 1'000'020 - 5'000) == std::chrono::milliseconds(-5'000));
}

}  // namespace
}  // namespace effbench
