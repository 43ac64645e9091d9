// Drives the effbench binary as a user would and checks outputs and exit codes.
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include "core/flags.h"
#include "core/time.h"
#include "harness/cli/command_specs.h"
#include "harness/result/record.h"
#include "harness/stats/change_points.h"
#include "harness/store/result_store.h"
#include "tests/integration/cli_runner.h"
#include "tests/test_util.h"

namespace effbench {
namespace {

using testing::DbOf;
using testing::ReadAll;
using testing::RunCli;

TEST_CASE("EFFBENCH_MAX_ISA caps oneDNN, the inventory and the int8 recipe of a run",
          "[cli][isa][slow]") {
  testing::TempDir dir;
  auto bogus = RunCli(dir, "workloads", "EFFBENCH_MAX_ISA=avx3");
  CHECK(bogus.exit_code == 2);
  CHECK(bogus.err.find("EFFBENCH_MAX_ISA: unknown ISA level 'avx3'") != std::string::npos);
  CHECK(bogus.err.find("sse41") != std::string::npos);  // the known levels are listed

  auto run = RunCli(dir,
                    "run --workloads 'gemm.*/m35n700k2048@onednn' --repetitions 1 --min-time 0.01 "
                    "--db c.db --wide",
                    "EFFBENCH_MAX_ISA=sse41");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);  // skips are facts, not failures
  CHECK(run.out.find("implementation") != std::string::npos);
  auto json = RunCli(dir, "report --db c.db --format json");
  REQUIRE(json.exit_code == 0);
  const auto records = nlohmann::json::parse(json.out);
  REQUIRE(records.size() == 3);
  // A date range chooses runs even on a database of one machine.
  auto future = RunCli(dir, "report --db c.db --since 2099-01-01");
  CHECK(future.exit_code == 1);
  CHECK_THAT(future.err, Catch::Contains("no run with results between 2099-01-01"));
  for (const auto& doc : records) {
    const std::string precision = doc["variant"]["precision"];
    INFO(precision << ": " << doc.dump());
    if (precision == "bf16") {
      CHECK(doc["status"] == "skipped");
      CHECK(doc["error"].get<std::string>().find("needs avx512_core") != std::string::npos);
      continue;
    }
    CHECK(doc["status"] == "ok");
    // oneDNN dispatched at most SSE4.1 code.
    const std::string impl = doc["variant"]["implementation"];
    CHECK(impl.find("avx") == std::string::npos);
    if (precision == "int8") {  // no VNNI under sse41: 7-bit activations, exact, recorded
      CHECK(doc["quantization"]["activation_bits"] == 7);
      CHECK(doc["quantization"]["weight_bits"] == 8);
      CHECK(doc["quantization"]["remedy"].get<std::string>().find("vpmaddubsw") !=
            std::string::npos);
    }
  }
  auto machines = RunCli(dir, "machines --db c.db --format json");
  REQUIRE(machines.exit_code == 0);
  const auto inv = nlohmann::json::parse(machines.out)[0]["inventory"];
  CHECK(inv["isa_cap"] == "sse41");
  for (const auto& flag : inv["isa"]) {
    const std::string f = flag;
    CHECK(f.find("avx") == std::string::npos);
    CHECK(f != "fma");
  }
}

// Every record of the database at `path`, as stored.
std::vector<nlohmann::json> StoredRecords(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT record FROM results ORDER BY rowid", -1, &stmt, nullptr) ==
          SQLITE_OK);
  std::vector<nlohmann::json> out;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    out.push_back(
        nlohmann::json::parse(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

TEST_CASE("accuracy workloads are skipped with the reason where the dataset is missing",
          "[cli][slow]") {
  testing::TempDir dir;
  auto run = RunCli(dir,
                    "run --workloads 'acc.fmnist_cnn.fp32/*' --data-dir nothing-here --db a.db "
                    "--repetitions 2 --min-time 0.01");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const auto records = StoredRecords(dir.File("a.db"));
  REQUIRE(records.size() == 1);
  CHECK(records[0]["status"] == "skipped");
  const std::string why = records[0]["error"];
  CHECK_THAT(why, Catch::Contains("nothing-here/train-images-idx3-ubyte.gz is missing") &&
                      Catch::Contains("apt-get install dataset-fashion-mnist"));
}

TEST_CASE("a trained model is cached, compressed and distilled, each record with its accuracy",
          "[cli][train][slow]") {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "data");
  testing::WriteFashionMnistFixture(dir.File("data"), 1024, 500, 3);
  const std::string common =
      " --data-dir data --cache-dir cache --repetitions 2 --min-time 0.01 --threads 2";

  // Trained, then read from the cache: the same weights, nothing trained again.
  auto first = RunCli(dir, "run --workloads 'acc.fmnist_dws_student.fp32/*' --db a.db" + common);
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  CHECK_THAT(first.err, Catch::Contains("train fmnist_dws_student: epoch 20/20"));
  auto records = StoredRecords(dir.File("a.db"));
  REQUIRE(records.size() == 1);
  REQUIRE(records[0]["status"] == "ok");
  const nlohmann::json accuracy = records[0]["accuracy"];
  CHECK(accuracy["dataset"] == "fashion-mnist");
  CHECK(accuracy["test_images"] == 500);
  CHECK(accuracy["top1"].get<double>() > 0.5);  // chance is 0.1
  CHECK(accuracy["delta"] == 0);
  CHECK(records[0]["training"]["cache_hit"] == false);
  CHECK(records[0]["training"]["epochs"] == 20);
  const std::string key = records[0]["training"]["cache_key"];
  const std::string weights = dir.File("cache/models/" + key + ".weights");
  REQUIRE(std::filesystem::exists(weights));

  auto again = RunCli(dir, "run --workloads 'acc.fmnist_dws_student.fp32/*' --db b.db" + common);
  REQUIRE(again.exit_code == 0);
  CHECK_THAT(again.err, !Catch::Contains("epoch"));
  records = StoredRecords(dir.File("b.db"));
  REQUIRE(records.size() == 1);
  CHECK(records[0]["training"]["cache_hit"] == true);
  CHECK(records[0]["training"]["cache_key"] == key);
  CHECK(records[0]["accuracy"]["top1"] == accuracy["top1"]);

  // A damaged cache file is not trusted: the model is trained again.
  std::filesystem::resize_file(weights, std::filesystem::file_size(weights) / 2);
  auto damaged = RunCli(dir, "run --workloads 'acc.fmnist_dws_student.fp32/*' --db c.db" + common);
  REQUIRE(damaged.exit_code == 0);
  CHECK_THAT(damaged.err, Catch::Contains("cannot be read; training again"));
  CHECK(StoredRecords(dir.File("c.db"))[0]["training"]["cache_hit"] == false);

  // Distilled from the teacher, against its twin trained on labels alone
  // (cached above); int8 and a fine-tuned 2:4 of the teacher.
  for (const char* workload : {"acc.fmnist_dws_student_kd.fp32/*",
                               "acc.fmnist_dws.int8_pc_minmax/*", "acc.fmnist_dws.fp32_2:4_ft/*"}) {
    auto run = RunCli(dir, std::string("run --workloads '") + workload + "' --db d.db" + common);
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
  }
  records = StoredRecords(dir.File("d.db"));
  REQUIRE(records.size() == 3);
  for (const nlohmann::json& r : records) {
    INFO(r.dump());
    REQUIRE(r["status"] == "ok");
    const nlohmann::json& a = r["accuracy"];
    CHECK(a["delta_ci95"][0].get<double>() <= a["delta"].get<double>());
    CHECK(a["delta"].get<double>() <= a["delta_ci95"][1].get<double>());
    CHECK(a["delta"].get<double>() ==
          Approx(a["top1"].get<double>() - a["top1_fp32"].get<double>()));
    CHECK(a["meets_mlperf_99"] == (a["top1"].get<double>() >= 0.99 * a["top1_fp32"].get<double>()));
  }
  const nlohmann::json& kd = records[0];
  CHECK(kd["compression"]["pattern"] == "distillation");
  CHECK(kd["training"]["teacher"] == "fmnist_dws");
  CHECK_THAT(kd["accuracy"]["baseline"].get<std::string>(), Catch::Contains("labels alone"));
  // Its baseline is the twin trained above: the same accuracy as that record.
  CHECK(kd["accuracy"]["top1_fp32"] == accuracy["top1"]);
  const nlohmann::json& int8 = records[1];
  // "s8 symmetric per-channel", with ", 7-bit range ±63" on x86 without VNNI.
  CHECK_THAT(int8["quantization"]["weights"].get<std::string>(),
             Catch::StartsWith("s8 symmetric per-channel"));
  CHECK(int8["training"]["cache_hit"] == true);  // the teacher, trained for the student
  CHECK(int8["accuracy"]["model_bytes"].get<double>() <
        0.3 * records[2]["accuracy"]["model_bytes"].get<double>());
  const nlohmann::json& pruned = records[2];
  CHECK(pruned["compression"]["pattern"] == "2:4");
  CHECK(pruned["compression"]["fine_tuned"] == true);
  CHECK(pruned["compression"]["fine_tune_steps"] == 300);
}

TEST_CASE("usage errors exit 2 and say what was wrong", "[cli][db]") {
  testing::TempDir dir;
  auto none = RunCli(dir, "");
  CHECK(none.exit_code == 2);
  CHECK(none.err.find("usage: effbench") != std::string::npos);

  auto unknown = RunCli(dir, "benchmark");
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("unknown command 'benchmark'") != std::string::npos);

  auto flag = RunCli(dir, "run --turbo");
  CHECK(flag.exit_code == 2);
  CHECK(flag.err.find("unknown flag --turbo") != std::string::npos);

  auto reps = RunCli(dir, "run --repetitions many");
  CHECK(reps.exit_code == 2);
  CHECK(reps.err.find("--repetitions") != std::string::npos);

  auto format = RunCli(dir, "report --db x.db --format pdf");
  CHECK(format.exit_code == 2);
  CHECK(format.err.find("pdf") != std::string::npos);

  auto suite = RunCli(dir, "run --suite nightly");
  CHECK(suite.exit_code == 2);
  CHECK(suite.err.find("nightly") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.File("effbench.db")));
}

