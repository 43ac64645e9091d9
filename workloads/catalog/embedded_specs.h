// The spec and suite files of workloads/specs/ and workloads/suites/,
// compiled in by workloads/CMakeLists.txt.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace effbench::catalog {

struct EmbeddedFile {
  std::string name;       // file name, e.g. gemm.json
  std::string_view text;  // its contents
};

const std::vector<EmbeddedFile>& EmbeddedSpecFiles();
const std::vector<EmbeddedFile>& EmbeddedSuiteFiles();

}  // namespace effbench::catalog
