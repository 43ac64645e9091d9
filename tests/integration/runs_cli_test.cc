// `effbench runs` and run ids as users type them: listing with status and
// counts, unique prefixes that name one run, ambiguity that lists the
// candidates, incomplete runs marked, and `runs delete`.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/time.h"
#include "harness/store/stores.h"
#include "tests/integration/cli_runner.h"

namespace effbench {
namespace {

using testing::DbOf;
using testing::RunCli;

// Two runs whose ids share their first 24 characters (as time-ordered ids
// made in the same millisecond range do), one finished and one not, each
// with one result.
void TwinRuns(const std::string& path) {
  auto db = store::OpenStore(path);
  REQUIRE(db.ok());
  REQUIRE((*db)
              ->UpsertMachine({testing::FakeFingerprint(), "lab-1", "cpu", "x86_64", "{}",
                               std::nullopt, "t", "t"})
              .ok());
  const char* ids[] = {"01a2272e-0000-7000-8000-00000000a001",
                       "01a2272e-0000-7000-8000-00000000b002"};
  for (int i = 0; i < 2; ++i) {
    const std::string commit = i ? "bbbb2222" : "aaaa1111";
    REQUIRE((*db)
                ->BeginRun({ids[i],
                            testing::FakeFingerprint(),
                            {"repo", commit, "main", std::nullopt},
                            "quick",
                            i ? "2026-11-30T05:00:30Z" : "2026-11-30T05:00:00Z",
                            std::nullopt,
                            "{}"})
                .ok());
    result::ResultRecord r = testing::MakeRecord(ids[i], 5);
    r.revision.commit = commit;
    REQUIRE((*db)->InsertResults(std::vector<result::ResultRecord>{r}).ok());
    if (i == 0) REQUIRE((*db)->FinishRun(ids[i], "2026-11-30T05:00:12Z").ok());
  }
}

TEST_CASE("runs lists runs with status and counts, and a unique prefix names a run",
          "[cli][runs][db]") {
  testing::TempDir dir;
  TwinRuns(DbOf(dir, "r.db"));
  auto listed = RunCli(dir, "runs --db r.db");
  INFO(listed.err);
  REQUIRE(listed.exit_code == 0);
  // The shortest prefixes that tell the two apart, newest first.
  const size_t b = listed.out.find("01a2272e-0000-7000-8000-00000000b");
  const size_t a = listed.out.find("01a2272e-0000-7000-8000-00000000a");
  REQUIRE(b != std::string::npos);
  REQUIRE(a != std::string::npos);
  CHECK(b < a);
  CHECK_THAT(listed.out, Catch::Contains("incomplete"));
  CHECK_THAT(listed.out, Catch::Contains("12 s"));  // the finished one's duration
  CHECK_THAT(listed.out, Catch::Contains("2 of 2 run(s)"));

  auto json = RunCli(dir, "runs --db r.db --format json --commit aaaa");
  const auto j = nlohmann::json::parse(json.out);
  REQUIRE(j.size() == 1);
  CHECK(j[0]["status"] == "complete");
  CHECK(j[0]["seconds"] == 12.0);
  CHECK(j[0]["results"]["ok"] == 1);
  CHECK(RunCli(dir, "runs --db r.db --limit 1").out.find("1 of 2 run(s)") != std::string::npos);

  // Ambiguous: every candidate, with what tells them apart.
  auto ambiguous = RunCli(dir, "report --db r.db --run 01a2272e");
  CHECK(ambiguous.exit_code == 2);
  CHECK_THAT(ambiguous.err, Catch::Contains("is the start of 2 run ids"));
  CHECK_THAT(ambiguous.err, Catch::Contains("commit aaaa1111"));
  CHECK_THAT(ambiguous.err, Catch::Contains("commit bbbb2222"));
  // A unique prefix works; an incomplete run says so.
  auto one = RunCli(dir, "report --db r.db --run 01a2272e-0000-7000-8000-00000000b");
  INFO(one.err);
  CHECK(one.exit_code == 0);
  CHECK_THAT(one.out, Catch::Contains("run 01a2272e-0000-7000-8000-00000000b002 (incomplete)"));
  CHECK_THAT(one.err, Catch::Contains("is incomplete"));
  auto none = RunCli(dir, "report --db r.db --run ffff0000");
  CHECK(none.exit_code == 1);
  CHECK_THAT(none.err, Catch::Contains("no run \"ffff0000\""));
  // compare takes the same prefixes.
  auto cmp = RunCli(dir,
                    "compare --db r.db --baseline 01a2272e-0000-7000-8000-00000000a "
                    "--candidate 01a2272e-0000-7000-8000-00000000b");
  CHECK(cmp.exit_code != 2);
}

TEST_CASE("runs delete removes a run and its results, only with --yes", "[cli][runs][db]") {
  testing::TempDir dir;
  TwinRuns(DbOf(dir, "r.db"));
  const std::string id = "01a2272e-0000-7000-8000-00000000b";
  auto asked = RunCli(dir, "runs delete " + id + " --db r.db");
  CHECK(asked.exit_code == 2);
  CHECK_THAT(asked.err, Catch::Contains("give --yes"));
  CHECK(RunCli(dir, "runs --db r.db").out.find("2 of 2 run(s)") != std::string::npos);

  auto deleted = RunCli(dir, "runs delete " + id + " --db r.db --yes");
  INFO(deleted.err);
  REQUIRE(deleted.exit_code == 0);
  CHECK_THAT(deleted.out, Catch::Contains("deleted run"));
  CHECK_THAT(deleted.out, Catch::Contains("and its 1 results"));
  auto after = RunCli(dir, "runs --db r.db --format json");
  const auto j = nlohmann::json::parse(after.out);
  REQUIRE(j.size() == 1);
  CHECK(j[0]["commit"] == "aaaa1111");
  CHECK(RunCli(dir, "report --db r.db --run " + id).exit_code == 1);
  CHECK(RunCli(dir, "runs delete " + id + " --db r.db --yes").exit_code == 1);  // gone
  CHECK(RunCli(dir, "runs delete --db r.db --yes").exit_code == 2);
  CHECK(RunCli(dir, "runs frobnicate --db r.db").exit_code == 2);
}

// Without a terminal (a CI log) progress is a line every N seconds, with the
// time elapsed and an estimate of the time left, even inside one long workload.
TEST_CASE("run's progress without a terminal is lines with elapsed time and ETA",
          "[cli][runs][slow]") {
  testing::TempDir dir;
  // m35n700k2048 and m3072n1k1024: two small reference GEMMs (quick under ASan too).
  const std::string run =
      "run --workloads 'gemm.fp32/m3*n[17][0k]*@ref' --repetitions 2 --min-time 0.01 ";
  auto each = RunCli(dir, run + "--db p.db --progress lines --progress-every 0");
  INFO(each.err);
  REQUIRE(each.exit_code == 0);
  CHECK_THAT(each.err, Catch::Contains("effbench: [1/2] 0 s elapsed, ETA unknown: gemm.fp32/m3"));
  CHECK_THAT(each.err, Catch::Contains("effbench: [2/2] "));
  CHECK_THAT(each.err, Catch::Contains(" elapsed, ETA "));
  // The ticker: a line every 20 ms while one 35x700x2048 GEMM (0.1 GFLOP an
  // iteration, verified, then timed) runs.
  auto ticking = RunCli(dir,
                        "run --workloads 'gemm.fp32/m35n700k2048@ref' --repetitions 3 "
                        "--min-time 0.01 --db p.db --progress lines --progress-every 0.02");
  REQUIRE(ticking.exit_code == 0);
  size_t lines = 0;
  for (size_t at = ticking.err.find("[1/1]"); at != std::string::npos;
       at = ticking.err.find("[1/1]", at + 1)) {
    ++lines;
  }
  CHECK(lines >= 2);
  auto quiet = RunCli(dir, run + "--db p.db --progress none");
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.err.find("[1/2]") == std::string::npos);
  auto bad = RunCli(dir, run + "--db p.db --progress sometimes");
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("--progress sometimes: auto, tty, lines or none"));
}

}  // namespace
}  // namespace effbench