TEST_CASE("an unknown workload lists close names", "[cli][db]") {
  testing::TempDir dir;
  auto r = RunCli(dir, "run --workloads 'gemm.int8/m1024n1024k1000@onednn' --db t.db");
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("no workload matches") != std::string::npos);
  CHECK(r.err.find("gemm.int8/m1024n1024k1024@onednn") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.File("t.db")));
}

TEST_CASE("a --db that is not an effbench database is refused untouched", "[cli]") {
  testing::TempDir dir;
  std::ofstream(dir.File("thesis.txt")) << "chapter 1\n";
  auto r = RunCli(dir, "run --workloads 'gemm.fp32/m35n700k2048@ref' --db thesis.txt");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("not an effbench database") != std::string::npos);
  CHECK(ReadAll(dir.File("thesis.txt")) == "chapter 1\n");

  auto report = RunCli(dir, "report --db missing.db");
  CHECK(report.exit_code == 1);
  CHECK(report.err.find("no such database") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.File("missing.db")));
}

TEST_CASE("run stores results that report prints in every format", "[cli][slow]") {
  testing::TempDir dir;
  auto run = RunCli(dir,
                    "run --workloads 'gemm.*/m35n700k2048@[ro]*' --repetitions 3 --min-time 0.01 "
                    "--db r.db --repo https://example.com/x.git --commit deadbeef --branch main");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.out.find("m35n700k2048") != std::string::npos);
  CHECK(run.out.find("int8") != std::string::npos);
  CHECK(run.out.find("roofline") != std::string::npos);

  auto json = RunCli(dir, "report --db r.db --format json");
  REQUIRE(json.exit_code == 0);
  const auto records = nlohmann::json::parse(json.out);
  REQUIRE(records.size() == 6);  // 3 precisions × 2 backends (ref, onednn)
  for (const auto& doc : records) {
    auto record = result::FromJson(doc);
    REQUIRE(record.ok());
    if (record->skipped) {  // bf16 below avx512_core: a fact about the machine
      CHECK(record->variant.precision == "bf16");
      CHECK(record->error.find("needs avx512_core") != std::string::npos);
      // n/a with a footnote mark, whose note gives the reason (a roofline
      // note may take an earlier number).
      const size_t na = run.out.find("n/a [");
      REQUIRE(na != std::string::npos);
      const std::string mark = run.out.substr(na + 4, run.out.find(']', na) - na - 3);
      CHECK(run.out.find("\n" + mark + " skipped: needs avx512_core") != std::string::npos);
      continue;
    }
    CHECK(record->ok);
    CHECK(record->samples_ns.size() == 3);
    CHECK(record->revision.commit == "deadbeef");
    CHECK(record->roofline_fraction.has_value());
    CHECK(*record->rel_l2 <= record->tolerance);
  }
  const std::string run_id = records[0]["run_id"];

  auto csv = RunCli(dir, "report --db r.db --run " + run_id + " --format csv");
  CHECK(csv.exit_code == 0);
  CHECK(std::count(csv.out.begin(), csv.out.end(), '\n') == 7);

  auto md = RunCli(dir, "report --db r.db --format markdown");
  CHECK(md.exit_code == 0);
  CHECK(md.out.find("| gemm | m35n700k2048 | fp32 | ref |") != std::string::npos);

  auto bad_run = RunCli(dir, "report --db r.db --run 00000000-0000-4000-8000-000000000000");
  CHECK(bad_run.exit_code == 1);
  CHECK(bad_run.err.find(run_id.substr(0, 8)) != std::string::npos);  // lists the runs there are

  auto machines = RunCli(dir, "machines --db r.db --format json");
  REQUIRE(machines.exit_code == 0);
  const auto m = nlohmann::json::parse(machines.out);
  REQUIRE(m.size() == 1);
  CHECK(m[0]["calibration"]["fp32_gflops"]["one_thread"].get<double>() > 0);
  CHECK(m[0]["fingerprint"] == records[0]["machine"]);
}

