// How fast the reports are on a big database: 50 machines x 200 commits x 100
// workloads = 1,000,000 results of 10 samples each (generated once into
// --db), then, best of --trials:
//   - the efficiency table across machines (console), built and rendered;
//   - the HTML page;
//   - the history of one workload on every machine (50 series x 200 commits);
//   - one series' history on a connection opened for it (median, p95);
//   - GET /?workloads=... from a running `effbench serve` on the database,
//     while a writer keeps inserting results into it.
//   build/tests/bench/effbench_report_bench [--db DB] [--machines 50] [--commits 200]
//       [--workloads 100] [--trials 3]
// DB is a SQLite file or a postgresql:// URI (generated when it holds no
// results).
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>

#include "core/time.h"
#include "harness/analysis/history.h"
#include "harness/analysis/machine_comparison.h"
#include "harness/store/result_store.h"
#include "tests/test_util.h"

namespace effbench {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// ISO 8601 time `offset_s` after 2026-05-28.
std::string Time(long long offset_s) {
  return effbench::Iso8601(
      std::chrono::system_clock::time_point(std::chrono::seconds(1780000000LL + offset_s)));
}

std::string Fingerprint(int machine) {
  char hex[65];
  std::snprintf(hex, sizeof hex, "%08x", 0x10000000 + machine);
  return std::string(hex) + std::string(56, 'c');
}

// One result of workload `w` (three precisions of 1/3 of the shapes each) on
// machine `m` at commit `c`, with 10 samples.
result::ResultRecord Record(const std::string& run_id, int m, int c, int w, std::mt19937_64& rng) {
  static const char* const kPrecisions[] = {"fp32", "int8", "bf16"};
  const std::string precision = kPrecisions[w % 3];
  result::ResultRecord r = testing::MakeRecord(run_id, 0, precision);
  r.machine = Fingerprint(m);
  r.params = {{"m", 64 + w / 3}, {"n", 64}, {"k", 64}};
  r.name = "gemm." + precision + "/m" + std::to_string(64 + w / 3) + "n64k64@onednn";
  r.variant.backend = "onednn";
  r.implementation = m % 2 ? "jit:avx2" : "brg:avx512_core";
  const double level = 1000.0 * (1 + w % 7) * (1 + 0.01 * m) * (precision == "int8" ? 0.4 : 1) *
                       (c >= 150 && w == 0 ? 1.1 : 1);
  std::normal_distribution<double> noise(1, 0.01);
  for (int i = 0; i < 10; ++i) r.samples_ns.push_back(level * noise(rng));
  r.stats = result::Summarize(r.samples_ns);
  r.gflops = r.flop / r.stats->median_ns;
  r.gbps = r.bytes / r.stats->median_ns;
  r.revision.commit = "c" + std::to_string(100000 + c);
  r.revision.time = Time(3600LL * c);
  return r;
}

void Generate(const std::string& path, int machines, int commits, int workloads) {
  auto db = store::OpenStore(path);
  if (!db.ok()) throw std::runtime_error(db.status().message());
  std::mt19937_64 rng(1);
  const auto start = Clock::now();
  for (int m = 0; m < machines; ++m) {
    const std::string fp = Fingerprint(m);
    if (!(*db)
             ->UpsertMachine({fp, "host" + std::to_string(m), "CPU " + std::to_string(m), "x86_64",
                              "{\"isa\":[\"avx2\"]}", std::nullopt, "2026-01-01T00:00:00Z",
                              "2026-01-01T00:00:00Z"})
             .ok()) {
      throw std::runtime_error("machine");
    }
    for (int c = 0; c < commits; ++c) {
      const std::string run_id = result::NewUuid();
      const std::string time = Time(3600LL * c + m);
      store::RunRow run{run_id,  fp,   {"repo", "c" + std::to_string(100000 + c), "main", time},
                        "bench", time, std::nullopt,
                        "{}"};
      if (!(*db)->BeginRun(run).ok()) throw std::runtime_error("run");
      std::vector<result::ResultRecord> records;
      for (int w = 0; w < workloads; ++w) records.push_back(Record(run_id, m, c, w, rng));
      auto inserted = (*db)->InsertResults(records);
      if (!inserted.ok()) throw std::runtime_error(inserted.status().message());
      if (!(*db)->FinishRun(run_id, time).ok()) throw std::runtime_error("finish");
    }
    std::cerr << "\rgenerated machine " << m + 1 << "/" << machines << " (" << Seconds(start)
              << " s)" << std::flush;
  }
  std::cerr << "\n";
}

template <typename F>
double Best(int trials, F&& f) {
  double best = 1e300;
  for (int i = 0; i < trials; ++i) {
    const auto start = Clock::now();
    f();
    best = std::min(best, Seconds(start));
  }
  return best;
}

int Main(int argc, char** argv) {
  std::string db_path = "effbench-report-bench.db";
  int machines = 50, commits = 200, workloads = 100, trials = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--db")
      db_path = value;
    else if (flag == "--machines")
      machines = std::stoi(value);
    else if (flag == "--commits")
      commits = std::stoi(value);
    else if (flag == "--workloads")
      workloads = std::stoi(value);
    else if (flag == "--trials")
      trials = std::stoi(value);
    else {
      std::cerr << "unknown flag " << flag << "\n";
      return 2;
    }
  }
  struct stat st {};
  const bool postgres = store::IsPostgresLocation(db_path);
  if (!postgres && ::stat(db_path.c_str(), &st) != 0)
    Generate(db_path, machines, commits, workloads);
  auto db = store::OpenStore(db_path);
  if (!db.ok()) {
    std::cerr << db.status().message() << "\n";
    return 1;
  }
  if (postgres && (*db)->ResultCount().value_or(0) == 0) {
    Generate(db_path, machines, commits, workloads);
  }
  auto count = (*db)->ResultCount();
  std::cout << "database " << db_path << ": " << (count.ok() ? *count : -1) << " results\n";

