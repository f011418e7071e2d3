#include "connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace auditlogd {

Connection::Connection(int fd, auditlog::Origin origin, std::size_t max_line_bytes,
                       Clock::time_point now)
    : fd_(fd),
      emit_options_{.origin = std::move(origin)},
      max_line_bytes_(max_line_bytes),
      partial_since_(now),
      last_write_progress_(now),
      last_activity_(now) {}

Connection::~Connection() { ::close(fd_); }

Connection::ReadOutcome Connection::Read(std::size_t max_bytes, Clock::time_point now) {
  const std::size_t partial = in_.size() - consumed_;
  // One byte beyond the limit is enough to know a line is too long.
  const std::size_t room = partial > max_line_bytes_ ? 0 : max_line_bytes_ + 1 - partial;
  const std::size_t want = std::min(max_bytes, room);
  if (want == 0) return ReadOutcome::kNothing;
  const bool had_partial = HasPartialLine();
  const std::size_t old_size = in_.size();
  in_.resize(old_size + want);
  ssize_t n;
  do {
    n = ::recv(fd_, in_.data() + old_size, want, 0);
  } while (n < 0 && errno == EINTR);
  in_.resize(old_size + (n > 0 ? static_cast<std::size_t>(n) : 0));
  if (n < 0) {
    return errno == EAGAIN || errno == EWOULDBLOCK ? ReadOutcome::kNothing : ReadOutcome::kError;
  }
  if (n == 0) return ReadOutcome::kEof;
  last_activity_ = now;
  if (!had_partial) partial_since_ = now;
  return ReadOutcome::kData;
}

bool Connection::NextLine(std::string_view* line) {
  const std::size_t from = std::max(consumed_, scanned_);
  if (from >= in_.size()) return false;
  const void* nl = std::memchr(in_.data() + from, '\n', in_.size() - from);
  if (nl == nullptr) {
    scanned_ = in_.size();
    return false;
  }
  const std::size_t end = static_cast<std::size_t>(static_cast<const char*>(nl) - in_.data());
  *line = std::string_view(in_.data() + consumed_, end - consumed_);
  consumed_ = end + 1;
  scanned_ = consumed_;
  // What follows this line arrived with the latest read at the earliest.
  partial_since_ = last_activity_;
  return true;
}

void Connection::DropConsumedInput() {
  if (consumed_ == 0) return;
  in_.erase(0, consumed_);
  scanned_ -= std::min(scanned_, consumed_);
  consumed_ = 0;
  // Keep a big buffer only while it is in use: an idle connection costs little memory.
  if (in_.empty() && in_.capacity() > (256 << 10)) std::string().swap(in_);
}

Connection::WriteOutcome Connection::Write(Clock::time_point now) {
  while (out_sent_ < out_.size()) {
    const ssize_t n =
        ::send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return WriteOutcome::kError;
    }
    out_sent_ += static_cast<std::size_t>(n);
    last_write_progress_ = now;
  }
  if (out_sent_ == out_.size()) {
    out_.clear();
    out_sent_ = 0;
    if (out_.capacity() > (256 << 10)) std::string().swap(out_);
    return WriteOutcome::kAllWritten;
  }
  // Keep the queue compact: drop the written front once it is most of the buffer.
  if (out_sent_ > out_.size() / 2) {
    out_.erase(0, out_sent_);
    out_sent_ = 0;
  }
  return WriteOutcome::kBlocked;
}

}  // namespace auditlogd
