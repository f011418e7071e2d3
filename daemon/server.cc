// The event loop (see server.h for the design). One iteration: wait for readiness; accept
// new connections; read from every readable connection; hand every complete line to the
// RequestBatch; group-commit; write the answers; close what must be closed. Timeouts are
// checked by a sweep over all connections a few times per timeout period.
#include "server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <unordered_map>
#include <utility>
#include <vector>

#include "connection.h"
#include "request_batch.h"

namespace auditlogd {
namespace {

using auditlog::Status;

Status Errno(const std::string& what) {
  return Status::IOError(what + ": " + std::strerror(errno));
}

std::string Millis(std::chrono::milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

// Sends one error line to a connection the server will not keep, and closes it. The line is
// far smaller than a socket buffer, so a non-blocking send either takes it whole or the
// client is gone.
void RefuseConnection(int fd, const Status& why) {
  std::string line;
  AppendError("null", why, &line);
  const ssize_t ignored = ::send(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)ignored;
  ::close(fd);
}

struct Counters {
  std::atomic<std::uint64_t> accepted{0}, refused_limit{0}, refused_not_allowed{0},
      refused_no_fds{0}, group_commits{0}, closed_too_long{0}, closed_line_timeout{0},
      closed_idle{0}, closed_not_reading{0}, output_high_water{0}, open{0};
};

}  // namespace

struct Server::Impl {
  Impl(auditlog::Logger* l, ServerOptions o, Listener lis)
      : logger(l), options(std::move(o)), listener(std::move(lis)), batch(l) {}
  ~Impl();

  auditlog::Logger* logger;
  ServerOptions options;
  Listener listener;
  RequestBatch batch;
  int epoll_fd = -1;
  int wake_fd = -1;    // eventfd: RequestStop()
  int signal_fd = -1;  // signalfd for SIGTERM/SIGINT, or -1
  int spare_fd = -1;   // kept open to be given up when accept() hits the descriptor limit
  bool stopping = false;
  std::unordered_map<int, std::unique_ptr<Connection>> connections;
  std::vector<Connection*> ready;  // read from in this iteration
  std::vector<int> killed;         // connections to destroy at the end of the iteration
  Counters counters;

  Status Setup();
  Status Loop();
  void AcceptAll(Clock::time_point now);
  void AcceptOne(int fd, Clock::time_point now);
  void OnConnectionEvent(Connection* c, std::uint32_t events, Clock::time_point now);
  void ProcessReady(Clock::time_point now);
  void WriteOut(Connection* c, Clock::time_point now);
  void UpdateInterest(Connection* c);
  void Kill(Connection* c);
  void ReapDead();
  void Sweep(Clock::time_point now);
  void Drain();
  std::chrono::milliseconds SweepInterval() const;
};

Server::Impl::~Impl() {
  connections.clear();
  for (int fd : {epoll_fd, wake_fd, signal_fd, spare_fd}) {
    if (fd >= 0) ::close(fd);
  }
}

Status Server::Impl::Setup() {
  epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return Errno("epoll_create1");
  wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) return Errno("eventfd");
  spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (options.handle_signals) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    signal_fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signal_fd < 0) return Errno("signalfd");
  }
  for (int fd : {listener.fd(), wake_fd, signal_fd}) {
    if (fd < 0) continue;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) return Errno("epoll_ctl");
  }
  return Status::Ok();
}

std::chrono::milliseconds Server::Impl::SweepInterval() const {
  const auto shortest = std::min(options.line_timeout, options.idle_timeout);
  return std::clamp(shortest / 4, std::chrono::milliseconds(5), std::chrono::milliseconds(1000));
}

Status Server::Impl::Loop() {
  std::vector<epoll_event> events(256);
  auto next_sweep = Clock::now() + SweepInterval();
  while (!stopping) {
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next_sweep - Clock::now());
    const int n = ::epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()),
                               static_cast<int>(std::max<long long>(0, wait.count())));
    if (n < 0 && errno != EINTR) return Errno("epoll_wait");
    const auto now = Clock::now();
    for (int i = 0; i < std::max(n, 0); ++i) {
      const int fd = events[i].data.fd;
      if (fd == listener.fd()) {
        AcceptAll(now);
      } else if (fd == wake_fd || fd == signal_fd) {
        stopping = true;  // the descriptor stays readable; nothing more is read from it
      } else if (auto it = connections.find(fd); it != connections.end()) {
        OnConnectionEvent(it->second.get(), events[i].events, now);
      }
    }
    ProcessReady(now);
    if (now >= next_sweep) {
      Sweep(now);
      next_sweep = now + SweepInterval();
    }
    ReapDead();
  }
  return Status::Ok();
}

