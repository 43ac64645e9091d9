#include "core/flags.h"

#include <catch2/catch.hpp>

namespace effbench {
namespace {

const std::set<std::string> kValued = {"db", "threads", "since"};
const std::set<std::string> kSwitches = {"wide"};

TEST_CASE("flags take values both ways, switches, and positional words anywhere", "[flags]") {
  auto f =
      Flags::Parse({"cancel", "--db=x.db", "--threads", "4", "--wide", "0123", "--since", "-5"},
                   kValued, kSwitches);
  REQUIRE(f.ok());
  CHECK(f->Get("db") == "x.db");
  CHECK(f->GetInt("threads", 1, 1, 64).value() == 4);
  CHECK(f->Has("wide"));
  CHECK(f->Get("since") == "-5");  // a value may start with '-'
  CHECK(f->positional() == std::vector<std::string>{"cancel", "0123"});
  CHECK_FALSE(Flags::Parse({}, kValued, kSwitches)->Has("wide"));
  // After "--", everything is a word.
  auto words = Flags::Parse({"--", "--db"}, kValued, kSwitches);
  REQUIRE(words.ok());
  CHECK(words->positional() == std::vector<std::string>{"--db"});
  CHECK_FALSE(words->Has("db"));
}

TEST_CASE("bad flags are usage errors that name the flag", "[flags]") {
  auto unknown = Flags::Parse({"--db", "x", "--turbo"}, kValued, kSwitches);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().message() == "unknown flag --turbo");
  auto unknown_eq = Flags::Parse({"--turbo=yes"}, kValued, kSwitches);
  REQUIRE_FALSE(unknown_eq.ok());
  CHECK(unknown_eq.status().message() == "unknown flag --turbo");
  // A slip is answered with the nearest flag; a word far from every flag is not.
  auto slip = Flags::Parse({"--thread", "2"}, kValued, kSwitches);
  REQUIRE_FALSE(slip.ok());
  CHECK(slip.status().message() == "unknown flag --thread (did you mean --threads?)");
  auto swapped = Flags::Parse({"--wdie"}, kValued, kSwitches);
  REQUIRE_FALSE(swapped.ok());
  CHECK(swapped.status().message() == "unknown flag --wdie (did you mean --wide?)");
  auto missing = Flags::Parse({"--threads"}, kValued, kSwitches);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message() == "--threads needs a value");
  auto twice = Flags::Parse({"--threads", "1", "--threads", "2"}, kValued, kSwitches);
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.status().message() == "--threads given 2 times (1, 2); it takes one value");
  auto not_int = Flags::Parse({"--threads", "four"}, kValued, kSwitches);
  REQUIRE(not_int.ok());
  CHECK_FALSE(not_int->GetInt("threads", 1, 1, 64).ok());
  CHECK_FALSE(
      Flags::Parse({"--threads", "99"}, kValued, kSwitches)->GetInt("threads", 1, 1, 64).ok());
}

}  // namespace
}  // namespace effbench
