// Which agents a job goes to, and when a nightly schedule fires.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "core/status.h"

namespace effbench::coordinator {

// What a selector can match on: the agent's name, its machine's hostname and
// architecture, and its labels (--labels gpu=h100,site=lab2).
struct AgentFacts {
  std::string name;
  std::string hostname;
  std::string arch;
  std::map<std::string, std::string> labels;
};

// A selector is "*" (or empty) for every agent, else comma-separated terms
// that must all match: "key=value" compares a label (or name, hostname, arch)
// and a bare word is the agent's name; values may be shell globs
// ("name=edge-*"). InvalidArgument names a malformed term.
Status ValidateSelector(std::string_view selector);
bool MatchesSelector(std::string_view selector, const AgentFacts& agent);

// A time of day, "HH:MM" or "HH:MM:SS" (24 h, local time).
struct DailyTime {
  int hour = 0;
  int minute = 0;
  int second = 0;
};
Result<DailyTime> ParseDailyTime(std::string_view text);
// The first moment strictly after `now` at `at`, local time.
std::chrono::system_clock::time_point NextOccurrence(DailyTime at,
                                                     std::chrono::system_clock::time_point now);

}  // namespace effbench::coordinator
