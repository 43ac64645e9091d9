// Helpers shared by the tests: temporary directories and valid records.
#pragma once

#include <filesystem>
#include <string>

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

// A valid machine fingerprint.
std::string FakeFingerprint(char digit = 'a');

}  // namespace effbench::testing
