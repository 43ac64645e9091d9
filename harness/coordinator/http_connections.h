// The HTTP port's open connections, capped. A connection is either waiting
// for (or reading) its next request, or answering one. When the cap is
// reached, a new connection takes the place of the one that has waited
// longest for its request: 400 half-sent requests cannot keep /healthz, a
// dashboard or an operator's curl out, and never hold more than the cap's
// descriptors (the agents' port keeps the rest).
//
// Thread-safety: none; the coordinator uses it on its network thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>

namespace effbench::coordinator {

class HttpConnections {
 public:
  using Time = std::chrono::steady_clock::time_point;
  using Evict = std::function<void()>;  // ends the connection's wait (shuts its socket down)

  explicit HttpConnections(size_t max) : max_(max < 1 ? 1 : max) {}

  // A new connection, waiting for its first request since `now`: its id, or
  // nullopt when the cap is reached and every connection is answering (it
  // is to be closed at once). At the cap the connection waiting longest is
  // evicted (`evict` called, and counted); it stays counted until Release.
  std::optional<uint64_t> Admit(Time now, Evict evict);
  // The connection waits for its next request from `now` / answers one.
  void Waiting(uint64_t id, Time now);
  void Answering(uint64_t id);
  // The connection is closed.
  void Release(uint64_t id);

  size_t max() const { return max_; }
  size_t open() const { return open_.size(); }
  uint64_t evicted() const { return evicted_; }
  uint64_t refused() const { return refused_; }

 private:
  struct Connection {
    std::optional<Time> waiting_since;  // empty while answering, or once evicted
    Evict evict;
    bool evicted = false;
  };
  size_t max_;
  uint64_t next_id_ = 1;
  uint64_t evicted_ = 0, refused_ = 0;
  size_t evicting_ = 0;  // evicted, not yet released
  std::map<uint64_t, Connection> open_;
};

// The cap for `wanted` connections under a descriptor limit of `nofile`:
// at most a quarter of what is left after `reserved` descriptors (the
// database, the log, the listeners, the agents' room), and at least 4.
size_t HttpConnectionCap(size_t wanted, size_t nofile, size_t reserved = 64);

}  // namespace effbench::coordinator
