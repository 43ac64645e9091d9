// Google Benchmark files in and out of effbench as a user brings them:
// `import` (every feature the library's JSON reporter writes, in the formats
// of 1.4, 1.7 and 1.8) and `compare A.json B.json` (compare.py's job). The
// 1.7.1 fixtures were written by the library itself (tests/data/gbench).
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "tests/integration/cli_runner.h"

namespace effbench {
namespace {

using testing::RunCli;

std::string Data(const std::string& file) {
  return std::string(EFFBENCH_TEST_DATA) + "/gbench/" + file;
}

// The records of the database's one run, by name.
std::map<std::string, nlohmann::json> Records(const testing::TempDir& dir, const std::string& db) {
  auto report = RunCli(dir, "report --db " + db + " --format json");
  INFO(report.err);
  REQUIRE(report.exit_code == 0);
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& r : nlohmann::json::parse(report.out)) by_name[r["name"]] = r;
  return by_name;
}

const nlohmann::json* Metric(const nlohmann::json& record, const std::string& name) {
  if (!record.contains("metrics")) return nullptr;
  for (const auto& m : record.at("metrics")) {
    if (m["name"] == name) return &m;
  }
  return nullptr;
}

TEST_CASE("import keeps a Google Benchmark 1.7 file whole: names, CPU time, counters, complexity",
          "[cli][gbench][db]") {
  testing::TempDir dir;
  auto first = RunCli(dir, "import --input-format gbench " + Data("v1.7.1_baseline.json") +
                               " --db g.db --commit c0ffee01");
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  CHECK_THAT(first.out, Catch::Contains("imported 10 benchmarks (10 new, 0 failed, 0 skipped)"));
  CHECK_THAT(first.err, Catch::Contains("warning: the Google Benchmark library was a debug build"));

  auto records = Records(dir, "g.db");
  REQUIRE(records.size() == 10);
  // Names verbatim behind a prefix, '/' and ':' and ',' and '<>' included.
  for (const char* name : {"gbench/BM_Sort/256@native", "gbench/BM_Sort/16384@native",
                           "gbench/BM_Accumulate<std::int64_t, 2>/1024/real_time@native",
                           "gbench/BM_Sleep/iterations:200/manual_time@native",
                           "gbench/BM_Atomic/threads:2@native", "gbench/BM_Sort_BigO@native"}) {
    INFO(name);
    REQUIRE(records.count(name));
    CHECK(records[name]["status"] == "ok");
  }
  const auto& sort = records["gbench/BM_Sort/256@native"];
  CHECK(sort["samples_ns"].size() == 5);
  CHECK(sort["variant"]["implementation"] == "std::sort");  // the benchmark's label
  CHECK(sort["warnings"][0].get<std::string>().find("debug build") != std::string::npos);
  const struct {
    const char* name;
    const char* unit;
    const char* better;
  } expected[] = {{"cpu_time", "ns", "lower"},
                  {"items_per_second", "items/s", "higher"},
                  {"bytes_per_second", "B/s", "higher"},
                  {"compares_rate", "", "higher"},
                  {"comparisons", "", "none"}};
  for (const auto& e : expected) {
    INFO(e.name);
    const auto* m = Metric(sort, e.name);
    REQUIRE(m);
    CHECK((*m)["unit"] == e.unit);
    CHECK((*m)["better"] == e.better);
    CHECK((*m)["values"].size() == 5);  // one per repetition
  }
  // items/s x time = the 256 items of one iteration, repetition by repetition.
  const auto& items = (*Metric(sort, "items_per_second"))["values"];
  for (size_t i = 0; i < 5; ++i) {
    const double cpu_ns = (*Metric(sort, "cpu_time"))["values"][i];
    CHECK(items[i].get<double>() * cpu_ns * 1e-9 == Approx(256).epsilon(1e-6));
  }
  // Manual time in microseconds, stored in ns.
  const auto& sleep = records["gbench/BM_Sleep/iterations:200/manual_time@native"];
  CHECK(sleep["stats"]["median_ns"].get<double>() > 100e3);
  CHECK(records["gbench/BM_Atomic/threads:2@native"]["threads"] == 2);
  // The complexity fit: the real coefficient, the CPU one and the RMS error.
  const auto& big_o = records["gbench/BM_Sort_BigO@native"];
  CHECK(big_o["samples_ns"].size() == 1);
  REQUIRE(Metric(big_o, "cpu_coefficient"));
  CHECK((*Metric(big_o, "cpu_coefficient"))["unit"] == "ns/NlgN");
  REQUIRE(Metric(big_o, "rms"));
  CHECK((*Metric(big_o, "rms"))["better"] == "lower");

  // The table shows the names as written and flags the debug build.
  auto table = RunCli(dir, "report --db g.db");
  CHECK_THAT(table.out, Catch::Contains("BM_Accumulate<std::int64_t, 2>/1024/real_time"));
  CHECK_THAT(table.out, Catch::Contains("the Google Benchmark library was a debug build"));
  CHECK_THAT(table.out, Catch::Contains("items_per_second"));
  // The machine as the file's context describes it.
  auto machines = RunCli(dir, "machines --db g.db");
  CHECK_THAT(machines.out, Catch::Contains("vm  (from a Google Benchmark file)  2 CPUs at"));
  CHECK_THAT(machines.out, Catch::Contains("L3 Unified 32768 KiB"));
  CHECK_THAT(machines.out, Catch::Contains("library build: debug"));
}

// The same program's output from two library versions, both written by the
// library: Debian's 1.7.1 and 1.9.1 built from Debian's source tarball
// (src/make_fixtures.sh says how). 1.9.1 adds SkipWithMessage and
// library_version.
TEST_CASE("import and compare read what Google Benchmark 1.7.1 and 1.9.1 write",
          "[cli][gbench][db]") {
  for (const std::string version : {"1.7.1", "1.9.1"}) {
    INFO("libbenchmark " << version);
    testing::TempDir dir;
    const std::string base = Data("v" + version + "_baseline.json");
    const std::string cand = Data("v" + version + "_candidate.json");
    auto imported =
        RunCli(dir, "import --input-format gbench " + base + " --db g.db --commit c0ffee01");
    INFO(imported.err);
    REQUIRE(imported.exit_code == 0);
    auto records = Records(dir, "g.db");
    for (const char* name : {"gbench/BM_Sort/1024@native", "gbench/BM_Sort_BigO@native",
                             "gbench/BM_Atomic/threads:2@native",
                             "gbench/BM_Sleep/iterations:200/manual_time@native"}) {
      INFO(name);
      REQUIRE(records.count(name));
      CHECK(records[name]["status"] == "ok");
    }
    CHECK(records["gbench/BM_Sort/1024@native"]["samples_ns"].size() == 5);
    REQUIRE(Metric(records["gbench/BM_Sort/1024@native"], "items_per_second"));
    if (version == "1.9.1") {
      CHECK_THAT(imported.out, Catch::Contains("(11 new, 0 failed, 1 skipped)"));
      CHECK(records["gbench/BM_NeedsSve@native"]["status"] == "skipped");
      CHECK(records["gbench/BM_NeedsSve@native"]["error"] == "needs SVE");
      CHECK_THAT(RunCli(dir, "machines --db g.db").out, Catch::Contains("version v1.9.1"));
    }
    auto cmp = RunCli(dir, "compare " + base + " " + cand + " --format json");
    REQUIRE(cmp.exit_code == 3);  // BM_Sort is slower in the candidate build
    const auto j = nlohmann::json::parse(cmp.out);
    bool sort = false;
    for (const auto& row : j["series"]) {
      if (row["display_name"] == "BM_Sort/1024" && row["metric"] == "time") {
        sort = true;
        CHECK(row["verdict"] == "regression");
      }
    }
    CHECK(sort);
    std::map<std::string, std::string> missing;
    for (const auto& m : j["missing"]) missing[m["display_name"]] = m["reason"];
    CHECK(missing["BM_Flaky"] == "failed: device lost");
    CHECK(missing["BM_Vanishes"] == "absent");
  }
}

TEST_CASE("import: the same file again is nothing new, under another commit refused",
          "[cli][gbench][db]") {
  testing::TempDir dir;
  const std::string file = Data("reps.json");
  REQUIRE(RunCli(dir, "import --input-format gbench " + file + " --db g.db --commit c0ffee01")
              .exit_code == 0);
  auto again = RunCli(dir, "import --input-format gbench " + file + " --db g.db --commit c0ffee01");
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.out, Catch::Contains("was already imported as run"));
  auto other = RunCli(dir, "import --input-format gbench " + file + " --db g.db --commit beef0002");
  CHECK(other.exit_code == 1);
  CHECK_THAT(other.err, Catch::Contains("is already stored, byte for byte, as run"));
  CHECK_THAT(other.err, Catch::Contains("commit c0ffee01"));
  auto forced =
      RunCli(dir, "import --input-format gbench " + file + " --db g.db --commit beef0002 --again");
  CHECK(forced.exit_code == 0);
  CHECK_THAT(forced.err, Catch::Contains("storing it again as commit beef0002"));
  auto records = Records(dir, "g.db");  // two runs now; report shows the latest
  CHECK(records.count("gbench/BM_Fails@native"));
  CHECK(records["gbench/BM_Fails@native"]["error"] == "no device");
}

