#include "agents/spool.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "tests/test_util.h"

namespace effbench::agent {
namespace {

using nlohmann::json;

TEST_CASE("spooled frames survive a reopen in order until acknowledged", "[agent]") {
  testing::TempDir dir;
  const std::string path = dir.File("spool");
  {
    auto spool = Spool::Open(path, nullptr);
    REQUIRE(spool.ok());
    for (int i = 0; i < 5; ++i) {
      REQUIRE((*spool)->Append("id-" + std::to_string(i), json{{"i", i}, {"job_id", "j"}}).ok());
    }
    REQUIRE((*spool)->Append("id-1", json{{"i", 99}}).ok());  // already pending: kept as is
    REQUIRE((*spool)->Remove("id-3").ok());
    REQUIRE((*spool)->Remove("never-spooled").ok());
    CHECK((*spool)->pending() == 4);
  }
  std::vector<std::string> warnings;
  auto spool = Spool::Open(path, &warnings);
  REQUIRE(spool.ok());
  CHECK(warnings.empty());
  const auto entries = (*spool)->PendingAfter(0, 100);
  REQUIRE(entries.size() == 4);
  CHECK(entries[0].id == "id-0");
  CHECK(entries[1].id == "id-1");
  CHECK(entries[1].message["i"] == 1);
  CHECK(entries[2].id == "id-2");
  CHECK(entries[3].id == "id-4");
  CHECK((*spool)->PendingAfter(entries[1].seq, 1).front().id == "id-2");
  // New entries go after the old ones.
  REQUIRE((*spool)->Append("id-5", json{{"i", 5}}).ok());
  CHECK((*spool)->PendingAfter(entries[3].seq, 10).front().id == "id-5");
}

TEST_CASE("a second agent cannot share a spool", "[agent]") {
  testing::TempDir dir;
  auto first = Spool::Open(dir.File("s"), nullptr);
  REQUIRE(first.ok());
  auto second = Spool::Open(dir.File("s"), nullptr);
  REQUIRE_FALSE(second.ok());
  CHECK_THAT(second.status().message(), Catch::Contains("in use by another effbench-agent"));
}

TEST_CASE("unreadable spool files are quarantined and reported, torn writes dropped", "[agent]") {
  testing::TempDir dir;
  const std::string path = dir.File("s");
  {
    auto spool = Spool::Open(path, nullptr);
    REQUIRE(spool.ok());
    REQUIRE((*spool)->Append("good", json{{"ok", true}}).ok());
  }
  std::ofstream(path + "/outbox/00000000000000000007-bad.json") << "{truncated";
  std::ofstream(path + "/outbox/00000000000000000008-torn.json.tmp") << "{";
  std::vector<std::string> warnings;
  auto spool = Spool::Open(path, &warnings);
  REQUIRE(spool.ok());
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Catch::Contains("bad.json"));
  CHECK(std::filesystem::exists(path + "/corrupt/00000000000000000007-bad.json"));
  CHECK_FALSE(std::filesystem::exists(path + "/outbox/00000000000000000008-torn.json.tmp"));
  CHECK((*spool)->pending() == 1);
}

TEST_CASE("jobs in progress are listed in the order they were accepted", "[agent]") {
  testing::TempDir dir;
  auto spool = Spool::Open(dir.File("s"), nullptr);
  REQUIRE(spool.ok());
  REQUIRE((*spool)->SaveJob("bbbb", json{{"accepted", 2}, {"done", json::array()}}).ok());
  REQUIRE((*spool)->SaveJob("aaaa", json{{"accepted", 1}, {"done", json::array()}}).ok());
  REQUIRE((*spool)->SaveJob("bbbb", json{{"accepted", 2}, {"done", {"x"}}}).ok());
  auto jobs = (*spool)->Jobs();
  REQUIRE(jobs.size() == 2);
  CHECK(jobs[0]["accepted"] == 1);
  CHECK(jobs[1]["done"] == json{"x"});
  REQUIRE((*spool)->RemoveJob("aaaa").ok());
  CHECK((*spool)->Jobs().size() == 1);
  CHECK_FALSE((*spool)->SaveJob("../escape", json::object()).ok());
}

TEST_CASE("PendingNames lists the workloads of a job's spooled results", "[agent]") {
  testing::TempDir dir;
  auto spool = Spool::Open(dir.File("s"), nullptr);
  REQUIRE(spool.ok());
  REQUIRE((*spool)->Append("r1", json{{"job_id", "j1"}, {"records", {{{"name", "gemm/a"}}}}}).ok());
  REQUIRE((*spool)->Append("r2", json{{"job_id", "j2"}, {"records", {{{"name", "gemm/b"}}}}}).ok());
  REQUIRE((*spool)->Append("j1", json{{"job_id", "j1"}, {"type", "job_done"}}).ok());
  CHECK((*spool)->PendingNames("j1") == std::vector<std::string>{"gemm/a"});
}

TEST_CASE("a bounded spool refuses the newest entry when full and keeps every older one",
          "[agent]") {
  testing::TempDir dir;
  const std::string path = dir.File("s");
  const json record = {{"job_id", "j1"}, {"records", {{{"name", std::string(900, 'x')}}}}};
  const uint64_t size = record.dump().size();
  {
    auto spool = Spool::Open(path, nullptr, 3 * size + size / 2);
    REQUIRE(spool.ok());
    for (const char* id : {"r1", "r2", "r3"}) REQUIRE((*spool)->Append(id, record).ok());
    CHECK((*spool)->pending_bytes() == 3 * size);
    const Status full = (*spool)->Append("r4", record);
    CHECK(full.code() == Status::Code::kFailedPrecondition);
    CHECK_THAT(full.message(), Catch::Contains("full") && Catch::Contains("--spool-max-mb"));
    CHECK((*spool)->pending() == 3);
    CHECK_FALSE((*spool)->HasPending("r4"));
    // An acknowledgement makes room.
    REQUIRE((*spool)->Remove("r1").ok());
    REQUIRE((*spool)->Append("r4", record).ok());
  }
  // Reopened, what is pending counts against the bound again.
  auto spool = Spool::Open(path, nullptr, 3 * size + size / 2);
  REQUIRE(spool.ok());
  CHECK((*spool)->pending() == 3);
  CHECK((*spool)->pending_bytes() == 3 * size);
  CHECK_FALSE((*spool)->Append("r5", record).ok());
  // Unbounded, as before.
  spool->reset();
  auto unbounded = Spool::Open(path, nullptr);
  REQUIRE(unbounded.ok());
  CHECK((*unbounded)->Append("r5", record).ok());
}

}  // namespace
}  // namespace effbench::agent
