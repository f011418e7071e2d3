// DurableWatermark (durable_watermark.h).
#include "engine/durable_watermark.h"

#include <algorithm>
#include <string>

namespace auditlog::internal {

void DurableWatermark::Start(std::uint64_t durable_seq) {
  MutexLock lock(&mu_);
  durable_seq_ = durable_seq;
  counters_.segments_created = 1;
}

// ---------------------------------------------------------------------------------------
// Waiters.

bool DurableWatermark::RequestSyncLocked(std::uint64_t seq) {
  if (seq <= durable_seq_ || seq <= sync_request_.load(std::memory_order_relaxed)) return false;
  // seq_cst: see EventRing::writer_asleep().
  sync_request_.store(seq, std::memory_order_seq_cst);
  return true;
}

Status DurableWatermark::SyncAndAwait(std::uint64_t seq, EventRing* ring,
                                      const SteadyTime* deadline) {
  MutexLock lock(&mu_);
  if (RequestSyncLocked(seq) && ring->writer_asleep()) {
    // Rare under load (a writer with work does not sleep); the ring's lock comes before ours.
    mu_.Unlock();
    ring->NotifyWriter();
    mu_.Lock();
  }
  return AwaitDurableLocked(seq, deadline);
}

Status DurableWatermark::AwaitDurable(std::uint64_t seq, const SteadyTime* deadline) {
  MutexLock lock(&mu_);
  return AwaitDurableLocked(seq, deadline);
}

Status DurableWatermark::BlockedLocked() const {
  if (!failed_.ok()) return failed_;
  if (!write_error_.ok()) {
    return Status(write_error_.code(),
                  "not durable: writes are failing (the event stays queued and the writer "
                  "keeps retrying): " +
                      write_error_.message());
  }
  if (writer_exited_) {
    return final_status_.ok() ? Status::FailedPrecondition("the logger is shut down")
                              : final_status_;
  }
  return Status::Ok();
}

Status DurableWatermark::AwaitDurableLocked(std::uint64_t seq, const SteadyTime* deadline) {
  ++durable_waiters_;
  Status result;
  for (;;) {
    if (durable_seq_ >= seq) break;
    result = BlockedLocked();
    if (!result.ok()) break;
    if (deadline == nullptr) {
      durable_cv_.Wait(&mu_);
    } else if (durable_cv_.WaitUntil(&mu_, *deadline) == std::cv_status::timeout &&
               durable_seq_ < seq && BlockedLocked().ok()) {
      result = Status::Timeout("seq " + std::to_string(seq) + " not durable within the timeout");
      break;
    }
  }
  --durable_waiters_;
  return result;
}

// ---------------------------------------------------------------------------------------
// The writer thread.

int DurableWatermark::Advance(std::uint64_t synced_seq, std::int64_t fsync_micros) {
  MutexLock lock(&mu_);
  durable_seq_ = synced_seq;
  ++counters_.fsyncs;
  counters_.fsync_latency.Record(
      static_cast<std::uint64_t>(std::max<std::int64_t>(0, fsync_micros)));
  last_fsync_mono_ = env_->MonotonicMicros();
  counters_.events_since_sync = 0;
  if (durable_waiters_ > 0) durable_cv_.NotifyAll();
  return durable_emitters_.load(std::memory_order_relaxed);
}

void DurableWatermark::RecordWrite(std::uint64_t events, std::uint64_t bytes,
                                   std::int64_t write_micros, std::uint64_t unsynced) {
  MutexLock lock(&mu_);
  counters_.events_written += events;
  counters_.bytes_written += bytes;
  counters_.write_latency.Record(
      static_cast<std::uint64_t>(std::max<std::int64_t>(0, write_micros)));
  counters_.events_since_sync = unsynced;
}

void DurableWatermark::RecordSegmentCreated() {
  MutexLock lock(&mu_);
  ++counters_.segments_created;
}

void DurableWatermark::NoteWriteError(const Status& s) {
  MutexLock lock(&mu_);
  write_error_ = s;
  ++counters_.write_errors;
  counters_.writes_failing = true;
  if (durable_waiters_ > 0) durable_cv_.NotifyAll();
}

void DurableWatermark::ClearWriteError() {
  MutexLock lock(&mu_);
  counters_.writes_failing = false;
  write_error_ = Status::Ok();
}

void DurableWatermark::Fail(const Status& s) {
  MutexLock lock(&mu_);
  if (!failed_.ok()) return;
  failed_ = s;
  durable_cv_.NotifyAll();
}

bool DurableWatermark::failed() const {
  MutexLock lock(&mu_);
  return !failed_.ok();
}

void DurableWatermark::MarkWriterExited() {
  MutexLock lock(&mu_);
  final_status_ = failed_;
  writer_exited_ = true;
  durable_cv_.NotifyAll();
}

Status DurableWatermark::final_status() const {
  MutexLock lock(&mu_);
  return final_status_;
}

// ---------------------------------------------------------------------------------------
// Stats.

void DurableWatermark::FillStatsLocked(Stats* s) const {
  s->events_written = counters_.events_written;
  s->bytes_written = counters_.bytes_written;
  s->events_since_sync = counters_.events_since_sync;
  s->fsyncs = counters_.fsyncs;
  s->segments_created = counters_.segments_created;
  s->write_errors = counters_.write_errors;
  s->writes_failing = counters_.writes_failing;
  s->write_latency = counters_.write_latency;
  s->fsync_latency = counters_.fsync_latency;
  s->durable_seq = durable_seq_;
  if (last_fsync_mono_ >= 0)
    s->micros_since_last_fsync = env_->MonotonicMicros() - last_fsync_mono_;
  s->failed = !failed_.ok();
  if (s->failed) s->failure = failed_.ToString();
}

}  // namespace auditlog::internal