// Google Benchmark measures the clock each run: the same host is the same
// machine whatever the MHz, so its runs compare.
TEST_CASE("import: a host is one machine from run to run", "[cli][gbench][db]") {
  testing::TempDir dir;
  std::string text = testing::ReadAll(Data("v1.7.1_baseline.json"));
  const std::string mhz = "\"mhz_per_cpu\": 2445";
  REQUIRE(text.find(mhz) != std::string::npos);
  text.replace(text.find(mhz), mhz.size(), "\"mhz_per_cpu\": 2596");
  std::ofstream(dir.File("later.json")) << text;
  REQUIRE(RunCli(dir, "import --input-format gbench " + Data("v1.7.1_baseline.json") +
                          " --db g.db --commit aaaa0001")
              .exit_code == 0);
  REQUIRE(RunCli(dir, "import --input-format gbench later.json --db g.db --commit aaaa0002")
              .exit_code == 0);
  auto machines = RunCli(dir, "machines --db g.db --format json");
  CHECK(nlohmann::json::parse(machines.out).size() == 1);
  auto cmp =
      RunCli(dir, "compare --db g.db --baseline aaaa0001 --candidate aaaa0002 --format json");
  INFO(cmp.err);
  REQUIRE(cmp.exit_code == 0);  // the same numbers: nothing changed
  const auto j = nlohmann::json::parse(cmp.out);
  CHECK(j["series"].size() >= 16);  // time and CPU of 8 benchmarks, and the complexity fit
  CHECK(j["regressions"] == 0);
  CHECK(j["missing"].empty());
}

