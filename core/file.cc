#include "core/file.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace effbench {

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Status WriteFileReplacing(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::error_code ignored;
  {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    file << text;
    file.flush();
    if (!file) {
      std::filesystem::remove(tmp, ignored);
      return Status::IoError("cannot write " + path);
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ignored);
    return Status::IoError("cannot write " + path + ": " + ec.message());
  }
  return Status::Ok();
}

}  // namespace effbench
