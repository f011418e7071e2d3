// Starting a thread without exceptions. std::thread's constructor throws std::system_error
// when the system is out of threads (EAGAIN: RLIMIT_NPROC, cgroup pids.max, memory for the
// stack); the readers then carry on with fewer threads. Thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <thread>

namespace auditlog::internal {

// Starts `fn` on a new thread; nullopt when no thread could be started (never throws).
std::optional<std::thread> TryStartThread(std::function<void()> fn);

// Test seam: the next `n` calls of TryStartThread in this process fail as if the system were
// out of threads.
void FailThreadStartsForTest(int n);

}  // namespace auditlog::internal
