#include "harness/fleet/frame.h"

#include <catch2/catch.hpp>
#include <random>

namespace effbench::fleet {
namespace {

TEST_CASE("frames round-trip whatever the reads split them into", "[fleet]") {
  std::mt19937 rng(7);
  std::vector<std::string> payloads;
  std::string stream;
  for (int i = 0; i < 50; ++i) {
    std::string p(1 + rng() % 3000, '\0');
    for (char& c : p) c = static_cast<char>(rng());
    payloads.push_back(p);
    stream += EncodeFrame(p);
  }
  for (size_t chunk : {size_t{1}, size_t{3}, size_t{4}, size_t{17}, size_t{4096}, stream.size()}) {
    FrameDecoder decoder(1 << 20);
    std::vector<std::string> got;
    for (size_t at = 0; at < stream.size(); at += chunk) {
      REQUIRE(decoder.Feed(std::string_view(stream).substr(at, chunk)).ok());
      while (auto f = decoder.Next()) got.push_back(*f);
    }
    CHECK(got == payloads);
    CHECK_FALSE(decoder.MidFrame());
  }
}

TEST_CASE("a truncated frame stays incomplete and is reported as mid-frame", "[fleet]") {
  FrameDecoder decoder;
  const std::string frame = EncodeFrame("{\"type\":\"heartbeat\"}");
  REQUIRE(decoder.Feed(frame.substr(0, frame.size() - 1)).ok());
  CHECK_FALSE(decoder.Next());
  CHECK(decoder.MidFrame());
  REQUIRE(decoder.Feed(frame.substr(frame.size() - 1)).ok());
  CHECK(decoder.Next() == std::optional<std::string>("{\"type\":\"heartbeat\"}"));
}

TEST_CASE("an oversized or empty frame header is refused before its payload arrives", "[fleet]") {
  FrameDecoder decoder(1024);
  const Status s = decoder.Feed(EncodeFrame(std::string(1025, 'x')).substr(0, 4));
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("1025 bytes exceeds the maximum of 1024"));
  CHECK_FALSE(decoder.Feed("more").ok());  // the stream cannot be resynchronised

  FrameDecoder empty;
  const Status e = empty.Feed(std::string(4, '\0'));
  REQUIRE_FALSE(e.ok());
  CHECK_THAT(e.message(), Catch::Contains("empty frame"));
}

TEST_CASE("a too-large frame behind a good one: the good one is still delivered", "[fleet]") {
  FrameDecoder decoder(64);
  const std::string stream = EncodeFrame("good") + EncodeFrame(std::string(65, 'x'));
  REQUIRE(decoder.Feed(stream).ok());
  CHECK(decoder.Next() == std::optional<std::string>("good"));
  CHECK_FALSE(decoder.Next());
  const Status s = decoder.Feed("x");
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("65 bytes exceeds"));
}

}  // namespace
}  // namespace effbench::fleet
