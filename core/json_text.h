// Spans of JSON text, found without parsing it: where a value ends, the items
// of an array, the fields of an object, each as a view into the text as it
// came. For text already known to be valid JSON (simdjson checked it), so a
// server can store a record's text without serializing it again; on text that
// is not, the results are unspecified but stay inside the text.
#pragma once

#include <cstddef>
#include <string_view>

namespace effbench::json_text {

// The index just past the value that starts at `at` (after any whitespace).
size_t SkipValue(std::string_view text, size_t at);

// Where the value of the field `raw_key` (with its quotes, as written) of the
// object `text` begins; npos when there is none. The values of the fields
// before it are skipped, the rest of the text is not read.
size_t FindField(std::string_view text, std::string_view raw_key);

// Calls f(item) for each item of the array `text` ("[...]"), in order. Text
// after the array's closing bracket is ignored.
template <typename F>
void ForEachItem(std::string_view text, F&& f);

// Calls f(key, value) for each field of the object `text` ("{...}"), in
// order. `key` is the raw key with its quotes, as written (escapes and all).
template <typename F>
void ForEachField(std::string_view text, F&& f);

// --- implementation ---

size_t SkipSpace(std::string_view text, size_t at);

template <typename F>
void ForEachItem(std::string_view text, F&& f) {
  size_t at = SkipSpace(text, 0) + 1;  // past '['
  at = SkipSpace(text, at);
  if (at >= text.size() || text[at] == ']') return;
  for (;;) {
    const size_t begin = SkipSpace(text, at), end = SkipValue(text, begin);
    f(text.substr(begin, end - begin));
    at = SkipSpace(text, end);
    if (at >= text.size() || text[at] != ',') return;
    ++at;
  }
}

template <typename F>
void ForEachField(std::string_view text, F&& f) {
  size_t at = SkipSpace(text, 0) + 1;  // past '{'
  at = SkipSpace(text, at);
  if (at >= text.size() || text[at] == '}') return;
  for (;;) {
    const size_t key_begin = SkipSpace(text, at), key_end = SkipValue(text, key_begin);
    at = SkipSpace(text, key_end) + 1;  // past ':'
    const size_t value_begin = SkipSpace(text, at), value_end = SkipValue(text, value_begin);
    f(text.substr(key_begin, key_end - key_begin),
      text.substr(value_begin, value_end - value_begin));
    at = SkipSpace(text, value_end);
    if (at >= text.size() || text[at] != ',') return;
    ++at;
  }
}

}  // namespace effbench::json_text