  size_t rows = 0, bytes = 0;
  const double table = Best(trials, [&] {
    auto m = analysis::BuildMachineComparison(**db, {});
    if (!m.ok()) throw std::runtime_error(m.status().message());
    rows = m->rows.size();
    bytes = reports::RenderMachineComparison(*m, reports::ComparisonFormat::kConsole).size();
  });
  std::cout << "efficiency table, " << machines << " machines x " << rows << " rows (console, "
            << bytes << " bytes): " << table << " s\n";
  const double html = Best(trials, [&] {
    auto m = analysis::BuildMachineComparison(**db, {});
    bytes = reports::RenderMachineComparison(*m, reports::ComparisonFormat::kHtml).size();
  });
  std::cout << "HTML page (" << bytes << " bytes): " << html << " s\n";
  size_t series = 0;
  const double history = Best(trials, [&] {
    analysis::HistoryOptions o;
    o.workloads = "gemm.fp32/m64n64k64@onednn";
    auto h = analysis::BuildHistory(**db, o);
    if (!h.ok()) throw std::runtime_error(h.status().message());
    series = h->series.size();
    bytes = reports::RenderHistory(*h, reports::ComparisonFormat::kHtml).size();
  });
  std::cout << "history HTML, " << series << " series x " << commits << " commits (" << bytes
            << " bytes): " << history << " s\n";