TEST_CASE("a stored roofline that a kernel beats is measured again at the next run",
          "[cli][slow]") {
  testing::TempDir dir;
  const std::string run =
      "run --workloads 'gemm.fp32/m35n700k2048@ref' --repetitions 1 "
      "--min-time 0.01 --db r.db";
  auto first = RunCli(dir, run);
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  // The stored peaks, made far too low (as a calibration on a busy machine
  // could leave them).
  {
    auto db = store::ResultStore::Open(dir.File("r.db"));
    REQUIRE(db.ok());
    auto machines = (*db)->Machines();
    REQUIRE(machines.ok());
    REQUIRE(machines->size() == 1);
    store::MachineRow row = machines->front();
    REQUIRE(row.calibration_json);
    auto cal = nlohmann::json::parse(*row.calibration_json);
    for (const char* peak : {"fp32_gflops", "triad_gbps", "llc_triad_gbps"}) {
      cal[peak]["one_thread"] = 0.001;
      cal[peak]["all_threads"] = 0.001;
      cal[peak]["spread"] = 0;
    }
    row.calibration_json = cal.dump();
    REQUIRE((*db)->UpsertMachine(row).ok());
  }
  auto beaten = RunCli(dir, run);
  INFO(beaten.err);
  REQUIRE(beaten.exit_code == 0);
  CHECK_THAT(beaten.err, Catch::Contains("beat this machine's stored roofline") &&
                             Catch::Contains("measured again at the next run"));
  auto machines = nlohmann::json::parse(RunCli(dir, "machines --db r.db --format json").out);
  CHECK_THAT(machines[0]["calibration"]["stale"].get<std::string>(),
             Catch::Contains("gemm.fp32/m35n700k2048@ref reached"));
  auto again = RunCli(dir, run);
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  CHECK_THAT(again.err, Catch::Contains("the stored calibration is stale"));
  machines = nlohmann::json::parse(RunCli(dir, "machines --db r.db --format json").out);
  CHECK_FALSE(machines[0]["calibration"].contains("stale"));
  CHECK(machines[0]["calibration"]["fp32_gflops"]["one_thread"].get<double>() > 0.5);
}

TEST_CASE("workloads lists the catalog as text and JSON", "[cli][db]") {
  testing::TempDir dir;
  auto text = RunCli(dir, "workloads --suite quick");
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("gemm.int8/m1024n1024k1024@onednn") != std::string::npos);
  auto json = RunCli(dir, "workloads --format json");
  REQUIRE(json.exit_code == 0);
  const auto list = nlohmann::json::parse(json.out);
  std::set<std::string> families;
  for (const auto& w : list) {
    families.insert(w["family"].get<std::string>());
    CHECK(w["flop"].get<double>() > 0);
  }
  CHECK(families.count("gemm"));
  CHECK(families.count("conv.dw"));
  CHECK(families.count("conv.r50"));
}

const std::string kTestData = EFFBENCH_TEST_DATA;

TEST_CASE("changepoints finds the step in Otava's sample, as JSON", "[cli][db]") {
  testing::TempDir dir;
  auto r = RunCli(
      dir, "changepoints --csv " + kTestData + "/otava/sample.csv --column metric2 --format json");
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["points"] == 10);
  REQUIRE(j["change_points"].size() == 1);
  CHECK(j["change_points"][0]["index"] == 6);
  CHECK(j["change_points"][0]["line"] == 8);
  CHECK(j["change_points"][0]["change"].get<double>() == Approx(-0.1294).epsilon(1e-3));
  // The same data ';'-separated, and metric1, which has no step.
  auto semi = RunCli(dir, "changepoints --csv " + kTestData +
                              "/otava/sample-semicolons.csv --column metric2 --format json");
  CHECK(nlohmann::json::parse(semi.out)["change_points"][0]["index"] == 6);
  auto flat = RunCli(dir, "changepoints --csv " + kTestData + "/otava/sample.csv --column metric1");
  CHECK(flat.exit_code == 0);
  CHECK_THAT(flat.out, Catch::Contains("0 change point(s)"));
}

