// libFuzzer target: arbitrary bytes, split into arbitrary reads, through the
// frame decoder and the message parser/validator, as a coordinator receives
// them from an unauthenticated peer, and result frames on through simdjson into
// database rows. Nothing may crash, hang or leak; a
// decoder error must be sticky.
//   cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DEFFBENCH_FUZZ=ON
//   cmake --build build-fuzz --target frame_decoder_fuzz
//   build-fuzz/tests/fuzz/frame_decoder_fuzz tests/fuzz/corpus -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "harness/fleet/frame.h"
#include "harness/fleet/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte picks the read size, as a network would split the stream.
  const size_t chunk = 1 + data[0] % 64;
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  effbench::fleet::FrameDecoder decoder(4096);
  bool failed = false;
  while (!bytes.empty()) {
    const size_t n = std::min(chunk, bytes.size());
    const effbench::Status s = decoder.Feed(bytes.substr(0, n));
    bytes.remove_prefix(n);
    if (!s.ok()) {
      failed = true;
      if (decoder.Feed("x").ok()) std::abort();  // errors must stick
      break;
    }
    while (auto payload = decoder.Next()) {
      if (payload->empty() || payload->size() > 4096) std::abort();
      nlohmann::json message;
      if (!effbench::fleet::ParseMessage(*payload, &message)) {
        // A message that validated has a known type and our version.
        if (!message.contains("type") || message["v"] != effbench::fleet::kProtocolVersion) {
          std::abort();
        }
      }
      // The coordinator's path: result frames into rows, cut from the text.
      std::optional<effbench::fleet::ResultBatch> batch;
      if (!effbench::fleet::ParseMessage(*payload, &message, &batch) && batch) {
        for (const auto& row : batch->rows) {
          // What is stored must be JSON, with the samples apart.
          const auto record = nlohmann::json::parse(row.record_json, nullptr, false);
          const auto samples = nlohmann::json::parse(row.samples_json, nullptr, false);
          if (!record.is_object() || record.contains("samples_ns") || !samples.is_array()) {
            std::abort();
          }
        }
      }
    }
  }
  (void)failed;
  return 0;
}
