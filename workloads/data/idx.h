// IDX files, the format of MNIST and Fashion-MNIST (LeCun): two zero bytes,
// a type byte, the number of dimensions, each dimension as a big-endian u32,
// then the data, row-major. Read plain or gzip-compressed (zlib).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace effbench::workloads::data {

// An IDX array of unsigned bytes (type 0x08, the only one the image
// datasets use).
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;  // row-major, the product of dims long
};

// Parses the bytes of an IDX file. `what` names the file in errors, which say
// what is wrong: the magic number, the type, the dimensions, or how many
// bytes the data has against how many its dimensions need.
Result<IdxArray> ParseIdx(std::string_view bytes, const std::string& what);

// Reads and parses `path`, gunzipping it when it is gzip. NotFound when the
// file does not exist; IoError when it cannot be read or decompressed (a
// damaged or truncated gzip stream); InvalidArgument when it is not a valid
// IDX file. Each error names the file.
Result<IdxArray> ReadIdx(const std::string& path);

}  // namespace effbench::workloads::data
