// Runs the effbench binary as a user would, in a test's temporary folder.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/test_database.h"
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

// `args` with each `--db FILE` (a SQLite file in the test's folder) naming
// the backend under test instead: FILE itself on SQLite; under
// EFFBENCH_TEST_STORE=postgres, a PostgreSQL database of its own for the
// test, the folder and the file (tests/test_database.h). A test tagged [db]
// runs its commands on each backend so.
// The database `file` of the test in `dir` on the backend under test: the
// file itself on SQLite, else its PostgreSQL database.
inline std::string DbOf(const TempDir& dir, const std::string& file) {
  if (TestStore() == "sqlite") return dir.File(file);
  return TestDatabase::OfTest((dir.path() / file).string()).location();
}

inline std::string OnTestStore(const TempDir& dir, const std::string& args) {
  if (TestStore() == "sqlite") return args;
  std::istringstream words(args);
  std::string out, word;
  bool db_next = false;
  while (words >> word) {
    if (db_next && word.find("://") == std::string::npos && word != ":memory:") {
      std::string quoted = "'";  // appended: GCC 12 warns falsely on "'" + ... + "'"
      quoted += DbOf(dir, word);
      quoted += '\'';
      word = std::move(quoted);
    }
    db_next = word == "--db";
    if (!out.empty()) out += ' ';
    out += word;
  }
  return out;
}

// Runs effbench in `dir`, its --db on the backend under test (OnTestStore).
inline CliResult RunCli(const TempDir& dir, const std::string& args, const std::string& env = "") {
  return RunBinary(dir, EFFBENCH_BINARY, OnTestStore(dir, args), env);
}

}  // namespace effbench::testing
