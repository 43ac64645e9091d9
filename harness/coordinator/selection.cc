#include "harness/coordinator/selection.h"

#include <fnmatch.h>

#include <ctime>
#include <vector>

namespace effbench::coordinator {
namespace {

std::vector<std::string_view> Terms(std::string_view selector) {
  std::vector<std::string_view> terms;
  while (!selector.empty()) {
    const size_t comma = selector.find(',');
    std::string_view term = selector.substr(0, comma);
    while (!term.empty() && term.front() == ' ') term.remove_prefix(1);
    while (!term.empty() && term.back() == ' ') term.remove_suffix(1);
    terms.push_back(term);
    if (comma == std::string_view::npos) break;
    selector.remove_prefix(comma + 1);
  }
  return terms;
}

bool Glob(std::string_view pattern, const std::string& value) {
  return fnmatch(std::string(pattern).c_str(), value.c_str(), 0) == 0;
}

}  // namespace

Status ValidateSelector(std::string_view selector) {
  if (selector.empty() || selector == "*") return Status::Ok();
  for (std::string_view term : Terms(selector)) {
    const size_t eq = term.find('=');
    if (term.empty() || eq == 0 || (eq != std::string_view::npos && eq + 1 == term.size())) {
      return Status::InvalidArgument("agent selector \"" + std::string(selector) + "\": term \"" +
                                     std::string(term) + "\" is neither a name nor key=value");
    }
  }
  return Status::Ok();
}

bool MatchesSelector(std::string_view selector, const AgentFacts& agent) {
  if (selector.empty() || selector == "*") return true;
  for (std::string_view term : Terms(selector)) {
    const size_t eq = term.find('=');
    if (eq == std::string_view::npos) {
      if (!Glob(term, agent.name)) return false;
      continue;
    }
    const std::string key(term.substr(0, eq));
    const std::string_view value = term.substr(eq + 1);
    const std::string* actual = nullptr;
    if (key == "name") {
      actual = &agent.name;
    } else if (key == "hostname") {
      actual = &agent.hostname;
    } else if (key == "arch") {
      actual = &agent.arch;
    } else if (auto it = agent.labels.find(key); it != agent.labels.end()) {
      actual = &it->second;
    }
    if (!actual || !Glob(value, *actual)) return false;
  }
  return true;
}

Result<DailyTime> ParseDailyTime(std::string_view text) {
  const auto bad = [&] {
    return Status::InvalidArgument("schedule time \"" + std::string(text) +
                                   "\" is not HH:MM or HH:MM:SS (24-hour local time, e.g. 02:00)");
  };
  if ((text.size() != 5 && text.size() != 8) || text[2] != ':') return bad();
  if (text.size() == 8 && text[5] != ':') return bad();
  const auto two = [&](size_t at) -> int {
    if (text[at] < '0' || text[at] > '9' || text[at + 1] < '0' || text[at + 1] > '9') return -1;
    return (text[at] - '0') * 10 + (text[at + 1] - '0');
  };
  DailyTime t{two(0), two(3), text.size() == 8 ? two(6) : 0};
  if (t.hour < 0 || t.hour > 23 || t.minute < 0 || t.minute > 59 || t.second < 0 || t.second > 59) {
    return bad();
  }
  return t;
}

std::chrono::system_clock::time_point NextOccurrence(DailyTime at,
                                                     std::chrono::system_clock::time_point now) {
  const std::time_t now_t = std::chrono::system_clock::to_time_t(now);
  std::tm local{};
  localtime_r(&now_t, &local);
  for (int day = 0; day <= 2; ++day) {
    std::tm candidate = local;
    candidate.tm_mday += day;
    candidate.tm_hour = at.hour;
    candidate.tm_min = at.minute;
    candidate.tm_sec = at.second;
    candidate.tm_isdst = -1;  // let mktime apply daylight saving time
    const auto t = std::chrono::system_clock::from_time_t(std::mktime(&candidate));
    if (t > now) return t;
  }
  return now + std::chrono::hours(24);
}

}  // namespace effbench::coordinator
