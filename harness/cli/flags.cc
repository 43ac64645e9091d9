#include "harness/cli/flags.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace effbench::cli {

Result<Flags> Flags::Parse(const std::vector<std::string>& args,
                           const std::set<std::string>& valued,
                           const std::set<std::string>& switches) {
  Flags flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      flags.positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (switches.count(name)) {
      if (value) return Status::InvalidArgument("--" + name + " takes no value");
      flags.values_[name] = "true";
    } else if (valued.count(name)) {
      if (!value) {
        if (i + 1 >= args.size()) return Status::InvalidArgument("--" + name + " needs a value");
        value = args[++i];
      }
      flags.values_[name] = *value;
    } else {
      return Status::InvalidArgument("unknown flag --" + name);
    }
  }
  return flags;
}

std::optional<std::string> Flags::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Flags::GetOr(const std::string& name, const std::string& fallback) const {
  return Get(name).value_or(fallback);
}

Result<long> Flags::GetInt(const std::string& name, long fallback, long lo, long hi) const {
  const auto v = Get(name);
  if (!v) return fallback;
  char* end = nullptr;
  errno = 0;
  const long x = std::strtol(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || errno != 0 || x < lo || x > hi) {
    return Status::InvalidArgument("--" + name + " must be an integer in [" + std::to_string(lo) +
                                   ", " + std::to_string(hi) + "], got '" + *v + "'");
  }
  return x;
}

Result<double> Flags::GetDouble(const std::string& name, double fallback, double lo,
                                double hi) const {
  const auto v = Get(name);
  if (!v) return fallback;
  char* end = nullptr;
  const double x = std::strtod(v->c_str(), &end);
  if (v->empty() || *end != '\0' || !std::isfinite(x) || x < lo || x > hi) {
    return Status::InvalidArgument("--" + name + " must be a number in [" + std::to_string(lo) +
                                   ", " + std::to_string(hi) + "], got '" + *v + "'");
  }
  return x;
}

}  // namespace effbench::cli
