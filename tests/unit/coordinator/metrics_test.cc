#include "harness/coordinator/metrics.h"

#include <catch2/catch.hpp>

#include "harness/coordinator/log_limiter.h"

namespace effbench::coordinator {
namespace {

TEST_CASE("metrics render as Prometheus text with a cumulative latency histogram",
          "[coordinator]") {
  Metrics m;
  m.auth_failures = 2;
  m.results_acked = 640;
  m.ObserveLatency(0.0005);  // in every bucket
  m.ObserveLatency(0.03);    // from le=0.05 on
  m.ObserveLatency(7.0);     // only in +Inf
  Gauges g;
  g.agents_connected = 3;
  g.jobs_by_state = {{"queued", 1}, {"done", 4}};
  const std::string text = PrometheusText(m, g);
  CHECK_THAT(text, Catch::Contains("# TYPE effbench_auth_failures_total counter\n"
                                   "effbench_auth_failures_total 2\n"));
  CHECK_THAT(text, Catch::Contains("effbench_results_acked_total 640\n"));
  CHECK_THAT(text, Catch::Contains("effbench_agents_connected 3\n"));
  CHECK_THAT(text, Catch::Contains("effbench_jobs{state=\"done\"} 4\n"));
  CHECK_THAT(text, Catch::Contains("effbench_ingest_latency_seconds_bucket{le=\"0.001\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("effbench_ingest_latency_seconds_bucket{le=\"0.05\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("effbench_ingest_latency_seconds_bucket{le=\"1\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("effbench_ingest_latency_seconds_bucket{le=\"+Inf\"} 3\n"));
  CHECK_THAT(text, Catch::Contains("effbench_ingest_latency_seconds_count 3\n"));
}

TEST_CASE("the log limiter lets a burst through, then counts what it holds back", "[coordinator]") {
  LogLimiter limiter(2, std::chrono::seconds(10));
  const auto t0 = std::chrono::steady_clock::time_point(std::chrono::hours(1));
  uint64_t suppressed = 99;
  CHECK(limiter.Allow(t0, suppressed));
  CHECK(suppressed == 0);
  CHECK(limiter.Allow(t0, suppressed));
  CHECK_FALSE(limiter.Allow(t0 + std::chrono::seconds(1), suppressed));
  CHECK_FALSE(limiter.Allow(t0 + std::chrono::seconds(2), suppressed));
  // A new window: the next line goes through and says how many were held back.
  CHECK(limiter.Allow(t0 + std::chrono::seconds(11), suppressed));
  CHECK(suppressed == 2);

  // The line as logged: as given, or with the count held back before it.
  LogLimiter lines(1, std::chrono::seconds(10));
  CHECK(lines.Pass(t0, "peer refused") == std::optional<std::string>("peer refused"));
  CHECK_FALSE(lines.Pass(t0, "peer refused").has_value());
  CHECK_FALSE(lines.Pass(t0 + std::chrono::seconds(1), "peer refused").has_value());
  CHECK(lines.Pass(t0 + std::chrono::seconds(10), "peer refused") ==
        std::optional<std::string>("peer refused (2 similar lines not logged)"));
}

}  // namespace
}  // namespace effbench::coordinator
