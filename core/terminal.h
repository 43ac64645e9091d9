// Text from outside (a benchmark's name, a host name, a file path) made safe
// to print on a terminal: a name that holds ESC[2J must not clear the
// reader's screen, nor a CR overwrite the line before it.
#pragma once

#include <string>
#include <string_view>

namespace effbench {

// `text` with every control character written visibly: the C0 controls and
// DEL as \xHH (ESC as \x1b, NUL as \x00, a newline as \x0a) and the C1
// controls in UTF-8 (U+0080..U+009F, which some terminals obey as ESC [) as
// \u0080..\u009f. Everything else, other UTF-8 included, is kept as it is.
std::string ForTerminal(std::string_view text);

// ForTerminal for a whole page of output: its lines and tabs are kept, every
// other control character is written visibly.
std::string ForTerminalText(std::string_view text);

// Whether ForTerminal would change `text`.
bool HasControlCharacters(std::string_view text);

}  // namespace effbench
