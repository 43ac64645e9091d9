// The limits a fleet connection enforces on its peer, apart from the
// connection itself (channel.h), so that a header can name them without Asio.
#pragma once

#include <chrono>
#include <cstddef>

#include "harness/fleet/frame.h"

namespace effbench::fleet {

struct ChannelLimits {
  size_t max_frame = kDefaultMaxFrame;
  // Once a frame's first byte has arrived, all of it must arrive within this
  // (a peer trickling a byte a second does not extend it).
  std::chrono::milliseconds frame_timeout{10'000};
  // A write must complete within this, or the peer is not reading.
  std::chrono::milliseconds write_timeout{30'000};
  // Frames waiting to be written; past this the peer is overloaded.
  size_t max_send_queue = 4096;
};

}  // namespace effbench::fleet
