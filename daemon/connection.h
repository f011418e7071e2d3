// One client connection of the daemon: its kernel-attested identity, a bounded input buffer
// split into request lines, a bounded queue of response bytes, and the times the server's
// timeouts look at. It does no parsing and no logging (server.cc does both).
//
// Thread-safety: none; a Connection belongs to the server's event-loop thread.
// Lifetime: owns `fd` and closes it in the destructor.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auditlog/logger.h"

namespace auditlogd {

using Clock = std::chrono::steady_clock;

class Connection {
 public:
  Connection(int fd, auditlog::Origin origin, std::size_t max_line_bytes, Clock::time_point now);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int fd() const { return fd_; }
  const auditlog::Origin& origin() const { return *emit_options_.origin; }
  // What every Emit for this connection passes: its origin (built once, at accept).
  const auditlog::EmitOptions& emit_options() const { return emit_options_; }

  enum class ReadOutcome { kData, kNothing, kEof, kError };
  // Reads at most `max_bytes` (and never more than the line limit leaves room for) into
  // the input buffer. kNothing: no data now (EAGAIN); kEof: the client closed its side.
  ReadOutcome Read(std::size_t max_bytes, Clock::time_point now);

  // The next complete line (without '\n'), or false when none is buffered. The view stays
  // valid until the next call of Read() or DropConsumedInput().
  bool NextLine(std::string_view* line);
  // Forgets the lines NextLine() returned.
  void DropConsumedInput();
  // The buffer holds the start of a line but not its end.
  bool HasPartialLine() const { return consumed_ < in_.size(); }
  // The unfinished line is already longer than the limit: it can never become a request.
  bool PartialLineTooLong() const { return in_.size() - consumed_ > max_line_bytes_; }
  Clock::time_point partial_line_since() const { return partial_since_; }

  // The response bytes not yet written (the queue's size bounds the connection's memory).
  std::string& output() { return out_; }
  // Call before appending responses: the write-stall clock starts when output is queued
  // after none was pending.
  void BeginResponses(Clock::time_point now) {
    if (pending_output() == 0) last_write_progress_ = now;
  }
  std::size_t pending_output() const { return out_.size() - out_sent_; }
  enum class WriteOutcome { kAllWritten, kBlocked, kError };
  // Writes as much pending output as the socket takes now.
  WriteOutcome Write(Clock::time_point now);
  Clock::time_point last_write_progress() const { return last_write_progress_; }
  Clock::time_point last_activity() const { return last_activity_; }

  // The server's decisions about this connection, kept here.
  bool reading_paused = false;      // too much output pending: not read until it drains
  bool close_when_drained = false;  // no further requests: close once output is written
  bool want_write = false;          // EPOLLOUT registered
  bool in_ready_list = false;       // queued for line processing this iteration
  bool holding = false;             // this iteration's later responses wait for the group commit
  bool peer_eof = false;            // the client closed its side
  bool dead = false;                // to be destroyed at the end of the loop iteration
  std::uint32_t epoll_events = 0;   // the interest registered with epoll

 private:
  int fd_;
  auditlog::EmitOptions emit_options_;
  std::size_t max_line_bytes_;
  std::string in_;
  std::size_t consumed_ = 0;  // bytes of in_ handed out by NextLine
  std::size_t scanned_ = 0;   // bytes of in_ known to hold no '\n' past consumed_
  std::string out_;
  std::size_t out_sent_ = 0;
  Clock::time_point partial_since_;
  Clock::time_point last_write_progress_;
  Clock::time_point last_activity_;
};

}  // namespace auditlogd