TEST_CASE("import takes the commit from the git checkout, as run does", "[cli][gbench][db]") {
  testing::TempDir dir;
  const std::string git = "cd '" + dir.path().string() +
                          "' && git init -q && git -c user.email=t@e -c user.name=t commit -q "
                          "--allow-empty -m first && git rev-parse HEAD > head.txt";
  REQUIRE(std::system(git.c_str()) == 0);
  std::string head = testing::ReadAll(dir.File("head.txt"));
  head.resize(40);
  auto imported = RunCli(dir, "import --input-format gbench " + Data("reps.json") + " --db g.db");
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);
  CHECK_THAT(imported.out, Catch::Contains("commit " + head));
  auto records = Records(dir, "g.db");
  REQUIRE(!records.empty());
  CHECK(records.begin()->second["revision"]["commit"] == head);
}

TEST_CASE("import reads the 1.4 format (no run_type) and the 1.8 one (skipped, memory)",
          "[cli][gbench][db]") {
  testing::TempDir dir;
  auto old = RunCli(dir, "import --input-format gbench " + Data("v1.4_style.json") +
                             " --db old.db --commit 1111aaaa");
  INFO(old.err);
  REQUIRE(old.exit_code == 0);
  CHECK_THAT(old.out, Catch::Contains("imported 5 benchmarks (5 new, 1 failed, 0 skipped)"));
  CHECK_THAT(old.err, Catch::Contains("CPU frequency scaling was enabled"));
  auto records = Records(dir, "old.db");
  REQUIRE(records.size() == 5);
  // Three iterations; the _mean/_median/_stddev rows are aggregates, not benchmarks.
  const auto& copy8 = records["gbench/BM_StringCopy/8@native"];
  CHECK(copy8["samples_ns"].size() == 3);
  CHECK(copy8["stats"]["median_ns"] == Approx(12.7));
  CHECK((*Metric(copy8, "bytes_per_second"))["values"].size() == 3);
  CHECK(records["gbench/BM_StringCopy/64@native"]["stats"]["median_ns"] == Approx(1550));
  const auto& big_o = records["gbench/BM_StringCopy_BigO@native"];
  CHECK(big_o["samples_ns"][0] == Approx(2.0));
  CHECK((*Metric(big_o, "cpu_coefficient"))["unit"] == "ns/N");
  CHECK((*Metric(big_o, "rms"))["values"][0] == Approx(0.04));
  CHECK(records["gbench/BM_Hash/threads:4@native"]["threads"] == 4);
  CHECK(records["gbench/BM_NoNetwork@native"]["error"] == "socket: permission denied");
  // A local date without a zone reads as UTC.
  CHECK(copy8["started_at"] == "2019-03-11T14:02:51Z");

  auto newer = RunCli(dir, "import --input-format gbench " + Data("v1.8_style_skipped.json") +
                               " --db new.db --commit 2222bbbb");
  INFO(newer.err);
  REQUIRE(newer.exit_code == 0);
  CHECK_THAT(newer.out, Catch::Contains("(2 new, 0 failed, 1 skipped)"));
  records = Records(dir, "new.db");
  CHECK(records["gbench/BM_DotSve/1024@native"]["status"] == "skipped");
  CHECK(records["gbench/BM_DotSve/1024@native"]["error"] == "needs SVE");
  const auto& dot = records["gbench/BM_Dot/1024@native"];
  CHECK(dot["stats"]["median_ns"] == Approx(760));
  REQUIRE(Metric(dot, "max_bytes_used"));
  CHECK((*Metric(dot, "max_bytes_used"))["better"] == "lower");
  CHECK((*Metric(dot, "max_bytes_used"))["unit"] == "B");
  CHECK(dot["started_at"] == "2024-08-02T07:15:40Z");  // +02:00 to UTC
}

