#include "harness/fleet/channel.h"

#include <boost/asio.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace effbench::fleet {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// Runs `io` until `done()`, for at most ten seconds (the channels' writers
// keep it busy forever).
template <typename Done>
void RunUntil(asio::io_context& io, Done done) {
  io.restart();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done() && std::chrono::steady_clock::now() < deadline) io.run_one_for(100ms);
}

// Both ends of a loopback TCP connection, each adopted as a channel with its
// writer started.
std::pair<std::shared_ptr<Channel>, std::shared_ptr<Channel>> Connected(asio::io_context& io) {
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  tcp::socket server = acceptor.accept();
  auto a = Channel::Adopt(io, client.release(), ChannelLimits{});
  auto b = Channel::Adopt(io, server.release(), ChannelLimits{});
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  for (auto* c : {&a.value(), &b.value()}) {
    (*c)->Start([](const std::string& m) { FAIL(m); });
  }
  return {std::move(a).value(), std::move(b).value()};
}

TEST_CASE("a channel reads its peer's frames by callback and by co_await", "[fleet]") {
  asio::io_context io;
  auto [client, server] = Connected(io);
  CHECK_FALSE(client->tls());
  CHECK(server->remote().rfind("127.0.0.1:", 0) == 0);
  REQUIRE(client->Send(ByeMessage("first")));
  REQUIRE(client->Send(ByeMessage("second")));

  std::optional<ReadOutcome> by_callback;
  server->Read(2s, [&](std::exception_ptr e, ReadOutcome out) {
    CHECK_FALSE(e);
    by_callback = std::move(out);
  });
  RunUntil(io, [&] { return by_callback.has_value(); });
  REQUIRE(by_callback);
  REQUIRE_FALSE(by_callback->error);
  CHECK(by_callback->message["reason"] == "first");

  std::optional<ReadOutcome> awaited;
  bool flushed = false;
  asio::co_spawn(
      io,
      [&, server = server, client = client]() -> asio::awaitable<void> {
        awaited = co_await server->Read(2s, asio::use_awaitable);
        co_await client->Flush(1s, asio::use_awaitable);
        flushed = true;
        client->Close();
      },
      asio::detached);
  RunUntil(io, [&] { return flushed; });
  REQUIRE(awaited);
  CHECK(awaited->message["reason"] == "second");
  CHECK(flushed);

  // The peer is gone: the next read says so, and sending is refused.
  std::optional<ReadOutcome> last;
  server->Read(2s, [&](std::exception_ptr, ReadOutcome out) { last = std::move(out); });
  RunUntil(io, [&] { return last.has_value(); });
  REQUIRE(last);
  REQUIRE(last->closed);
  CHECK(*last->closed == "closed by peer");
  CHECK_FALSE(client->Send(ByeMessage("too late")));
}

TEST_CASE("a channel's read times out, and Fail sends the error before closing", "[fleet]") {
  asio::io_context io;
  auto [client, server] = Connected(io);
  std::optional<ReadOutcome> idle;
  server->Read(50ms, [&](std::exception_ptr, ReadOutcome out) { idle = std::move(out); });
  RunUntil(io, [&] { return idle.has_value(); });
  REQUIRE(idle);
  REQUIRE(idle->error);
  CHECK(idle->error->code == ErrorCode::kTimeout);

  server->Fail(*idle->error);
  CHECK(server->closed());
  std::optional<ReadOutcome> told;
  client->Read(2s, [&](std::exception_ptr, ReadOutcome out) { told = std::move(out); });
  RunUntil(io, [&] { return told.has_value(); });
  REQUIRE(told);
  REQUIRE_FALSE(told->error);
  CHECK(told->message["type"] == "error");
  CHECK(told->message["code"] == "timeout");
}

TEST_CASE("a channel refuses to adopt what is not a socket", "[fleet]") {
  asio::io_context io;
  auto adopted = Channel::Adopt(io, -1, ChannelLimits{});
  REQUIRE_FALSE(adopted.ok());
  CHECK(adopted.status().message() == "not a connected socket");
}

}  // namespace
}  // namespace effbench::fleet
