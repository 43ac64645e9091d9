#include "core/terminal.h"

#include <catch2/catch.hpp>

#include "reports/text_table.h"

namespace effbench {
namespace {

TEST_CASE("ForTerminal writes every control character visibly and keeps the rest",
          "[core][terminal]") {
  CHECK(ForTerminal("BM_Sort/1024") == "BM_Sort/1024");
  CHECK(ForTerminal("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m");
  CHECK(ForTerminal(std::string("a\0b", 3)) == "a\\x00b");
  CHECK(ForTerminal("bell\a cr\r del\x7f") == "bell\\x07 cr\\x0d del\\x7f");
  CHECK(ForTerminal("line\nnext\ttab") == "line\\x0anext\\x09tab");
  // C1 controls in UTF-8 (U+009B is CSI), while other UTF-8 stays.
  CHECK(ForTerminal("csi\xc2\x9b"
                    "2J") == "csi\\u009b2J");
  CHECK(ForTerminal("12 \xc2\xb5s caf\xc3\xa9") == "12 \xc2\xb5s caf\xc3\xa9");
  CHECK(ForTerminalText("a\x1b[2J\nb\tc\r\n") == "a\\x1b[2J\nb\tc\\x0d\n");
  CHECK(HasControlCharacters("x\x1by"));
  CHECK_FALSE(HasControlCharacters("caf\xc3\xa9"));
}

TEST_CASE("a console table shows control characters visibly and stays aligned",
          "[reports][terminal]") {
  reports::TextTable t;
  t.header = {"name", "time"};
  t.rows = {{"BM_\x1b[2J", "1 ns"}, {"BM_long_name", "2 ns"}};
  const std::string text = reports::RenderConsole(t);
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK_THAT(text, Catch::Contains("BM_\\x1b[2J"));
  // The widths count the escaped cell.
  CHECK(text ==
        "name          time\n"
        "BM_\\x1b[2J    1 ns\n"
        "BM_long_name  2 ns\n");
  CHECK(reports::RenderMarkdown(t).find('\x1b') == std::string::npos);
}

TEST_CASE("a CSV cell is quoted for control characters and made text when it reads as a formula",
          "[reports][terminal]") {
  using reports::Escape;
  CHECK(Escape("plain", ',') == "plain");
  CHECK(Escape("a,b", ',') == "\"a,b\"");
  CHECK(Escape("say \"hi\"", ',') == "\"say \"\"hi\"\"\"");
  CHECK(Escape("red\x1b[31m", ',') == "\"red\x1b[31m\"");
  CHECK(Escape("=HYPERLINK(\"x\")", ',') == "\"'=HYPERLINK(\"\"x\"\")\"");
  CHECK(Escape("+1+2", ',') == "\"'+1+2\"");
  CHECK(Escape("-cmd", ',') == "\"'-cmd\"");
  CHECK(Escape("@SUM(A1)", ',') == "\"'@SUM(A1)\"");
  // Numbers keep their sign: data, not formulas.
  CHECK(Escape("-3.5", ',') == "-3.5");
  CHECK(Escape("+2e9", ',') == "+2e9");
}

}  // namespace
}  // namespace effbench
