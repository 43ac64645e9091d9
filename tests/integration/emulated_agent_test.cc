// An aarch64 agent in the fleet, for real: this file is compiled into the
// aarch64 build's tests only (cmake/aarch64-linux-gnu.cmake), which run under
// qemu-aarch64. Each test starts the x86-64 build's `effbench serve` and its
// native agent on loopback beside aarch64 agents started through qemu with a
// chosen CPU model, and checks what lands in the database.
#ifdef EFFBENCH_HOST_BINARY

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "harness/result/record.h"
#include "harness/store/result_store.h"
#include "tests/integration/cli_runner.h"
#include "tests/integration/fleet_fixture.h"
#include "tests/test_util.h"

namespace effbench {
namespace {

using nlohmann::json;
using testing::Process;
using testing::TempDir;
using testing::WaitFor;

// The quick suite's CPU workloads that finish under emulation in seconds:
// the `ref` and `neon` backends. oneDNN 2.6 has no JIT for a NEON-only CPU and
// runs its reference loops there, minutes per workload under qemu.
constexpr char kEmulatedWorkloads[] = "*@[rn]e*";

// An aarch64 agent under qemu with CPU model `cpu` (QEMU_CPU, which the qemu
// that the launcher starts reads).
std::unique_ptr<Process> StartEmulatedAgent(const TempDir& dir, const testing::Serve& serve,
                                            const std::string& name, const std::string& cpu) {
  ::setenv("QEMU_CPU", cpu.c_str(), 1);
  auto agent = testing::StartAgent(dir, serve, name);
  ::unsetenv("QEMU_CPU");
  return agent;
}

std::vector<result::ResultRecord> Records(const TempDir& dir, const std::string& run_id) {
  auto db = store::ResultStore::Open(dir.File("fleet.db"));
  REQUIRE(db.ok());
  auto records = (*db)->Results(run_id);
  REQUIRE(records.ok());
  return *records;
}

TEST_CASE("an aarch64 agent under qemu lands verified results beside an x86 one",
          "[aarch64][fleet]") {
  TempDir dir;
  testing::WriteToken(dir);
  testing::Serve serve(dir, 0, 0, {}, {}, EFFBENCH_HOST_BINARY);
  auto n1 = StartEmulatedAgent(dir, serve, "arm-n1", "neoverse-n1");
  auto a72 = StartEmulatedAgent(dir, serve, "arm-a72", "cortex-a72");
  auto x86 =
      testing::StartAgent(dir, serve, "x86", "fleet.token", false, EFFBENCH_HOST_AGENT_BINARY);
  INFO(n1->Log() << a72->Log());
  REQUIRE(WaitFor([&] { return testing::AgentsConnected(serve, 3); }, 120));

  const json jobs = testing::SubmitJobs(serve, {{"suite", "quick"},
                                                {"workload", kEmulatedWorkloads},
                                                {"options", testing::FastOptions()},
                                                {"revision", {{"repo", "r"}, {"commit", "a64"}}}});
  REQUIRE(jobs.size() == 3);
  REQUIRE(WaitFor([&] { return testing::JobsFinished(serve); }, 900));
  const std::vector<std::string> expected = testing::Expected("quick", kEmulatedWorkloads);

  std::set<std::string> agents;
  for (const json& job : jobs) {
    const std::string agent = job["agent"];
    agents.insert(agent);
    CHECK(testing::StoredNames(dir, job["run_id"]) == expected);  // each once, none lost
    int ok = 0;
    for (const result::ResultRecord& r : Records(dir, job["run_id"])) {
      INFO(agent << " " << r.name
                 << (r.ok        ? " ok "
                     : r.skipped ? " skipped "
                                 : " failed ")
                 << r.error);
      CHECK((r.ok || r.skipped));  // verified against float64, or skipped with a reason
      ok += r.ok;
      const bool neon = r.name.ends_with("@neon");
      const bool dotprod =
          neon && r.name.find(".int8/") != std::string::npos && !r.name.starts_with("conv.dw.");
      if (agent == "x86") {
        CHECK(r.skipped == neon);
        if (neon) CHECK(r.error.ends_with("(this CPU is not aarch64)"));
      } else if (agent == "arm-a72" && dotprod) {
        // Cortex-A72 is Armv8.0: no SDOT. Skipped, with the reason.
        CHECK(r.skipped);
        CHECK(r.error == "needs dotprod for neon int8 (this CPU: asimd)");
      } else {
        CHECK(r.ok);
        if (dotprod) CHECK(r.implementation == "neon:sdot");  // neoverse-n1: no i8mm
      }
    }
    CHECK(ok >= 10);  // every check above on something that ran
  }
  CHECK(agents == std::set<std::string>{"arm-a72", "arm-n1", "x86"});

  // The machines: two emulated aarch64 ones with their features, and x86.
  TempDir out;
  const auto machines =
      testing::RunBinary(out, EFFBENCH_HOST_BINARY, "machines --db '" + dir.File("fleet.db") + "'");
  REQUIRE(machines.exit_code == 0);
  CHECK_THAT(machines.out, Catch::Contains("isa: asimd asimddp"));
  CHECK_THAT(machines.out, Catch::Contains("EMULATED (qemu)"));
  // Side by side: each machine's latest run, the emulated ones marked.
  const auto report = testing::RunBinary(
      out, EFFBENCH_HOST_BINARY,
      "report --db '" + dir.File("fleet.db") + "' --workloads 'gemm.*/m3072n1k1024@ref'");
  INFO(report.err);
  REQUIRE(report.exit_code == 0);
  CHECK_THAT(report.out, Catch::Contains("(emulated)"));
  CHECK_THAT(report.out, Catch::Contains("aarch64"));
  CHECK_THAT(report.out, Catch::Contains("x86"));
  // Emulated timings never feed regression detection.
  const auto regressions = testing::RunBinary(out, EFFBENCH_HOST_BINARY,
                                              "regressions --db '" + dir.File("fleet.db") + "'");
  CHECK(regressions.exit_code == 0);
}

}  // namespace
}  // namespace effbench

#endif  // EFFBENCH_HOST_BINARY
