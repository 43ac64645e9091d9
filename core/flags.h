// Command-line flags on CLI11: `--name value` or `--name=value`, boolean
// `--name`, and positional words, for both binaries. Unknown flags, missing
// values and a single-value flag given twice are usage errors that name the
// flag. Each command declares its flags; `--help` and `--version` are the
// caller's (each command prints its own usage).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"

namespace effbench {

class Flags {
 public:
  // Parses `args` (without the program and command names). `valued` are the
  // flags that take a value, `switches` those that do not. Words that are not
  // flags, and everything after "--", are positional.
  static Result<Flags> Parse(const std::vector<std::string>& args,
                             const std::set<std::string>& valued,
                             const std::set<std::string>& switches = {});

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