TEST_CASE("import names what is wrong with the file", "[cli][gbench][db]") {
  testing::TempDir dir;
  std::ofstream(dir.File("notjson.json")) << "BM_Sort 1 ns";
  std::ofstream(dir.File("nobench.json")) << "{\"context\": {}}";
  std::ofstream(dir.File("notime.json")) << "{\"benchmarks\": [{\"name\": \"BM_X\"}]}";
  std::ofstream(dir.File("badunit.json"))
      << R"({"benchmarks": [{"name": "BM_X", "real_time": 1, "time_unit": "fortnights"}]})";
  std::ofstream(dir.File("badtype.json"))
      << R"({"benchmarks": [{"name": "BM_X", "run_type": "warmup", "real_time": 1}]})";
  std::ofstream(dir.File("nobigo.json"))
      << R"({"benchmarks": [{"name": "BM_X_BigO", "run_name": "BM_X", "run_type": "aggregate",
             "aggregate_name": "BigO", "big_o": "N"}]})";
  const auto err = [&](const std::string& file) {
    return RunCli(dir, "import --input-format gbench " + file + " --db g.db --commit a").err;
  };
  CHECK_THAT(err("notjson.json"), Catch::Contains("is not JSON"));
  CHECK_THAT(err("nobench.json"), Catch::Contains("no \"benchmarks\" array"));
  CHECK_THAT(err("notime.json"), Catch::Contains("benchmarks[0] (BM_X) has no real_time"));
  CHECK_THAT(err("badunit.json"), Catch::Contains("unknown time_unit \"fortnights\""));
  CHECK_THAT(err("badtype.json"), Catch::Contains("unknown run_type \"warmup\""));
  CHECK_THAT(err("nobigo.json"), Catch::Contains("(BM_X_BigO) has no real_coefficient"));
  CHECK(RunCli(dir, "import --input-format perf notime.json --db g.db --commit a").exit_code == 2);
  // Outside a git checkout the commit must be given.
  auto no_commit = RunCli(dir, "import --input-format gbench notime.json --db g.db");
  CHECK(no_commit.exit_code == 2);
  CHECK_THAT(no_commit.err, Catch::Contains("--commit SHA"));
  // Nothing was stored by any of them.
  CHECK(RunCli(dir, "report --db g.db --format json").out.find("BM_X") == std::string::npos);
}

