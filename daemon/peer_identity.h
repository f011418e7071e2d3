// Who is on the other end of a Unix stream socket, as the kernel attests it: SO_PEERCRED's
// uid, gid and pid (taken at connect() time, so a client cannot change them afterwards),
// and the path of that pid's executable from /proc/PID/exe, read once at accept time.
//
// Contract of `exe`: it names the executable the process ran when the daemon accepted the
// connection (a process may exec another program later; the pid is what stays attested).
// It is empty when the kernel would not tell: a peer in another pid namespace (pid 0), a
// process that already exited, or one whose /proc/PID/exe the daemon may not read (another
// user's process without CAP_SYS_PTRACE).
#pragma once

#include <cstdint>
#include <vector>

#include "auditlog/logger.h"
#include "auditlog/status.h"

namespace auditlogd {

// The identity of the peer of connected Unix socket `fd`. Errors: kIOError when
// getsockopt(SO_PEERCRED) fails (not a Unix socket).
auditlog::Result<auditlog::Origin> PeerIdentity(int fd);

// Who may connect, beyond what the socket file's mode and group already decide. Empty lists
// admit everyone; otherwise a peer is admitted when its uid is in `uids` or its (primary)
// gid is in `gids`.
struct PeerAllowList {
  std::vector<std::uint32_t> uids;
  std::vector<std::uint32_t> gids;

  bool Admits(const auditlog::Origin& peer) const;
};

}  // namespace auditlogd
