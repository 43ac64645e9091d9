#include "core/clock.h"

namespace effbench {
namespace {

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now();
  }
  std::chrono::steady_clock::time_point Steady() const override {
    return std::chrono::steady_clock::now();
  }
};

}  // namespace

const Clock& Clock::System() {
  static const SystemClock clock;
  return clock;
}

std::chrono::milliseconds ClockOffset(std::chrono::system_clock::time_point sent,
                                      std::chrono::system_clock::time_point received,
                                      int64_t server_ms) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  const auto midpoint = sent + (received - sent) / 2;
  return milliseconds(server_ms) - duration_cast<milliseconds>(midpoint.time_since_epoch());
}

}  // namespace effbench
