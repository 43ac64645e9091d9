#include "harness/cli/progress.h"

#include <algorithm>

#include "core/time.h"

namespace effbench::cli {

Result<ProgressMode> ParseProgressMode(const std::string& text, bool stderr_is_tty) {
  if (text == "auto") return stderr_is_tty ? ProgressMode::kTty : ProgressMode::kLines;
  if (text == "tty") return ProgressMode::kTty;
  if (text == "lines") return ProgressMode::kLines;
  if (text == "none") return ProgressMode::kNone;
  return Status::InvalidArgument("--progress " + text + ": auto, tty, lines or none");
}

Progress::Progress(ProgressMode mode, std::ostream& err, double every_seconds, const Clock& clock)
    : mode_(mode), err_(err), every_(every_seconds), clock_(clock), start_(clock.Steady()) {
  if (mode_ == ProgressMode::kLines && every_seconds > 0) ticker_ = std::thread([this] { Tick(); });
}

Progress::~Progress() { Done(); }

void Progress::SetEstimates(std::vector<std::optional<double>> estimates) {
  std::lock_guard lock(mu_);
  estimates_ = std::move(estimates);
}

std::optional<double> Progress::SecondsLeftLocked(double in_current, bool* lower_bound) const {
  const std::optional<double> mean =
      ended_ > 0 ? std::optional<double>(measured_seconds_ / double(ended_)) : std::nullopt;
  // Estimated workloads done so far against their estimates (1 before any).
  const double scale = estimated_done_ > 0 ? estimated_took_ / estimated_done_ : 1.0;
  const auto estimate = [&](size_t i) -> std::optional<double> {
    if (i < estimates_.size() && estimates_[i]) return *estimates_[i] * scale;
    return std::nullopt;
  };
  bool unknown = false;
  double left = 0;
  const auto own = estimate(index_);
  if (prepared_ > 0 && to_prepare_ > 0) {
    // Epochs left at this training's own pace, then its measurement.
    left += double(to_prepare_ - prepared_) * preparation_seconds_ / double(prepared_);
    if (!own) {
      if (mean)
        left += *mean;
      else
        unknown = true;
    }
  } else if (own) {
    left += std::max(0.0, *own - in_current);
  } else if (mean) {
    left += std::max(0.0, *mean - (in_current - preparation_seconds_));
  } else {
    unknown = true;
  }
  for (size_t i = index_ + 1; i < total_; ++i) {
    if (const auto e = estimate(i)) {
      left += *e;
    } else if (mean) {
      left += *mean;
    } else {
      unknown = true;
    }
  }
  *lower_bound = unknown;
  if (unknown && left <= 0) return std::nullopt;
  return left;
}

std::string Progress::LineLocked() const {
  const auto now = clock_.Steady();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double in_current = std::chrono::duration<double>(now - workload_start_).count();
  std::string line = "[";
  line.append(std::to_string(index_ + 1)).append("/").append(std::to_string(total_));
  line.append("] ").append(HumanDuration(elapsed)).append(" elapsed, ");
  bool lower_bound = false;
  if (const auto left = SecondsLeftLocked(in_current, &lower_bound)) {
    line.append(lower_bound ? "ETA > " : "ETA ").append(HumanDuration(*left));
  } else {
    line.append("ETA unknown");
  }
  line.append(": ").append(id_);
  if (to_prepare_ > 0) {
    line.append(" (training ")
        .append(preparing_)
        .append(": epoch ")
        .append(std::to_string(prepared_));
    line.append("/").append(std::to_string(to_prepare_)).append(")");
  }
  return line;
}

std::string Progress::Line() {
  std::lock_guard lock(mu_);
  return LineLocked();
}

void Progress::Emit(bool force) {
  if (mode_ == ProgressMode::kTty) {
    err_ << "\r\033[K" << LineLocked() << std::flush;
  } else if (mode_ == ProgressMode::kLines) {
    const auto now = clock_.Steady();
    if (force || now - last_line_ >= every_) {
      err_ << "effbench: " << LineLocked() << "\n" << std::flush;
      last_line_ = now;
    }
  }
}

void Progress::Step(size_t index, size_t total, const std::string& id) {
  std::lock_guard lock(mu_);
  const auto now = clock_.Steady();
  if (started_ && index > index_) {
    // The workload before ended: its time, its training excluded, is what
    // the workloads after it are projected at.
    const double took = std::chrono::duration<double>(now - workload_start_).count();
    if (index_ < estimates_.size() && estimates_[index_]) {
      estimated_done_ += *estimates_[index_];
      estimated_took_ += took;
    } else {
      measured_seconds_ += std::max(0.0, took - preparation_seconds_);
      ++ended_;
    }
  }
  started_ = true;
  index_ = index;
  total_ = total;
  id_ = id;
  workload_start_ = now;
  preparing_.clear();
  prepared_ = to_prepare_ = 0;
  preparation_seconds_ = 0;
  Emit(index == 0);
}

void Progress::Preparing(const std::string& what, int done, int total, double seconds,
                         const std::string& detail) {
  std::lock_guard lock(mu_);
  if (mode_ != ProgressMode::kTty) {
    err_ << "train " << what << ": epoch " << done << "/" << total
         << (detail.empty() ? "" : ", " + detail) << ", " << HumanDuration(seconds) << "\n"
         << std::flush;
  }
  preparing_ = what;
  prepared_ = done;
  to_prepare_ = total;
  // The wall time since the workload began (loading the data and judging
  // each epoch included), or the training's own count if larger.
  const double wall = std::chrono::duration<double>(clock_.Steady() - workload_start_).count();
  preparation_seconds_ = std::max(wall, seconds);
  Emit(false);
}

void Progress::Tick() {
  std::unique_lock lock(mu_);
  while (!done_) {
    const auto due =
        last_line_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(every_);
    if (wake_.wait_until(lock, due, [&] { return done_; })) break;
    if (total_ > 0 && clock_.Steady() >= last_line_ + every_) {
      err_ << "effbench: " << LineLocked() << "\n" << std::flush;
      last_line_ = clock_.Steady();
    }
  }
}

void Progress::Done() {
  {
    std::lock_guard lock(mu_);
    if (done_) return;
    done_ = true;
    if (mode_ == ProgressMode::kTty) err_ << "\r\033[K" << std::flush;
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

}  // namespace effbench::cli
