// The fleet load generator: N simulated agents on loopback stream result
// records (each with 10 samples) to a real `effbench serve` as fast as its
// acknowledgements allow. Reports results ingested per second, ack latency
// p50/p99, the coordinator's peak RSS, and the raw store rate of the same
// records in the same run (SQLite: inserted through the same store;
// PostgreSQL: binary COPY alone into the same server); then an idle real
// effbench-agent's RSS and CPU use. The CPU time the coordinator and the
// generator spent a record while streaming says where the cores went.
//
//   build/tests/bench/effbench_fleet_load [--agents 1,16,64] [--records 20000]
//       [--batch 64] [--window 1024] [--samples 10] [--idle-seconds 10] [--readers 2]
//       [--read-interval-ms 100] [--db FILE] [--page PATH]
//
// --readers N: N threads read the database all the while, as users do: an
// outside SQLite connection opened, counted and closed again, and every
// fifth time `effbench report`. It shows what readers cost the ingest.
// --db FILE: the coordinator serves (and the agents add to) this database
// instead of a fresh one, e.g. a copy of effbench_report_bench's 1,000,000
// results; or a PostgreSQL database (--db postgresql:///NAME, the PG*
// variables naming its server), whose raw rate is binary COPY's. --page PATH: one more reader asks
// the coordinator for PATH (e.g.
// "/?workloads=gemm.int8*&machines=host1") every --read-interval-ms while the
// agents stream, and the page's latency is printed: a dashboard under ingest.
#include <sqlite3.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "harness/fleet/auth.h"
#include "harness/fleet/channel.h"
#include "harness/result/record.h"
#include "harness/store/postgres_store.h"
#include "harness/store/result_store.h"
#include "tests/test_util.h"

namespace effbench {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr char kToken[] = "load-generator-fleet-token-0123456789";

struct Options {
  std::vector<int> agents = {1, 16, 64};
  int records = 20000;  // per agent count, split over its agents
  int batch = 64;       // records per frame
  int window = 0;       // records in flight per agent; 0: 512 / agents (at least 8)
  int samples = 10;
  double idle_seconds = 10;
  int readers = 0;
  int read_interval_ms = 100;  // each reader's pause between reads, as a dashboard polls
  std::string db;              // empty: a fresh database per agent count
  std::string page;            // empty: no page reader
};

struct SimAgent {
  int index = 0;
  std::string name, fingerprint, run_id, job_id;
  std::vector<std::string> frames;  // pre-built result frames
  std::vector<size_t> frame_records;
  std::vector<std::string> first_ids;  // of each frame's records
  std::vector<double> latencies_ms;    // one per record
  Clock::time_point last_ack;
  std::string error;
};

std::string Fingerprint(int i) {
  char buf[65];
  std::snprintf(buf, sizeof buf, "%064x", 0xf1ee7000 + i);
  return buf;
}

// A counter of the coordinator's /metrics, -1 when absent.
double Metric(int port, const std::string& name) {
  const testing::Http metrics = testing::HttpRequest(port, "GET", "/metrics");
  if (!metrics.body.is_string()) return -1;
  std::istringstream in(metrics.body.get<std::string>());
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return -1;
}

// Connects, authenticates and waits for its job.
asio::awaitable<void> Join(SimAgent& a, asio::io_context& io, int port,
                           std::shared_ptr<fleet::Channel>* out) {
  tcp::socket socket(io);
  co_await socket.async_connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)),
      asio::use_awaitable);
  socket.set_option(tcp::no_delay(true));
  auto adopted = fleet::Channel::Adopt(io, socket.release(), fleet::ChannelLimits{});
  if (!adopted.ok()) {
    a.error = adopted.status().message();
    co_return;
  }
  auto ch = std::move(adopted).value();
  ch->Start([&a](const std::string& m) { a.error = m; });
  auto challenge = co_await ch->Read(std::chrono::seconds(30), asio::use_awaitable);
  if (challenge.closed || challenge.error) {
    a.error = "no challenge";
    co_return;
  }
  json hello = fleet::NewMessage("hello");
  hello["name"] = a.name;
  hello["version"] = "load-generator";
  hello["labels"] = {{"role", "load"}};
  hello["machine"] = {{"fingerprint", a.fingerprint}, {"hostname", a.name},
                      {"cpu_model", "simulated"},     {"arch", "x86_64"},
                      {"inventory", json::object()},  {"calibration", nullptr}};
  hello["auth"] = {
      {"proof",
       fleet::ClientProof(kToken, fleet::AuthMessage(challenge.message["nonce"].get<std::string>(),
                                                     a.name, a.fingerprint))}};
  ch->Send(hello);
  auto welcome = co_await ch->Read(std::chrono::seconds(30), asio::use_awaitable);
  if (welcome.closed || welcome.error || welcome.message["type"] != "welcome") {
    a.error = "not welcomed";
    co_return;
  }
  *out = ch;
}

