// Test hooks into a Logger's writer engine (rocksdb's TEST_ convention, as a friend class).
// Tests only; thread-safe.
#pragma once

#include <chrono>

#include "auditlog/logger.h"

namespace auditlog::internal {

class LoggerTestPeer {
 public:
  // Wakes the writer so that it re-reads the clock, and waits until it has gone back to
  // sleep with nothing left to do: every event queued before the call is written and every
  // fsync due at the clock's current time is done. With a fake clock this makes "has the
  // deadline fired yet?" deterministic. False on timeout, or when the writer has exited.
  static bool WaitWriterIdle(Logger& logger, std::chrono::milliseconds timeout);
};

}  // namespace auditlog::internal