TEST_CASE("changepoints, regressions and serve share one set of detection defaults and flags",
          "[cli][db]") {
  testing::TempDir dir;
  // The defaults, as the CSV tool reports them, are the database's.
  auto r = RunCli(
      dir, "changepoints --csv " + kTestData + "/otava/sample.csv --column metric2 --format json");
  REQUIRE(r.exit_code == 0);
  const auto options = nlohmann::json::parse(r.out)["options"];
  const stats::ChangePointOptions& d = stats::kDetectionDefaults;
  CHECK(options["window"] == d.window);
  CHECK(options["pvalue"] == d.max_pvalue);
  CHECK(options["magnitude"] == d.min_magnitude);
  CHECK(options["log"] == d.log_scale);
  CHECK(options["outlier_guard"] == d.outlier_guard);
  // A flag changes them: the 13 % step is not reported when 20 % is the least.
  auto big = RunCli(dir, "changepoints --csv " + kTestData +
                             "/otava/sample.csv --column metric2 --min-change 0.2 --format json");
  REQUIRE(big.exit_code == 0);
  CHECK(nlohmann::json::parse(big.out)["change_points"].empty());
  // The old spelling still works, with a warning.
  auto old = RunCli(dir, "changepoints --csv " + kTestData +
                             "/otava/sample.csv --column metric2 --magnitude 0.2");
  CHECK(old.exit_code == 0);
  CHECK_THAT(old.err, Catch::Contains("--min-change"));
  // Values <= 0 have no logarithm: detected on the values, and said so.
  std::ofstream(dir.File("signed.csv")) << "value\n-1\n1\n-1\n1\n-1\n1\n-1\n1\n";
  auto signed_values = RunCli(dir, "changepoints --csv signed.csv");
  CHECK(signed_values.exit_code == 0);
  CHECK_THAT(signed_values.err, Catch::Contains("not their logarithms"));
  CHECK(RunCli(dir, "changepoints --csv signed.csv --log").exit_code == 2);
  // The same flags, the same checks, on the database's commands.
  for (const char* command : {"regressions --window 2", "serve --window 2", "run --window 2",
                              "import x.json --window 2"}) {
    auto refused = RunCli(dir, std::string(command) + " --db d.db");
    INFO(command << ": " << refused.err);
    CHECK(refused.exit_code == 2);
    CHECK_THAT(refused.err, Catch::Contains("--window"));
  }
}

TEST_CASE("changepoints: Conbench's single-run outliers are not change points", "[cli][db]") {
  testing::TempDir dir;
  for (const char* file : {"outlier_A.csv", "outlier_B.csv", "outlier_C.csv"}) {
    INFO(file);
    auto r = RunCli(dir, "changepoints --csv " + kTestData + "/conbench/" + file +
                             " --column svs --format json");
    REQUIRE(r.exit_code == 0);
    const auto j = nlohmann::json::parse(r.out);
    // The outlier rows (README: A 269.2997 and 2995.526, B 785.10015, C 21.038903)
    // neither start nor end a segment.
    std::ifstream in(kTestData + "/conbench/" + file);
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    for (const auto& cp : j["change_points"]) {
      const size_t line = cp["line"];
      for (size_t around : {line - 1, line}) {  // the new segment's first row, and the row before
        const std::string& text = lines[around - 1];
        CHECK(text.find("269.2997") == std::string::npos);
        CHECK(text.find("2995.526") == std::string::npos);
        CHECK(text.find("785.10015") == std::string::npos);
        CHECK(text.find("21.038903") == std::string::npos);
      }
    }
  }
}

TEST_CASE("changepoints names what is wrong with a CSV", "[cli][db]") {
  testing::TempDir dir;
  // A file that is not a column of numbers is bad input: exit 2, naming it.
  auto many = RunCli(dir, "changepoints --csv " + kTestData + "/otava/sample.csv");
  CHECK(many.exit_code == 2);
  CHECK_THAT(many.err, Catch::Contains("pick one with --column"));
  CHECK_THAT(many.err, Catch::Contains("metric2"));
  auto missing = RunCli(dir, "changepoints --csv " + kTestData + "/otava/sample.csv --column p99");
  CHECK_THAT(missing.err, Catch::Contains("no column \"p99\""));
  std::ofstream(dir.File("bad.csv")) << "1.0\n2.0\nfast\n3.0\n";
  auto bad = RunCli(dir, "changepoints --csv bad.csv");
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("bad.csv:3: \"fast\" is not a number"));
  // NaN, inf and exponents are values, never a header.
  std::ofstream(dir.File("nan.csv")) << "NaN\n5\n5.1\n4.9\n5\n";
  auto nan = RunCli(dir, "changepoints --csv nan.csv --format json");
  REQUIRE(nan.exit_code == 0);
  CHECK(nlohmann::json::parse(nan.out)["points"] == 5);
  std::ofstream(dir.File("huge.csv")) << "1e400\n5\n";
  auto huge = RunCli(dir, "changepoints --csv huge.csv");
  CHECK(huge.exit_code == 2);
  CHECK_THAT(huge.err, Catch::Contains("huge.csv:1: \"1e400\" is not a finite number"));
  std::ofstream(dir.File("exp.csv")) << "1e3\n1e3\n";
  CHECK(RunCli(dir, "changepoints --csv exp.csv").exit_code == 0);
  // A binary file and an empty one are refused, not read as 0 points.
  std::ofstream(dir.File("binary.csv"), std::ios::binary) << std::string(
      "\x7f"
      "ELF\x02\x01\x00\x00",
      8);
  auto binary = RunCli(dir, "changepoints --csv binary.csv");
  CHECK(binary.exit_code == 2);
  CHECK_THAT(binary.err, Catch::Contains("not a text CSV file"));
  std::ofstream(dir.File("empty.csv")).flush();
  auto empty = RunCli(dir, "changepoints --csv empty.csv");
  CHECK(empty.exit_code == 2);
  CHECK_THAT(empty.err, Catch::Contains("empty"));
  std::ofstream(dir.File("plain.txt"))
      << "5\n5.1\n4.9\n5\n5.05\n4.95\n6\n6.1\n5.9\n6\n6.05\n5.95\n";
  auto plain = RunCli(dir, "changepoints --csv plain.txt --format json");
  REQUIRE(plain.exit_code == 0);
  CHECK(nlohmann::json::parse(plain.out)["change_points"][0]["index"] == 6);
  CHECK(RunCli(dir, "changepoints --csv plain.txt --pvalue 2").exit_code == 2);
  CHECK(RunCli(dir, "changepoints").exit_code == 2);
}

// A database with one machine and a run per commit; each run holds `series`
// records whose samples are `level(i, series) * (1 + noise)`.
void FillRuns(const std::string& path,
              const std::vector<std::pair<std::string, std::function<double(int)>>>& commits,
              int series, int repetitions, uint32_t seed) {
  auto db = store::OpenStore(path);
  REQUIRE(db.ok());
  REQUIRE((*db)
              ->UpsertMachine({testing::FakeFingerprint(), "lab-1", "cpu", "x86_64", "{}",
                               std::nullopt, "t", "t"})
              .ok());
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, 0.01);
  for (const auto& [commit, level] : commits) {
    const std::string run_id = result::NewUuid();
    REQUIRE((*db)
                ->BeginRun({run_id,
                            testing::FakeFingerprint(),
                            {"repo", commit, "main", std::nullopt},
                            "quick",
                            effbench::UtcNowIso8601(),
                            std::nullopt,
                            "{}"})
                .ok());
    std::vector<result::ResultRecord> records;
    for (int s = 0; s < series; ++s) {
      result::ResultRecord r = testing::MakeRecord(run_id, repetitions);
      r.name = "gemm.fp32/m" + std::to_string(64 + s) + "n32k16@ref";
      r.revision.commit = commit;
      for (double& x : r.samples_ns) x = level(s) * (1 + noise(rng));
      r.stats = result::Summarize(r.samples_ns);
      records.push_back(r);
    }
    REQUIRE((*db)->InsertResults(records).ok());
  }
}

