#include "harness/coordinator/job_queue.h"

#include <catch2/catch.hpp>

namespace effbench::coordinator {
namespace {

store::JobRow Job(const std::string& id, const std::string& agent,
                  const std::string& state = "queued") {
  return store::JobRow{id, agent, "run-" + id, "quick", "{}", state, "t0", "t0", std::nullopt};
}

TEST_CASE("the job queue keeps each agent's open jobs in order and drops those that end",
          "[coordinator]") {
  JobQueue q;
  REQUIRE(q.Add(Job("1", "a", "done")));
  REQUIRE(q.Add(Job("2", "a")));
  REQUIRE(q.Add(Job("3", "b")));
  REQUIRE(q.Add(Job("4", "a")));
  CHECK_FALSE(q.Add(Job("2", "b")));  // a known id is left as it is
  CHECK(q.Find("2")->agent == "a");
  CHECK(q.Unfinished("a") == std::vector<std::string>{"2", "4"});
  CHECK(q.Unfinished("c").empty());
  CHECK(q.Unfinished() == std::vector<std::string>{"2", "4", "3"});  // by agent, oldest first
  CHECK(q.Dispatched().empty());

  q.Update("2", "dispatched", "t1", std::nullopt);
  q.NoteSent("2", JobQueue::Time{});
  CHECK(q.Dispatched() == std::vector<std::string>{"2"});
  CHECK(q.SentAt("2").has_value());

  q.Update("2", "failed", "t2", std::string("lease expired"));
  CHECK(q.Unfinished("a") == std::vector<std::string>{"4"});
  CHECK(q.Dispatched().empty());
  CHECK_FALSE(q.SentAt("2").has_value());
  CHECK(q.Find("2")->error == "lease expired");
  CHECK(q.Find("2")->updated_at == "t2");

  std::vector<std::string> all;
  q.ForEach([&](const store::JobRow& j) { all.push_back(j.id); });
  CHECK(all == std::vector<std::string>{"1", "2", "3", "4"});
  CHECK(IsFinal("cancelled"));
  CHECK_FALSE(IsFinal("dispatched"));
}

}  // namespace
}  // namespace effbench::coordinator
