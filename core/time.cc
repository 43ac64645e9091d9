#include "core/time.h"

#include <cstdio>
#include <ctime>

namespace effbench {

std::string Iso8601(std::chrono::system_clock::time_point time) {
  const std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<std::chrono::system_clock::time_point> ParseIso8601(std::string_view text) {
  using namespace std::chrono;
  const auto bad = [&](std::string_view why) {
    // Built by appends: GCC 12 warns falsely (-Wrestrict) on "literal" + string.
    std::string message(1, '\'');
    message.append(text).append("' is not an ISO 8601 time (").append(why);
    message.append("); use 2026-11-23, 2026-11-23T05:43:38Z or 2026-11-23T05:43:38+01:00");
    return Status::InvalidArgument(message);
  };
  size_t at = 0;
  const auto number = [&](size_t digits, int* out) {
    if (at + digits > text.size()) return false;
    int v = 0;
    for (size_t i = 0; i < digits; ++i) {
      const char c = text[at + i];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    *out = v;
    at += digits;
    return true;
  };
  const auto expect = [&](char c) {
    if (at >= text.size() || text[at] != c) return false;
    ++at;
    return true;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!number(4, &y) || !expect('-') || !number(2, &mo) || !expect('-') || !number(2, &d)) {
    return bad("expected YYYY-MM-DD");
  }
  const year_month_day date{year{y}, month{static_cast<unsigned>(mo)},
                            day{static_cast<unsigned>(d)}};
  if (!date.ok()) return bad("no such date");
  sys_time<milliseconds> t = sys_days{date};
  if (at == text.size()) return system_clock::time_point(t);
  if (text[at] != 'T' && text[at] != 't' && text[at] != ' ')
    return bad("expected T after the date");
  ++at;
  if (!number(2, &h) || !expect(':') || !number(2, &mi)) return bad("expected hh:mm after T");
  if (at < text.size() && text[at] == ':' && !(++at, number(2, &sec))) return bad("expected :ss");
  if (h > 23 || mi > 59 || sec > 60) return bad("hour, minute or second out of range");
  t += hours(h) + minutes(mi) + seconds(sec);
  if (at < text.size() && (text[at] == '.' || text[at] == ',')) {
    ++at;
    int ms = 0, digits = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      if (digits < 3) ms = ms * 10 + (text[at] - '0');
      ++digits;
      ++at;
    }
    if (digits == 0) return bad("expected digits after the decimal point");
    for (int i = digits; i < 3; ++i) ms *= 10;
    t += milliseconds(ms);
  }
  if (at == text.size()) return system_clock::time_point(t);
  if (text[at] == 'Z' || text[at] == 'z') {
    ++at;
  } else if (text[at] == '+' || text[at] == '-') {
    const int sign = text[at] == '+' ? 1 : -1;
    ++at;
    int oh = 0, om = 0;
    if (!number(2, &oh)) return bad("expected a zone offset +hh:mm");
    if (at < text.size() && text[at] == ':') ++at;
    if (!number(2, &om) || oh > 23 || om > 59) return bad("expected a zone offset +hh:mm");
    t -= sign * (hours(oh) + minutes(om));
  } else {
    return bad("unexpected text after the time");
  }
  if (at != text.size()) return bad("unexpected text after the zone");
  return system_clock::time_point(t);
}

std::string HumanDuration(double seconds) {
  const auto s = static_cast<long>(seconds + 0.5);
  char buf[48];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ld h %02ld min", s / 3600, s % 3600 / 60);
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%ld min %02ld s", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ld s", s);
  }
  return buf;
}

std::string UtcNowIso8601(const Clock& clock) { return Iso8601(clock.Now()); }

}  // namespace effbench
