// Reading a file whole; writing one whole or not at all, so that a reader (a
// CI job picking up a report, a test waiting for a ready file) never sees
// half of it.
#pragma once

#include <cstddef>
#include <string>

#include "core/status.h"

namespace effbench {

// Spare capacity past the end of what ReadFile returns, so that a JSON parser
// that reads past the end (simdjson needs 64 bytes) can parse it in place.
inline constexpr size_t kReadFileSpare = 64;

// The bytes of `path`, with kReadFileSpare bytes of spare capacity; IoError
// "cannot read PATH" when it cannot be opened.
Result<std::string> ReadFile(const std::string& path);

// Writes `text` to `path` through a temporary file beside it, renamed over
// `path` once written. On failure `path` is untouched, the temporary file is
// removed, and the error names `path`. Not fsynced: a power cut may lose it
// (the agent's spool, which must not, syncs its own).
Status WriteFileReplacing(const std::string& path, const std::string& text);

}  // namespace effbench
