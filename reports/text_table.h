// A table of text cells and its console and Markdown renderings, shared by
// every report; and the number formats they use.
#pragma once

#include <string>
#include <vector>

namespace effbench::reports {

struct TextTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  size_t left_columns = 1;   // the text columns, aligned left; numbers align right
  size_t left_trailing = 0;  // the last columns that are prose, aligned left too
  bool Left(size_t column) const {
    return column < left_columns || column + left_trailing >= header.size();
  }
};

// Columns padded to their widest cell, two spaces apart. Control characters
// in cells are written visibly (\x1b), as in every console rendering.
std::string RenderConsole(const TextTable& table);
// A GitHub Markdown table ('|' in cells escaped).
std::string RenderMarkdown(const TextTable& table);

// Notes under a table, numbered in order of first use; a text used twice
// keeps its number.
class Footnotes {
 public:
  // "[n]" for `text`.
  std::string Mark(const std::string& text);
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  std::vector<std::string> notes_;
};

std::string Fixed(double v, int digits);
// A change as a signed percentage, one decimal: 0.052 -> "+5.2%", -0.1 -> "-10.0%".
std::string SignedPercent(double fraction);
// Every digit a double needs to read back equal (CSV meant for machines).
std::string Exact(double v);
// A time with a unit chosen for its size: 812 ns, 41.3 us, 2.05 ms, 1.20 s.
std::string Duration(double ns);
std::string Scientific(double v);
// A size in bytes with a decimal unit: 812 B, 41.3 kB, 2.05 MB.
std::string Bytes(double b);
// A value in its unit, readable: a time as Duration, bytes as Bytes (and
// B/s), any other with an SI prefix and 3 significant digits: "31.4M items/s".
std::string Quantity(double v, const std::string& unit);
// '|' escaped for Markdown, or the cell quoted for CSV when `sep` is ',':
// quoted when it holds a separator, a quote or a control character, and
// with a leading ' when it starts like a spreadsheet formula (=, +, -, @)
// and is not a number.
std::string Escape(const std::string& s, char sep);

}  // namespace effbench::reports
