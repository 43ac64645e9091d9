#include "core/flags.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

namespace effbench {

namespace {

// The edit distance between a and b: insertions, deletions, substitutions
// and swaps of two neighbours (optimal string alignment), so that --wdie is
// one slip from --wide.
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] =
          std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// " (did you mean --NAME?)" for the known flag nearest `given` (without its
// dashes), when one is near enough to be a slip: at most 2 edits, and fewer
// than a third of the longer name.
std::string Nearest(const std::string& given, const std::set<std::string>& valued,
                    const std::set<std::string>& switches) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const auto* names : {&valued, &switches}) {
    for (const std::string& name : *names) {
      const size_t d = EditDistance(given, name);
      if (d < best_distance) {
        best_distance = d;
        best = name;
      }
    }
  }
  const size_t longer = std::max(given.size(), best.size());
  if (best.empty() || best_distance > 2 || 3 * best_distance >= longer) return "";
  return " (did you mean --" + best + "?)";
}

}  // namespace

Result<Flags> Flags::Parse(const std::vector<std::string>& args,
                           const std::set<std::string>& valued,
                           const std::set<std::string>& switches) {
  CLI::App app;
  app.set_help_flag();  // each command prints its own usage
  app.allow_extras();   // unknown flags are named below, in our words
  app.positionals_at_end(false);
  std::map<std::string, std::vector<std::string>> values;
  std::map<std::string, int64_t> seen;
  for (const std::string& name : valued) {
    app.add_option("--" + name, values[name])
        ->type_size(1)
        ->expected(1, 1 << 30)  // every occurrence, to refuse a repeat by name
        ->allow_extra_args(false);
  }
  for (const std::string& name : switches) app.add_flag("--" + name, seen[name]);
  Flags flags;
  app.add_option("positional", flags.positional_);
  try {
    // CLI11 parses a reversed vector (it pops arguments from the back).
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    std::string message = e.what();
    // "--threads: 1 required TEXT missing" -> "--threads needs a value"
    if (const size_t colon = message.find(':'); colon != std::string::npos &&
                                                message.rfind("--", 0) == 0 &&
                                                message.find("missing") != std::string::npos) {
      return Status::InvalidArgument(message.substr(0, colon) + " needs a value");
    }
    return Status::InvalidArgument(message);
  }
  for (const std::string& extra : app.remaining()) {
    if (extra == "--") continue;  // the separator itself
    const std::string name = extra.substr(0, extra.find('='));
    const std::string bare =
        name.substr(name.find_first_not_of('-') == std::string::npos ? name.size()
                                                                     : name.find_first_not_of('-'));
    return Status::InvalidArgument("unknown flag " + name + Nearest(bare, valued, switches));
  }
  for (const auto& [name, given] : values) {
    if (given.empty()) continue;
    if (given.size() > 1) {
      return Status::InvalidArgument("--" + name + " given " + std::to_string(given.size()) +
                                     " times (" + given.front() + ", " + given[1] +
                                     "); it takes one value");
    }
    flags.values_[name] = given.front();
  }
  for (const auto& [name, count] : seen) {
    if (count > 0) flags.values_[name] = "true";
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

std::vector<std::string> SplitCommaList(const std::string& text) {
  std::vector<std::string> items;
  size_t begin = 0;
  while (begin <= text.size()) {
    size_t end = text.find(',', begin);
    if (end == std::string::npos) end = text.size();
    if (end > begin) items.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return items;
}

}  // namespace effbench
