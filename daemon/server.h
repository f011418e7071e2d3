// auditlogd's server: one event-loop thread multiplexes every client connection with epoll
// over a non-blocking Unix stream socket, and logs each request through one Logger.
//
// Why one thread: the Logger already moves all I/O to its writer thread, so the loop only
// parses, validates and queues (microseconds per request); one loop keeps per-connection
// response order trivially, and makes group commit natural: each iteration decodes and
// emits everything read from all connections, then, if any request asked for durability,
// calls Logger::Flush() once, then answers. So 32 clients waiting for durable
// acknowledgements, or one client pipelining them, share one fsync per iteration.
//
// Bounds (docs/PROTOCOL.md, "Limits"): every connection holds at most max_line_bytes + 1
// unparsed bytes and is not read while max_pending_output_bytes of responses wait for it
// (the output of one read is still queued, at most max_read_bytes worth of requests); at
// most max_connections connections (others get one error line and are closed); a line that
// is not finished within line_timeout, and a connection idle (or not reading its responses)
// for idle_timeout, are closed.
//
// Thread-safety: Run() is called once, from one thread; RequestStop() and GetStats() may be
// called from any thread (RequestStop also from a signal handler). Lifetime: the Logger
// must outlive the Server; the Server never shuts the Logger down.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "auditlog/logger.h"
#include "auditlog/status.h"
#include "listener.h"
#include "peer_identity.h"
#include "protocol.h"

namespace auditlogd {

struct ServerOptions {
  ListenOptions listen{};
  PeerAllowList allow{};
  std::size_t max_connections = 1024;
  std::size_t max_line_bytes = kMaxRequestLineBytes;
  std::size_t max_pending_output_bytes = std::size_t{1} << 20;
  std::size_t max_read_bytes = std::size_t{64} << 10;  // per connection and loop iteration
  std::chrono::milliseconds line_timeout{10'000};
  std::chrono::milliseconds idle_timeout{300'000};
  // At shutdown: how long answered-but-unwritten responses may take to reach their clients.
  std::chrono::milliseconds drain_timeout{5'000};
  // Stop on SIGTERM and SIGINT, read through a signalfd. REQUIRES: both signals blocked in
  // every thread of the process (block them before starting any thread, the Logger's too).
  bool handle_signals = false;
};

// Counters for operators and tests; each is read atomically, the set is not one snapshot.
struct ServerStats {
  std::uint64_t connections_open = 0;
  std::uint64_t connections_accepted = 0;
  std::uint64_t refused_connection_limit = 0;
  std::uint64_t refused_not_allowed = 0;  // --allow-uid / --allow-gid, or no peer identity
  std::uint64_t refused_no_file_descriptors = 0;
  std::uint64_t requests = 0;
  std::uint64_t error_responses = 0;
  std::uint64_t group_commits = 0;  // Flush() calls
  std::uint64_t closed_line_too_long = 0;
  std::uint64_t closed_line_timeout = 0;
  std::uint64_t closed_idle = 0;
  std::uint64_t closed_not_reading = 0;         // responses not read for idle_timeout
  std::uint64_t pending_output_high_water = 0;  // bytes, the most one connection held
};

class Server {
 public:
  // Creates the listening socket (clients may connect as soon as this returns) and the
  // event loop's descriptors. Errors: those of Listener::Open, kIOError, kInvalidArgument
  // for options out of range.
  static auditlog::Result<std::unique_ptr<Server>> Open(auditlog::Logger* logger,
                                                        const ServerOptions& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves until RequestStop() (or a signal, with handle_signals). Then stops accepting
  // (the socket file is removed), answers every request already read, writes the answers
  // (for at most drain_timeout) and closes every connection. Errors: kIOError when epoll
  // fails. REQUIRES: called once.
  auditlog::Status Run();
  // Makes Run() return (async-signal-safe).
  void RequestStop();
  ServerStats GetStats() const;
  const std::string& socket_path() const;

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace auditlogd
