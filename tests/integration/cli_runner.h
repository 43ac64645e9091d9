// Runs the effbench binary as a user would, in a test's temporary folder.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/test_util.h"

namespace effbench::testing {

struct CliResult {
  int exit_code = -1;
  std::string out, err;
};

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `binary` in `dir` with `args` (shell words); `env` ("NAME=value
// ...") is set for it alone. A binary of this build starts as Launched says
// (through qemu-aarch64 in a cross build).
inline CliResult RunBinary(const TempDir& dir, const std::string& binary, const std::string& args,
                           const std::string& env = "") {
  const std::string out = dir.File("stdout"), err = dir.File("stderr");
  std::string program;  // the binary, through the emulator in a cross build
  for (const std::string& word : Launched({binary})) program += "'" + word + "' ";
  const std::string command = "cd '" + dir.path().string() + "' && env " + env + " " + program +
                              args + " >'" + out + "' 2>'" + err + "'";
  const int status = std::system(command.c_str());
  return CliResult{WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadAll(out), ReadAll(err)};
}

// Runs effbench in `dir`.
inline CliResult RunCli(const TempDir& dir, const std::string& args, const std::string& env = "") {
  return RunBinary(dir, EFFBENCH_BINARY, args, env);
}

}  // namespace effbench::testing