  // One series' history as a dashboard asks for it: on a connection of its
  // own, opened for the question (cold), a series picked at random each time.
  std::vector<double> cold, opening;
  size_t points = 0;
  std::mt19937_64 pick(3);
  for (int i = 0; i < 20; ++i) {
    const int m = static_cast<int>(pick() % machines), w = static_cast<int>(pick() % workloads);
    static const char* const kPrecisions[] = {"fp32", "int8", "bf16"};
    const store::SeriesKey key{Fingerprint(m), std::string("gemm.") + kPrecisions[w % 3] + "/m" +
                                                   std::to_string(64 + w / 3) + "n64k64@onednn"};
    const auto start = Clock::now();
    auto reader = store::OpenStore(db_path, store::Durability::kNormal, store::OpenCheck::kNone);
    if (!reader.ok()) throw std::runtime_error(reader.status().message());
    opening.push_back(Seconds(start));
    auto h = (*reader)->SeriesHistory(key);
    if (!h.ok()) throw std::runtime_error(h.status().message());
    cold.push_back(Seconds(start));
    points = h->size();
  }
  std::sort(cold.begin(), cold.end());
  std::sort(opening.begin(), opening.end());
  std::cout << "one series' history (" << points << " points), connection opened for it: median "
            << 1000 * cold[cold.size() / 2] << " ms, p95 " << 1000 * cold[cold.size() * 95 / 100]
            << " ms over " << cold.size() << " series (the opening alone: median "
            << 1000 * opening[opening.size() / 2] << " ms)\n";

  // The live page while a writer inserts a run of `workloads` results every
  // few milliseconds into the same database.
  testing::TempDir dir;
  {
    std::ofstream token(dir.File("fleet.token"));
    token << "bench-token-0123456789abcdef0123456789abcdef\n";
  }
  ::chmod(dir.File("fleet.token").c_str(), 0600);
  testing::Process serve({EFFBENCH_BINARY, "serve", "--db", db_path, "--listen", "127.0.0.1:0",
                          "--http", "127.0.0.1:0", "--token-file", dir.File("fleet.token"),
                          "--ready-file", dir.File("ready.json")},
                         dir.File("serve.log"));
  int port = 0;
  if (!testing::WaitFor(
          [&] {
            std::ifstream in(dir.File("ready.json"));
            const auto j = nlohmann::json::parse(in, nullptr, false);
            if (j.is_discarded()) return false;
            port = j["http"];
            return true;
          },
          120)) {
    std::cerr << "serve did not start: " << serve.Log() << "\n";
    return 1;
  }
  std::atomic<bool> stop{false};
  std::atomic<long> written{0};
  std::thread writer([&] {
    auto w = store::OpenStore(db_path);
    std::mt19937_64 rng(2);
    for (int c = commits; !stop; ++c) {
      const std::string run_id = result::NewUuid();
      const std::string time = Time(3600LL * c);
      if (!(*w)->BeginRun({run_id,
                           Fingerprint(0),
                           {"repo", "x", "main", time},
                           "bench",
                           time,
                           std::nullopt,
                           "{}"})
               .ok()) {
        continue;
      }
      std::vector<result::ResultRecord> records;
      for (int k = 0; k < workloads; ++k) records.push_back(Record(run_id, 0, c, k, rng));
      if ((*w)->InsertResults(records).ok()) written += workloads;
      if (!(*w)->FinishRun(run_id, time).ok()) continue;
    }
  });
  // Under ingest: the writer has written (its open checks a SQLite file's
  // pages first, a second and more at 1,000,000 results).
  testing::WaitFor([&] { return written > 0; }, 60);
  std::vector<double> latencies;
  for (int i = 0; i < 20; ++i) {
    const auto start = Clock::now();
    const auto page =
        testing::HttpRequest(port, "GET", "/?workloads=gemm.int8*&machines=host1,host2,host3");
    latencies.push_back(Seconds(start));
    if (page.status != 200) {
      std::cerr << "GET / answered " << page.status << "\n";
      break;
    }
  }
  stop = true;
  writer.join();
  serve.Signal(SIGTERM);
  serve.Wait(60);
  std::sort(latencies.begin(), latencies.end());
  std::cout << "GET /?workloads=gemm.int8*&machines=host1,host2,host3 while " << written
            << " results were written: median " << 1000 * latencies[latencies.size() / 2]
            << " ms, max " << 1000 * latencies.back() << " ms over " << latencies.size()
            << " requests\n";
  return 0;
}

}  // namespace
}  // namespace effbench

int main(int argc, char** argv) { return effbench::Main(argc, argv); }
