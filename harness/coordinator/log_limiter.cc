#include "harness/coordinator/log_limiter.h"

#include <utility>

namespace effbench::coordinator {

bool LogLimiter::Allow(std::chrono::steady_clock::time_point now, uint64_t& suppressed) {
  if (now - window_start_ >= window_) {
    window_start_ = now;
    in_window_ = 0;
  }
  if (in_window_ >= burst_) {
    ++held_back_;
    return false;
  }
  ++in_window_;
  suppressed = std::exchange(held_back_, 0);
  return true;
}

std::optional<std::string> LogLimiter::Pass(std::chrono::steady_clock::time_point now,
                                            const std::string& line) {
  uint64_t suppressed = 0;
  if (!Allow(now, suppressed)) return std::nullopt;
  if (suppressed == 0) return line;
  return line + " (" + std::to_string(suppressed) + " similar lines not logged)";
}

}  // namespace effbench::coordinator