TEST_CASE("compare A.json B.json: compare.py's job with effbench's statistics",
          "[cli][gbench][db]") {
  testing::TempDir dir;
  const std::string pair = Data("v1.7.1_baseline.json") + " " + Data("v1.7.1_candidate.json");
  auto r = RunCli(dir, "compare " + pair + " --format json");
  INFO(r.err);
  REQUIRE(r.exit_code == 3);  // BM_Sort/1024 is 25 % slower in all five repetitions
  const auto j = nlohmann::json::parse(r.out);
  std::map<std::pair<std::string, std::string>, nlohmann::json> rows;
  for (const auto& s : j["series"]) rows[{s["display_name"], s["metric"]}] = s;
  // Time and CPU, each compared.
  REQUIRE(rows.count({"BM_Sort/1024", "time"}));
  REQUIRE(rows.count({"BM_Sort/1024", "cpu_time"}));
  CHECK(rows[{"BM_Sort/1024", "time"}]["verdict"] == "regression");
  CHECK(rows[{"BM_Sort/1024", "time"}]["ratio"].get<double>() ==
        Approx(46204.48 / 37121.17).epsilon(1e-4));
  CHECK(rows[{"BM_Sort/1024", "cpu_time"}]["verdict"] == "regression");
  // Every verdict follows from its interval: unchanged inside the threshold,
  // inconclusive across it, a change only when confirmed.
  size_t inconclusive = 0;
  for (const auto& [key, s] : rows) {
    INFO(key.first << " " << key.second);
    const double lo = s["ratio_ci"][0], hi = s["ratio_ci"][1];
    const bool confirmed =
        s["qvalue"].get<double>() <= 0.05 && std::fabs(s["ratio"].get<double>() - 1) >= 0.02;
    const std::string verdict = s["verdict"];
    if (confirmed) {
      CHECK(verdict == (s["ratio"].get<double>() > 1 ? "regression" : "improvement"));
    } else if (lo >= 0.98 && hi <= 1.02) {
      CHECK(verdict == "unchanged");
    } else {
      CHECK(verdict == "inconclusive");
      ++inconclusive;
    }
  }
  CHECK(inconclusive > 0);  // BM_Atomic/threads:2: +10 % with a CI from -9 % to +26 %
  // What failed or vanished is named, with the reason.
  std::map<std::string, std::string> missing;
  for (const auto& m : j["missing"]) missing[m["display_name"]] = m["reason"];
  CHECK(missing["BM_Flaky"] == "failed: device lost");
  CHECK(missing["BM_Vanishes"] == "absent");
  // The overall geometric mean, per measure.
  REQUIRE(j["geomean"].size() == 2);
  CHECK(j["geomean"][0]["metric"] == "time");
  CHECK(j["geomean"][0]["ratio"].get<double>() > 1);

  // The console table: the names as written, slower first, the missing named.
  auto console = RunCli(dir, "compare " + pair);
  CHECK_THAT(console.out, Catch::Contains("BM_Accumulate<std::int64_t, 2>/1024/real_time"));
  CHECK(console.out.find("slower") < console.out.find("inconclusive"));
  CHECK_THAT(console.out, Catch::Contains("BM_Flaky on vm (1 thread): failed: device lost"));
  CHECK_THAT(console.out, Catch::Contains("geometric mean of the changes: time +"));

  // A filter; the missing fail the comparison only when asked.
  auto flaky = RunCli(dir, "compare " + pair + " --workloads 'BM_Flaky*'");
  CHECK(flaky.exit_code == 0);
  CHECK_THAT(flaky.out, Catch::Contains("BM_Flaky"));
  CHECK(flaky.out.find("BM_Sort") == std::string::npos);
  auto strict = RunCli(dir, "compare " + pair + " --workloads 'BM_Flaky*' --fail-on-missing");
  CHECK(strict.exit_code == 3);
  CHECK_THAT(strict.err, Catch::Contains("1 series of the baseline failed or are missing"));
  // All measures: counters with their direction (a lower rate is worse).
  auto all =
      RunCli(dir, "compare " + pair + " --workloads 'BM_Sort/1024' --metrics all --format json");
  const auto everything = nlohmann::json::parse(all.out);
  bool items = false;
  for (const auto& s : everything["series"]) {
    if (s["metric"] != "items_per_second") continue;
    items = true;
    CHECK(s["better"] == "higher");
    CHECK(s["verdict"] == "regression");  // fewer items per second
  }
  CHECK(items);
  // Usage: one file, or files and a database at once.
  CHECK(RunCli(dir, "compare " + Data("reps.json")).exit_code == 2);
  CHECK(RunCli(dir, "compare " + pair + " --db x.db").exit_code == 2);
  auto unreadable = RunCli(dir, "compare " + Data("reps.json") + " nowhere.json");
  CHECK(unreadable.exit_code == 1);
  CHECK_THAT(unreadable.err, Catch::Contains("cannot read nowhere.json"));
}