void Server::Impl::AcceptAll(Clock::time_point now) {
  // Bounded per iteration, so that a flood of connections cannot starve the clients.
  for (int i = 0; i < 256; ++i) {
    const int fd = ::accept4(listener.fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      AcceptOne(fd, now);
      continue;
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if ((errno == EMFILE || errno == ENFILE) && spare_fd >= 0) {
      // Out of descriptors: give up the spare one to take the connection off the backlog
      // and close it (the client sees EOF), instead of spinning on a readable listener.
      ::close(spare_fd);
      const int refused = ::accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC);
      if (refused >= 0) ::close(refused);
      spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      counters.refused_no_fds.fetch_add(1, std::memory_order_relaxed);
      if (refused >= 0) continue;
    }
    return;  // EAGAIN, or an error the next readiness report retries
  }
}

void Server::Impl::AcceptOne(int fd, Clock::time_point now) {
  if (connections.size() >= options.max_connections) {
    RefuseConnection(
        fd, Status::FailedPrecondition("too many connections: the daemon serves at most " +
                                       std::to_string(options.max_connections) + " at a time"));
    // Counted once the line was sent: a test that sees the count finds the line.
    counters.refused_limit.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  auto origin = PeerIdentity(fd);
  if (!origin.ok() || !options.allow.Admits(*origin)) {
    RefuseConnection(fd, !origin.ok() ? origin.status()
                                      : Status::FailedPrecondition(
                                            "uid " + std::to_string(origin->uid) + " gid " +
                                            std::to_string(origin->gid) +
                                            " may not log here (--allow-uid/--allow-gid)"));
    counters.refused_not_allowed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  auto conn = std::make_unique<Connection>(fd, std::move(*origin), options.max_line_bytes, now);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) return;  // conn closes fd
  conn->epoll_events = EPOLLIN;
  connections.emplace(fd, std::move(conn));
  counters.accepted.fetch_add(1, std::memory_order_relaxed);
  counters.open.store(connections.size(), std::memory_order_relaxed);
}

void Server::Impl::OnConnectionEvent(Connection* c, std::uint32_t events, Clock::time_point now) {
  if (c->dead) return;
  if ((events & EPOLLOUT) != 0) WriteOut(c, now);
  if (c->dead || (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) == 0) return;
  if (c->reading_paused || c->close_when_drained || c->peer_eof) {
    // epoll reports these whatever the interest: with nothing more to read, the client is
    // gone for good, and leaving it would make every epoll_wait return at once.
    if ((events & (EPOLLHUP | EPOLLERR)) != 0) Kill(c);
    return;
  }
  switch (c->Read(options.max_read_bytes, now)) {
    case Connection::ReadOutcome::kData:
      break;
    case Connection::ReadOutcome::kEof:
      c->peer_eof = true;
      break;
    case Connection::ReadOutcome::kNothing:
      return;
    case Connection::ReadOutcome::kError:
      Kill(c);
      return;
  }
  if (!c->in_ready_list) {
    c->in_ready_list = true;
    ready.push_back(c);
  }
}

void Server::Impl::ProcessReady(Clock::time_point now) {
  for (Connection* c : ready) {
    c->BeginResponses(now);
    std::string_view line;
    while (c->NextLine(&line)) batch.Handle(c, line);
    if (c->PartialLineTooLong()) {
      counters.closed_too_long.fetch_add(1, std::memory_order_relaxed);
      batch.RespondError(c, Status::InvalidArgument("request: line longer than " +
                                                    std::to_string(options.max_line_bytes) +
                                                    " bytes; closing the connection"));
      c->close_when_drained = true;
    } else if (c->peer_eof) {
      if (c->HasPartialLine()) {
        batch.RespondError(
            c, Status::InvalidArgument("request: the connection ended inside a line (no '\\n')"));
      }
      c->close_when_drained = true;
    }
    c->DropConsumedInput();
  }
  if (batch.Commit()) counters.group_commits.fetch_add(1, std::memory_order_relaxed);
  for (Connection* c : ready) {
    c->in_ready_list = false;
    if (!c->dead) WriteOut(c, now);
  }
  ready.clear();
}

void Server::Impl::WriteOut(Connection* c, Clock::time_point now) {
  const std::uint64_t pending = c->pending_output();
  if (pending > counters.output_high_water.load(std::memory_order_relaxed)) {
    counters.output_high_water.store(pending, std::memory_order_relaxed);
  }
  const auto outcome = c->Write(now);
  if (outcome == Connection::WriteOutcome::kError) {
    Kill(c);
    return;
  }
  if (outcome == Connection::WriteOutcome::kAllWritten && c->close_when_drained) {
    Kill(c);
    return;
  }
  c->want_write = outcome == Connection::WriteOutcome::kBlocked;
  // Hysteresis: paused at the cap, resumed at half of it.
  if (c->pending_output() >= options.max_pending_output_bytes) {
    c->reading_paused = true;
  } else if (c->pending_output() <= options.max_pending_output_bytes / 2) {
    c->reading_paused = false;
  }
  UpdateInterest(c);
}

void Server::Impl::UpdateInterest(Connection* c) {
  std::uint32_t want = 0;
  if (!c->reading_paused && !c->close_when_drained && !c->peer_eof && !stopping) want |= EPOLLIN;
  if (c->want_write) want |= EPOLLOUT;
  if (want == c->epoll_events) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.fd = c->fd();
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd(), &ev) != 0) {
    Kill(c);
    return;
  }
  c->epoll_events = want;
}

