#include "harness/cli/progress.h"

#include "core/time.h"

namespace effbench::cli {

Result<ProgressMode> ParseProgressMode(const std::string& text, bool stderr_is_tty) {
  if (text == "auto") return stderr_is_tty ? ProgressMode::kTty : ProgressMode::kLines;
  if (text == "tty") return ProgressMode::kTty;
  if (text == "lines") return ProgressMode::kLines;
  if (text == "none") return ProgressMode::kNone;
  return Status::InvalidArgument("--progress " + text + ": auto, tty, lines or none");
}

Progress::Progress(ProgressMode mode, std::ostream& err, double every_seconds)
    : mode_(mode), err_(err), every_(every_seconds) {
  if (mode_ == ProgressMode::kLines && every_seconds > 0) ticker_ = std::thread([this] { Tick(); });
}

Progress::~Progress() { Done(); }

std::string Progress::LineLocked() const {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string line = "[";
  line.append(std::to_string(index_ + 1)).append("/").append(std::to_string(total_));
  line.append("] ").append(HumanDuration(elapsed)).append(" elapsed, ");
  // The workloads done so far, at their average, for those left.
  if (index_ == 0) {
    line.append("ETA unknown");
  } else {
    line.append("ETA ").append(HumanDuration(elapsed / double(index_) * double(total_ - index_)));
  }
  return line.append(": ").append(id_);
}

void Progress::Step(size_t index, size_t total, const std::string& id) {
  std::lock_guard lock(mu_);
  index_ = index;
  total_ = total;
  id_ = id;
  if (mode_ == ProgressMode::kTty) {
    err_ << "\r\033[K" << LineLocked() << std::flush;
  } else if (mode_ == ProgressMode::kLines) {
    const auto now = std::chrono::steady_clock::now();
    if (index == 0 || now - last_line_ >= every_) {
      err_ << "effbench: " << LineLocked() << "\n" << std::flush;
      last_line_ = now;
    }
  }
}

void Progress::Tick() {
  std::unique_lock lock(mu_);
  while (!done_) {
    const auto due =
        last_line_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(every_);
    if (wake_.wait_until(lock, due, [&] { return done_; })) break;
    if (total_ > 0 && std::chrono::steady_clock::now() >= last_line_ + every_) {
      err_ << "effbench: " << LineLocked() << "\n" << std::flush;
      last_line_ = std::chrono::steady_clock::now();
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
