#include "harness/coordinator/selection.h"

#include <catch2/catch.hpp>

namespace effbench::coordinator {
namespace {

TEST_CASE("selectors match names, built-in facts and labels, all terms together", "[fleet]") {
  const AgentFacts gpu{"lab-h100-1", "node7", "x86_64", {{"gpu", "h100"}, {"site", "lab2"}}};
  const AgentFacts edge{"edge-orin", "orin", "aarch64", {{"gpu", "orin"}}};
  CHECK(MatchesSelector("*", gpu));
  CHECK(MatchesSelector("", edge));
  CHECK(MatchesSelector("lab-h100-1", gpu));
  CHECK_FALSE(MatchesSelector("lab-h100-1", edge));
  CHECK(MatchesSelector("lab-*", gpu));
  CHECK(MatchesSelector("gpu=h100", gpu));
  CHECK(MatchesSelector("gpu=h100,site=lab2", gpu));
  CHECK_FALSE(MatchesSelector("gpu=h100,site=lab3", gpu));
  CHECK(MatchesSelector("arch=aarch64", edge));
  CHECK_FALSE(MatchesSelector("arch=aarch64", gpu));
  CHECK_FALSE(MatchesSelector("rack=1", gpu));  // a missing label never matches
  CHECK(MatchesSelector("name=edge-*", edge));
  CHECK(MatchesSelector("hostname=node7", gpu));
}

TEST_CASE("malformed selector terms are named", "[fleet]") {
  CHECK(ValidateSelector("gpu=h100,arch=x86_64").ok());
  const Status s = ValidateSelector("gpu=,x");
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("\"gpu=\""));
  CHECK_FALSE(ValidateSelector("=x").ok());
  CHECK_FALSE(ValidateSelector("a,,b").ok());
}

TEST_CASE("daily times parse and the next occurrence is later today or tomorrow", "[fleet]") {
  CHECK_FALSE(ParseDailyTime("2:00").ok());
  CHECK_FALSE(ParseDailyTime("24:00").ok());
  CHECK_FALSE(ParseDailyTime("02:60").ok());
  CHECK_FALSE(ParseDailyTime("ab:cd").ok());
  CHECK_FALSE(ParseDailyTime("02:00:60").ok());
  CHECK_FALSE(ParseDailyTime("02:00-30").ok());
  CHECK_FALSE(ParseDailyTime("02:00:3").ok());
  auto with_seconds = ParseDailyTime("23:59:58");
  REQUIRE(with_seconds.ok());
  CHECK(with_seconds->hour == 23);
  CHECK(with_seconds->minute == 59);
  CHECK(with_seconds->second == 58);
  auto at = ParseDailyTime("02:00");
  REQUIRE(at.ok());
  const auto now = std::chrono::system_clock::now();
  const auto next = NextOccurrence(*at, now);
  CHECK(next > now);
  CHECK(next - now <= std::chrono::hours(25));  // 25: a daylight saving day
  const std::time_t t = std::chrono::system_clock::to_time_t(next);
  std::tm local{};
  localtime_r(&t, &local);
  CHECK(local.tm_hour == 2);
  CHECK(local.tm_min == 0);
  // Exactly at the time: the next one is a day later, not now.
  CHECK(NextOccurrence(*at, next) > next);
}

}  // namespace
}  // namespace effbench::coordinator