TEST_CASE("compare confirms a regression with exit code 3 and leaves noise alone", "[cli][db]") {
  testing::TempDir dir;
  // Twenty series; at commit bbbb2222 series 3 is 10 % slower and series 7 5 % faster.
  FillRuns(DbOf(dir, "r.db"),
           {{"aaaa1111", [](int) { return 1000.0; }},
            {"bbbb2222", [](int s) { return s == 3   ? 1100.0
                                            : s == 7 ? 950.0
                                                     : 1000.0; }}},
           20, 10, 5);
  auto r = RunCli(dir, "compare --db r.db --baseline aaaa1111 --candidate bbbb --format json");
  INFO(r.err);
  REQUIRE(r.exit_code == 3);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["regressions"] == 1);
  CHECK(j["improvements"] == 1);
  for (const auto& s : j["series"]) {
    const std::string name = s["name"];
    // The unchanged series are "unchanged" when their interval lies within
    // the 2 % threshold, else "inconclusive"; never a change.
    const double lo = s["ratio_ci"][0], hi = s["ratio_ci"][1];
    const std::string quiet = lo >= 0.98 && hi <= 1.02 ? "unchanged" : "inconclusive";
    const std::string expected = name == "gemm.fp32/m67n32k16@ref"   ? "regression"
                                 : name == "gemm.fp32/m71n32k16@ref" ? "improvement"
                                                                     : quiet;
    INFO(name);
    CHECK(s["verdict"] == expected);
    CHECK(s["ratio_ci"][0].get<double>() <= s["ratio"].get<double>());
  }
  // The console table names the regression first; a 20 % threshold hides it.
  auto console = RunCli(dir, "compare --db r.db --baseline aaaa1111 --candidate bbbb2222");
  CHECK(console.exit_code == 3);
  CHECK(console.out.find("slower") < console.out.find("faster"));
  CHECK(RunCli(dir, "compare --db r.db --baseline aaaa1111 --candidate bbbb2222 --threshold 0.2")
            .exit_code == 0);
}

TEST_CASE("compare warns when the repetitions cannot reach alpha", "[cli][db]") {
  testing::TempDir dir;
  FillRuns(DbOf(dir, "r.db"),
           {{"aaaa1111", [](int) { return 1000.0; }}, {"bbbb2222", [](int) { return 1500.0; }}}, 2,
           3, 9);
  auto r = RunCli(dir, "compare --db r.db --baseline aaaa --candidate bbbb");
  CHECK(r.exit_code == 0);  // 3 vs 3: even +50 % cannot be confirmed
  CHECK_THAT(r.out, Catch::Contains("3 vs 3 repetitions can never reach p < 0.050"));
  auto missing = RunCli(dir, "compare --db r.db --baseline cccc --candidate bbbb");
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Catch::Contains("no run or commit \"cccc\""));
  CHECK(RunCli(dir, "compare --db r.db --baseline aaaa").exit_code == 2);
}

