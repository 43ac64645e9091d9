// Helpers shared by the tests: temporary directories and valid records.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/result/record.h"

namespace effbench::testing {

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A valid, successful record of run `run_id` with `samples` repetitions.
result::ResultRecord MakeRecord(const std::string& run_id, int samples = 5,
                                const std::string& precision = "fp32");

// `argv` as a program of this build is started: directly, or in a cross
// build through its emulator (qemu-aarch64 -L SYSROOT ARGV...). Other
// programs are left as they are.
std::vector<std::string> Launched(std::vector<std::string> argv);

// A child process with its stdout and stderr in a log file. Killed (SIGKILL)
// on destruction if still running. A program of this build starts as
// Launched says.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::string& log_path,
          const std::string& cwd = "");
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  int pid() const { return pid_; }
  void Signal(int signal) const;
  // The exit code (128 + signal when killed), or nullopt if still running after `timeout_s`.
  std::optional<int> Wait(double timeout_s);
  bool running();
  std::string Log() const;

 private:
  int pid_ = -1;
  std::optional<int> status_;
  std::string log_path_;
};

// Waits up to `timeout_s` for `ready` to become true, polling every 50 ms.
bool WaitFor(const std::function<bool()>& ready, double timeout_s);

// A seed for a test that checks kernels on fresh random data: a new one each
// run, or EFFBENCH_TEST_SEED's to replay a failure. The test prints it with
// INFO, so that a failure names the seed that made it.
uint64_t TestSeed();

// A valid machine fingerprint.
// An HTTP/1.1 exchange with 127.0.0.1:`port`; the body is JSON when it
// parses, else the text. `token`, when given, goes as a Bearer token.
struct Http {
  int status = 0;
  nlohmann::json body;
};
Http HttpRequest(int port, const std::string& method, const std::string& target,
                 const std::string& body = "", const std::string& token = "");

std::string FakeFingerprint(char digit = 'a');

// Why a dense oneDNN variant of `precision` cannot run on this machine (under
// EFFBENCH_MAX_ISA), as the capability model says; nullopt when it can.
std::optional<std::string> UnmetOnednnNeed(const std::string& precision);

// An IDX file's bytes: magic (unsigned bytes, or `type`), dimensions, then
// `data_bytes` bytes of data (i % 10).
std::string IdxBytes(const std::vector<uint32_t>& dims, size_t data_bytes, uint8_t type = 0x08);
// Writes `bytes` gzip-compressed to `path`.
void WriteGzip(const std::string& path, const std::string& bytes);
// A Fashion-MNIST stand-in in `dir`: the four IDX files, `train` and `test`
// 28×28 images that a small CNN learns in a few epochs (class k: a bright
// bar on row 2 + 2k over noise), seeded.
void WriteFashionMnistFixture(const std::string& dir, int train, int test, uint64_t seed);

}  // namespace effbench::testing
