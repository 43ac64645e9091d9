// One fleet connection, plain TCP or TLS: reads whole frames with deadlines,
// and writes frames from a bounded queue with a writer of its own. Boost.Asio
// runs it, but no Asio header is included here: the connection adopts a
// connected socket's descriptor, and each operation that waits takes either
// a callback or an Asio completion token (co_await ch->Read(t, use_awaitable)).
// Single-threaded: use it from its io_context's thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "core/status.h"
#include "harness/fleet/channel_limits.h"
#include "harness/fleet/messages.h"

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}  // namespace ssl
}  // namespace boost::asio

namespace effbench::fleet {

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

// The TLS end of a connection, if it has one.
struct TlsEnd {
  boost::asio::ssl::context* context = nullptr;  // none: plain TCP
  bool client = false;
  // A client checks the server's certificate against this name and sends it
  // as the server name (SNI).
  std::string host;
};

namespace detail {
// A move-only completion handler (Asio's) made copyable for std::function.
template <typename Handler>
auto SharedHandler(Handler handler) {
  return [h = std::make_shared<Handler>(std::move(handler))](auto&&... args) {
    Handler& once = *h;  // called once, so as an rvalue, as Asio calls handlers
    std::move(once)(std::forward<decltype(args)>(args)...);
  };
}
// A callback, as opposed to an Asio completion token.
template <typename Token, typename... Args>
concept Callback = std::is_convertible_v<Token, std::function<void(std::exception_ptr, Args...)>>;
}  // namespace detail

class Channel : public std::enable_shared_from_this<Channel> {
 public:
  // Takes over `native_socket`, a connected TCP socket (what Asio's
  // socket.release() gives), on `io`. With `tls.context`, Handshake runs TLS
  // over it.
  static Result<std::shared_ptr<Channel>> Adopt(boost::asio::io_context& io, int native_socket,
                                                ChannelLimits limits, TlsEnd tls = {});
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  bool tls() const;
  const std::string& remote() const;
  bool closed() const;
  size_t send_queue_depth() const;

  void SetDecoding(Decoding decoding);
  // The largest frame accepted from now on (see FrameDecoder::set_max_frame).
  void SetMaxFrame(size_t max_frame);

  // Starts the writer, which writes queued frames until Close(). An exception
  // that escapes it closes the channel and is handed to `on_failure`.
  void Start(std::function<void(const std::string& failure)> on_failure);

  // Each operation that waits calls `done` (or completes an Asio token) on
  // the io_context's thread once it has ended, with the exception that
  // escaped it, if one did (a coroutine awaiting it gets it thrown).

  // The TLS handshake (nothing for plain TCP): an error message on failure.
  void Handshake(std::chrono::milliseconds timeout,
                 std::function<void(std::exception_ptr, std::optional<std::string> failed)> done);
  // The next message. `idle_timeout` bounds the wait for a frame to begin
  // (zero: no bound); the frame timeout bounds the rest of it.
  void Read(std::chrono::milliseconds idle_timeout,
            std::function<void(std::exception_ptr, ReadOutcome)> done);
  // Waits until every queued frame is written, the channel closes, or `timeout`.
  void Flush(std::chrono::milliseconds timeout, std::function<void(std::exception_ptr)> done);

  // The same with an Asio completion token. async_initiate is Asio's, found
  // by argument-dependent lookup in the token's namespace.
  template <typename Token>
  requires(!detail::Callback<Token, std::optional<std::string>>) auto Handshake(
      std::chrono::milliseconds timeout, Token&& token) {
    return async_initiate<Token, void(std::exception_ptr, std::optional<std::string>)>(
        [self = shared_from_this(), timeout](auto handler) {
          self->Handshake(timeout, detail::SharedHandler(std::move(handler)));
        },
        token);
  }
  template <typename Token>
  requires(!detail::Callback<Token, ReadOutcome>) auto Read(std::chrono::milliseconds idle_timeout,
                                                            Token&& token) {
    return async_initiate<Token, void(std::exception_ptr, ReadOutcome)>(
        [self = shared_from_this(), idle_timeout](auto handler) {
          self->Read(idle_timeout, detail::SharedHandler(std::move(handler)));
        },
        token);
  }
  template <typename Token>
  requires(!detail::Callback<Token>) auto Flush(std::chrono::milliseconds timeout, Token&& token) {
    return async_initiate<Token, void(std::exception_ptr)>(
        [self = shared_from_this(), timeout](auto handler) {
          self->Flush(timeout, detail::SharedHandler(std::move(handler)));
        },
        token);
  }

  // Queues `message` for the writer. Returns false, queueing nothing, once the
  // channel is closed or its queue is full.
  bool Send(const nlohmann::json& message);
  bool SendFrame(std::string frame);

  // Sends `error`, then closes once it is written (or after a second). Reads
  // see the channel closed at once.
  void Fail(const ProtocolError& error);
  void Close();

 private:
  class Impl;
  explicit Channel(std::shared_ptr<Impl> impl);
  // Shared with the operations in flight, which may outlive this handle.
  std::shared_ptr<Impl> impl_;
};

}  // namespace effbench::fleet