// Bencher's format both ways: an export imports back to the same file.
TEST_CASE("report --format bmf and import --input-format bmf round-trip", "[cli][gbench][db]") {
  testing::TempDir dir;
  REQUIRE(RunCli(dir, "import --input-format gbench " + Data("v1.7.1_baseline.json") +
                          " --db g.db --commit c0ffee01")
              .exit_code == 0);
  auto exported = RunCli(dir, "report --db g.db --format bmf --out first.json");
  INFO(exported.err);
  REQUIRE(exported.exit_code == 0);
  const auto first = nlohmann::json::parse(testing::ReadAll(dir.File("first.json")));
  // Several measures per benchmark, each with its bounds.
  const auto& sort = first.at("BM_Sort/256");
  CHECK(sort.at("latency").at("value").get<double>() > 0);
  CHECK(sort.at("latency").at("lower_value") <= sort.at("latency").at("value"));
  CHECK(sort.at("latency").at("upper_value") >= sort.at("latency").at("value"));
  CHECK(sort.contains("cpu_time"));
  CHECK(sort.contains("items_per_second"));
  CHECK(first.contains("BM_Accumulate<std::int64_t, 2>/1024/real_time"));
  CHECK(first.size() == 10);

  auto imported = RunCli(dir, "import --input-format bmf first.json --db b.db --commit c0ffee01");
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);
  CHECK_THAT(imported.out, Catch::Contains("imported 10 benchmarks"));
  REQUIRE(RunCli(dir, "report --db b.db --format bmf --out second.json").exit_code == 0);
  CHECK(nlohmann::json::parse(testing::ReadAll(dir.File("second.json"))) == first);
  // A record's measures have their directions: throughput higher, latency the time.
  std::ofstream(dir.File("mine.json")) << R"({"parse": {"latency": {"value": 1500},
      "throughput": {"value": 2e6, "lower_value": 1.9e6, "upper_value": 2.1e6}}})";
  REQUIRE(
      RunCli(dir, "import --input-format bmf mine.json --db m.db --commit c0ffee01").exit_code ==
      0);
  auto records = Records(dir, "m.db");
  const auto& parse = records.at("bmf/parse@native");
  CHECK(parse["stats"]["median_ns"] == 1500.0);
  CHECK((*Metric(parse, "throughput"))["better"] == "higher");
  // Bad BMF is named.
  std::ofstream(dir.File("notime.json")) << R"({"parse": {"throughput": {"value": 1}}})";
  std::ofstream(dir.File("novalue.json")) << R"({"parse": {"latency": {"lower_value": 1}}})";
  std::ofstream(dir.File("array.json")) << "[1, 2]";
  const auto err = [&](const std::string& file) {
    return RunCli(dir, "import --input-format bmf " + file + " --db x.db --commit a").err;
  };
  CHECK_THAT(err("notime.json"), Catch::Contains("benchmark \"parse\" has no \"latency\" measure"));
  CHECK_THAT(err("novalue.json"), Catch::Contains("measure \"latency\" has no value"));
  CHECK_THAT(err("array.json"), Catch::Contains("is not a JSON object"));
  // Another measure as the time.
  CHECK(RunCli(dir,
               "import --input-format bmf notime.json --db t.db --commit a --time-measure "
               "throughput")
            .exit_code == 0);
}

// `bencher run`'s habit: run the benchmark and import what it wrote, at the
// checkout's commit, in one step.
TEST_CASE("exec runs a Google Benchmark binary and imports its results", "[cli][gbench][db]") {
  testing::TempDir dir;
  auto exec =
      RunCli(dir, std::string("exec --db e.db --commit c0ffee09 -- ") + EFFBENCH_FIXTURE_BENCH +
                      " --benchmark_filter=BM_Sort/256 --benchmark_repetitions=3 "
                      "--benchmark_min_time=0.01");
  INFO(exec.err);
  REQUIRE(exec.exit_code == 0);
  CHECK_THAT(exec.out, Catch::Contains("BM_Sort/256"));  // the benchmark's own console output
  CHECK_THAT(exec.out, Catch::Contains("imported 2 benchmarks (2 new"));
  auto records = Records(dir, "e.db");
  REQUIRE(records.count("gbench/BM_Sort/256@native"));
  CHECK(records["gbench/BM_Sort/256@native"]["samples_ns"].size() == 3);
  CHECK(records["gbench/BM_Sort/256@native"]["revision"]["commit"] == "c0ffee09");
  CHECK(records.count("gbench/BM_Sort_BigO@native"));
  // A BMF benchmark prints its results on stdout.
  auto bmf = RunCli(dir,
                    "exec --input-format bmf --db e.db --commit c0ffee10 -- sh -c "
                    "'echo {\\\"parse\\\": {\\\"latency\\\": {\\\"value\\\": 42}}}'");
  INFO(bmf.err);
  CHECK(bmf.exit_code == 0);
  CHECK_THAT(bmf.out, Catch::Contains("imported 1 benchmarks"));
  // A benchmark that fails imports nothing; one that is not there is named.
  auto failing = RunCli(dir, "exec --db e.db --commit c0ffee11 -- sh -c 'exit 4'");
  CHECK(failing.exit_code == 1);
  CHECK_THAT(failing.err, Catch::Contains("sh exited with status 4; nothing imported"));
  auto missing = RunCli(dir, "exec --db e.db --commit c0ffee11 -- ./no-such-bench");
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Catch::Contains("cannot run ./no-such-bench"));
  CHECK(RunCli(dir, "exec --db e.db --commit c0ffee11").exit_code == 2);
}

