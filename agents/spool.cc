#include "agents/spool.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace effbench::agent {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Status::IoError(Errno("open " + dir));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::IoError(Errno("fsync " + dir));
  return Status::Ok();
}

std::optional<json> ReadJson(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::string OutboxName(uint64_t seq, const std::string& id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(seq));
  return std::string(buf) + "-" + id + ".json";
}

bool SafeId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

}  // namespace

Spool::Spool(std::string dir, int lock_fd) : dir_(std::move(dir)), lock_fd_(lock_fd) {}

Spool::~Spool() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

Result<std::unique_ptr<Spool>> Spool::Open(const std::string& dir,
                                           std::vector<std::string>* warnings, uint64_t max_bytes) {
  std::error_code ec;
  for (const char* sub : {"outbox", "jobs", "corrupt"}) {
    fs::create_directories(fs::path(dir) / sub, ec);
    if (ec) return Status::IoError("spool " + dir + ": cannot create " + sub + ": " + ec.message());
  }
  const std::string lock_path = (fs::path(dir) / "lock").string();
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError(Errno("spool lock " + lock_path));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Status::FailedPrecondition("spool " + dir +
                                      " is in use by another effbench-agent; give each agent "
                                      "its own --spool");
  }
  std::unique_ptr<Spool> spool(new Spool(dir, fd));
  spool->max_bytes_ = max_bytes;
  const auto quarantine = [&](const fs::path& p, const std::string& why) {
    std::error_code e;
    fs::rename(p, fs::path(dir) / "corrupt" / p.filename(), e);
    if (warnings) warnings->push_back("spool: " + p.string() + " " + why + "; moved to corrupt/");
  };
  std::vector<fs::path> files;
  for (const auto& item : fs::directory_iterator(fs::path(dir) / "outbox", ec))
    files.push_back(item.path());
  std::sort(files.begin(), files.end());
  for (const fs::path& p : files) {
    const std::string name = p.filename().string();
    if (p.extension() == ".tmp") {  // a write cut short: never acknowledged, never sent
      fs::remove(p, ec);
      continue;
    }
    const size_t dash = name.find('-');
    auto message = ReadJson(p);
    if (dash == std::string::npos || p.extension() != ".json" || !message) {
      quarantine(p, "is not a spooled frame");
      continue;
    }
    Entry e;
    e.seq = std::strtoull(name.substr(0, dash).c_str(), nullptr, 10);
    e.id = name.substr(dash + 1, name.size() - dash - 1 - 5);
    e.message = std::move(*message);
    e.bytes = static_cast<size_t>(fs::file_size(p, ec));
    if (ec) e.bytes = 0;
    spool->pending_bytes_ += e.bytes;
    spool->next_seq_ = std::max(spool->next_seq_, e.seq + 1);
    spool->seq_of_[e.id] = e.seq;
    spool->pending_[e.seq] = std::move(e);
  }
  for (const auto& item : fs::directory_iterator(fs::path(dir) / "jobs", ec)) {
    if (item.path().extension() == ".tmp") {
      fs::remove(item.path(), ec);
    } else if (!ReadJson(item.path())) {
      quarantine(item.path(), "is not a job file");
    }
  }
  return spool;
}

Status Spool::WriteDurably(const std::string& path, const std::string& text) const {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError(Errno("spool write " + tmp));
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const Status s = Status::IoError(Errno("spool write " + tmp));
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const Status s = Status::IoError(Errno("spool fsync " + tmp));
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const Status s = Status::IoError(Errno("spool rename " + tmp));
    ::unlink(tmp.c_str());
    return s;
  }
  return SyncDirectory(fs::path(path).parent_path().string());
}

