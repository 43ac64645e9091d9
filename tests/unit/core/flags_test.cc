#include "core/flags.h"

#include <catch2/catch.hpp>
#include <sstream>

namespace effbench {
namespace {

const CommandSpec kCommand = {
    "effbench",
    "test",
    "what a test command does",
    "[WORD...]",
    {TextFlag("db", "FILE", "the database"), IntegerFlag("threads", "N", "threads to use"),
     TextFlag("since", "DATE", "from when"), Switch("wide", "every column"),
     NumberFlag("alpha", "P", "the test's level"),
     TextFlag("workloads", "GLOB", "which workloads").Replaces({"workload", "filter"})},
    "",
    ""};

Result<Flags> Parse(const std::vector<std::string>& args) {
  std::ostringstream warnings;
  auto flags = Flags::Parse(args, kCommand, warnings);
  CHECK(warnings.str().empty());
  return flags;
}

TEST_CASE("flags take values both ways, switches, and positional words anywhere", "[flags]") {
  auto f = Parse({"cancel", "--db=x.db", "--threads", "4", "--wide", "0123", "--since", "-5"});
  REQUIRE(f.ok());
  CHECK(f->Get("db") == "x.db");
  CHECK(f->GetInt("threads", 1, 1, 64).value() == 4);
  CHECK(f->Has("wide"));
  CHECK(f->Get("since") == "-5");  // a value may start with '-'
  CHECK(f->positional() == std::vector<std::string>{"cancel", "0123"});
  CHECK_FALSE(Parse({})->Has("wide"));
  // After "--", everything is a word.
  auto words = Parse({"--", "--db"});
  REQUIRE(words.ok());
  CHECK(words->positional() == std::vector<std::string>{"--db"});
  CHECK_FALSE(words->Has("db"));
}

TEST_CASE("bad flags are usage errors that name the flag", "[flags]") {
  auto unknown = Parse({"--db", "x", "--turbo"});
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().message() == "unknown flag --turbo");
  auto unknown_eq = Parse({"--turbo=yes"});
  REQUIRE_FALSE(unknown_eq.ok());
  CHECK(unknown_eq.status().message() == "unknown flag --turbo");
  // A slip is answered with the nearest flag; a word far from every flag is not.
  auto slip = Parse({"--thread", "2"});
  REQUIRE_FALSE(slip.ok());
  CHECK(slip.status().message() == "unknown flag --thread (did you mean --threads?)");
  auto swapped = Parse({"--wdie"});
  REQUIRE_FALSE(swapped.ok());
  CHECK(swapped.status().message() == "unknown flag --wdie (did you mean --wide?)");
  auto missing = Parse({"--threads"});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message() == "--threads needs a value");
  auto twice = Parse({"--threads", "1", "--threads", "2"});
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.status().message() == "--threads given 2 times (1, 2); it takes one value");
  auto not_int = Parse({"--threads", "four"});
  REQUIRE_FALSE(not_int.ok());
  CHECK(not_int.status().message() == "--threads must be an integer, got 'four'");
  auto not_number = Parse({"--alpha", "0.05x"});
  REQUIRE_FALSE(not_number.ok());
  CHECK(not_number.status().message() == "--alpha must be a number, got '0.05x'");
  CHECK(Parse({"--alpha", "1e-3"}).ok());
  CHECK_FALSE(Parse({"--threads", "99"})->GetInt("threads", 1, 1, 64).ok());
}

TEST_CASE("an old spelling works with one warning, and counts as its flag", "[flags]") {
  std::ostringstream warnings;
  auto old = Flags::Parse({"--workload", "gemm.*"}, kCommand, warnings);
  REQUIRE(old.ok());
  CHECK(old->Get("workloads") == "gemm.*");
  CHECK_FALSE(old->Has("workload"));
  CHECK(warnings.str() ==
        "effbench test: --workload is deprecated; use --workloads (the old spelling goes in the "
        "next release)\n");
  // Old and new together are the same flag twice.
  std::ostringstream more;
  auto both = Flags::Parse({"--filter", "a", "--workloads", "b"}, kCommand, more);
  REQUIRE_FALSE(both.ok());
  CHECK(both.status().message() == "--workloads given 2 times (a, b); it takes one value");
  // A slip is matched against the names, never the old spellings.
  auto slip = Flags::Parse({"--workloadz", "x"}, kCommand, more);
  REQUIRE_FALSE(slip.ok());
  CHECK(slip.status().message() == "unknown flag --workloadz (did you mean --workloads?)");
}

TEST_CASE("a command's help and its README section come from its declaration", "[flags]") {
  const std::string help = kCommand.Help();
  CHECK(help.rfind("usage: effbench test [WORD...] [flags]\n\nwhat a test command does\n", 0) == 0);
  CHECK_THAT(help, Catch::Matches("[^]*\n  --threads N +threads to use\n[^]*") &&
                       Catch::Matches("[^]*\n  --wide +every column\n[^]*") &&
                       Catch::Contains("which workloads (was --workload) (was --filter)"));
  const std::string markdown = kCommand.Markdown();
  CHECK_THAT(markdown, Catch::StartsWith("### `effbench test [WORD...]`") &&
                           Catch::Contains("| `--db FILE` | the database |") &&
                           Catch::Contains("(was `--workload`)"));
  for (const FlagSpec& f : kCommand.flags) CHECK_THAT(help, Catch::Contains("--" + f.name));
}

}  // namespace
}  // namespace effbench
