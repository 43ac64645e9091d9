#include "tests/test_util.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "workloads/capability.h"
#include "workloads/catalog/specs.h"

extern char** environ;

namespace effbench::testing {

uint64_t TestSeed() {
  if (const char* given = std::getenv("EFFBENCH_TEST_SEED")) return std::stoull(given);
  return (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
}

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

std::vector<std::string> Launched(std::vector<std::string> argv) {
#if defined(EFFBENCH_BUILD_DIR) && defined(EFFBENCH_TEST_LAUNCHER)
  static const std::vector<std::string> launcher = [] {
    std::vector<std::string> words;
    std::istringstream in(EFFBENCH_TEST_LAUNCHER);
    for (std::string word; in >> word;) words.push_back(word);
    return words;
  }();
  const std::string build_dir = EFFBENCH_BUILD_DIR;
  if (!argv.empty() && argv[0].starts_with(build_dir + "/"))
    argv.insert(argv.begin(), launcher.begin(), launcher.end());
#endif
  return argv;
}

Process::Process(const std::vector<std::string>& given_argv, const std::string& log_path,
                 const std::string& cwd)
    : log_path_(log_path) {
  const std::vector<std::string> argv = Launched(given_argv);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
}

Process::~Process() {
  if (running()) {
    Signal(SIGKILL);
    Wait(10);
  }
}

void Process::Signal(int signal) const { ::kill(pid_, signal); }

bool Process::running() {
  if (status_) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return true;
}

std::optional<int> Process::Wait(double timeout_s) {
  WaitFor([this] { return !running(); }, timeout_s);
  return status_;
}

std::string Process::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool WaitFor(const std::function<bool()>& ready, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (!ready()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
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

Http HttpRequest(int port, const std::string& method, const std::string& target,
                 const std::string& body, const std::string& token) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                                static_cast<uint16_t>(port)));
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  Http out;
  out.status = res.result_int();
  out.body = nlohmann::json::parse(res.body(), nullptr, false);
  if (out.body.is_discarded()) out.body = res.body();
  return out;
}

std::optional<std::string> UnmetOnednnNeed(const std::string& precision) {
  workloads::WorkloadSpec spec;
  spec.variant = Variant{precision, "dense", "onednn", ""};
  spec.needs = catalog::DeclaredNeeds("gemm", spec.variant);
  return workloads::UnmetNeed(spec);
}

std::string IdxBytes(const std::vector<uint32_t>& dims, size_t data_bytes, uint8_t type) {
  std::string out = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (const uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((d >> shift) & 0xff);
  }
  for (size_t i = 0; i < data_bytes; ++i) out += static_cast<char>(i % 10);
  return out;
}

void WriteGzip(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  if (f == nullptr) throw std::runtime_error("cannot write " + path);
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  if (gzclose(f) != Z_OK) throw std::runtime_error("cannot write " + path);
}

void WriteFashionMnistFixture(const std::string& dir, int train, int test, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const auto write = [&](const std::string& prefix, int count) {
    std::string images = IdxBytes({uint32_t(count), 28, 28}, 0);
    std::string labels = IdxBytes({uint32_t(count)}, 0);
    for (int n = 0; n < count; ++n) {
      const int label = static_cast<int>(rng() % 10);
      labels += static_cast<char>(label);
      std::string image(784, 0);
      for (char& p : image) p = static_cast<char>(rng() % 40);
      const int row = 2 + 2 * label;
      for (int x = 4; x < 24; ++x) {
        image[size_t(row * 28 + x)] = static_cast<char>(255);
        image[size_t((row + 1) * 28 + x)] = static_cast<char>(200);
      }
      images += image;
    }
    WriteGzip(dir + "/" + prefix + "-images-idx3-ubyte.gz", images);
    WriteGzip(dir + "/" + prefix + "-labels-idx1-ubyte.gz", labels);
  };
  write("train", train);
  write("t10k", test);
}

}  // namespace effbench::testing