// True when `text` holds a byte a terminal would obey: ESC, BEL, CR, NUL,
// or a UTF-8 C1 control.
bool HasRawControl(const std::string& text) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return true;
    if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      return true;
    }
  }
  return false;
}

// The tester's repro: a benchmark named with ESC[31m or ESC[2J, and a host
// name with an OSC title sequence, reached the terminal raw.
TEST_CASE("names from an imported file reach no terminal raw, and no spreadsheet as formulas",
          "[cli][gbench]") {
  testing::TempDir dir;
  const auto row = [](const std::string& name, const std::string& extra) {
    return R"({"name": ")" + name + R"(", "run_type": "iteration", "iterations": 10, )" +
           R"("real_time": 12.5, "cpu_time": 12.0, "time_unit": "ns", "threads": 1)" + extra + "}";
  };
  std::ofstream(dir.File("evil.json"))
      << R"({"context": {"date": "2026-01-02T03:04:05+00:00", "num_cpus": 2,
                         "host_name": "lab\u001b]0;pwned\u0007box\r"},
            "benchmarks": [)"
      << row(R"(BM_\u001b[31mRed)", "") << "," << row(R"(BM_\u001b[2JClear\u0000\u009b)", "") << ","
      << row("BM_Labelled", R"x(, "label": "=HYPERLINK(\"http://x\")")x") << ","
      << R"({"name": "BM_Broken", "run_type": "iteration", "iterations": 0, "real_time": 0,
             "cpu_time": 0, "time_unit": "ns", "error_occurred": true,
             "error_message": "@SUM(1+1)\u001b[0m"})"
      << "]}";
  auto imported = RunCli(dir, "import evil.json --db e.db --commit c0ffee01");
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);
  CHECK_FALSE(HasRawControl(imported.out + imported.err));
  CHECK_THAT(imported.out, Catch::Contains("lab\\x1b]0;pwned\\x07box\\x0d"));
  for (const std::string format : {"console", "markdown"}) {
    auto report = RunCli(dir, "report --db e.db --format " + format);
    INFO(format << ": " << report.err);
    REQUIRE(report.exit_code == 0);
    CHECK_FALSE(HasRawControl(report.out + report.err));
    CHECK_THAT(report.out, Catch::Contains("BM_\\x1b[31mRed"));
    CHECK_THAT(report.out, Catch::Contains("BM_\\x1b[2JClear\\x00\\u009b"));
  }
  auto machines = RunCli(dir, "machines --db e.db");
  REQUIRE(machines.exit_code == 0);
  CHECK_FALSE(HasRawControl(machines.out));
  CHECK_THAT(machines.out, Catch::Contains("lab\\x1b]0;pwned\\x07box\\x0d"));
  // CSV keeps the bytes, quoted; a cell that starts like a formula is text.
  auto csv = RunCli(dir, "report --db e.db --format csv");
  REQUIRE(csv.exit_code == 0);
  CHECK_THAT(csv.out, Catch::Contains("\"gbench/BM_\x1b[31mRed@native\""));
  CHECK_THAT(csv.out, Catch::Contains(R"x("'=HYPERLINK(""http://x"")")x"));
  CHECK_THAT(csv.out, Catch::Contains("\"'@SUM(1+1)\x1b[0m\""));
  CHECK(csv.out.find(",=HYPERLINK") == std::string::npos);
  CHECK(csv.out.find(",@SUM") == std::string::npos);
}

// 3 good repetitions and 2 with a negative time were stored as ok with 3
// samples, silently; threads 1e12 was stored as 1; [1,2,3] was "not JSON".
TEST_CASE("import refuses a file with values that are no measurement, unless told to skip them",
          "[cli][gbench][db]") {
  testing::TempDir dir;
  const auto rep = [](double real, const std::string& extra = "") {
    return R"({"name": "BM_Neg", "run_name": "BM_Neg", "run_type": "iteration", "iterations": 10,
               "real_time": )" +
           std::to_string(real) + R"(, "cpu_time": 1.0, "time_unit": "ns", "threads": 1)" + extra +
           "}";
  };
  std::ofstream(dir.File("negative.json"))
      << R"({"benchmarks": [)" << rep(10) << "," << rep(-5) << "," << rep(11) << "," << rep(-6)
      << "," << rep(12) << "]}";
  auto refused = RunCli(dir, "import negative.json --db v.db --commit a1");
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("2 row(s) hold values that are no measurement"));
  CHECK_THAT(refused.err, Catch::Contains("benchmarks[1] (BM_Neg): real_time -5 is not a time"));
  CHECK_THAT(refused.err, Catch::Contains("byte "));
  CHECK_THAT(refused.err, Catch::Contains("--skip-invalid"));
  CHECK(RunCli(dir, "report --db v.db --format json").out.find("BM_Neg") == std::string::npos);

  auto skipped = RunCli(dir, "import negative.json --db v.db --commit a1 --skip-invalid");
  INFO(skipped.err);
  REQUIRE(skipped.exit_code == 0);
  CHECK_THAT(skipped.out, Catch::Contains("2 invalid row(s) skipped"));
  auto records = Records(dir, "v.db");
  REQUIRE(records.count("gbench/BM_Neg@native"));
  const auto& neg = records["gbench/BM_Neg@native"];
  CHECK(neg["status"] == "ok");
  CHECK(neg["samples_ns"].size() == 3);
  CHECK_THAT(neg["warnings"].dump(), Catch::Contains("2 row(s) skipped for invalid values"));

  // Only negative times: refused; skipped, it is failed with the reason, not
  // "no timing in the file".
  std::ofstream(dir.File("allneg.json"))
      << R"({"benchmarks": [)" << rep(-1) << "," << rep(-2) << "]}";
  CHECK(RunCli(dir, "import allneg.json --db w.db --commit a1").exit_code == 1);
  REQUIRE(RunCli(dir, "import allneg.json --db w.db --commit a1 --skip-invalid").exit_code == 0);
  auto all = Records(dir, "w.db");
  REQUIRE(all.count("gbench/BM_Neg@native"));
  CHECK(all["gbench/BM_Neg@native"]["status"] == "failed");
  CHECK_THAT(all["gbench/BM_Neg@native"]["error"].get<std::string>(),
             Catch::Contains("every row held invalid values"));

  std::ofstream(dir.File("threads.json"))
      << R"({"benchmarks": [)" << rep(10, R"(, "threads": 1e12)") << "]}";
  auto threads = RunCli(dir, "import threads.json --db t.db --commit a1");
  CHECK(threads.exit_code == 1);
  CHECK_THAT(threads.err, Catch::Contains("threads 1e+12 is not a thread count"));
  std::ofstream(dir.File("cpu.json"))
      << R"({"benchmarks": [)" << rep(10, R"(, "cpu_time": -3)") << "]}";
  auto cpu = RunCli(dir, "import cpu.json --db t.db --commit a1");
  CHECK(cpu.exit_code == 1);
  CHECK_THAT(cpu.err, Catch::Contains("cpu_time -3 is not a time"));
  std::ofstream(dir.File("array.json")) << "[1,2,3]";
  auto array = RunCli(dir, "import array.json --db t.db --commit a1");
  CHECK(array.exit_code == 1);
  CHECK_THAT(array.err, Catch::Contains("is JSON but an array, not an object"));
  // A file cut short names the byte where it broke.
  const std::string whole = testing::ReadAll(Data("reps.json"));
  std::ofstream(dir.File("cut.json")) << whole.substr(0, whole.size() / 2);
  auto cut = RunCli(dir, "import cut.json --db t.db --commit a1");
  CHECK(cut.exit_code == 1);
  CHECK_THAT(cut.err, Catch::Contains("cut.json is not"));
  CHECK_THAT(cut.err, Catch::Contains("byte"));
  CHECK(RunCli(dir, "report --db t.db --format json").out.find("BM_") == std::string::npos);
}

