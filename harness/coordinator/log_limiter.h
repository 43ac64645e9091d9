// A rate limit for log lines of one kind, so that a flood of hostile peers
// cannot fill the disk with logs. Thread-safety: none (the network thread's).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace effbench::coordinator {

// Lets lines of one kind (a peer refused, an accept failing) through at most
// `burst` per `window`; the rest are counted, and the count goes with the next
// line let through. A flood of hostile peers cannot fill the disk with logs.
class LogLimiter {
 public:
  explicit LogLimiter(size_t burst = 10, std::chrono::seconds window = std::chrono::seconds(10))
      : burst_(burst), window_(window) {}
  // Whether a line may be written now; if so, `suppressed` is how many were
  // held back since the last one.
  bool Allow(std::chrono::steady_clock::time_point now, uint64_t& suppressed);
  // `line` as it is to be logged now, with how many similar lines were held
  // back since the last one ("... (3 similar lines not logged)"); nullopt
  // when it is held back itself.
  std::optional<std::string> Pass(std::chrono::steady_clock::time_point now,
                                  const std::string& line);

 private:
  size_t burst_;
  std::chrono::seconds window_;
  std::chrono::steady_clock::time_point window_start_{};
  size_t in_window_ = 0;
  uint64_t held_back_ = 0;
};

}  // namespace effbench::coordinator
