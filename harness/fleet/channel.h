// One fleet connection, plain TCP or TLS, on Boost.Asio C++20 coroutines:
// reads whole frames with deadlines, and writes frames from a bounded queue
// with a writer coroutine. Single-threaded: use it from its io_context's thread.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>

#include "harness/fleet/channel_limits.h"
#include "harness/fleet/frame.h"
#include "harness/fleet/messages.h"

namespace effbench::fleet {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using SslStream = asio::ssl::stream<tcp::socket>;

// What a read gave: a validated message, a protocol error to answer with, or
// the end of the connection.
struct ReadOutcome {
  nlohmann::json message;              // valid when none of the below
  std::optional<ProtocolError> error;  // answer it, then close
  std::optional<std::string> closed;   // why the connection ended (EOF, reset, closed here)
  std::optional<ResultBatch> results;  // a result message, with Decoding::kResultRows
  std::string raw;                     // the payload unparsed, with Decoding::kRaw
};

// How Read turns a frame into a message.
enum class Decoding {
  kJson,        // validated, as a json tree (ParseMessage)
  kResultRows,  // the same, but result messages as rows for the database: a coordinator
  kRaw,         // not at all: the payload as it came (a load generator counting acks)
};

class Channel : public std::enable_shared_from_this<Channel> {
 public:
  Channel(tcp::socket socket, ChannelLimits limits);
  Channel(SslStream stream, ChannelLimits limits);
  Channel(std::variant<tcp::socket, SslStream> stream, ChannelLimits limits);

  bool tls() const { return std::holds_alternative<SslStream>(stream_); }
  const std::string& remote() const { return remote_; }
  bool closed() const { return closed_ || failing_; }
  size_t send_queue_depth() const { return queue_.size(); }

  void SetDecoding(Decoding decoding) { decoding_ = decoding; }
  // The largest frame accepted from now on (see FrameDecoder::set_max_frame).
  void SetMaxFrame(size_t max_frame) { decoder_.set_max_frame(max_frame); }

  // The TLS handshake (nothing for plain TCP). Returns an error message on failure.
  asio::awaitable<std::optional<std::string>> Handshake(asio::ssl::stream_base::handshake_type type,
                                                        std::chrono::milliseconds timeout);

  // The next message. `idle_timeout` bounds the wait for a frame to begin
  // (zero: no bound); the frame timeout bounds the rest of it.
  asio::awaitable<ReadOutcome> Read(std::chrono::milliseconds idle_timeout);

  // Queues `message` for the writer. Returns false, queueing nothing, once the
  // channel is closed or its queue is full.
  bool Send(const nlohmann::json& message);
  bool SendFrame(std::string frame);

  // Writes queued frames until Close(). Spawn it once per channel.
  asio::awaitable<void> WriteLoop();
  // Waits until every queued frame is written, the channel closes, or `timeout`.
  asio::awaitable<void> Flush(std::chrono::milliseconds timeout);
  // Sends `error`, then closes once it is written (or after a second). Reads
  // see the channel closed at once. Not a coroutine on purpose: GCC 12
  // destroys temporaries in co_await operands twice.
  void Fail(const ProtocolError& error);
  void Close();

 private:
  // A timer that cancels the socket's operations when it fires. The
  // generation makes a late handler of an earlier arming harmless.
  struct Deadline {
    explicit Deadline(const asio::any_io_executor& ex) : timer(ex) {}
    asio::steady_timer timer;
    uint64_t generation = 0;
    bool fired = false;
  };

  tcp::socket& Socket();
  void Arm(Deadline& d, std::chrono::milliseconds timeout);
  static void Disarm(Deadline& d);

  std::variant<tcp::socket, SslStream> stream_;
  ChannelLimits limits_;
  FrameDecoder decoder_;
  std::string remote_;
  std::deque<std::string> queue_;
  bool writing_ = false;
  bool closed_ = false;
  bool failing_ = false;  // an error frame is on its way; then Close
  Decoding decoding_ = Decoding::kJson;
  // When the first byte of the frame now being read arrived.
  std::optional<std::chrono::steady_clock::time_point> frame_started_;
  asio::steady_timer wake_writer_;
  Deadline read_deadline_;
  Deadline write_deadline_;
  std::array<char, 64 * 1024> read_buffer_{};
};

}  // namespace effbench::fleet