// Machines side by side from a database of four: this CPU as it is, capped at
// AVX2 and at SSE4.1 (EFFBENCH_MAX_ISA makes each a machine of its own), and
// a Google Benchmark file from another host.
TEST_CASE("report compares machines: n/a with reasons, kernels, filters, HTML to a file",
          "[cli][slow]") {
  testing::TempDir dir;
  for (const std::string cap : {"", "avx2", "sse41"}) {
    auto run = RunCli(
        dir, "run --workloads 'conv.pw.*@onednn' --repetitions 5 --min-time 0.005 --db fix.db",
        "EFFBENCH_MAX_ISA=" + cap);
    INFO(cap << ": " << run.err);
    REQUIRE(run.exit_code == 0);
  }
  const std::string reps = std::string(EFFBENCH_TEST_DATA) + "/gbench/reps.json";
  REQUIRE(RunCli(dir, "import --input-format gbench " + reps + " --db fix.db --commit c0ffee01")
              .exit_code == 0);

  auto json = RunCli(dir, "report --db fix.db --format json");
  INFO(json.err);
  REQUIRE(json.exit_code == 0);
  const auto m = nlohmann::json::parse(json.out);
  REQUIRE(m["kind"] == "effbench.machine_comparison/1");
  REQUIRE(m["machines"].size() == 4);
  std::map<std::string, size_t> column;  // by ISA cap
  for (size_t i = 0; i < m["machines"].size(); ++i) {
    const std::string isa = m["machines"][i]["isa"];
    if (isa.find("capped at avx2") != std::string::npos) column["avx2"] = i;
    if (isa.find("capped at sse41") != std::string::npos) column["sse41"] = i;
  }
  REQUIRE(column.size() == 2);
  size_t conv_rows = 0;
  for (const auto& row : m["rows"]) {
    if (row["workload"] != "conv.pw") continue;
    ++conv_rows;
    const auto& avx2 = row["cells"][column["avx2"]];
    const auto& sse41 = row["cells"][column["sse41"]];
    INFO(row.dump());
    if (row["variant"] == "bf16") {  // neither capped machine can: n/a with the reason
      CHECK(avx2["state"] == "skipped");
      CHECK(avx2["reason"].get<std::string>().find("needs avx512_core") != std::string::npos);
      CHECK(sse41["state"] == "skipped");
      continue;
    }
    REQUIRE(avx2["state"] == "ok");
    REQUIRE(sse41["state"] == "ok");
    CHECK(avx2["median_ns"]["low"] <= avx2["median_ns"]["value"]);
    CHECK(avx2["median_ns"]["high"] >= avx2["median_ns"]["value"]);
    CHECK(sse41["implementation"].get<std::string>().find("sse41") != std::string::npos);
    CHECK(avx2["implementation"].get<std::string>().find("avx2") != std::string::npos);
    if (row["variant"] == "int8") {
      REQUIRE(avx2.contains("speedup"));
      CHECK(avx2["speedup"]["low"] <= avx2["speedup"]["value"]);
      CHECK(avx2["speedup"]["high"] >= avx2["speedup"]["value"]);
    }
    CHECK(sse41.contains("vs_reference"));
  }
  CHECK(conv_rows >= 3);  // fp32, bf16 and int8 of each shape
  CHECK(conv_rows % 3 == 0);
  // The Google Benchmark host has its own rows; the conv cells are missing there.
  size_t sort_rows = 0;
  for (const auto& row : m["rows"])
    sort_rows += row["name"].get<std::string>().find("BM_Sort") != std::string::npos;
  CHECK(sort_rows == 2);

  // The console names the kernels where the machines differ, and the reason of each n/a.
  auto console = RunCli(dir, "report --db fix.db");
  REQUIRE(console.exit_code == 0);
  CHECK_THAT(console.out, Catch::Contains("jit_1x1:sse41"));
  CHECK_THAT(console.out, Catch::Contains("n/a ["));
  CHECK_THAT(console.out, Catch::Contains("skipped: needs avx512_core"));

  // Filters: two machines by fingerprint prefix, int8 only, the second as reference.
  const std::string fp_avx2 =
      m["machines"][column["avx2"]]["fingerprint"].get<std::string>().substr(0, 8);
  const std::string fp_sse41 =
      m["machines"][column["sse41"]]["fingerprint"].get<std::string>().substr(0, 8);
  auto two = RunCli(dir, "report --db fix.db --format json --machines " + fp_avx2 + "," + fp_sse41 +
                             " --variants int8 --reference " + fp_sse41);
  INFO(two.err);
  REQUIRE(two.exit_code == 0);
  const auto m2 = nlohmann::json::parse(two.out);
  CHECK(m2["machines"].size() == 2);
  CHECK(m2["reference"] == 1);
  CHECK(m2["rows"].size() == 2 * conv_rows / 3);  // int8 and its fp32 baseline, each shape

  auto html = RunCli(dir, "report --db fix.db --format html --out report.html");
  INFO(html.err);
  REQUIRE(html.exit_code == 0);
  CHECK(html.out.empty());
  const std::string page = ReadAll(dir.File("report.html"));
  CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK_THAT(page, Catch::Contains("capped at sse41"));

  // One run, as before.
  auto one = RunCli(dir, "report --db fix.db --run " +
                             m["machines"][0]["run_id"].get<std::string>() + " --format json");
  REQUIRE(one.exit_code == 0);
  CHECK(nlohmann::json::parse(one.out).is_array());

  auto unknown = RunCli(dir, "report --db fix.db --machines nosuchhost");
  CHECK(unknown.exit_code == 1);
  CHECK_THAT(unknown.err, Catch::Contains("\"nosuchhost\""));
  auto pdf = RunCli(dir, "report --db fix.db --format pdf");
  CHECK(pdf.exit_code == 2);
  CHECK_THAT(pdf.err, Catch::Contains("html"));
  auto both = RunCli(dir, "report --db fix.db --latest --runs abcdef12");
  CHECK(both.exit_code == 2);
  auto unwritable = RunCli(dir, "report --db fix.db --out /nonexistent-dir/r.html");
  CHECK(unwritable.exit_code == 1);
  CHECK_THAT(unwritable.err, Catch::Contains("/nonexistent-dir/r.html"));
}

// 30 commits c0000..c0029; series 1 steps up 15 % at c0020, the others stay.
std::vector<std::pair<std::string, std::function<double(int)>>> StepAtCommit20() {
  std::vector<std::pair<std::string, std::function<double(int)>>> commits;
  for (int c = 0; c < 30; ++c) {
    char name[16];
    std::snprintf(name, sizeof name, "c%04d", c);
    commits.emplace_back(name, [c](int s) { return s == 1 && c >= 20 ? 1150.0 : 1000.0; });
  }
  return commits;
}

TEST_CASE("regressions lists changes by commit range, exits 3 until acknowledged", "[cli][db]") {
  testing::TempDir dir;
  FillRuns(DbOf(dir, "h.db"), StepAtCommit20(), 3, 5, 23);
  auto none = RunCli(dir, "regressions --db h.db");
  CHECK(none.exit_code == 0);
  CHECK_THAT(none.out, Catch::Contains("no changes found"));
  auto check = RunCli(dir, "regressions check --db h.db");
  REQUIRE(check.exit_code == 0);
  auto listed = RunCli(dir, "regressions --db h.db");
  INFO(listed.out << listed.err);
  CHECK(listed.exit_code == 3);
  CHECK_THAT(listed.out, Catch::Contains("regression in (c0019, c0020]: 1 series on 1 machine"));
  CHECK_THAT(listed.out, Catch::Contains("gemm.fp32/m65n32k16@ref"));
  CHECK_THAT(listed.out, Catch::Contains("+15.0%"));
  const auto j = nlohmann::json::parse(RunCli(dir, "regressions --db h.db --format json").out);
  REQUIRE(j.size() == 1);
  const int64_t id = j[0]["changes"][0]["id"];
  CHECK(j[0]["changes"][0]["state"] == "new");
  auto ack = RunCli(dir, "regressions ack " + std::to_string(id) + " --db h.db");
  CHECK(ack.exit_code == 0);
  CHECK(RunCli(dir, "regressions --db h.db").exit_code == 0);
  CHECK_THAT(RunCli(dir, "regressions --db h.db --state acknowledged --format markdown").out,
             Catch::Contains("| " + std::to_string(id) + " |"));
  CHECK(RunCli(dir, "regressions --db h.db --state new").out.find("no changes found") !=
        std::string::npos);
  CHECK(RunCli(dir, "regressions set " + std::to_string(id) + " wontfix --db h.db").exit_code == 2);
  CHECK(RunCli(dir, "regressions set 999 fixed --db h.db").exit_code == 1);
}

