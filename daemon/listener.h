// The daemon's listening Unix stream socket: created non-blocking, with the file mode and
// group the administrator chose, replacing a stale socket file only when no daemon answers
// on it.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "auditlog/status.h"

namespace auditlogd {

struct ListenOptions {
  std::string path;              // at most 107 bytes (sun_path)
  mode_t mode = 0660;            // the socket file's permission bits
  std::optional<gid_t> group{};  // chown the socket file to this group
  int backlog = 512;
};

// Owns the listening socket and its file; the destructor closes the socket and removes the
// file if it is still the one this object created (same device and inode). Not thread-safe.
class Listener {
 public:
  // Errors: kInvalidArgument (path empty or too long), kFailedPrecondition (a daemon already
  // answers on `path`, or `path` exists and is not a socket), kIOError (socket, bind,
  // chmod, chown, listen failed; the message names the call and the path).
  static auditlog::Result<Listener> Open(const ListenOptions& options);

  Listener(Listener&& other) noexcept;
  Listener& operator=(Listener&& other) noexcept;
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener();

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  // Closes the socket and removes its file (as the destructor does); idempotent.
  void Close();

 private:
  Listener(int fd, std::string path, dev_t dev, ino_t ino)
      : fd_(fd), path_(std::move(path)), dev_(dev), ino_(ino) {}
  int fd_ = -1;
  std::string path_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

}  // namespace auditlogd
