#include "harness/fleet/spawn.h"

#include <boost/asio.hpp>
#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace effbench::fleet {
namespace {

namespace asio = boost::asio;

TEST_CASE("a spawned coroutine's exception reaches its failure handler, named", "[fleet]") {
  asio::io_context io;
  std::vector<std::string> failures;
  Spawn(
      io, []() -> asio::awaitable<void> { throw std::runtime_error("disk on fire"); co_return; }(),
      "the lease check", [&](const std::string& m) { failures.push_back(m); });
  Spawn(
      io, []() -> asio::awaitable<void> { co_return; }(), "a quiet task",
      [&](const std::string& m) { failures.push_back(m); });
  io.run();
  REQUIRE(failures.size() == 1);
  CHECK(failures[0] == "the lease check failed: disk on fire");
}

}  // namespace
}  // namespace effbench::fleet
