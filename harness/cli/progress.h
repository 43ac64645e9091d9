// Progress of a run on stderr: which workload, how many done, the time
// elapsed and an estimate of the time left. On a terminal one line redrawn
// in place; otherwise (a CI log) a line at most every `every` seconds, from a
// ticker thread so that a workload running for minutes still shows.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>

#include "core/status.h"

namespace effbench::cli {

enum class ProgressMode { kTty, kLines, kNone };

// "auto" (a terminal: tty, else lines), "tty", "lines" or "none".
Result<ProgressMode> ParseProgressMode(const std::string& text, bool stderr_is_tty);

class Progress {
 public:
  Progress(ProgressMode mode, std::ostream& err, double every_seconds);
  ~Progress();  // Done()
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Workload `index` (from 0) of `total`, `id`, starts.
  void Step(size_t index, size_t total, const std::string& id);
  // Clears the terminal line and stops the ticker; idempotent.
  void Done();

 private:
  std::string LineLocked() const;
  void Tick();

  const ProgressMode mode_;
  std::ostream& err_;
  const std::chrono::duration<double> every_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::mutex mu_;
  std::condition_variable wake_;
  bool done_ = false;
  size_t index_ = 0, total_ = 0;
  std::string id_;
  std::chrono::steady_clock::time_point last_line_{};
  std::thread ticker_;
};

}  // namespace effbench::cli
