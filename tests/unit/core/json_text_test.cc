#include "core/json_text.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

namespace effbench::json_text {
namespace {

TEST_CASE("json_text finds values, items and fields by their spans", "[json_text]") {
  const std::string text =
      " { \"a\" : [1, 2.5e-3 ,\"x]}\\\"\" , {\"b\":[]}] ,\"q\\\\\":\"\\\\\",\"c\":null,"
      "\"d\":{\"e\":\"}\"}}  ";
  std::vector<std::pair<std::string, std::string>> fields;
  ForEachField(text, [&](std::string_view k, std::string_view v) {
    fields.emplace_back(std::string(k), std::string(v));
  });
  REQUIRE(fields.size() == 4);
  CHECK(fields[0].first == "\"a\"");
  CHECK(fields[0].second == "[1, 2.5e-3 ,\"x]}\\\"\" , {\"b\":[]}]");
  CHECK(fields[1].first == "\"q\\\\\"");
  CHECK(fields[1].second == "\"\\\\\"");
  CHECK(fields[2].second == "null");
  CHECK(fields[3].second == "{\"e\":\"}\"}");

  std::vector<std::string> items;
  ForEachItem(fields[0].second, [&](std::string_view item) { items.emplace_back(item); });
  CHECK(items == std::vector<std::string>{"1", "2.5e-3", "\"x]}\\\"\"", "{\"b\":[]}"});

  const size_t at = FindField(text, "\"c\"");
  REQUIRE(at != std::string_view::npos);
  CHECK(text.substr(at, 4) == "null");
  CHECK(FindField(text, "\"zz\"") == std::string_view::npos);
  CHECK(SkipValue(text, 0) == text.size() - 2);

  int n = 0;
  ForEachItem("[]", [&](std::string_view) { ++n; });
  ForEachField(" {} ", [&](std::string_view, std::string_view) { ++n; });
  CHECK(n == 0);
}

TEST_CASE("json_text stays inside text that is not JSON", "[json_text]") {
  // Unspecified results, but no read or span past the end (ASan and
  // std::string_view::substr would say).
  std::mt19937 rng(7);
  const std::string alphabet = "{}[]\",:\\ a1";
  for (int trial = 0; trial < 20000; ++trial) {
    std::string text(rng() % 24, ' ');
    for (char& c : text) c = alphabet[rng() % alphabet.size()];
    size_t spans = 0;
    ForEachField(text,
                 [&](std::string_view k, std::string_view v) { spans += k.size() + v.size(); });
    ForEachItem(text, [&](std::string_view item) { spans += item.size(); });
    const size_t at = FindField(text, "\"a\"");
    CHECK((at == std::string_view::npos || at <= text.size()));
    CHECK(SkipValue(text, 0) <= text.size());
    (void)spans;
  }
}

}  // namespace
}  // namespace effbench::json_text
