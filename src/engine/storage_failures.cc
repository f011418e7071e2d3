// StorageFailures (storage_failures.h).
#include "engine/storage_failures.h"

#include <algorithm>

namespace auditlog::internal {
namespace {

// Retry of failed writes: exponential back-off, and a few last attempts after Shutdown().
constexpr std::int64_t kFirstBackoffMicros = 1000;
constexpr std::int64_t kMaxBackoffMicros = 1000 * 1000;
constexpr int kAttemptsAfterShutdown = 3;

}  // namespace

Status StorageFailures::Retry(const std::function<Status()>& attempt, const std::string& what) {
  std::int64_t backoff = kFirstBackoffMicros;
  int attempts_after_shutdown = 0;
  for (;;) {
    Status s = attempt();
    if (s.ok()) return s;
    if (!writer_->sticky_error().ok()) return s;
    failing_ = true;
    // The ring first: it refuses further user events before the waiters hear of the error.
    const bool closed = ring_->NoteWriteError(s, env_->MonotonicMicros());
    watermark_->NoteWriteError(s);
    if (closed && ++attempts_after_shutdown > kAttemptsAfterShutdown) {
      return Status(s.code(), "Shutdown: " + what + ": " + s.message());
    }
    const bool closed_now = ring_->WaitBackoff(backoff);
    backoff = closed_now ? kFirstBackoffMicros : std::min(backoff * 2, kMaxBackoffMicros);
  }
}

void StorageFailures::StorageWorksAgain(std::int64_t now_mono) {
  failing_ = false;
  // The watermark first: a producer whose event the ring accepts after the resume must not
  // find the old error when it waits for durability.
  watermark_->ClearWriteError();
  ring_->EndWriteErrors(now_mono);
}

void StorageFailures::EnterFailed(const Status& s) {
  if (!ring_->Fail(s)) return;
  watermark_->Fail(s);
  if (on_error_) on_error_(s);
}

}  // namespace auditlog::internal