TEST_CASE("a change seen on several series is one group, and a group's state is its members'",
          "[cli][db]") {
  testing::TempDir dir;
  // Series 0 and 1 step up at c0020, series 2 stays.
  std::vector<std::pair<std::string, std::function<double(int)>>> commits;
  for (int c = 0; c < 30; ++c) {
    char name[16];
    std::snprintf(name, sizeof name, "c%04d", c);
    commits.emplace_back(name, [c](int s) { return s < 2 && c >= 20 ? 1150.0 : 1000.0; });
  }
  FillRuns(DbOf(dir, "g.db"), commits, 3, 5, 29);
  REQUIRE(RunCli(dir, "regressions check --db g.db").exit_code == 0);
  const auto j = nlohmann::json::parse(RunCli(dir, "regressions --db g.db --format json").out);
  REQUIRE(j.size() == 1);
  REQUIRE(j[0]["changes"].size() == 2);
  const int64_t first = j[0]["changes"][0]["id"], second = j[0]["changes"][1]["id"];
  const std::string group = j[0]["group"];
  CHECK(group == "G" + std::to_string(std::min(first, second)));
  auto listed = RunCli(dir, "regressions --db g.db");
  CHECK_THAT(listed.out, Catch::Contains(group + ": regression in (c0019, c0020]: 2 series"));
  // A typo in a group changes nothing.
  CHECK(RunCli(dir, "regressions ack G999 --db g.db").exit_code == 1);
  CHECK(RunCli(dir, "regressions ack Gx --db g.db").exit_code == 2);
  // The group's state is its members': acknowledged together.
  auto ack =
      RunCli(dir, "regressions ack G" + std::to_string(std::max(first, second)) + " --db g.db");
  INFO(ack.err);
  REQUIRE(ack.exit_code == 0);
  CHECK_THAT(ack.out,
             Catch::Contains("regression " + std::to_string(first) + ": acknowledged") &&
                 Catch::Contains("regression " + std::to_string(second) + ": acknowledged"));
  CHECK(RunCli(dir, "regressions --db g.db").exit_code == 0);  // nothing new: exit 0
  REQUIRE(RunCli(dir, "regressions set false-positive " + group + " --db g.db").exit_code == 0);
  const auto after = nlohmann::json::parse(RunCli(dir, "regressions --db g.db --format json").out);
  for (const auto& change : after[0]["changes"]) CHECK(change["state"] == "false-positive");
}

TEST_CASE("history shows each commit's median and spread, and marks the change with its id",
          "[cli][db]") {
  testing::TempDir dir;
  FillRuns(DbOf(dir, "h.db"), StepAtCommit20(), 3, 5, 23);
  REQUIRE(RunCli(dir, "regressions check --db h.db").exit_code == 0);
  const auto alerts = nlohmann::json::parse(RunCli(dir, "regressions --db h.db --format json").out);
  REQUIRE(alerts.size() == 1);
  const int64_t id = alerts[0]["changes"][0]["id"];
  const std::string name = alerts[0]["changes"][0]["name"];
  // The alert links to the series' history on a coordinator's page.
  CHECK(alerts[0]["changes"][0]["history"].get<std::string>().rfind("/history?workloads=", 0) == 0);

  auto json = RunCli(dir, "history --db h.db --series '" + name + "' --format json");
  INFO(json.err);
  REQUIRE(json.exit_code == 0);
  const auto h = nlohmann::json::parse(json.out);
  REQUIRE(h["series"].size() == 1);
  const auto& s = h["series"][0];
  CHECK(s["name"] == name);
  REQUIRE(s["points"].size() == 30);
  CHECK(s["points"][0]["commit"] == "c0000");
  CHECK(s["points"][29]["commit"] == "c0029");
  for (const auto& p : s["points"]) {
    CHECK(p["q1_ns"] <= p["median_ns"]);
    CHECK(p["median_ns"] <= p["q3_ns"]);
    CHECK(p["repetitions"] == 5);
  }
  CHECK(s["points"][25]["median_ns"].get<double>() >
        1.1 * s["points"][5]["median_ns"].get<double>());
  REQUIRE(s["changes"].size() == 1);
  CHECK(s["changes"][0]["id"] == id);
  CHECK(s["changes"][0]["first_bad_commit"] == "c0020");
  CHECK(s["changes"][0]["last_good_commit"] == "c0019");

  auto console = RunCli(dir, "history --db h.db --series '" + name + "'");
  REQUIRE(console.exit_code == 0);
  CHECK_THAT(console.out, Catch::Contains("#" + std::to_string(id) + " regression +15.0%"));
  // Every series with a glob; the HTML links the change to its chart.
  auto all = RunCli(dir, "history --db h.db --workloads 'gemm.*' --format json");
  REQUIRE(all.exit_code == 0);
  CHECK(nlohmann::json::parse(all.out)["series"].size() > 1);
  auto html = RunCli(dir, "history --db h.db --workloads 'gemm.*' --format html --out h.html");
  REQUIRE(html.exit_code == 0);
  const std::string page = ReadAll(dir.File("h.html"));
  std::smatch link;
  REQUIRE(std::regex_search(page, link,
                            std::regex("<tr><td class=\"num\">" + std::to_string(id) +
                                       "</td><td><a href=\"#(series-[0-9]+)\">")));
  CHECK_THAT(page,
             Catch::Contains("<figure class=\"chart history\" id=\"" + link[1].str() + "\">"));
  CHECK_THAT(page, Catch::Contains("#" + std::to_string(id) + " +15.0%</text>"));

  CHECK(RunCli(dir, "history --db h.db --series nosuch").exit_code == 1);
  CHECK(RunCli(dir, "history --db h.db --series a --workloads b").exit_code == 2);
  CHECK(RunCli(dir, "history --db h.db --threads zero").exit_code == 2);
}

}  // namespace
}  // namespace effbench

