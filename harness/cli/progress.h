// Progress of a run on stderr: which workload, how many done, the time
// elapsed and an estimate of the time left. On a terminal one line redrawn
// in place; otherwise (a CI log) a line at most every `every` seconds, from a
// ticker thread so that a workload running for minutes still shows.
//
// The estimate comes from what is known of each workload (a first run of
// the accuracy suite said "ETA 13 h" after ten minutes when it projected one
// training onto every workload left):
// - a workload that trains a model says how many epochs are done and left
//   (Preparing): its time left is epochs left x its seconds per epoch;
// - a workload a suite estimates (SetEstimates: a first run's cost, training
//   included) counts at its estimate, scaled by how the estimated workloads
//   done so far compared with theirs (a cached model makes a training take
//   seconds, a slower machine takes longer);
// - every other workload counts at the mean time of such workloads done,
//   their training excluded. While none is done the ETA is a lower bound
//   ("ETA > 9 min 35 s"), or unknown.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace effbench::cli {

enum class ProgressMode { kTty, kLines, kNone };

// "auto" (a terminal: tty, else lines), "tty", "lines" or "none".
Result<ProgressMode> ParseProgressMode(const std::string& text, bool stderr_is_tty);

class Progress {
 public:
  Progress(ProgressMode mode, std::ostream& err, double every_seconds,
           const Clock& clock = Clock::System());
  ~Progress();  // Done()
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // The suite's estimate of each workload of the run, by index (nullopt where
  // it has none).
  void SetEstimates(std::vector<std::optional<double>> estimates);
  // Workload `index` (from 0) of `total`, `id`, starts (and the one before
  // it, if any, ended).
  void Step(size_t index, size_t total, const std::string& id);
  // The current workload trains model `what`: `done` of `total` epochs after
  // `seconds` of training, `detail` how it goes. On a terminal the line
  // shows it; in lines (and none) mode each epoch is a line of its own
  // ("train MODEL: epoch 3/10, loss 0.41, ..."). Thread-safe, as Step.
  void Preparing(const std::string& what, int done, int total, double seconds,
                 const std::string& detail = "");
  // Clears the terminal line and stops the ticker; idempotent.
  void Done();
  // The line as it would be printed now (without the "effbench: " prefix).
  std::string Line();

 private:
  std::string LineLocked() const;
  // The seconds left, or nullopt while nothing says.
  // `*lower_bound` when some workload left has nothing to go by yet.
  std::optional<double> SecondsLeftLocked(double in_current, bool* lower_bound) const;
  void Emit(bool force);  // REQUIRES: mu_ held
  void Tick();

  const ProgressMode mode_;
  std::ostream& err_;
  const std::chrono::duration<double> every_;
  const Clock& clock_;
  const std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool done_ = false;
  size_t index_ = 0, total_ = 0;
  bool started_ = false;
  std::string id_;
  std::chrono::steady_clock::time_point workload_start_{};
  // The workloads without an estimate ended so far, and their time without
  // their preparations; those with one, their estimates and their times.
  size_t ended_ = 0;
  double measured_seconds_ = 0;
  double estimated_done_ = 0, estimated_took_ = 0;
  std::vector<std::optional<double>> estimates_;
  // The current workload's preparation, as last told.
  std::string preparing_;
  int prepared_ = 0, to_prepare_ = 0;
  double preparation_seconds_ = 0;
  std::chrono::steady_clock::time_point last_line_{};
  std::thread ticker_;
};

}  // namespace effbench::cli
