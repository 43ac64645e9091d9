#include "core/file.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace effbench {

// GCC 12 warns, falsely, that moving the string into the Result overlaps
// (GCC bug 105329, -Wrestrict on std::string after reserve).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wrestrict"
Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return Status::IoError("cannot read " + path);
  // Read in place, once, into a string sized from the file where it has a
  // size (a pipe has none): a 200 MB file costs 200 MB, not twice that.
  const std::streamoff size = in.tellg();
  in.clear();
  in.seekg(0);
  in.clear();
  std::string text;
  if (size > 0) text.reserve(static_cast<size_t>(size) + kReadFileSpare);
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return Status::IoError("cannot read " + path);
  text.reserve(text.size() + kReadFileSpare);
  return text;
}
#pragma GCC diagnostic pop

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
