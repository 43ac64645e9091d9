#include "core/json_text.h"

#include <array>
#include <cstring>

namespace effbench::json_text {

size_t SkipSpace(std::string_view text, size_t at) {
  if (at > text.size()) return text.size();
  while (at < text.size() &&
         (text[at] == ' ' || text[at] == '\n' || text[at] == '\r' || text[at] == '\t')) {
    ++at;
  }
  return at;
}

namespace {

// Past the string whose opening quote is at `at`.
size_t SkipString(std::string_view text, size_t at) {
  ++at;
  while (at < text.size()) {
    const void* hit = std::memchr(text.data() + at, '"', text.size() - at);
    if (!hit) return text.size();
    size_t quote = static_cast<size_t>(static_cast<const char*>(hit) - text.data());
    size_t backslashes = 0;
    while (quote - backslashes > at && text[quote - backslashes - 1] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return quote + 1;  // not escaped
    at = quote + 1;
  }
  return text.size();
}

}  // namespace

size_t SkipValue(std::string_view text, size_t at) {
  at = SkipSpace(text, at);
  if (at >= text.size()) return text.size();
  const char c = text[at];
  if (c == '"') return SkipString(text, at);
  if (c != '[' && c != '{') {  // a number, true, false or null
    while (at < text.size() && text[at] != ',' && text[at] != ']' && text[at] != '}' &&
           text[at] != ' ' && text[at] != '\n' && text[at] != '\r' && text[at] != '\t') {
      ++at;
    }
    return at;
  }
  // The bytes that matter inside an array or object; the rest is skipped.
  static constexpr auto kStructural = [] {
    std::array<bool, 256> t{};
    for (const unsigned char b : {'"', '[', ']', '{', '}'}) t[b] = true;
    return t;
  }();
  size_t depth = 0;
  while (at < text.size()) {
    while (at < text.size() && !kStructural[static_cast<unsigned char>(text[at])]) ++at;
    if (at >= text.size()) break;
    const char d = text[at];
    if (d == '"') {
      at = SkipString(text, at);
      continue;
    }
    if (d == '[' || d == '{') {
      ++depth;
    } else if (d == ']' || d == '}') {
      if (--depth == 0) return at + 1;
    }
    ++at;
  }
  return text.size();
}

size_t FindField(std::string_view text, std::string_view raw_key) {
  size_t at = SkipSpace(text, 0) + 1;  // past '{'
  for (;;) {
    at = SkipSpace(text, at);
    if (at >= text.size() || text[at] != '"') return std::string_view::npos;
    const size_t key_end = SkipValue(text, at);
    const bool match = text.substr(at, key_end - at) == raw_key;
    at = SkipSpace(text, key_end) + 1;  // past ':'
    const size_t value_begin = SkipSpace(text, at);
    if (match) return value_begin;
    at = SkipSpace(text, SkipValue(text, value_begin));
    if (at >= text.size() || text[at] != ',') return std::string_view::npos;
    ++at;
  }
}

}  // namespace effbench::json_text