Status Spool::Append(const std::string& id, const json& message) {
  if (!SafeId(id)) return Status::InvalidArgument("spool: bad entry id \"" + id + "\"");
  std::lock_guard lock(mu_);
  if (seq_of_.count(id)) return Status::Ok();  // already pending
  const uint64_t seq = next_seq_;
  const std::string text = message.dump();
  if (max_bytes_ > 0 && pending_bytes_ + text.size() > max_bytes_) {
    return Status::FailedPrecondition(
        "full: " + std::to_string(pending_.size()) + " unacknowledged entries hold " +
        std::to_string(pending_bytes_ / 1024) + " KiB, its bound is " +
        std::to_string(max_bytes_ / 1024) + " KiB (--spool-max-mb)");
  }
  EFFBENCH_RETURN_IF_ERROR(
      WriteDurably((fs::path(dir_) / "outbox" / OutboxName(seq, id)).string(), text));
  ++next_seq_;
  seq_of_[id] = seq;
  pending_[seq] = Entry{seq, id, message, text.size()};
  pending_bytes_ += text.size();
  return Status::Ok();
}

Status Spool::Remove(const std::string& id) {
  std::lock_guard lock(mu_);
  const auto it = seq_of_.find(id);
  if (it == seq_of_.end()) return Status::Ok();
  const std::string path = (fs::path(dir_) / "outbox" / OutboxName(it->second, id)).string();
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Status::IoError(Errno("spool remove " + path));
  }
  pending_bytes_ -= std::min(pending_bytes_, static_cast<uint64_t>(pending_.at(it->second).bytes));
  pending_.erase(it->second);
  seq_of_.erase(it);
  return Status::Ok();
}

std::vector<Spool::Entry> Spool::PendingAfter(uint64_t seq, size_t limit) const {
  std::lock_guard lock(mu_);
  std::vector<Entry> out;
  for (auto it = pending_.upper_bound(seq); it != pending_.end() && out.size() < limit; ++it) {
    out.push_back(it->second);
  }
  return out;
}

size_t Spool::pending() const {
  std::lock_guard lock(mu_);
  return pending_.size();
}

uint64_t Spool::pending_bytes() const {
  std::lock_guard lock(mu_);
  return pending_bytes_;
}

bool Spool::HasPending(const std::string& id) const {
  std::lock_guard lock(mu_);
  return seq_of_.count(id) > 0;
}

std::vector<std::string> Spool::PendingNames(const std::string& job_id) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> names;
  for (const auto& [seq, e] : pending_) {
    if (e.message.value("job_id", "") != job_id || !e.message.contains("records")) continue;
    for (const json& r : e.message["records"]) names.push_back(r.value("name", ""));
  }
  return names;
}

Status Spool::SaveJob(const std::string& job_id, const json& state) {
  if (!SafeId(job_id)) return Status::InvalidArgument("spool: bad job id \"" + job_id + "\"");
  return WriteDurably((fs::path(dir_) / "jobs" / (job_id + ".json")).string(), state.dump());
}

Status Spool::RemoveJob(const std::string& job_id) {
  const std::string path = (fs::path(dir_) / "jobs" / (job_id + ".json")).string();
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Status::IoError(Errno("spool remove " + path));
  }
  return SyncDirectory((fs::path(dir_) / "jobs").string());
}

std::vector<json> Spool::Jobs() const {
  std::vector<json> jobs;
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(fs::path(dir_) / "jobs", ec)) {
    if (item.path().extension() != ".json") continue;
    if (auto j = ReadJson(item.path())) jobs.push_back(std::move(*j));
  }
  // In the order they were accepted.
  std::sort(jobs.begin(), jobs.end(), [](const json& a, const json& b) {
    return a.value("accepted", int64_t{0}) < b.value("accepted", int64_t{0});
  });
  return jobs;
}

std::optional<json> Spool::LoadCalibration(const std::string& fingerprint) const {
  return ReadJson(fs::path(dir_) / ("calibration-" + fingerprint + ".json"));
}

Status Spool::SaveCalibration(const std::string& fingerprint, const json& calibration) {
  return WriteDurably((fs::path(dir_) / ("calibration-" + fingerprint + ".json")).string(),
                      calibration.dump());
}

}  // namespace effbench::agent