namespace effbench {
namespace {

TEST_CASE("bad input is refused with exit 2 and a message naming it, storing nothing",
          "[cli][slow]") {
  testing::TempDir dir;
  auto time = RunCli(dir,
                     "run --workloads 'gemm.fp32/m35n700k2048*' --db r.db --repetitions 1 "
                     "--min-time 0.001 --commit-time 2026-13-45T99:00:00Z");
  CHECK(time.exit_code == 2);
  CHECK_THAT(time.err, Catch::Contains("--commit-time") && Catch::Contains("ISO 8601"));
  CHECK_FALSE(std::filesystem::exists(dir.File("r.db")));
  auto feb = RunCli(dir, "run --db r.db --commit-time 2026-02-30");
  CHECK(feb.exit_code == 2);
  CHECK_THAT(feb.err, Catch::Contains("no such date"));

  // A database to query.
  REQUIRE(RunCli(dir,
                 "run --workloads 'gemm.fp32/m35n700k2048*' --db r.db --repetitions 1 "
                 "--min-time 0.001 --commit c1 --commit-time 2026-03-01T02:00:00+01:00")
              .exit_code == 0);
  auto since = RunCli(dir, "regressions --db r.db --since yesterday");
  CHECK(since.exit_code == 2);
  CHECK_THAT(since.err, Catch::Contains("detected") && Catch::Contains("yesterday"));
  CHECK(RunCli(dir, "regressions --db r.db --since 2026-01-01").exit_code == 0);
  auto xml = RunCli(dir, "regressions --db r.db --format xml");
  CHECK(xml.exit_code == 2);
  CHECK_THAT(xml.err, Catch::Contains("xml"));
  auto csv = RunCli(dir, "regressions --db r.db --format csv");
  CHECK(csv.exit_code == 0);
  CHECK(csv.out.rfind("id,last_good_commit,first_bad_commit", 0) == 0);
  auto ack = RunCli(dir, "regressions --db r.db ack 1 x");
  CHECK(ack.exit_code == 2);
  CHECK_THAT(ack.err, Catch::Contains("'x' is not a regression id"));

  // The commit time is stored in UTC, so series order across zones.
  auto check = RunCli(dir, "db check --db r.db");
  CHECK(check.exit_code == 0);
  CHECK_THAT(check.out, Catch::Contains("ok"));

  // Unknown config keys are refused, not ignored.
  std::ofstream(dir.File("fleet.token")) << "integration-test-fleet-token-0123456789\n";
  std::ofstream(dir.File("serve.json")) << R"({"db": "f.db", "listne": "127.0.0.1:0"})";
  auto config = RunCli(dir, "serve --config serve.json --token-file fleet.token");
  CHECK(config.exit_code == 2);
  CHECK_THAT(config.err, Catch::Contains("unknown key \"listne\""));
}

TEST_CASE("the fleet token stays secret: token files 0600, never sent in clear off this host",
          "[cli][db]") {
  testing::TempDir dir;
  auto made = RunCli(dir, "token new --out secret.token");
  REQUIRE(made.exit_code == 0);
  struct stat st {};
  REQUIRE(::stat(dir.File("secret.token").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto again = RunCli(dir, "token new --out secret.token");
  CHECK(again.exit_code == 1);
  CHECK_THAT(again.err, Catch::Contains("never overwritten"));
  // Over plain HTTP to another host, the token is not sent without --insecure.
  auto clear = RunCli(dir,
                      "submit --coordinator http://192.0.2.1:7451 --suite quick "
                      "--token-file secret.token");
  CHECK(clear.exit_code == 2);
  CHECK_THAT(clear.err, Catch::Contains("in clear") && Catch::Contains("--insecure"));
  // A coordinator that is not there: the cause in words, no source locations.
  auto closed = RunCli(dir,
                       "submit --coordinator http://127.0.0.1:1 --suite quick "
                       "--token-file secret.token");
  CHECK(closed.exit_code == 1);
  CHECK_THAT(closed.err, Catch::Contains("Connection refused"));
  CHECK(closed.err.find(".hpp") == std::string::npos);
  // A readable token file is worth a warning.
  ::chmod(dir.File("secret.token").c_str(), 0644);
  auto serve = RunCli(dir, "serve --db f.db --listen nowhere:1 --token-file secret.token");
  CHECK(serve.exit_code == 2);
  CHECK_THAT(serve.err, Catch::Contains("readable by everyone") && Catch::Contains("chmod 600"));
}

}  // namespace
}  // namespace effbench

namespace effbench {
namespace {

TEST_CASE("every command answers --help with its usage, exit 0, and --version names the version",
          "[cli][db]") {
  testing::TempDir dir;
  auto usage = RunCli(dir, "help");
  CHECK(usage.exit_code == 0);
  REQUIRE(cli::AllCommands().size() >= 18);
  for (const CommandSpec* command : cli::AllCommands()) {
    INFO(command->name);
    CHECK(usage.out.find("\n  " + command->name + " ") != std::string::npos);
    auto help = RunCli(dir, command->name + " --help");
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, Catch::StartsWith("usage: effbench " + command->name));
    CHECK(help.out == command->Help());
    for (const FlagSpec& flag : command->flags) {
      CHECK(help.out.find("  --" + flag.name) != std::string::npos);
    }
    CHECK(RunCli(dir, "help " + command->name).out == help.out);
  }
  auto agent = RunBinary(dir, EFFBENCH_AGENT_BINARY, "--help");
  CHECK(agent.exit_code == 0);
  CHECK_THAT(agent.out, Catch::StartsWith("usage: effbench-agent [flags]") &&
                            Catch::Contains("  --coordinator URL") &&
                            Catch::Contains("(was --tls-ca)"));
  // A flag declared nowhere is refused by name, by every command.
  for (const CommandSpec* command : cli::AllCommands()) {
    auto bad = RunCli(dir, command->name + " --no-such-flag 1");
    INFO(command->name << ": " << bad.err);
    CHECK(bad.exit_code == 2);
    CHECK_THAT(bad.err, Catch::StartsWith("effbench " + command->name +
                                          ": unknown flag --no-such-flag\n(effbench " +
                                          command->name + " --help lists its flags)"));
  }
  auto version = RunCli(dir, "--version");
  CHECK(version.exit_code == 0);
  // The version, then the build: compiler, libraries, and the CUDA Toolkit or none.
  CHECK_THAT(version.out,
             Catch::StartsWith(std::string("effbench ") + EFFBENCH_VERSION + "\nbuild: "));
  CHECK_THAT(version.out, Catch::Contains("onednn ") && Catch::Contains("; CUDA Toolkit "));
  CHECK(RunCli(dir, "nosuch --help").exit_code == 2);
}

// The README's command reference is what the binaries print: edit the
// declarations in harness/cli/command_specs.cc (or agents/main.cc), then
// paste `effbench help --markdown` and `effbench-agent --help-markdown`
// between the markers.
TEST_CASE("the README's command reference is generated from the commands' declarations",
          "[cli][db]") {
  testing::TempDir dir;
  const std::string readme = testing::ReadAll(EFFBENCH_SOURCE_DIR "/README.md");
  const std::string begin =
      "<!-- command reference: effbench help --markdown, then "
      "effbench-agent --help-markdown -->\n";
  const std::string end = "<!-- end of the command reference -->";
  const size_t from = readme.find(begin);
  const size_t to = readme.find(end);
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  const std::string section = readme.substr(from + begin.size(), to - from - begin.size());
  const auto cli = RunCli(dir, "help --markdown");
  const auto agent = RunBinary(dir, EFFBENCH_AGENT_BINARY, "--help-markdown");
  REQUIRE(cli.exit_code == 0);
  REQUIRE(agent.exit_code == 0);
  CHECK(section == cli.out + "\n" + agent.out);
}

}  // namespace
}  // namespace effbench
