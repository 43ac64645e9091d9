// A small command-line flag parser: `--name value` or `--name=value`, boolean
// `--name`, and positional words. Unknown flags and missing values are usage
// errors that name the flag.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "harness/store/result_store.h"

namespace effbench::cli {

class Flags {
 public:
  // Parses `args` (without the program and command names). `valued` are the
  // flags that take a value, `switches` those that do not.
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

// Opens the existing database named by --db: a missing file is an error, not
// a new database.
Result<std::unique_ptr<store::ResultStore>> OpenExisting(const Flags& flags);

}  // namespace effbench::cli
