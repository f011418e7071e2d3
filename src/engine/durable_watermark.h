// DurableWatermark: what the writer thread has made durable, published to the threads that
// wait for it (EmitDurable, WaitDurable, Flush) and read the stats. It holds the durable seq
// (never ahead of the disk: raised only after a successful fsync), the pending sync request,
// the waiters, and what keeps a wait from succeeding (a write error being retried, the failed
// state, the writer's exit); also the writer-side counters of Stats.
//
// Thread-safety: the waiters' functions may be called from any thread, the "writer thread"
// ones only from the writer thread (or Open, before it starts); all take `mu_` themselves
// (EXCLUDES) and never do I/O under it. The sync request is also readable without the lock
// (sync_request()), for the writer deciding whether to sleep.
//
// Lock order: EventRing::mu_ before DurableWatermark::mu_ (only GetStats holds both). No
// function here takes the ring's lock with `mu_` held: a waiter that raised a sync request
// and finds the writer asleep releases `mu_` to wake it (EventRing::NotifyWriter).
//
// Lifetime: outlives the writer thread (owned by Logger::Impl).
#pragma once

#include <atomic>
#include <cstdint>

#include "auditlog/env.h"
#include "auditlog/stats.h"
#include "auditlog/status.h"
#include "engine/deadline.h"
#include "engine/event_ring.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace auditlog::internal {

class DurableWatermark {
 public:
  // `env` must outlive the watermark.
  explicit DurableWatermark(Env* env) : env_(env) {}
  DurableWatermark(const DurableWatermark&) = delete;
  DurableWatermark& operator=(const DurableWatermark&) = delete;

  // Open only: every seq <= `durable_seq` is already on disk (earlier processes' records).
  void Start(std::uint64_t durable_seq) AUDITLOG_EXCLUDES(mu_);

  // ---- waiters (any thread) ----
  // Asks the writer to fsync through `seq` soon and waits until every seq <= `seq` is
  // durable, waking the writer through `ring` if it sleeps. `deadline` null: no time limit.
  // Errors: the failed state, the write error while writes are failing, kFailedPrecondition
  // after the writer exited, kTimeout.
  Status SyncAndAwait(std::uint64_t seq, EventRing* ring, const SteadyTime* deadline)
      AUDITLOG_EXCLUDES(mu_);
  // Waits as SyncAndAwait, without asking for an fsync (the flush mode decides when).
  Status AwaitDurable(std::uint64_t seq, const SteadyTime* deadline) AUDITLOG_EXCLUDES(mu_);
  // EmitDurable counts itself among the durable emitters for the whole call, from before its
  // push (so that the writer, gathering for the next fsync, never misses one that pushed but
  // has not asked yet) until its wait ends: EnterDurableEmit(), then LeaveDurableEmit()
  // after SyncAndAwait() or a failed push. Lock-free.
  void EnterDurableEmit() { durable_emitters_.fetch_add(1, std::memory_order_relaxed); }
  void LeaveDurableEmit() { durable_emitters_.fetch_sub(1, std::memory_order_relaxed); }
  // The highest seq someone waits for an fsync through (no lock; written under `mu_`).
  std::uint64_t sync_request() const { return sync_request_.load(std::memory_order_seq_cst); }
  const std::atomic<std::uint64_t>& sync_request_atomic() const { return sync_request_; }

  // ---- the writer thread ----
  // An fsync made every seq <= `synced_seq` durable (`fsync_micros`: how long it took):
  // raises the watermark and wakes the waiters. Returns the number of callers inside
  // EmitDurable at that moment.
  int Advance(std::uint64_t synced_seq, std::int64_t fsync_micros) AUDITLOG_EXCLUDES(mu_);
  // A batch of `events` (`bytes` framed) was written in `write_micros`; `unsynced` events
  // are now written but not fsync'ed.
  void RecordWrite(std::uint64_t events, std::uint64_t bytes, std::int64_t write_micros,
                   std::uint64_t unsynced) AUDITLOG_EXCLUDES(mu_);
  void RecordSegmentCreated() AUDITLOG_EXCLUDES(mu_);
  // A write attempt failed with `s` and will be retried: waiters get `s` meanwhile.
  void NoteWriteError(const Status& s) AUDITLOG_EXCLUDES(mu_);
  void ClearWriteError() AUDITLOG_EXCLUDES(mu_);
  // The sticky failed state (EventRing::Fail refuses the pushes).
  void Fail(const Status& s) AUDITLOG_EXCLUDES(mu_);
  bool failed() const AUDITLOG_EXCLUDES(mu_);
  // The writer exits: every later wait fails at once. Its result is the failed state (ok when
  // none), which final_status() returns from then on.
  void MarkWriterExited() AUDITLOG_EXCLUDES(mu_);
  Status final_status() const AUDITLOG_EXCLUDES(mu_);

  // ---- stats (any thread) ----
  Mutex& mutex() const AUDITLOG_RETURN_CAPABILITY(mu_) { return mu_; }
  // Fills in the writer-side counters, the durable seq and the failed state.
  void FillStatsLocked(Stats* s) const AUDITLOG_REQUIRES(mu_);

 private:
  // The writer-side counters of Stats.
  struct Counters {
    std::uint64_t events_written = 0;
    std::uint64_t bytes_written = 0;
    std::uint64_t events_since_sync = 0;
    std::uint64_t fsyncs = 0;
    std::uint64_t segments_created = 0;
    std::uint64_t write_errors = 0;
    bool writes_failing = false;
    LatencyHistogram write_latency;
    LatencyHistogram fsync_latency;
  };

  // Raises the sync request to `seq` (true: it is new).
  bool RequestSyncLocked(std::uint64_t seq) AUDITLOG_REQUIRES(mu_);
  // AwaitDurable with `mu_` held (released while it waits).
  Status AwaitDurableLocked(std::uint64_t seq, const SteadyTime* deadline) AUDITLOG_REQUIRES(mu_);
  // Why a wait for `seq` cannot succeed now (ok: it may, keep waiting).
  Status BlockedLocked() const AUDITLOG_REQUIRES(mu_);

  Env* const env_;
  mutable Mutex mu_;
  CondVar durable_cv_;  // the waiters; notifying needs no lock
  std::uint64_t durable_seq_ AUDITLOG_GUARDED_BY(mu_) = 0;
  // Written under `mu_` (so that RequestSyncLocked compares and raises it in one step), read
  // without it by the writer (sync_request()).
  std::atomic<std::uint64_t> sync_request_{0};
  int durable_waiters_ AUDITLOG_GUARDED_BY(mu_) = 0;
  // Callers inside EmitDurable: most of those released by an fsync come back soon with their
  // next event, and the writer waits briefly for them (group commit). An estimate: atomic,
  // read by Advance().
  std::atomic<int> durable_emitters_{0};
  Status failed_ AUDITLOG_GUARDED_BY(mu_);       // sticky: the first unrecoverable error
  Status write_error_ AUDITLOG_GUARDED_BY(mu_);  // the last write failed; the writer retries
  bool writer_exited_ AUDITLOG_GUARDED_BY(mu_) = false;
  Status final_status_ AUDITLOG_GUARDED_BY(mu_);  // what the writer's exit left
  std::int64_t last_fsync_mono_ AUDITLOG_GUARDED_BY(mu_) = -1;
  Counters counters_ AUDITLOG_GUARDED_BY(mu_);
};

}  // namespace auditlog::internal
