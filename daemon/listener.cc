#include "listener.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace auditlogd {
namespace {

using auditlog::Status;

Status Errno(const std::string& what, const std::string& path) {
  return Status::IOError(what + " " + path + ": " + std::strerror(errno));
}

sockaddr_un Address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

// A socket file is stale when connecting to it is refused: nobody listens. Anything else
// (a daemon answers, or the file is not a socket) is left alone.
Status RemoveIfStale(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return errno == ENOENT ? Status::Ok() : Errno("lstat", path);
  }
  if (!S_ISSOCK(st.st_mode)) {
    return Status::FailedPrecondition(path + " exists and is not a socket: not removing it");
  }
  const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0) return Errno("socket for", path);
  const sockaddr_un addr = Address(path);
  const int rc = ::connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  const int saved = errno;
  ::close(probe);
  if (rc == 0) return Status::FailedPrecondition("a daemon is already listening on " + path);
  if (saved != ECONNREFUSED) {
    errno = saved;
    return Errno("connect to existing socket", path);
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("unlink stale socket", path);
  return Status::Ok();
}

}  // namespace

auditlog::Result<Listener> Listener::Open(const ListenOptions& options) {
  const std::string& path = options.path;
  if (path.empty()) return Status::InvalidArgument("socket path: empty");
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return Status::InvalidArgument("socket path: longer than " +
                                   std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes");
  }
  AUDITLOG_RETURN_IF_ERROR(RemoveIfStale(path));
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket for", path);
  const sockaddr_un addr = Address(path);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const Status s = Errno("bind", path);
    ::close(fd);
    return s;
  }
  struct stat st {};
  Status s;
  if (::chmod(path.c_str(), options.mode) != 0) {
    s = Errno("chmod", path);
  } else if (options.group && ::chown(path.c_str(), static_cast<uid_t>(-1), *options.group) != 0) {
    s = Errno("chown (group " + std::to_string(*options.group) + ")", path);
  } else if (::listen(fd, options.backlog) != 0) {
    s = Errno("listen", path);
  } else if (::stat(path.c_str(), &st) != 0) {
    s = Errno("stat", path);
  }
  if (!s.ok()) {
    ::close(fd);
    ::unlink(path.c_str());
    return s;
  }
  return Listener(fd, path, st.st_dev, st.st_ino);
}

Listener::Listener(Listener&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      dev_(other.dev_),
      ino_(other.ino_) {}

Listener& Listener::operator=(Listener&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    dev_ = other.dev_;
    ino_ = other.ino_;
  }
  return *this;
}

Listener::~Listener() { Close(); }

void Listener::Close() {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
  // Another daemon may have replaced the file since (after our socket was found stale by
  // it): remove only our own.
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) {
    ::unlink(path_.c_str());
  }
}

}  // namespace auditlogd