asio::awaitable<void> AwaitJob(SimAgent& a, std::shared_ptr<fleet::Channel> ch) {
  for (;;) {
    auto in = co_await ch->Read(std::chrono::seconds(60), asio::use_awaitable);
    if (in.closed || in.error) {
      a.error = "no job";
      co_return;
    }
    if (in.message["type"] == "job") {
      a.job_id = in.message["job_id"];
      a.run_id = in.message["run_id"];
      co_return;
    }
  }
}

// The first id an ack frame acknowledges, read off the raw frame; empty for
// any other message. The generator stands in for many agents on the same two
// cores as the coordinator, so it leaves parsing and validating to the latter.
std::string_view FirstAckedId(std::string_view raw) {
  if (raw.find("\"type\":\"ack\"") == std::string_view::npos) return {};
  const size_t at = raw.find("\"ids\":[\"");
  if (at == std::string_view::npos) return {};
  const size_t begin = at + 8, end = raw.find('"', begin);
  if (end == std::string_view::npos) return {};
  return raw.substr(begin, end - begin);
}

asio::awaitable<void> Stream(SimAgent& a, std::shared_ptr<fleet::Channel> ch, int window) {
  ch->SetDecoding(fleet::Decoding::kRaw);
  std::map<std::string, std::pair<Clock::time_point, size_t>> in_flight;  // first id of a frame
  size_t next = 0, outstanding = 0;
  const std::vector<std::string>& first_ids = a.first_ids;
  while (next < a.frames.size() || outstanding > 0) {
    while (next < a.frames.size() &&
           outstanding + a.frame_records[next] <= static_cast<size_t>(window)) {
      in_flight[first_ids[next]] = {Clock::now(), a.frame_records[next]};
      outstanding += a.frame_records[next];
      ch->SendFrame(a.frames[next]);
      ++next;
    }
    auto in = co_await ch->Read(std::chrono::seconds(60), asio::use_awaitable);
    if (in.closed || in.error) {
      a.error = in.closed ? *in.closed : in.error->message;
      co_return;
    }
    const std::string_view first = FirstAckedId(in.raw);
    if (first.empty()) {
      if (in.raw.find("\"type\":\"error\"") != std::string::npos) {
        a.error = "coordinator error: " + in.raw;
        co_return;
      }
      continue;
    }
    const auto now = Clock::now();
    const auto it = in_flight.find(std::string(first));
    if (it == in_flight.end()) continue;
    const double ms = std::chrono::duration<double, std::milli>(now - it->second.first).count();
    for (size_t i = 0; i < it->second.second; ++i) a.latencies_ms.push_back(ms);
    outstanding -= it->second.second;
    in_flight.erase(it);
    a.last_ack = now;
  }
  ch->Close();
}

