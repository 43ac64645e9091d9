#include "workloads/data/idx.h"

#include <zlib.h>

#include <filesystem>
#include <limits>

namespace effbench::workloads::data {

namespace {

uint32_t BigEndian32(std::string_view bytes, size_t at) {
  const auto b = [&](size_t i) {
    return static_cast<uint32_t>(static_cast<uint8_t>(bytes[at + i]));
  };
  return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}

}  // namespace

Result<IdxArray> ParseIdx(std::string_view bytes, const std::string& what) {
  const auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(what + ": not a valid IDX file: " + why);
  };
  if (bytes.size() < 4) {
    return bad("has " + std::to_string(bytes.size()) +
               " bytes, fewer than the 4 of the magic number");
  }
  if (bytes[0] != 0 || bytes[1] != 0)
    return bad("the magic number does not start with two zero bytes");
  const auto type = static_cast<uint8_t>(bytes[2]);
  if (type != 0x08) {
    return bad("data type 0x" + std::string(1, "0123456789abcdef"[type >> 4]) +
               std::string(1, "0123456789abcdef"[type & 15]) + " is not unsigned bytes (0x08)");
  }
  const size_t rank = static_cast<uint8_t>(bytes[3]);
  if (rank == 0) return bad("has no dimensions");
  const size_t header = 4 + 4 * rank;
  if (bytes.size() < header) {
    return bad("ends inside its header (" + std::to_string(rank) + " dimensions need " +
               std::to_string(header) + " bytes, the file has " + std::to_string(bytes.size()) +
               ")");
  }
  IdxArray out;
  uint64_t count = 1;
  for (size_t d = 0; d < rank; ++d) {
    const uint32_t size = BigEndian32(bytes, 4 + 4 * d);
    if (size == 0) return bad("dimension " + std::to_string(d) + " is 0");
    if (count > std::numeric_limits<uint64_t>::max() / size) return bad("its dimensions overflow");
    count *= size;
    out.dims.push_back(size);
  }
  const uint64_t have = bytes.size() - header;
  if (have != count) {
    std::string dims;
    for (const int64_t d : out.dims) dims += (dims.empty() ? "" : "×") + std::to_string(d);
    return bad("its dimensions " + dims + " need " + std::to_string(count) +
               " bytes of data, it has " + std::to_string(have) +
               (have < count ? " (truncated)" : " (trailing bytes)"));
  }
  out.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return out;
}

Result<IdxArray> ReadIdx(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return Status::NotFound(path + ": no such file");
  gzFile file = gzopen(path.c_str(), "rb");  // reads plain files as they are
  if (file == nullptr) return Status::IoError(path + ": cannot open");
  std::string bytes;
  char buffer[1 << 16];
  for (;;) {
    const int n = gzread(file, buffer, sizeof buffer);
    if (n < 0) {
      int code = 0;
      const std::string why = gzerror(file, &code);
      gzclose(file);
      return Status::IoError(path + ": cannot decompress: " + why);
    }
    if (n == 0) break;
    bytes.append(buffer, static_cast<size_t>(n));
  }
  // A gzip stream cut short reads as a short file; zlib says so here.
  int code = 0;
  const std::string why = gzerror(file, &code);
  gzclose(file);
  if (code != Z_OK) return Status::IoError(path + ": cannot decompress: " + why);
  return ParseIdx(bytes, path);
}

}  // namespace effbench::workloads::data
