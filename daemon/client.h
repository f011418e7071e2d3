// A minimal blocking client of auditlogd's protocol (docs/PROTOCOL.md), for `auditlog emit`
// and the tests: connect, send request lines, read response lines, and one-call Emit.
//
// Thread-safety: one Client per thread (it owns one connection and its read buffer).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "auditlog/status.h"

namespace auditlogd {

struct EmitReply {
  std::uint64_t seq = 0;
  bool durable = false;
};

class Client {
 public:
  // Errors: kInvalidArgument (path too long), kIOError naming the path (ENOENT, ECONNREFUSED
  // when no daemon listens, EACCES when the socket's mode refuses us).
  static auditlog::Result<Client> Connect(const std::string& socket_path);
  Client(Client&& other) noexcept;
  Client& operator=(Client&& other) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  // Sends `bytes` as they are (a request line must end in '\n'). Blocks until sent.
  auditlog::Status Send(std::string_view bytes);
  // The next response line, without its '\n'. kIOError when the daemon closed the
  // connection, kTimeout after `timeout`.
  auditlog::Result<std::string> ReadLine(
      std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Sends {"event":EVENT,"durable":D[,"critical":true]} and waits for its response.
  // `event_json` may span lines: raw line breaks, which valid JSON has outside strings
  // only, are sent as spaces. Returns the seq, or the daemon's error as a Status with its
  // code (FromCodeName) and message.
  auditlog::Result<EmitReply> Emit(std::string_view event_json, bool durable, bool critical);

  int fd() const { return fd_; }

 private:
  explicit Client(int fd) : fd_(fd) {}
  int fd_ = -1;
  std::string buffer_;
};

// Reads one response line: the seq and durability, or the error it carries as a Status.
// A line that is not a response is kIOError ("malformed response").
auditlog::Result<EmitReply> ParseResponse(std::string_view line);

}  // namespace auditlogd
