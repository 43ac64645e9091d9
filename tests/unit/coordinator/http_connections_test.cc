#include "harness/coordinator/http_connections.h"

#include <catch2/catch.hpp>
#include <vector>

namespace effbench::coordinator {
namespace {

using std::chrono::seconds;

TEST_CASE("at the cap, the connection waiting longest for its request makes room",
          "[coordinator][http]") {
  HttpConnections c(3);
  const HttpConnections::Time t0{};
  std::vector<int> evicted;
  auto a = c.Admit(t0 + seconds(1), [&] { evicted.push_back(1); });
  auto b = c.Admit(t0 + seconds(2), [&] { evicted.push_back(2); });
  auto d = c.Admit(t0 + seconds(3), [&] { evicted.push_back(3); });
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(d);
  CHECK(c.open() == 3);
  // `a` answers a request: not a candidate; `b` waits longest.
  c.Answering(*a);
  auto e = c.Admit(t0 + seconds(4), [&] { evicted.push_back(4); });
  REQUIRE(e);
  CHECK(evicted == std::vector<int>{2});
  CHECK(c.evicted() == 1);
  CHECK(c.open() == 4);  // `b` counts until its coroutine releases it
  // An evicted connection never waits again, nor is evicted twice.
  c.Waiting(*b, t0);
  auto f = c.Admit(t0 + seconds(5), [&] { evicted.push_back(5); });
  REQUIRE(f);
  CHECK(evicted == std::vector<int>{2, 3});
  c.Release(*b);
  c.Release(*d);
  CHECK(c.open() == 3);
  // `a` waits again, since t0+6: now the oldest waiting is `e` (t0+4).
  c.Waiting(*a, t0 + seconds(6));
  auto g = c.Admit(t0 + seconds(7), [] {});
  REQUIRE(g);
  CHECK(evicted == std::vector<int>{2, 3, 4});
}

TEST_CASE("when every connection is answering, a new one is refused", "[coordinator][http]") {
  HttpConnections c(2);
  const HttpConnections::Time t0{};
  int evictions = 0;
  auto a = c.Admit(t0, [&] { ++evictions; });
  auto b = c.Admit(t0, [&] { ++evictions; });
  c.Answering(*a);
  c.Answering(*b);
  CHECK_FALSE(c.Admit(t0 + seconds(1), [&] { ++evictions; }));
  CHECK(c.refused() == 1);
  CHECK(evictions == 0);
  c.Release(*a);
  CHECK(c.Admit(t0 + seconds(2), [] {}));
}

TEST_CASE("the HTTP cap leaves most descriptors to the agents", "[coordinator][http]") {
  CHECK(HttpConnectionCap(256, 1024) == 240);  // (1024 - 64) / 4
  CHECK(HttpConnectionCap(256, 65536) == 256);
  CHECK(HttpConnectionCap(256, 256) == 48);  // ulimit -n 256
  CHECK(HttpConnectionCap(256, 32) == 4);    // never none
  CHECK(HttpConnectionCap(10, 1024) == 10);
}

}  // namespace
}  // namespace effbench::coordinator
