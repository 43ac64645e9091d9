#include "harness/fleet/channel.h"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <deque>
#include <variant>

#include "harness/fleet/frame.h"
#include "harness/fleet/spawn.h"

namespace effbench::fleet {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using SslStream = asio::ssl::stream<tcp::socket>;
using namespace std::chrono_literals;

std::string RemoteOf(tcp::socket& s) {
  error_code ec;
  const auto ep = s.remote_endpoint(ec);
  if (ec) return "unknown peer";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

ReadOutcome Closed(std::string why) {
  ReadOutcome out;
  out.closed = std::move(why);
  return out;
}

ReadOutcome Failed(ErrorCode code, std::string message) {
  ReadOutcome out;
  out.error = ProtocolError{code, std::move(message)};
  return out;
}

}  // namespace

// The connection itself: the stream, the frame decoder, the send queue and
// the deadlines, on Asio coroutines. Its coroutines hold it alive.
class Channel::Impl : public std::enable_shared_from_this<Channel::Impl> {
 public:
  Impl(std::variant<tcp::socket, SslStream> stream, ChannelLimits limits, bool tls_client)
      : stream_(std::move(stream)),
        limits_(limits),
        tls_client_(tls_client),
        decoder_(limits.max_frame),
        wake_writer_(Socket().get_executor()),
        read_deadline_(Socket().get_executor()),
        write_deadline_(Socket().get_executor()) {
    remote_ = RemoteOf(Socket());
  }

  asio::any_io_executor executor() { return Socket().get_executor(); }
  bool tls() const { return std::holds_alternative<SslStream>(stream_); }
  const std::string& remote() const { return remote_; }
  bool closed() const { return closed_ || failing_; }
  size_t send_queue_depth() const { return queue_.size(); }
  void SetDecoding(Decoding decoding) { decoding_ = decoding; }
  void SetMaxFrame(size_t max_frame) { decoder_.set_max_frame(max_frame); }

