#include "harness/coordinator/http_connections.h"

#include <algorithm>
#include <utility>

namespace effbench::coordinator {

std::optional<uint64_t> HttpConnections::Admit(Time now, Evict evict) {
  if (open_.size() - evicting_ >= max_) {
    // The connection waiting longest for its request makes room.
    auto oldest = open_.end();
    for (auto it = open_.begin(); it != open_.end(); ++it) {
      if (!it->second.waiting_since) continue;
      if (oldest == open_.end() || *it->second.waiting_since < *oldest->second.waiting_since) {
        oldest = it;
      }
    }
    if (oldest == open_.end()) {
      ++refused_;
      return std::nullopt;
    }
    oldest->second.waiting_since.reset();
    oldest->second.evicted = true;
    ++evicting_;
    ++evicted_;
    Evict victim = std::exchange(oldest->second.evict, nullptr);
    if (victim) victim();
  }
  const uint64_t id = next_id_++;
  open_[id] = Connection{now, std::move(evict), false};
  return id;
}

void HttpConnections::Waiting(uint64_t id, Time now) {
  auto it = open_.find(id);
  if (it == open_.end() || it->second.evicted) return;
  it->second.waiting_since = now;
}

void HttpConnections::Answering(uint64_t id) {
  auto it = open_.find(id);
  if (it != open_.end()) it->second.waiting_since.reset();
}

void HttpConnections::Release(uint64_t id) {
  auto it = open_.find(id);
  if (it == open_.end()) return;
  if (it->second.evicted) --evicting_;
  open_.erase(it);
}

size_t HttpConnectionCap(size_t wanted, size_t nofile, size_t reserved) {
  const size_t room = nofile > reserved ? (nofile - reserved) / 4 : 0;
  return std::max<size_t>(4, std::min(wanted, room));
}

}  // namespace effbench::coordinator
