// Drives the effbench binary as a user would and checks outputs and exit codes.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "harness/result/record.h"
#include "tests/test_util.h"

namespace effbench {
namespace {

struct CliResult {
  int exit_code = -1;
  std::string out, err;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CliResult RunCli(const testing::TempDir& dir, const std::string& args) {
  const std::string out = dir.File("stdout"), err = dir.File("stderr");
  const std::string command = "cd '" + dir.path().string() + "' && '" EFFBENCH_BINARY "' " + args +
                              " >'" + out + "' 2>'" + err + "'";
  const int status = std::system(command.c_str());
  return CliResult{WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadAll(out), ReadAll(err)};
}

TEST_CASE("usage errors exit 2 and say what was wrong", "[cli]") {
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

TEST_CASE("an unknown workload lists close names", "[cli]") {
  testing::TempDir dir;
  auto r = RunCli(dir, "run --workload 'gemm.int8/m1024n1024k1000@onednn' --db t.db");
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("no workload matches") != std::string::npos);
  CHECK(r.err.find("gemm.int8/m1024n1024k1024@onednn") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.File("t.db")));
}

TEST_CASE("a --db that is not an effbench database is refused untouched", "[cli]") {
  testing::TempDir dir;
  std::ofstream(dir.File("thesis.txt")) << "chapter 1\n";
  auto r = RunCli(dir, "run --workload 'gemm.fp32/m35n700k2048@ref' --db thesis.txt");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("not an effbench database") != std::string::npos);
  CHECK(ReadAll(dir.File("thesis.txt")) == "chapter 1\n");

  auto report = RunCli(dir, "report --db missing.db");
  CHECK(report.exit_code == 1);
  CHECK(report.err.find("no such database") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.File("missing.db")));
}

TEST_CASE("run stores results that report prints in every format", "[cli]") {
  testing::TempDir dir;
  auto run = RunCli(dir,
                    "run --workload 'gemm.*/m35n700k2048@*' --repetitions 3 --min-time 0.01 "
                    "--db r.db --repo https://example.com/x.git --commit deadbeef --branch main");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.out.find("m35n700k2048") != std::string::npos);
  CHECK(run.out.find("int8") != std::string::npos);
  CHECK(run.out.find("roofline") != std::string::npos);

  auto json = RunCli(dir, "report --db r.db --format json");
  REQUIRE(json.exit_code == 0);
  const auto records = nlohmann::json::parse(json.out);
  REQUIRE(records.size() == 6);  // 3 precisions × 2 backends
  for (const auto& doc : records) {
    auto record = result::FromJson(doc);
    REQUIRE(record.ok());
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
  CHECK(bad_run.err.find(run_id) != std::string::npos);  // lists the runs there are

  auto machines = RunCli(dir, "machines --db r.db --format json");
  REQUIRE(machines.exit_code == 0);
  const auto m = nlohmann::json::parse(machines.out);
  REQUIRE(m.size() == 1);
  CHECK(m[0]["calibration"]["fp32_gflops"]["one_thread"].get<double>() > 0);
  CHECK(m[0]["fingerprint"] == records[0]["machine"]);
}

TEST_CASE("workloads lists the catalog as text and JSON", "[cli]") {
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

}  // namespace
}  // namespace effbench