// Runs `io` until `done` holds (the channels' writers never finish on their own).
void RunUntil(asio::io_context& io, const std::function<bool()>& done) {
  while (!done()) io.run_one_for(std::chrono::milliseconds(100));
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

// A "name: value" field of a /proc file (status: kB, io: bytes), -1 when absent.
long ProcField(int pid, const std::string& file, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

// User and system CPU seconds from a /proc stat file (of a process or a thread).
double StatCpuSeconds(const std::filesystem::path& stat_path) {
  std::ifstream in(stat_path);
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) stime = std::stol(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double CpuSeconds(int pid) { return StatCpuSeconds("/proc/" + std::to_string(pid) + "/stat"); }

// CPU seconds of each thread of `pid`, by thread id.
std::map<std::string, double> ThreadCpuSeconds(int pid) {
  std::map<std::string, double> out;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    out[entry.path().filename()] = StatCpuSeconds(entry.path() / "stat");
  }
  return out;
}

// How busy the two busiest threads of a process were between two samples, as
// "network%/writer%" would be for the coordinator.
std::string BusiestThreads(const std::map<std::string, double>& before,
                           const std::map<std::string, double>& after, double seconds) {
  std::vector<double> busy;
  for (const auto& [tid, cpu] : after) {
    const auto b = before.find(tid);
    busy.push_back(cpu - (b == before.end() ? 0.0 : b->second));
  }
  std::sort(busy.rbegin(), busy.rend());
  busy.resize(2, 0.0);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f%%/%.0f%%", 100 * busy[0] / seconds, 100 * busy[1] / seconds);
  return buf;
}

struct Ready {
  int agents = 0, http = 0;
};

Ready WaitReady(const std::string& path) {
  Ready r;
  testing::WaitFor(
      [&] {
        std::ifstream in(path);
        json j = json::parse(in, nullptr, false);
        if (j.is_discarded()) return false;
        r.agents = j["agents"];
        r.http = j["http"];
        return true;
      },
      60);
  return r;
}

void RunLoad(const Options& o, int n) {
  testing::TempDir dir;
  std::ofstream(dir.File("fleet.token")) << kToken << "\n";
  const std::string db_path = o.db.empty() ? dir.File("load.db") : o.db;
  testing::Process serve({EFFBENCH_BINARY, "serve", "--db", db_path, "--listen", "127.0.0.1:0",
                          "--http", "127.0.0.1:0", "--token-file", dir.File("fleet.token"),
                          "--ready-file", dir.File("ready.json"), "--heartbeat", "30"},
                         dir.File("serve.log"));
  const Ready ready = WaitReady(dir.File("ready.json"));

  std::vector<SimAgent> agents(static_cast<size_t>(n));
  std::vector<std::shared_ptr<fleet::Channel>> channels(agents.size());
  asio::io_context io(1);
  for (int i = 0; i < n; ++i) {
    agents[i].index = i;
    agents[i].name = "load-" + std::to_string(i);
    agents[i].fingerprint = Fingerprint(i);
    asio::co_spawn(io, Join(agents[i], io, ready.agents, &channels[i]), asio::detached);
  }
  const auto all = [&](const std::function<bool(size_t)>& ok) {
    return [&agents, ok] {
      for (size_t i = 0; i < agents.size(); ++i) {
        if (!ok(i) && agents[i].error.empty()) return false;
      }
      return true;
    };
  };
  RunUntil(io, all([&](size_t i) { return channels[i] != nullptr; }));
  const json jobs = {{"workload", "gemm.fp32/m35n700k2048@ref"}, {"agents", "role=load"}};
  if (testing::HttpRequest(ready.http, "POST", "/api/jobs", jobs.dump(), kToken).status != 201) {
    std::cerr << "fleet_load: the coordinator refused the jobs\n" << serve.Log();
    return;
  }
  for (int i = 0; i < n; ++i) asio::co_spawn(io, AwaitJob(agents[i], channels[i]), asio::detached);
  RunUntil(io, all([&](size_t i) { return !agents[i].run_id.empty(); }));

  // Build every frame before the clock starts: the generator shares 2 cores
  // with the coordinator and should spend them on the wire only.
  // Ack latency is queueing: by Little's law, records in flight / rate. The
  // default keeps the fleet's total in flight near 512 whatever N is.
  const int window = o.window > 0 ? o.window : std::max(8, 512 / n);
  const int per_agent = std::max(o.batch, o.records / n);
  std::vector<result::ResultRecord> all_records;
  for (SimAgent& a : agents) {
    if (!a.error.empty()) {
      std::cerr << "fleet_load: agent " << a.name << ": " << a.error << "\n";
      return;
    }
  }
  // Records are made as a fleet would measure them: agents side by side, each
  // going through a suite of 40 workloads, so ids (time-ordered) interleave
  // across agents and every run and workload grows its index entries at once.
  std::vector<std::vector<json>> made(agents.size());
  for (int k = 0; k < per_agent; ++k) {
    for (size_t i = 0; i < agents.size(); ++i) {
      result::ResultRecord r = testing::MakeRecord(agents[i].run_id, o.samples);
      r.name = "gemm.fp32/m64n32k" + std::to_string(16 + k % 40) + "@ref";
      r.machine = agents[i].fingerprint;
      made[i].push_back(result::ToJson(r));
      all_records.push_back(std::move(r));
    }
  }
  for (size_t i = 0; i < agents.size(); ++i) {
    SimAgent& a = agents[i];
    const int batch = std::min(o.batch, window);
    for (int at = 0; at < per_agent; at += batch) {
      json frame = fleet::NewMessage("result");
      frame["job_id"] = a.job_id;
      frame["records"] = json::array();
      for (int k = at; k < std::min(per_agent, at + batch); ++k) {
        frame["records"].push_back(std::move(made[i][static_cast<size_t>(k)]));
      }
      a.frame_records.push_back(frame["records"].size());
      a.first_ids.push_back(frame["records"][0]["id"]);
      a.frames.push_back(fleet::Frame(frame));
    }
  }
  const double serve_cpu0 = CpuSeconds(serve.pid()), own_cpu0 = CpuSeconds(getpid());
  const auto threads0 = ThreadCpuSeconds(serve.pid());
  const long written0 = ProcField(serve.pid(), "io", "wchar");
  std::atomic<bool> stop_reading{false};
  std::atomic<long> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < o.readers; ++r) {
    readers.emplace_back([&, r] {
      const std::string report =
          std::string(EFFBENCH_BINARY) + " report --db " + db_path + " >/dev/null 2>&1";
      for (long k = r; !stop_reading; ++k) {
        if (k % 5 == 4) {
          (void)std::system(report.c_str());
        } else if (store::IsPostgresLocation(db_path)) {
          const std::string count =
              "psql -qAt -c 'SELECT count(*) FROM results' '" + db_path + "' >/dev/null 2>&1";
          (void)std::system(count.c_str());
        } else {
          sqlite3* raw = nullptr;
          if (sqlite3_open_v2(db_path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
            sqlite3_busy_timeout(raw, 5000);
            sqlite3_exec(raw, "SELECT count(*) FROM results", nullptr, nullptr, nullptr);
          }
          sqlite3_close(raw);
        }
        ++reads;
        std::this_thread::sleep_for(std::chrono::milliseconds(o.read_interval_ms));
      }
    });
  }
  std::vector<double> page_ms;
  std::string page_error;
  if (!o.page.empty()) {
    readers.emplace_back([&] {
      while (!stop_reading) {
        const auto t0 = Clock::now();
        const testing::Http page = testing::HttpRequest(ready.http, "GET", o.page);
        if (page.status != 200) {
          page_error = "GET " + o.page + " answered " + std::to_string(page.status);
          return;
        }
        if (stop_reading) return;  // finished after the agents: not under ingest
        page_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        std::this_thread::sleep_for(std::chrono::milliseconds(o.read_interval_ms));
      }
    });
  }
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i)
    asio::co_spawn(io, Stream(agents[i], channels[i], window), asio::detached);
  io.run();
  stop_reading = true;
  for (auto& t : readers) t.join();
  if (!page_error.empty()) std::cerr << "fleet_load: " << page_error << "\n";

  const double serve_cpu = CpuSeconds(serve.pid()) - serve_cpu0;
  const auto threads1 = ThreadCpuSeconds(serve.pid());
  const long written = ProcField(serve.pid(), "io", "wchar") - written0;
  const double own_cpu = CpuSeconds(getpid()) - own_cpu0;
  Clock::time_point end = start;
  std::vector<double> latencies;
  size_t acked = 0;
  for (const SimAgent& a : agents) {
    if (!a.error.empty()) std::cerr << "fleet_load: agent " << a.name << ": " << a.error << "\n";
    end = std::max(end, a.last_ack);
    latencies.insert(latencies.end(), a.latencies_ms.begin(), a.latencies_ms.end());
    acked += a.latencies_ms.size();
  }
  const double seconds = std::chrono::duration<double>(end - start).count();
  const long peak_kb = ProcField(serve.pid(), "status", "VmHWM");
  const double commits = Metric(ready.http, "effbench_ingest_commits_total");
  serve.Signal(SIGTERM);
  serve.Wait(60);

  // The same records, serialized beforehand as the coordinator's network
  // thread does: for SQLite, straight into a fresh store in the writer's
  // transaction sizes and durability; for PostgreSQL, binary COPY alone into
  // the same server, the ceiling of any ingest.
  std::vector<result::RecordRow> prepared;
  for (auto& r : all_records) prepared.push_back(*result::ToRow(r));
  const size_t chunk = 1024;
  double raw_rate = 0;
  if (store::IsPostgresLocation(db_path)) {
    // Into a table like results (its key and indexes): what the coordinator
    // is measured against. Into a bare table: what the indexes cost.
    auto rate = store::PostgresStore::RawCopyRate(db_path, prepared, chunk, /*indexed=*/true);
    auto bare = store::PostgresStore::RawCopyRate(db_path, prepared, chunk, /*indexed=*/false);
    if (rate.ok() && bare.ok()) {
      raw_rate = *rate;
      std::printf(
          "  raw binary COPY, 1024 a transaction: %.0f rec/s into a table like results, "
          "%.0f rec/s into one without a key or index\n",
          *rate, *bare);
    } else {
      std::cerr << "fleet_load: " << (rate.ok() ? bare : rate).status().message() << "\n";
    }
    // And through the store alone, as the coordinator's writer calls it, the
    // records again under new ids in new runs: what the store costs beyond
    // COPY, apart from what the coordinator adds.
    if (auto db = store::OpenStore(db_path, store::Durability::kFull); db.ok()) {
      std::map<std::string, std::string> runs;
      for (const SimAgent& a : agents) {
        runs[a.run_id] = result::NewUuid();
        store::RunRow run{runs[a.run_id],
                          agents[0].fingerprint,
                          {"", "c", "", std::nullopt},
                          "load",
                          "2026-12-01T00:00:00Z",
                          std::nullopt,
                          "{}"};
        (void)(*db)->BeginRun(run);
      }
      std::vector<result::RecordRow> again = prepared;
      for (result::RecordRow& r : again) {
        r.id = result::NewUuid();
        r.run_id = runs[r.run_id];
      }
      const auto t0 = Clock::now();
      size_t stored = 0;
      for (size_t at = 0; at < again.size(); at += 256) {
        std::vector<result::RecordRow> part(
            again.begin() + static_cast<ptrdiff_t>(at),
            again.begin() + static_cast<ptrdiff_t>(std::min(again.size(), at + 256)));
        auto inserted = (*db)->InsertResults(part);
        if (!inserted.ok()) {
          std::cerr << "fleet_load: " << inserted.status().message() << "\n";
          break;
        }
        stored += *inserted;
      }
      std::printf(
          "  the store alone, 256 a transaction: %.0f rec/s\n",
          static_cast<double>(stored) / std::chrono::duration<double>(Clock::now() - t0).count());
    }
  } else if (auto db = store::ResultStore::Open(dir.File("raw.db"), store::Durability::kFull);
             db.ok() && (*db)
                            ->UpsertMachine({agents[0].fingerprint, "h", "c", "x86_64", "{}",
                                             std::nullopt, "t", "t"})
                            .ok()) {
    for (const SimAgent& a : agents) {
      store::RunRow run{
          a.run_id, agents[0].fingerprint, {"", "c", "", std::nullopt}, "load", "t", std::nullopt,
          "{}"};
      (void)(*db)->BeginRun(run);
    }
    const auto t0 = Clock::now();
    for (size_t at = 0; at < prepared.size(); at += chunk) {
      std::vector<result::RecordRow> part(
          prepared.begin() + static_cast<ptrdiff_t>(at),
          prepared.begin() + static_cast<ptrdiff_t>(std::min(prepared.size(), at + chunk)));
      if (!(*db)->InsertResults(part).ok()) break;
    }
    raw_rate = prepared.size() / std::chrono::duration<double>(Clock::now() - t0).count();
  }
  if (o.readers > 0) {
    std::printf("(%d readers: %ld reads while streaming)\n", o.readers, reads.load());
  }
  std::printf(
      "%6d  %8zu  %11.0f  %9.2f  %9.2f  %10.1f  %15.0f  %15.2f  %14.2f  %10.0f  %15s  %12.1f\n", n,
      acked, acked / seconds, Percentile(latencies, 0.5), Percentile(latencies, 0.99),
      peak_kb / 1024.0, raw_rate, 1e6 * serve_cpu / static_cast<double>(acked),
      1e6 * own_cpu / static_cast<double>(acked), acked / commits,
      BusiestThreads(threads0, threads1, seconds).c_str(),
      static_cast<double>(written) / 1024.0 / static_cast<double>(acked));
  if (store::IsPostgresLocation(db_path) && raw_rate > 0) {
    std::printf("  through the coordinator: %.0f %% of raw binary COPY into the same server\n",
                100.0 * static_cast<double>(acked) / seconds / raw_rate);
  }
  if (!page_ms.empty()) {
    std::printf(
        "  GET %s while %d agents streamed: median %.1f ms, p90 %.1f ms, max %.1f ms"
        " over %zu requests\n",
        o.page.c_str(), n, Percentile(page_ms, 0.5), Percentile(page_ms, 0.9),
        *std::max_element(page_ms.begin(), page_ms.end()), page_ms.size());
  }
  std::fflush(stdout);
}

void RunIdleAgent(const Options& o) {
  testing::TempDir dir;
  std::ofstream(dir.File("fleet.token")) << kToken << "\n";
  testing::Process serve(
      {EFFBENCH_BINARY, "serve", "--db", dir.File("idle.db"), "--listen", "127.0.0.1:0",
       "--token-file", dir.File("fleet.token"), "--ready-file", dir.File("ready.json")},
      dir.File("serve.log"));
  const Ready ready = WaitReady(dir.File("ready.json"));
  testing::Process agent(
      {EFFBENCH_AGENT_BINARY, "--coordinator", "tcp://127.0.0.1:" + std::to_string(ready.agents),
       "--token-file", dir.File("fleet.token"), "--spool", dir.File("spool"), "--name", "idle",
       "--no-calibrate"},
      dir.File("agent.log"));
  std::this_thread::sleep_for(std::chrono::seconds(2));  // connected, heartbeating
  const double cpu0 = CpuSeconds(agent.pid());
  std::this_thread::sleep_for(std::chrono::duration<double>(o.idle_seconds));
  const double cpu1 = CpuSeconds(agent.pid());
  std::printf("idle effbench-agent: RSS %.1f MB, CPU %.3f s over %.0f s (%.3f%%)\n",
              ProcField(agent.pid(), "status", "VmRSS") / 1024.0, cpu1 - cpu0, o.idle_seconds,
              100 * (cpu1 - cpu0) / o.idle_seconds);
}

}  // namespace
}  // namespace effbench

