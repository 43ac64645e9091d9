#include "harness/coordinator/metrics.h"

#include <sstream>

namespace effbench::coordinator {

void Metrics::ObserveLatency(double seconds) {
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++latency_counts[i];
  }
  ++latency_count;
  latency_sum += seconds;
}

std::string PrometheusText(const Metrics& metrics, const Gauges& gauges) {
  std::ostringstream m;
  const auto metric = [&m](const char* name, const char* type, const char* help, auto value) {
    m << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n"
      << name << " " << value << "\n";
  };
  metric("effbench_agents_connected", "gauge", "Agents connected and authenticated.",
         gauges.agents_connected);
  metric("effbench_agents_known", "gauge", "Agents that ever connected.", gauges.agents_known);
  metric("effbench_connections_total", "counter", "Agent connections accepted.",
         metrics.connections);
  metric("effbench_connections_shed_total", "counter",
         "Connections closed at accept: too many waiting to authenticate, or no descriptors.",
         metrics.connections_shed);
  metric("effbench_connections_preauth", "gauge", "Connections not yet authenticated.",
         gauges.connections_preauth);
  metric("effbench_auth_failures_total", "counter", "Agents refused for a wrong token.",
         metrics.auth_failures);
  metric("effbench_protocol_errors_total", "counter",
         "Connections closed for a malformed, oversized, unknown or unexpected frame.",
         metrics.protocol_errors);
  metric("effbench_frames_received_total", "counter", "Frames received after authentication.",
         metrics.frames_received);
  metric("effbench_results_received_total", "counter", "Result records received.",
         metrics.results_received);
  metric("effbench_results_ingested_total", "counter",
         "Result records committed to the database for the first time.", gauges.results_ingested);
  metric("effbench_results_acked_total", "counter", "Result records acknowledged after commit.",
         metrics.results_acked);
  metric("effbench_ingest_commits_total", "counter", "Transactions of results committed.",
         gauges.ingest_commits);
  metric("effbench_ingest_queue_depth", "gauge", "Result records waiting for the database.",
         gauges.ingest_queue_depth);
  metric("effbench_send_queue_depth", "gauge", "Frames waiting to be written to agents.",
         gauges.send_queue_depth);
  m << "# HELP effbench_jobs Jobs by state.\n# TYPE effbench_jobs gauge\n";
  for (const auto& [state, n] : gauges.jobs_by_state)
    m << "effbench_jobs{state=\"" << state << "\"} " << n << "\n";
  m << "# HELP effbench_ingest_latency_seconds From a result frame's arrival to its ack.\n"
    << "# TYPE effbench_ingest_latency_seconds histogram\n";
  for (size_t i = 0; i < Metrics::kBuckets.size(); ++i) {
    m << "effbench_ingest_latency_seconds_bucket{le=\"" << Metrics::kBuckets[i] << "\"} "
      << metrics.latency_counts[i] << "\n";
  }
  m << "effbench_ingest_latency_seconds_bucket{le=\"+Inf\"} " << metrics.latency_count << "\n"
    << "effbench_ingest_latency_seconds_sum " << metrics.latency_sum << "\n"
    << "effbench_ingest_latency_seconds_count " << metrics.latency_count << "\n";
  metric("effbench_http_requests_total", "counter", "HTTP API requests.", metrics.http_requests);
  metric("effbench_http_connections", "gauge", "HTTP connections open.", gauges.http_connections);
  metric("effbench_http_connections_evicted_total", "counter",
         "HTTP connections closed at the cap to make room (they waited longest for a request).",
         gauges.http_evicted);
  metric("effbench_http_connections_refused_total", "counter",
         "HTTP connections refused at the cap (every open one was answering).",
         gauges.http_refused);
  return m.str();
}

}  // namespace effbench::coordinator
