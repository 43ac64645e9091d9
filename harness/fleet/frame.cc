#include "harness/fleet/frame.h"

namespace effbench::fleet {
namespace {

uint32_t ReadBigEndian32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}

}  // namespace

std::string EncodeFrame(std::string_view payload) {
  const auto n = static_cast<uint32_t>(payload.size());
  std::string frame;
  frame.reserve(kFrameHeaderBytes + payload.size());
  frame.push_back(static_cast<char>(n >> 24));
  frame.push_back(static_cast<char>(n >> 16));
  frame.push_back(static_cast<char>(n >> 8));
  frame.push_back(static_cast<char>(n));
  frame.append(payload);
  return frame;
}

Status FrameDecoder::CheckHeader() {
  if (buffer_.size() - consumed_ < kFrameHeaderBytes) return Status::Ok();
  const uint32_t n = ReadBigEndian32(buffer_.data() + consumed_);
  if (n == 0) {
    error_ = Status::InvalidArgument("frame header announces an empty frame");
  } else if (n > max_frame_) {
    error_ = Status::InvalidArgument("frame of " + std::to_string(n) +
                                     " bytes exceeds the maximum of " + std::to_string(max_frame_));
  }
  return error_;
}

Status FrameDecoder::Feed(std::string_view bytes) {
  if (!error_.ok()) return error_;
  if (consumed_ > 0 && consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  } else if (consumed_ > (size_t{1} << 16) && consumed_ * 2 > buffer_.size()) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  buffer_.append(bytes);
  return CheckHeader();
}

std::optional<std::string> FrameDecoder::Next() {
  if (!error_.ok() || buffer_.size() - consumed_ < kFrameHeaderBytes) return std::nullopt;
  const uint32_t n = ReadBigEndian32(buffer_.data() + consumed_);
  if (buffer_.size() - consumed_ - kFrameHeaderBytes < n) return std::nullopt;
  std::string payload = buffer_.substr(consumed_ + kFrameHeaderBytes, n);
  consumed_ += kFrameHeaderBytes + n;
  if (!CheckHeader().ok()) return payload;  // the error shows on the next Feed
  return payload;
}

}  // namespace effbench::fleet
