// StorageFailures: what the writer thread does when a storage step fails. It retries the
// step with exponential back-off while the RecordWriter stays usable (a full disk suspends
// writes: EventRing refuses user events with kDiskSpaceLow meanwhile, and waiters get the
// error), ends the suspension when storage works again, and enters the sticky failed state
// when a step cannot be retried.
//
// Thread-safety: writer thread only; not thread-safe and holds no lock of its own. It calls
// EventRing and DurableWatermark, which take their locks themselves, one at a time.
//
// Lifetime: owned by the WriterThread; `env`, `writer`, `ring` and `watermark` outlive it.
#pragma once

#include <functional>
#include <string>

#include "auditlog/env.h"
#include "auditlog/status.h"
#include "engine/durable_watermark.h"
#include "engine/event_ring.h"
#include "storage/record_writer.h"

namespace auditlog::internal {

class StorageFailures {
 public:
  StorageFailures(Env* env, const RecordWriter* writer, EventRing* ring,
                  DurableWatermark* watermark, std::function<void(const Status&)> on_error)
      : env_(env),
        writer_(writer),
        ring_(ring),
        watermark_(watermark),
        on_error_(std::move(on_error)) {}

  // Runs `attempt` (a step of the RecordWriter) until it succeeds, backing off while it
  // fails and the RecordWriter stays usable: a full disk suspends the writer at a segment
  // write and at every step of a rotation alike. Gives up only when the RecordWriter is
  // unusable, or after a few attempts once Shutdown() was called (`what` then says what was
  // lost).
  Status Retry(const std::function<Status()>& attempt, const std::string& what);
  // True after a failed attempt, until StorageWorksAgain().
  bool failing() const { return failing_; }
  // A step succeeded after Retry() failures: clears the write error and, when a full disk had
  // suspended writes, records log_writes_resumed (EventRing::EndWriteErrors).
  void StorageWorksAgain(std::int64_t now_mono);
  // Enters the failed state with `s` (once; later calls do nothing) and reports it through
  // Config::on_error.
  void EnterFailed(const Status& s);

 private:
  Env* const env_;
  const RecordWriter* const writer_;
  EventRing* const ring_;
  DurableWatermark* const watermark_;
  const std::function<void(const Status&)> on_error_;
  bool failing_ = false;
};

}  // namespace auditlog::internal
