// Length-prefixed frames: a 4-byte big-endian payload length, then the payload
// (one JSON message). The decoder is incremental: feed it whatever a read
// returned, take out whole frames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace effbench::fleet {

inline constexpr size_t kFrameHeaderBytes = 4;
inline constexpr size_t kDefaultMaxFrame = size_t{4} << 20;  // 4 MiB

// The frame carrying `payload`. REQUIRES: payload.size() < 2^32.
std::string EncodeFrame(std::string_view payload);

class FrameDecoder {
 public:
  explicit FrameDecoder(size_t max_frame = kDefaultMaxFrame) : max_frame_(max_frame) {}

  // Appends received bytes. Once a header announces an empty frame or one
  // larger than max_frame, returns InvalidArgument saying so, and keeps
  // returning it: the stream cannot be resynchronised.
  Status Feed(std::string_view bytes);
  // The next whole frame's payload, or nullopt until one is complete.
  std::optional<std::string> Next();
  // Changes the largest frame accepted from the next header on: a peer gets a
  // small limit until it has authenticated.
  void set_max_frame(size_t max_frame) { max_frame_ = max_frame; }
  // True while part of a frame (header or payload) has arrived.
  bool MidFrame() const { return buffer_.size() > consumed_; }

 private:
  Status CheckHeader();

  size_t max_frame_;
  std::string buffer_;
  size_t consumed_ = 0;
  Status error_ = Status::Ok();
};

}  // namespace effbench::fleet