void Server::Impl::Kill(Connection* c) {
  if (c->dead) return;
  c->dead = true;
  ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c->fd(), nullptr);
  killed.push_back(c->fd());
}

// Destroys the connections killed in this iteration. Deferred so that no descriptor is
// closed (and reused by accept) while the iteration's epoll events still name it.
void Server::Impl::ReapDead() {
  if (killed.empty()) return;
  for (int fd : killed) connections.erase(fd);
  killed.clear();
  counters.open.store(connections.size(), std::memory_order_relaxed);
}

void Server::Impl::Sweep(Clock::time_point now) {
  for (auto& [fd, conn] : connections) {
    Connection* c = conn.get();
    if (c->dead) continue;
    if (c->pending_output() > 0) {
      if (now - c->last_write_progress() > options.idle_timeout) {
        counters.closed_not_reading.fetch_add(1, std::memory_order_relaxed);
        Kill(c);
      }
    } else if (c->close_when_drained) {
      Kill(c);
    } else if (c->HasPartialLine()) {
      if (now - c->partial_line_since() > options.line_timeout) {
        counters.closed_line_timeout.fetch_add(1, std::memory_order_relaxed);
        c->BeginResponses(now);
        batch.RespondError(
            c, Status::Timeout("request: line not finished within " + Millis(options.line_timeout) +
                               "; closing the connection"));
        c->close_when_drained = true;
        WriteOut(c, now);
      }
    } else if (now - c->last_activity() > options.idle_timeout) {
      counters.closed_idle.fetch_add(1, std::memory_order_relaxed);
      Kill(c);
    }
  }
}

// After the loop: nothing more is accepted or read; the answers already queued are written
// for at most drain_timeout, then every connection is closed.
void Server::Impl::Drain() {
  for (int fd : {wake_fd, signal_fd}) {
    if (fd >= 0) ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);  // readable for good now
  }
  listener.Close();
  const auto deadline = Clock::now() + options.drain_timeout;
  std::vector<epoll_event> events(256);
  for (;;) {
    const auto now = Clock::now();
    bool pending = false;
    for (auto& [fd, conn] : connections) {
      if (conn->dead) continue;
      WriteOut(conn.get(), now);
      pending = pending || (!conn->dead && conn->pending_output() > 0);
    }
    ReapDead();
    if (!pending || now >= deadline) break;
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
    ::epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()),
                 static_cast<int>(std::min<long long>(wait.count(), 50)));
  }
  connections.clear();
  counters.open.store(0, std::memory_order_relaxed);
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

auditlog::Result<std::unique_ptr<Server>> Server::Open(auditlog::Logger* logger,
                                                       const ServerOptions& options) {
  if (logger == nullptr) return Status::InvalidArgument("server: no logger");
  if (options.max_connections == 0 || options.max_line_bytes == 0 ||
      options.max_pending_output_bytes == 0 || options.max_read_bytes == 0) {
    return Status::InvalidArgument("server: connection, line, output and read limits must be > 0");
  }
  if (options.line_timeout.count() <= 0 || options.idle_timeout.count() <= 0) {
    return Status::InvalidArgument("server: timeouts must be > 0");
  }
  auto listener = Listener::Open(options.listen);
  if (!listener.ok()) return listener.status();
  auto impl = std::make_unique<Impl>(logger, options, std::move(*listener));
  AUDITLOG_RETURN_IF_ERROR(impl->Setup());
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Status Server::Run() {
  const Status s = impl_->Loop();
  impl_->stopping = true;
  impl_->Drain();
  return s;
}

void Server::RequestStop() {
  const std::uint64_t one = 1;
  const ssize_t ignored = ::write(impl_->wake_fd, &one, sizeof one);
  (void)ignored;
}

ServerStats Server::GetStats() const {
  const Counters& c = impl_->counters;
  auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  ServerStats s;
  s.connections_open = get(c.open);
  s.connections_accepted = get(c.accepted);
  s.refused_connection_limit = get(c.refused_limit);
  s.refused_not_allowed = get(c.refused_not_allowed);
  s.refused_no_file_descriptors = get(c.refused_no_fds);
  s.requests = get(impl_->batch.requests);
  s.error_responses = get(impl_->batch.error_responses);
  s.group_commits = get(c.group_commits);
  s.closed_line_too_long = get(c.closed_too_long);
  s.closed_line_timeout = get(c.closed_line_timeout);
  s.closed_idle = get(c.closed_idle);
  s.closed_not_reading = get(c.closed_not_reading);
  s.pending_output_high_water = get(c.output_high_water);
  return s;
}

const std::string& Server::socket_path() const { return impl_->listener.path(); }

}  // namespace auditlogd
