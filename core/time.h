// UTC time as ISO 8601 text, both ways: what records, runs and the HTTP API
// store and what users type after --since.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"

namespace effbench {

// `time` as UTC ISO 8601, to the second: "2026-11-23T05:43:38Z".
std::string Iso8601(std::chrono::system_clock::time_point time);
// The clock's current time as UTC ISO 8601, to the second.
std::string UtcNowIso8601(const Clock& clock = Clock::System());

// A span of seconds for people, rounded: "1 h 02 min", "3 min 05 s", "42 s".
std::string HumanDuration(double seconds);

// Parses an ISO 8601 time: "2026-11-23", "2026-11-23T05:43:38Z",
// "2026-11-23T05:43:38.25+01:00" (a time without a zone is UTC). Checks every
// field's range (no month 13, no February 30, no hour 99). InvalidArgument
// names what is wrong and shows the forms it takes.
Result<std::chrono::system_clock::time_point> ParseIso8601(std::string_view text);

}  // namespace effbench
