// Command-line flags on CLI11, for both binaries: each command declares its
// flags once, typed, with their help (CommandSpec); the parser, its --help,
// the top-level usage and the README's command reference all come from that
// declaration.
#pragma once

#include <iosfwd>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"

namespace effbench {

// One flag of a command, declared once: its name (without dashes), what its
// value is ("FILE"; empty for a switch), its type, one line of help, and the
// spellings it replaced, which keep working for one release with a one-line
// warning.
struct FlagSpec {
  enum class Type { kText, kInteger, kNumber, kSwitch };
  std::string name;
  std::string value;
  std::string help;
  Type type = Type::kText;
  std::vector<std::string> old_names;

  // What the flag replaced: `--old` still works, with a deprecation warning.
  FlagSpec Replaces(std::vector<std::string> names) const;
};
FlagSpec TextFlag(std::string name, std::string value, std::string help);
FlagSpec IntegerFlag(std::string name, std::string value, std::string help);
FlagSpec NumberFlag(std::string name, std::string value, std::string help);
FlagSpec Switch(std::string name, std::string help);

// A command as its --help, the top-level usage and the README's command
// reference show it: `program name words [flags]`, one line of what it does,
// its flags, and paragraphs after them.
struct CommandSpec {
  std::string program;  // effbench, effbench-agent
  std::string name;     // run; empty for a program without commands
  std::string summary;
  std::string words;  // the words beside the flags: "FILE", "[list] | cancel ID"
  std::vector<FlagSpec> flags;
  std::string notes;
  std::string exit_codes;

  // "effbench run", or "effbench-agent".
  std::string Title() const;
  // What `--help` prints.
  std::string Help() const;
  // The same, as a Markdown section of the README's command reference.
  std::string Markdown() const;
};

class Flags {
 public:
  // Parses `args` (without the program and command names) as `command`
  // declares: `--name value`, `--name=value`, switches, and positional words
  // anywhere (everything after "--" is a word). An unknown flag, a missing
  // value, a repeated flag and a value not of the flag's type are usage
  // errors that name the flag (an unknown one with the nearest declared
  // name). An old spelling is read as its flag's name, with one line to
  // `warnings`.
  static Result<Flags> Parse(const std::vector<std::string>& args, const CommandSpec& command,
                             std::ostream& warnings);

  std::optional<std::string> Get(const std::string& name) const;
  std::string GetOr(const std::string& name, const std::string& fallback) const;
  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  // The flag as an integer in [lo, hi]; InvalidArgument naming it otherwise.
  Result<long> GetInt(const std::string& name, long fallback, long lo, long hi) const;
  Result<double> GetDouble(const std::string& name, double fallback, double lo, double hi) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

// "a,b,,c" -> {"a", "b", "c"}: the items of a comma-separated flag value or
// query parameter, empty ones dropped.
std::vector<std::string> SplitCommaList(const std::string& text);

}  // namespace effbench
