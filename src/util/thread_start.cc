// See thread_start.h.
#include "util/thread_start.h"

#include <atomic>
#include <cerrno>
#include <new>
#include <system_error>

namespace auditlog::internal {

namespace {
std::atomic<int> g_fail_starts{0};
}  // namespace

std::optional<std::thread> TryStartThread(std::function<void()> fn) {
  try {
    for (int n = g_fail_starts.load(); n > 0;) {
      if (g_fail_starts.compare_exchange_weak(n, n - 1)) {
        throw std::system_error(EAGAIN, std::generic_category(), "injected by a test");
      }
    }
    return std::thread(std::move(fn));
  } catch (const std::system_error&) {
    return std::nullopt;
  } catch (const std::bad_alloc&) {
    return std::nullopt;
  }
}

void FailThreadStartsForTest(int n) { g_fail_starts.store(n); }

}  // namespace auditlog::internal
