#include "tests/test_util.h"

#include <random>

namespace effbench::testing {

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("effbench-test-" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string FakeFingerprint(char digit) { return std::string(64, digit); }

result::ResultRecord MakeRecord(const std::string& run_id, int samples,
                                const std::string& precision) {
  result::ResultRecord r;
  r.id = result::NewUuid();
  r.run_id = run_id;
  r.name = "gemm." + precision + "/m64n32k16@ref";
  r.workload = "gemm";
  r.params = {{"m", 64}, {"n", 32}, {"k", 16}};
  r.variant = {precision, "dense", "ref", ""};
  r.threads = 1;
  r.machine = FakeFingerprint();
  r.revision = {"https://example.com/repo.git", "abc123", "main", "2026-11-01T00:00:00Z"};
  r.started_at = "2026-11-23T00:00:00Z";
  for (int i = 0; i < samples; ++i) r.samples_ns.push_back(1000.0 + 10 * i);
  r.flop = 2.0 * 64 * 32 * 16;
  r.bytes = 4.0 * (64 * 16 + 16 * 32 + 64 * 32);
  if (samples > 0) {
    r.stats = result::Summarize(r.samples_ns);
    r.gflops = r.flop / r.stats->median_ns;
    r.gbps = r.bytes / r.stats->median_ns;
  }
  r.roofline_fraction = 0.5;
  r.rel_l2 = 1e-7;
  r.max_abs = 1e-6;
  r.tolerance = 1e-5;
  r.ok = true;
  return r;
}

}  // namespace effbench::testing