int main(int argc, char** argv) {
  effbench::Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--agents") {
      o.agents.clear();
      std::stringstream ss(value);
      std::string item;
      while (std::getline(ss, item, ',')) o.agents.push_back(std::stoi(item));
    } else if (flag == "--records") {
      o.records = std::stoi(value);
    } else if (flag == "--batch") {
      o.batch = std::stoi(value);
    } else if (flag == "--window") {
      o.window = std::stoi(value);
    } else if (flag == "--samples") {
      o.samples = std::stoi(value);
    } else if (flag == "--idle-seconds") {
      o.idle_seconds = std::stod(value);
    } else if (flag == "--readers") {
      o.readers = std::stoi(value);
    } else if (flag == "--read-interval-ms") {
      o.read_interval_ms = std::stoi(value);
    } else if (flag == "--db") {
      o.db = value;
    } else if (flag == "--page") {
      o.page = value;
    } else {
      std::cerr << "usage: effbench_fleet_load [--agents 1,16,64] [--records N] [--batch N]"
                   " [--window N] [--samples N] [--idle-seconds S] [--readers N]"
                   " [--read-interval-ms MS] [--db FILE] [--page PATH]\n";
      return 2;
    }
  }
  std::printf("records of %d samples, %d per frame, window %s per agent, coordinator %s\n",
              o.samples, o.batch, o.window > 0 ? std::to_string(o.window).c_str() : "512/N",
              EFFBENCH_BINARY);
  std::printf(
      "agents   records    results/s  ack p50ms  ack p99ms  peak RSS MB   raw store rec/s"
      "  serve CPU us/rec  load CPU us/rec  rec/commit  busiest threads  written KB/rec\n");
  for (int n : o.agents) effbench::RunLoad(o, n);
  effbench::RunIdleAgent(o);
  return 0;
}
