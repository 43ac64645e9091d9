// The coordinator's Prometheus metrics (GET /metrics): counters that only
// grow, the ingest latency histogram, and the text exposition format.
// Thread-safety: none; the network thread counts and renders.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace effbench::coordinator {

// Prometheus metrics; counters only grow.
struct Metrics {
  // Upper bounds of the ingest latency histogram, seconds.
  static constexpr std::array<double, 10> kBuckets = {0.001, 0.002, 0.005, 0.01, 0.02,
                                                      0.05,  0.1,   0.25,  0.5,  1.0};
  uint64_t connections = 0, auth_failures = 0, protocol_errors = 0;
  uint64_t connections_shed = 0;  // closed at accept: too many pre-auth, or no descriptors
  uint64_t results_received = 0, results_acked = 0, frames_received = 0;
  uint64_t http_requests = 0;
  std::array<uint64_t, kBuckets.size()> latency_counts{};
  uint64_t latency_count = 0;
  double latency_sum = 0;
  void ObserveLatency(double seconds);
};

// What /metrics shows beside the counters, read when it is asked for.
struct Gauges {
  size_t agents_connected = 0, agents_known = 0, connections_preauth = 0;
  uint64_t results_ingested = 0, ingest_commits = 0;
  size_t ingest_queue_depth = 0, send_queue_depth = 0;
  // The HTTP port: connections open, and those evicted or refused at the cap.
  size_t http_connections = 0;
  uint64_t http_evicted = 0, http_refused = 0;
  std::map<std::string, size_t> jobs_by_state;
};

// The Prometheus text exposition (version 0.0.4) of `metrics` and `gauges`.
std::string PrometheusText(const Metrics& metrics, const Gauges& gauges);

}  // namespace effbench::coordinator
