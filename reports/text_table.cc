#include "reports/text_table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "core/terminal.h"

namespace effbench::reports {

namespace {

// `table` with every cell as a terminal may show it: a name from an imported
// file that holds ESC or CR is written \x1b, \x0d (core/terminal.h). The
// table itself when no cell needs it (a report of a million results is not
// copied to find that out); else the escaped copy, kept in `escaped`.
const TextTable& ForTerminal(const TextTable& table, TextTable& escaped) {
  const auto clean = [](const std::vector<std::string>& cells) {
    return std::none_of(cells.begin(), cells.end(),
                        [](const std::string& c) { return effbench::HasControlCharacters(c); });
  };
  if (clean(table.header) && std::all_of(table.rows.begin(), table.rows.end(), clean)) {
    return table;
  }
  escaped = table;
  for (std::string& cell : escaped.header) cell = effbench::ForTerminal(cell);
  for (auto& row : escaped.rows) {
    for (std::string& cell : row) cell = effbench::ForTerminal(cell);
  }
  return escaped;
}

}  // namespace

std::string RenderConsole(const TextTable& table) {
  TextTable escaped;
  const TextTable& t = ForTerminal(table, escaped);
  std::vector<size_t> width(t.header.size());
  for (size_t c = 0; c < t.header.size(); ++c) {
    width[c] = t.header[c].size();
    for (const auto& row : t.rows) width[c] = std::max(width[c], row[c].size());
  }
  std::ostringstream out;
  const auto line = [&](const std::vector<std::string>& cells) {
    for (size_t c = 0; c < cells.size(); ++c) {
      const bool left = t.Left(c);
      const std::string pad(width[c] - cells[c].size(), ' ');
      out << (c ? "  " : "") << (left ? cells[c] + pad : pad + cells[c]);
    }
    out << "\n";
  };
  line(t.header);
  for (const auto& row : t.rows) line(row);
  return out.str();
}

std::string RenderMarkdown(const TextTable& table) {
  TextTable escaped;
  const TextTable& t = ForTerminal(table, escaped);
  std::ostringstream out;
  const auto line = [&](const std::vector<std::string>& cells) {
    out << "|";
    for (const auto& c : cells) out << " " << Escape(c, '|') << " |";
    out << "\n";
  };
  line(t.header);
  out << "|";
  for (size_t c = 0; c < t.header.size(); ++c) out << (t.Left(c) ? " --- |" : " ---: |");
  out << "\n";
  for (const auto& row : t.rows) line(row);
  return out.str();
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string Duration(double ns) {
  if (ns < 10) return Fixed(ns, 2) + " ns";  // Google Benchmark's fastest run in 0.6 ns
  if (ns < 1e3) return Fixed(ns, 0) + " ns";
  if (ns < 1e6) return Fixed(ns / 1e3, ns < 1e4 ? 2 : 1) + " us";
  if (ns < 1e9) return Fixed(ns / 1e6, ns < 1e7 ? 2 : 1) + " ms";
  return Fixed(ns / 1e9, 2) + " s";
}

std::string Quantity(double v, const std::string& unit) {
  if (unit == "ns") return Duration(v);
  if (unit == "B") return Bytes(v);
  if (unit == "B/s") return Bytes(v) + "/s";
  const double a = std::fabs(v);
  const char* prefix = a >= 1e9 ? "G" : a >= 1e6 ? "M" : a >= 1e3 ? "k" : "";
  const double scaled = a >= 1e9 ? v / 1e9 : a >= 1e6 ? v / 1e6 : a >= 1e3 ? v / 1e3 : v;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g%s", scaled, prefix);
  std::string out = buf;
  if (!unit.empty()) out.append(" ").append(unit);
  return out;
}

std::string Bytes(double b) {
  if (b >= 1e9) return Fixed(b / 1e9, 2) + " GB";
  if (b >= 1e6) return Fixed(b / 1e6, 2) + " MB";
  if (b >= 1e3) return Fixed(b / 1e3, 1) + " kB";
  return Fixed(b, 0) + " B";
}

std::string Scientific(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1e", v);
  return buf;
}

namespace {

// Whether the whole of `s` reads as a number ("-3.5", "+2e9"): a number is
// data, not a formula, and keeps its sign.
bool IsNumber(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

}  // namespace

std::string Escape(const std::string& s, char sep) {
  if (sep == ',') {
    // A text cell that starts like a formula (=, +, -, @, a tab or a CR) is
    // run by a spreadsheet that opens the file: a leading ' makes it text
    // (OWASP's advice on CSV injection). Control characters are quoted.
    const bool formula =
        !s.empty() && std::string("=+-@\t\r").find(s[0]) != std::string::npos && !IsNumber(s);
    const std::string cell = formula ? "'" + s : s;
    if (formula || cell.find_first_of(",\"\n") != std::string::npos ||
        effbench::HasControlCharacters(cell)) {
      std::string q = "\"";
      for (char c : cell) q += c == '"' ? std::string("\"\"") : std::string(1, c);
      return q + "\"";
    }
    return cell;
  }
  if (sep == '|') {
    std::string q;
    for (char c : s) q += c == '|' ? std::string("\\|") : std::string(1, c);
    return q;
  }
  return s;
}

std::string SignedPercent(double fraction) {
  std::string text = fraction >= 0 ? "+" : "";  // appends: GCC 12's false -Wrestrict
  return text.append(Fixed(100 * fraction, 1)).append("%");
}

std::string Exact(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

std::string Footnotes::Mark(const std::string& text) {
  auto it = std::find(notes_.begin(), notes_.end(), text);
  if (it == notes_.end()) it = notes_.insert(notes_.end(), text);
  std::string mark = "[";  // built by appends: GCC 12 warns falsely on "literal" + string
  mark += std::to_string(it - notes_.begin() + 1);
  mark += ']';
  return mark;
}

}  // namespace effbench::reports
