// The clock, injected: code that schedules, times out or stamps reads time
// through a Clock, so a test can set the time instead of waiting for it.
//
// Thread-safety: Clock::System() is immutable and safe from any thread.
// ManualClock may be read from any thread; Set and Advance are for the test
// that owns it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace effbench {

class Clock {
 public:
  virtual ~Clock() = default;
  // The wall clock: what a schedule at "02:00" and a record's time refer to.
  // It may jump (NTP, a user, a VM resumed).
  virtual std::chrono::system_clock::time_point Now() const = 0;
  // A clock that never goes back, for durations and deadlines.
  virtual std::chrono::steady_clock::time_point Steady() const = 0;

  // The machine's clocks.
  static const Clock& System();
};

// A clock that moves only when told: for tests of schedules, leases and
// time-outs. Starts at `start` on both faces.
class ManualClock final : public Clock {
 public:
  using Duration = std::chrono::nanoseconds;
  explicit ManualClock(std::chrono::system_clock::time_point start)
      : wall_(std::chrono::duration_cast<Duration>(start.time_since_epoch()).count()) {}
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            Duration(wall_.load() + offset_.load())));
  }
  std::chrono::steady_clock::time_point Steady() const override {
    return std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(Duration(offset_.load())));
  }
  // Both faces move forward by `d`.
  void Advance(Duration d) { offset_ += d.count(); }
  // The wall face jumps to `t` (forward or back); the steady face does not move.
  void Set(std::chrono::system_clock::time_point t) {
    wall_ = std::chrono::duration_cast<Duration>(t.time_since_epoch()).count() - offset_.load();
  }

 private:
  std::atomic<int64_t> wall_;       // nanoseconds since the epoch, less offset_
  std::atomic<int64_t> offset_{0};  // nanoseconds advanced
};

// Another clock's wall face moved by an offset, its steady face as it is:
// an agent's clock set to its coordinator's, so that the times it stamps on
// results agree with the fleet's however wrong the board's own clock is.
// SetOffset may be called from one thread while others read.
class OffsetClock final : public Clock {
 public:
  explicit OffsetClock(const Clock& base) : base_(base) {}
  std::chrono::system_clock::time_point Now() const override {
    return base_.Now() + std::chrono::milliseconds(offset_ms_.load());
  }
  std::chrono::steady_clock::time_point Steady() const override { return base_.Steady(); }
  void SetOffset(std::chrono::milliseconds offset) { offset_ms_ = offset.count(); }
  std::chrono::milliseconds offset() const { return std::chrono::milliseconds(offset_ms_.load()); }

 private:
  const Clock& base_;
  std::atomic<int64_t> offset_ms_{0};
};

// How far a server's wall clock is ahead of this one's (negative: behind),
// from a server time read between `sent` and `received` (this clock): the
// server's time is taken to be of the midpoint, so the error is at most half
// the round trip.
std::chrono::milliseconds ClockOffset(std::chrono::system_clock::time_point sent,
                                      std::chrono::system_clock::time_point received,
                                      int64_t server_ms);

}  // namespace effbench