  asio::awaitable<std::optional<std::string>> Handshake(std::chrono::milliseconds timeout);
  asio::awaitable<ReadOutcome> Read(std::chrono::milliseconds idle_timeout);
  bool SendFrame(std::string frame);
  asio::awaitable<void> WriteLoop();
  asio::awaitable<void> Flush(std::chrono::milliseconds timeout);
  // Not a coroutine on purpose: GCC 12 destroys temporaries in co_await
  // operands twice.
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
  bool tls_client_;
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

Result<std::shared_ptr<Channel>> Channel::Adopt(asio::io_context& io, int native_socket,
                                                ChannelLimits limits, TlsEnd tls) {
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (::getsockname(native_socket, reinterpret_cast<sockaddr*>(&local), &length) != 0) {
    ::close(native_socket);
    return Status::InvalidArgument("not a connected socket");
  }
  tcp::socket socket(io);
  error_code ec;
  socket.assign(local.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), native_socket, ec);
  if (ec) {
    ::close(native_socket);
    return Status::IoError("cannot adopt the connection: " + ec.message());
  }
  std::variant<tcp::socket, SslStream> stream =
      tls.context ? std::variant<tcp::socket, SslStream>(std::in_place_type<SslStream>,
                                                         std::move(socket), *tls.context)
                  : std::variant<tcp::socket, SslStream>(std::move(socket));
  if (auto* ssl = std::get_if<SslStream>(&stream); ssl && tls.client) {
    ssl->set_verify_callback(asio::ssl::host_name_verification(tls.host));
    SSL_set_tlsext_host_name(ssl->native_handle(), tls.host.c_str());
  }
  return std::shared_ptr<Channel>(
      new Channel(std::make_shared<Impl>(std::move(stream), limits, tls.client)));
}

Channel::Channel(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
Channel::~Channel() = default;

bool Channel::tls() const { return impl_->tls(); }
const std::string& Channel::remote() const { return impl_->remote(); }
bool Channel::closed() const { return impl_->closed(); }
size_t Channel::send_queue_depth() const { return impl_->send_queue_depth(); }
void Channel::SetDecoding(Decoding decoding) { impl_->SetDecoding(decoding); }
void Channel::SetMaxFrame(size_t max_frame) { impl_->SetMaxFrame(max_frame); }
bool Channel::Send(const nlohmann::json& message) { return SendFrame(Frame(message)); }
bool Channel::SendFrame(std::string frame) { return impl_->SendFrame(std::move(frame)); }
void Channel::Fail(const ProtocolError& error) { impl_->Fail(error); }
void Channel::Close() { impl_->Close(); }

void Channel::Start(std::function<void(const std::string& failure)> on_failure) {
  Spawn(impl_->executor(), impl_->WriteLoop(), "the connection's writer",
        [impl = impl_, on_failure = std::move(on_failure)](const std::string& m) {
          impl->Close();
          on_failure(m);
        });
}

// The operations that wait run as coroutines of the connection.
void Channel::Handshake(std::chrono::milliseconds timeout,
                        std::function<void(std::exception_ptr, std::optional<std::string>)> done) {
  asio::co_spawn(impl_->executor(), impl_->Handshake(timeout), std::move(done));
}

void Channel::Read(std::chrono::milliseconds idle_timeout,
                   std::function<void(std::exception_ptr, ReadOutcome)> done) {
  asio::co_spawn(impl_->executor(), impl_->Read(idle_timeout), std::move(done));
}

void Channel::Flush(std::chrono::milliseconds timeout,
                    std::function<void(std::exception_ptr)> done) {
  asio::co_spawn(impl_->executor(), impl_->Flush(timeout), std::move(done));
}

tcp::socket& Channel::Impl::Socket() {
  if (auto* s = std::get_if<SslStream>(&stream_)) return s->next_layer();
  return std::get<tcp::socket>(stream_);
}

void Channel::Impl::Arm(Deadline& d, std::chrono::milliseconds timeout) {
  const uint64_t generation = ++d.generation;
  d.fired = false;
  if (timeout.count() <= 0) return;
  d.timer.expires_after(timeout);
  d.timer.async_wait([self = shared_from_this(), &d, generation](error_code ec) {
    if (ec || d.generation != generation) return;  // finished in time
    d.fired = true;
    error_code ignored;
    self->Socket().cancel(ignored);
  });
}

void Channel::Impl::Disarm(Deadline& d) {
  ++d.generation;
  d.timer.cancel();
}

asio::awaitable<std::optional<std::string>> Channel::Impl::Handshake(
    std::chrono::milliseconds timeout) {
  auto* ssl = std::get_if<SslStream>(&stream_);
  if (!ssl) co_return std::nullopt;
  auto self = shared_from_this();
  Arm(read_deadline_, timeout);
  error_code ec;
  co_await ssl->async_handshake(
      tls_client_ ? asio::ssl::stream_base::client : asio::ssl::stream_base::server,
      asio::redirect_error(asio::use_awaitable, ec));
  Disarm(read_deadline_);
  if (read_deadline_.fired) co_return "TLS handshake timed out";
  if (ec) co_return "TLS handshake failed: " + ec.message();
  co_return std::nullopt;
}

asio::awaitable<ReadOutcome> Channel::Impl::Read(std::chrono::milliseconds idle_timeout) {
  auto self = shared_from_this();
  for (;;) {
    if (closed_ || failing_) co_return Closed("closed");
    if (auto payload = decoder_.Next()) {
      // The next frame's first bytes may have come with this one.
      frame_started_.reset();
      if (decoder_.MidFrame()) frame_started_ = std::chrono::steady_clock::now();
      ReadOutcome out;
      if (decoding_ == Decoding::kRaw) {
        out.raw = std::string(*payload);
      } else if (auto err =
                     ParseMessage(*payload, &out.message,
                                  decoding_ == Decoding::kResultRows ? &out.results : nullptr)) {
        out.error = std::move(err);
      }
      co_return out;
    }
    const bool mid_frame = decoder_.MidFrame();
    std::chrono::milliseconds wait = idle_timeout;
    if (mid_frame) {
      // What is left of the frame's deadline, counted from its first byte.
      const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() -
          frame_started_.value_or(std::chrono::steady_clock::now()));
      wait = std::max(std::chrono::milliseconds(1), limits_.frame_timeout - spent);
    }
    Arm(read_deadline_, wait);
    error_code ec;
    size_t n = 0;
    if (auto* ssl = std::get_if<SslStream>(&stream_)) {
      n = co_await ssl->async_read_some(asio::buffer(read_buffer_),
                                        asio::redirect_error(asio::use_awaitable, ec));
    } else {
      n = co_await std::get<tcp::socket>(stream_).async_read_some(
          asio::buffer(read_buffer_), asio::redirect_error(asio::use_awaitable, ec));
    }
    Disarm(read_deadline_);
    if (read_deadline_.fired) {
      co_return Failed(ErrorCode::kTimeout,
                       mid_frame ? "frame not completed within " +
                                       std::to_string(limits_.frame_timeout.count()) +
                                       " ms of its first byte"
                                 : "nothing received for " + std::to_string(idle_timeout.count()) +
                                       " ms (heartbeat timeout)");
    }
    if (ec) {
      if (mid_frame && ec == asio::error::eof) {
        co_return Closed("connection closed in the middle of a frame");
      }
      co_return Closed(ec == asio::error::eof ? "closed by peer" : ec.message());
    }
    if (Status s = decoder_.Feed(std::string_view(read_buffer_.data(), n)); !s.ok()) {
      const bool too_large = s.message().find("exceeds") != std::string::npos;
      co_return Failed(too_large ? ErrorCode::kTooLarge : ErrorCode::kMalformed, s.message());
    }
    if (!frame_started_ && decoder_.MidFrame()) frame_started_ = std::chrono::steady_clock::now();
  }
}

bool Channel::Impl::SendFrame(std::string frame) {
  if (closed_ || failing_ || queue_.size() >= limits_.max_send_queue) return false;
  queue_.push_back(std::move(frame));
  wake_writer_.cancel();
  return true;
}

asio::awaitable<void> Channel::Impl::WriteLoop() {
  auto self = shared_from_this();
  std::string batch;
  while (!closed_) {
    if (queue_.empty()) {
      wake_writer_.expires_at(asio::steady_timer::time_point::max());
      error_code ignored;
      co_await wake_writer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      continue;
    }
    batch.clear();
    while (!queue_.empty() && batch.size() < 256 * 1024) {
      batch += queue_.front();
      queue_.pop_front();
    }
    writing_ = true;
    Arm(write_deadline_, limits_.write_timeout);
    error_code ec;
    if (auto* ssl = std::get_if<SslStream>(&stream_)) {
      co_await asio::async_write(*ssl, asio::buffer(batch),
                                 asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_await asio::async_write(std::get<tcp::socket>(stream_), asio::buffer(batch),
                                 asio::redirect_error(asio::use_awaitable, ec));
    }
    Disarm(write_deadline_);
    writing_ = false;
    if (ec || write_deadline_.fired) {
      Close();
      break;
    }
  }
}

asio::awaitable<void> Channel::Impl::Flush(std::chrono::milliseconds timeout) {
  auto self = shared_from_this();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  asio::steady_timer poll(Socket().get_executor());
  while (!closed_ && (!queue_.empty() || writing_) && std::chrono::steady_clock::now() < deadline) {
    poll.expires_after(2ms);
    error_code ignored;
    co_await poll.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

void Channel::Impl::Fail(const ProtocolError& error) {
  SendFrame(Frame(ErrorMessage(error)));
  failing_ = true;
  auto self = shared_from_this();
  Spawn(
      executor(),
      [self]() -> asio::awaitable<void> {
        co_await self->Flush(1000ms);
        self->Close();
      },
      "closing a failed connection", [self](const std::string&) { self->Close(); });
}

void Channel::Impl::Close() {
  if (closed_) return;
  closed_ = true;
  error_code ignored;
  Socket().shutdown(tcp::socket::shutdown_both, ignored);
  Socket().close(ignored);
  wake_writer_.cancel();
  Disarm(read_deadline_);
  Disarm(write_deadline_);
}

}  // namespace effbench::fleet
