#include "peer_identity.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace auditlogd {

auditlog::Result<auditlog::Origin> PeerIdentity(int fd) {
  struct ucred cred {};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return auditlog::Status::IOError(std::string("getsockopt(SO_PEERCRED): ") +
                                     std::strerror(errno));
  }
  auditlog::Origin origin;
  origin.uid = static_cast<std::uint32_t>(cred.uid);
  origin.gid = static_cast<std::uint32_t>(cred.gid);
  origin.pid = static_cast<std::uint32_t>(cred.pid);
  if (cred.pid > 0) {
    const std::string link = "/proc/" + std::to_string(cred.pid) + "/exe";
    char path[4096];
    const ssize_t n = ::readlink(link.c_str(), path, sizeof path);
    // A path that fills the buffer may have been cut: recorded as unknown rather than wrong.
    if (n > 0 && static_cast<std::size_t>(n) < sizeof path) {
      origin.exe.assign(path, static_cast<std::size_t>(n));
    }
  }
  return origin;
}

bool PeerAllowList::Admits(const auditlog::Origin& peer) const {
  if (uids.empty() && gids.empty()) return true;
  return std::find(uids.begin(), uids.end(), peer.uid) != uids.end() ||
         std::find(gids.begin(), gids.end(), peer.gid) != gids.end();
}

}  // namespace auditlogd
