// Deadlines for the engine's timed waits (Config::block_timeout, WaitDurable). Internal;
// stateless and thread-safe.
#pragma once

#include <algorithm>
#include <chrono>

namespace auditlog::internal {

using SteadyTime = std::chrono::steady_clock::time_point;

// now + `timeout`, with negative timeouts as zero and huge ones (milliseconds::max()) capped
// far in the future instead of overflowing.
inline SteadyTime DeadlineAfter(std::chrono::milliseconds timeout) {
  constexpr std::chrono::milliseconds kFarFuture = std::chrono::hours(24 * 365 * 100);
  return std::chrono::steady_clock::now() +
         std::clamp(timeout, std::chrono::milliseconds(0), kFarFuture);
}

}  // namespace auditlog::internal
