#include "core/terminal.h"

#include <cstdio>

namespace effbench {

namespace {

bool IsC0(unsigned char c) { return c < 0x20 || c == 0x7f; }

// The start of a UTF-8 encoded C1 control: 0xC2 then 0x80..0x9F.
bool IsC1At(std::string_view text, size_t i) {
  return static_cast<unsigned char>(text[i]) == 0xc2 && i + 1 < text.size() &&
         static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
         static_cast<unsigned char>(text[i + 1]) <= 0x9f;
}

std::string Escaped(std::string_view text, bool keep_lines) {
  std::string out;
  out.reserve(text.size() + 16);
  char buf[8];
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (keep_lines && (c == '\n' || c == '\t')) {
      out += text[i];
    } else if (IsC0(c)) {
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else if (IsC1At(text, i)) {
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(text[++i]));
      out += buf;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

bool HasControlCharacters(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (IsC0(static_cast<unsigned char>(text[i])) || IsC1At(text, i)) return true;
  }
  return false;
}

std::string ForTerminal(std::string_view text) {
  if (!HasControlCharacters(text)) return std::string(text);
  return Escaped(text, false);
}

std::string ForTerminalText(std::string_view text) {
  if (!HasControlCharacters(text)) return std::string(text);
  return Escaped(text, true);
}

}  // namespace effbench
