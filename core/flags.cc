#include "core/flags.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <ostream>
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
std::string Nearest(const std::string& given, const std::set<std::string>& known) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const std::string& name : known) {
    const size_t d = EditDistance(given, name);
    if (d < best_distance) {
      best_distance = d;
      best = name;
    }
  }
  const size_t longer = std::max(given.size(), best.size());
  if (best.empty() || best_distance > 2 || 3 * best_distance >= longer) return "";
  return " (did you mean --" + best + "?)";
}

// Words as CLI11 reads them: each valued flag takes one value per
// occurrence, each switch counts, the rest are positional or unknown.
struct Parsed {
  std::map<std::string, std::vector<std::string>> values;
  std::map<std::string, int64_t> seen;
  std::vector<std::string> positional;
};

Result<Parsed> ParseWords(const std::vector<std::string>& args, const std::set<std::string>& valued,
                          const std::set<std::string>& switches,
                          const std::set<std::string>& known) {
  CLI::App app;
  app.set_help_flag();  // each command prints its own usage
  app.allow_extras();   // unknown flags are named below, in our words
  app.positionals_at_end(false);
  Parsed parsed;
  auto& values = parsed.values;
  auto& seen = parsed.seen;
  for (const std::string& name : valued) {
    app.add_option("--" + name, values[name])
        ->type_size(1)
        ->expected(1, 1 << 30)  // every occurrence, to refuse a repeat by name
        ->allow_extra_args(false);
  }
  for (const std::string& name : switches) app.add_flag("--" + name, seen[name]);
  app.add_option("positional", parsed.positional);
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
    return Status::InvalidArgument("unknown flag " + name + Nearest(bare, known));
  }
  return parsed;
}

Status CheckType(const FlagSpec& flag, const std::string& value) {
  char* end = nullptr;
  errno = 0;
  if (flag.type == FlagSpec::Type::kInteger) {
    std::strtoll(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || errno != 0) {
      return Status::InvalidArgument("--" + flag.name + " must be an integer, got '" + value + "'");
    }
  } else if (flag.type == FlagSpec::Type::kNumber) {
    const double x = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !std::isfinite(x)) {
      return Status::InvalidArgument("--" + flag.name + " must be a number, got '" + value + "'");
    }
  }
  return Status::Ok();
}

// "--name VALUE" or "--name".
std::string Synopsis(const FlagSpec& f) {
  return "--" + f.name + (f.value.empty() ? "" : " " + f.value);
}

// `text` for a Markdown table cell, which holds no bare bar.
std::string TableCell(std::string text) {
  for (size_t at = text.find('|'); at != std::string::npos; at = text.find('|', at + 2)) {
    text.replace(at, 1, "\\|");
  }
  return text;
}

}  // namespace

FlagSpec FlagSpec::Replaces(std::vector<std::string> names) const {
  FlagSpec f = *this;
  f.old_names = std::move(names);
  return f;
}

FlagSpec TextFlag(std::string name, std::string value, std::string help) {
  return {std::move(name), std::move(value), std::move(help), FlagSpec::Type::kText, {}};
}
FlagSpec IntegerFlag(std::string name, std::string value, std::string help) {
  return {std::move(name), std::move(value), std::move(help), FlagSpec::Type::kInteger, {}};
}
FlagSpec NumberFlag(std::string name, std::string value, std::string help) {
  return {std::move(name), std::move(value), std::move(help), FlagSpec::Type::kNumber, {}};
}
FlagSpec Switch(std::string name, std::string help) {
  return {std::move(name), "", std::move(help), FlagSpec::Type::kSwitch, {}};
}

std::string CommandSpec::Title() const { return name.empty() ? program : program + " " + name; }

std::string CommandSpec::Help() const {
  std::string text = "usage: " + Title() + (words.empty() ? "" : " " + words) +
                     (flags.empty() ? "" : " [flags]") + "\n\n" + summary + "\n";
  if (!flags.empty()) {
    size_t width = 0;
    for (const FlagSpec& f : flags) width = std::max(width, Synopsis(f).size());
    text += "\nflags:\n";
    for (const FlagSpec& f : flags) {
      std::string line = "  " + Synopsis(f);
      line.resize(width + 4, ' ');
      line += f.help;
      for (const std::string& old : f.old_names) line += " (was --" + old + ")";
      text += line + "\n";
    }
  }
  if (!notes.empty()) text += "\n" + notes + (notes.back() == '\n' ? "" : "\n");
  if (!exit_codes.empty()) text += "\nexit codes: " + exit_codes + "\n";
  return text;
}

std::string CommandSpec::Markdown() const {
  std::string text =
      "### `" + Title() + (words.empty() ? "" : " " + words) + "`\n\n" + summary + "\n";
  if (!flags.empty()) {
    text += "\n| flag | meaning |\n|---|---|\n";
    for (const FlagSpec& f : flags) {
      std::string help = f.help;
      for (const std::string& old : f.old_names) help += " (was `--" + old + "`)";
      text += "| `" + TableCell(Synopsis(f)) + "` | " + TableCell(help) + " |\n";
    }
  }
  if (!notes.empty()) text += "\n```\n" + notes + (notes.back() == '\n' ? "" : "\n") + "```\n";
  if (!exit_codes.empty()) text += "\nExit codes: " + exit_codes + ".\n";
  return text;
}

Result<Flags> Flags::Parse(const std::vector<std::string>& args, const CommandSpec& command,
                           std::ostream& warnings) {
  std::set<std::string> valued, switches, known;
  std::map<std::string, const FlagSpec*> spec_of;  // by every spelling
  for (const FlagSpec& f : command.flags) {
    known.insert(f.name);
    std::vector<std::string> spellings = f.old_names;
    spellings.push_back(f.name);
    for (const std::string& spelling : spellings) {
      (f.type == FlagSpec::Type::kSwitch ? switches : valued).insert(spelling);
      spec_of[spelling] = &f;
    }
  }
  auto parsed = ParseWords(args, valued, switches, known);
  if (!parsed.ok()) return parsed.status();
  Flags flags;
  flags.positional_ = std::move(parsed->positional);
  // Each flag under its name, whichever spelling gave it.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> given;
  for (auto& [spelling, values] : parsed->values) {
    for (auto& v : values) given[spec_of[spelling]->name].emplace_back(spelling, std::move(v));
  }
  for (const auto& [spelling, count] : parsed->seen) {
    if (count > 0) given[spec_of[spelling]->name].emplace_back(spelling, "true");
  }
  for (const auto& [name, values] : given) {
    const FlagSpec& f = *spec_of[name];
    if (values.size() > 1 && f.type != FlagSpec::Type::kSwitch) {
      return Status::InvalidArgument("--" + name + " given " + std::to_string(values.size()) +
                                     " times (" + values[0].second + ", " + values[1].second +
                                     "); it takes one value");
    }
    for (const auto& [spelling, value] : values) {
      if (spelling != name) {
        warnings << command.Title() << ": --" << spelling << " is deprecated; use --" << name
                 << " (the old spelling goes in the next release)\n";
      }
    }
    EFFBENCH_RETURN_IF_ERROR(CheckType(f, values.front().second));
    flags.values_[name] = values.front().second;
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