// The import of a large file was killed during its regression check; the same
// file again said "nothing new to store" and its changes were never looked for.
TEST_CASE("import checks again a run whose regression check did not finish", "[cli][gbench]") {
  testing::TempDir dir;
  const std::string file = Data("reps.json");
  REQUIRE(RunCli(dir, "import " + file + " --db g.db --commit c0ffee01").exit_code == 0);
  const auto checks = [&] {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(dir.File("g.db").c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM run_checks", -1, &s, nullptr) ==
            SQLITE_OK);
    REQUIRE(sqlite3_step(s) == SQLITE_ROW);
    const int n = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
  };
  CHECK(checks() == 1);
  auto again = RunCli(dir, "import " + file + " --db g.db --commit c0ffee01");
  CHECK(again.out.find("had not finished") == std::string::npos);
  // As a SIGKILL between the commit of the results and the end of the check
  // leaves it.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(dir.File("g.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "DELETE FROM run_checks", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  CHECK(checks() == 0);
  auto resumed = RunCli(dir, "import " + file + " --db g.db --commit c0ffee01");
  INFO(resumed.err);
  CHECK(resumed.exit_code == 0);
  CHECK_THAT(resumed.out, Catch::Contains("nothing new to store"));
  CHECK_THAT(resumed.out, Catch::Contains("its regression check had not finished"));
  CHECK(checks() == 1);
}

}  // namespace
}  // namespace effbench
