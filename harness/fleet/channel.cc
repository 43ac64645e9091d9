#include "harness/fleet/channel.h"

#include "harness/fleet/spawn.h"

namespace effbench::fleet {
namespace {

using boost::system::error_code;
using namespace std::chrono_literals;

std::string RemoteOf(tcp::socket& s) {
  error_code ec;
  const auto ep = s.remote_endpoint(ec);
  if (ec) return "unknown peer";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace

Channel::Channel(tcp::socket socket, ChannelLimits limits)
    : Channel(std::variant<tcp::socket, SslStream>(std::move(socket)), limits) {}

Channel::Channel(SslStream stream, ChannelLimits limits)
    : Channel(std::variant<tcp::socket, SslStream>(std::move(stream)), limits) {}

Channel::Channel(std::variant<tcp::socket, SslStream> stream, ChannelLimits limits)
    : stream_(std::move(stream)),
      limits_(limits),
      decoder_(limits.max_frame),
      wake_writer_(Socket().get_executor()),
      read_deadline_(Socket().get_executor()),
      write_deadline_(Socket().get_executor()) {
  remote_ = RemoteOf(Socket());
}

tcp::socket& Channel::Socket() {
  if (auto* s = std::get_if<SslStream>(&stream_)) return s->next_layer();
  return std::get<tcp::socket>(stream_);
}

void Channel::Arm(Deadline& d, std::chrono::milliseconds timeout) {
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

void Channel::Disarm(Deadline& d) {
  ++d.generation;
  d.timer.cancel();
}

asio::awaitable<std::optional<std::string>> Channel::Handshake(
    asio::ssl::stream_base::handshake_type type, std::chrono::milliseconds timeout) {
  auto* ssl = std::get_if<SslStream>(&stream_);
  if (!ssl) co_return std::nullopt;
  auto self = shared_from_this();
  Arm(read_deadline_, timeout);
  error_code ec;
  co_await ssl->async_handshake(type, asio::redirect_error(asio::use_awaitable, ec));
  Disarm(read_deadline_);
  if (read_deadline_.fired) co_return "TLS handshake timed out";
  if (ec) co_return "TLS handshake failed: " + ec.message();
  co_return std::nullopt;
}

namespace {

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

asio::awaitable<ReadOutcome> Channel::Read(std::chrono::milliseconds idle_timeout) {
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

bool Channel::Send(const nlohmann::json& message) { return SendFrame(Frame(message)); }

bool Channel::SendFrame(std::string frame) {
  if (closed_ || failing_ || queue_.size() >= limits_.max_send_queue) return false;
  queue_.push_back(std::move(frame));
  wake_writer_.cancel();
  return true;
}

asio::awaitable<void> Channel::WriteLoop() {
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

asio::awaitable<void> Channel::Flush(std::chrono::milliseconds timeout) {
  auto self = shared_from_this();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  asio::steady_timer poll(Socket().get_executor());
  while (!closed_ && (!queue_.empty() || writing_) && std::chrono::steady_clock::now() < deadline) {
    poll.expires_after(2ms);
    error_code ignored;
    co_await poll.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

void Channel::Fail(const ProtocolError& error) {
  Send(ErrorMessage(error));
  failing_ = true;
  auto self = shared_from_this();
  Spawn(
      Socket().get_executor(),
      [self]() -> asio::awaitable<void> {
        co_await self->Flush(1000ms);
        self->Close();
      },
      "closing a failed connection", [self](const std::string&) { self->Close(); });
}

void Channel::Close() {
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
