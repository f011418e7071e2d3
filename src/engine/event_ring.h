// EventRing: the queue between the producers (Emit, and the library's own system events) and
// the one writer thread, after spdlog's async queue. A fixed ring of slots; a producer takes
// the next seq and a timestamp and fills the next slot in one short critical section, so
// seq order == queue order == file order. The ring also decides admission: it refuses events
// after Close() (Shutdown), after Fail() (a sticky error), and user events while a full disk
// suspends writes, and it is where the writer thread sleeps when it has nothing to do.
//
// Thread-safety: every public function may be called from any thread and takes `mu_` itself
// (EXCLUDES), except those marked "writer thread only". No I/O happens under `mu_`. The slots
// in [head, head+count) are queued: producers only write slots outside that range (under
// `mu_`), and the writer reads the range it saw in Peek() without the lock, then gives the
// slots back with Release().
//
// One lock for admission, seq, stamp and push: a producer must never take a seq between the
// end of disk-full refusals and the log_writes_resumed record (EndWriteErrors pushes it under
// the same lock that ends the refusals, commit 9b5d5e0), nor after Close() has let the writer
// drain for the last time.
//
// Lock order: EventRing::mu_ before DurableWatermark::mu_ (only GetStats holds both).
//
// Lifetime: Start() once, before any other thread uses the ring; it outlives the writer.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "auditlog/config.h"
#include "auditlog/env.h"
#include "auditlog/events.h"
#include "auditlog/stats.h"
#include "auditlog/status.h"
#include "engine/record_clock.h"
#include "format/event_codec.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace auditlog::internal {

// A queued event. Slots are reused, and a push swaps the producer's encoding buffer with the
// slot's body, so the buffers circulate with their capacity and Emit does not allocate in
// steady state.
struct RingSlot {
  EncodedEvent event;
  std::int64_t ts_micros = 0;         // record timestamp (wall clock, clamped)
  std::int64_t emit_mono_micros = 0;  // when it was emitted (monotonic), for Batched intervals
  bool system = false;                // a system event (may use the reserve slots)
  // A seal marker (system, empty body): the writer thread builds the seal when it frames it.
  bool seal_marker = false;
};

class EventRing {
 public:
  struct Options {
    std::size_t user_slots = 0;      // Config::queue_capacity_events
    std::size_t capacity_bytes = 0;  // Config::queue_capacity_bytes
    OverflowPolicy overflow = OverflowPolicy::kBlock;
    std::chrono::milliseconds block_timeout{0};
    EncodeOptions encode_options;  // for the system events the ring encodes itself
  };

  // What the writer saw in one look at the ring (Peek).
  struct Work {
    std::size_t head = 0;     // first queued slot
    std::size_t count = 0;    // queued slots, from head on
    bool closed = false;      // Close() was called
    bool failed = false;      // Fail() was called
    std::uint64_t epoch = 0;  // work_epoch() as of this look
  };

  // `env` must outlive the ring. Allocates nothing yet (DisabledMode never calls Start()).
  EventRing(Env* env, const Options& options);
  EventRing(const EventRing&) = delete;
  EventRing& operator=(const EventRing&) = delete;

  // Open only, before any other thread has the ring: allocates the slots, continues the seq
  // at `next_seq` and the timestamps from `segment_last_ts` (the active segment's last record).
  void Start(std::uint64_t next_seq, std::optional<std::int64_t> segment_last_ts)
      AUDITLOG_EXCLUDES(mu_);

  // ---- producers (any thread) ----
  // Queues `*e` (a user event; `system`: one of the library's own, which may use the reserve
  // slots and never blocks) and returns its seq; `e->body` comes back holding some earlier
  // body's buffer, for reuse. Blocks while the queue is full under OverflowPolicy::kBlock.
  // Errors: kBufferFull, kTimeout, kDiskSpaceLow, kFailedPrecondition (see Logger::Emit).
  Result<std::uint64_t> Push(EncodedEvent* e, bool system) AUDITLOG_EXCLUDES(mu_);
  // Queues one of the library's own system events (log_writes_resumed, segment_archived, ...)
  // from any thread, the writer included: it takes the next seq like any event, so seq order
  // stays file order, and it may use the reserve slots.
  Result<std::uint64_t> EnqueueSystemEvent(const LibraryEvent& event) AUDITLOG_EXCLUDES(mu_);
  // Queues a seal marker (RingSlot::seal_marker) like a system event; returns its seq.
  Result<std::uint64_t> EnqueueSealMarker() AUDITLOG_EXCLUDES(mu_);
  // The last seq handed out (0: none yet).
  std::uint64_t LastSeq() const AUDITLOG_EXCLUDES(mu_);

  // ---- state changes (any thread) ----
  // Shutdown: refuses every further push and wakes the writer and blocked producers.
  void Close() AUDITLOG_EXCLUDES(mu_);
  // The sticky failed state: refuses every further push. True for the first call only.
  bool Fail(const Status& s) AUDITLOG_EXCLUDES(mu_);
  // Wakes the writer because it has something new to look at (a sync request it sleeps
  // through: see writer_asleep()).
  void NotifyWriter() AUDITLOG_EXCLUDES(mu_);

  // ---- disk-full suspension (writer thread only) ----
  // A write attempt failed with `s` and the writer will retry: while it is kDiskSpaceLow user
  // events are refused, counted from `now_mono` on. Returns whether Close() was called.
  bool NoteWriteError(const Status& s, std::int64_t now_mono) AUDITLOG_EXCLUDES(mu_);
  // Storage works again: ends the refusals and, when a full disk had suspended writes, pushes
  // log_writes_resumed (with a clock_stepped before it if the clock stepped) under the same
  // lock, so it takes a seq before any event accepted after the resume, and its count of
  // refused emits is final.
  void EndWriteErrors(std::int64_t now_mono) AUDITLOG_EXCLUDES(mu_);

  // ---- consuming (writer thread only) ----
  Work Peek() const AUDITLOG_EXCLUDES(mu_);
  // The writer reads (and frees the large bodies of) the slots it saw in Peek() without the
  // lock. REQUIRES: `i` < capacity(), in the range of the last Peek().
  RingSlot& slot(std::size_t i) { return slots_[i]; }
  std::size_t capacity() const { return slots_.size(); }
  // Gives back `n` slots from the head on (their bodies sum to `bytes`, `users` of them user
  // events); `new_head` is the slot after them. Wakes producers blocked on a full queue.
  void Release(std::size_t new_head, std::size_t n, std::size_t users, std::size_t bytes)
      AUDITLOG_EXCLUDES(mu_);
  // Bumped (under `mu_`) whenever the writer has something new to look at: an event queued,
  // a sync request the writer sleeps through (NotifyWriter), Close, a test's WaitWriterIdle. A
  // polling writer reads it without the lock; it is only a hint, every decision is re-checked after
  // a Peek().
  std::uint64_t work_epoch() const { return work_epoch_.load(std::memory_order_acquire); }
  // Queued events as of the last change (no lock; an estimate for group commit).
  std::size_t queued_hint() const { return queued_hint_.load(std::memory_order_relaxed); }
  // Sleeps until woken or `micros` passed (<0: untimed), unless work_epoch() moved away from
  // `epoch` or `*sync_request` (DurableWatermark::sync_request, raised without this lock)
  // moved away from `seen_sync_request`: then it returns at once. What the writer saw in its
  // last look is still all there is.
  void SleepUnlessChanged(std::uint64_t epoch, std::int64_t micros,
                          const std::atomic<std::uint64_t>& sync_request,
                          std::uint64_t seen_sync_request) AUDITLOG_EXCLUDES(mu_);
  // True while the writer sleeps (or is about to) in SleepUnlessChanged; no lock. A thread
  // that raised the sync request and then reads false here needs not wake the writer: the
  // writer re-reads the request after it raised this flag (both seq_cst), so one of the two
  // sees the other.
  bool writer_asleep() const { return writer_asleep_.load(std::memory_order_seq_cst); }
  // The retry back-off: sleeps `micros`, cut short by Close(). Returns whether Close() was
  // called.
  bool WaitBackoff(std::int64_t micros) AUDITLOG_EXCLUDES(mu_);
  // The writer has exited (WaitWriterIdle then returns false).
  void MarkWriterExited() AUDITLOG_EXCLUDES(mu_);

  // ---- tests (LoggerTestPeer::WaitWriterIdle) ----
  // Wakes the writer and waits until it goes back to sleep after a fresh look at the ring
  // and the clock. False on timeout or when the writer has exited.
  bool WaitWriterIdle(std::chrono::milliseconds timeout) AUDITLOG_EXCLUDES(mu_);

  // ---- stats (any thread) ----
  Mutex& mutex() const AUDITLOG_RETURN_CAPABILITY(mu_) { return mu_; }
  // Fills in the producer-side counters and the queue gauges.
  void FillStatsLocked(Stats* s) const AUDITLOG_REQUIRES(mu_);

 private:
  // The producer-side counters of Stats.
  struct Counters {
    std::uint64_t events_emitted = 0;
    std::uint64_t critical_events = 0;
    std::uint64_t neutralized_fields = 0;
    std::uint64_t rejected_buffer_full = 0;
    std::uint64_t rejected_timeout = 0;
    std::uint64_t rejected_disk_low = 0;
    std::uint64_t rejected_failed = 0;
    std::uint64_t queue_high_water_events = 0;
    std::uint64_t queue_high_water_bytes = 0;
  };

  // Admission and push of Push(): takes `mu_` and returns holding it (the caller unlocks and
  // then wakes the writer when `*wake_writer`), also on failure.
  Result<std::uint64_t> PushAndHold(EncodedEvent* e, bool system, bool* wake_writer)
      AUDITLOG_ACQUIRE(mu_);
  // Blocks (OverflowPolicy::kBlock) until there is room for `size` bytes; an error when the
  // ring refuses meanwhile or block_timeout passes.
  Status AwaitRoomLocked(std::size_t size) AUDITLOG_REQUIRES(mu_);
  bool RefusingLocked() const AUDITLOG_REQUIRES(mu_) { return closed_ || !failed_.ok(); }
  Status RefuseLocked() AUDITLOG_REQUIRES(mu_);
  bool HasRoomLocked(std::size_t size, bool system) const AUDITLOG_REQUIRES(mu_);
  // Puts an encoded event into the next slot and takes its seq. REQUIRES: a free slot.
  std::uint64_t PushLocked(EncodedEvent* e, bool system, std::int64_t ts, std::int64_t mono)
      AUDITLOG_REQUIRES(mu_);
  // Rare events that must take their seq at an exact moment (a clock step, writes resuming):
  // encoded under the lock and pushed into a reserve slot if one is free.
  void PushSystemEventLocked(const LibraryEvent& event, std::int64_t ts, std::int64_t mono)
      AUDITLOG_REQUIRES(mu_);
  // Tells a polling or sleeping writer that there is something new; true when the caller
  // must notify writer_cv_ (after unlocking).
  bool BumpEpochLocked() AUDITLOG_REQUIRES(mu_);

  Env* const env_;
  const Options options_;

  mutable Mutex mu_;
  // Waiting on one releases `mu_`; notifying needs no lock.
  CondVar writer_cv_;  // the writer sleeps (and backs off)
  CondVar space_cv_;   // producers blocked on a full queue
  CondVar idle_cv_;    // WaitWriterIdle
  // Not GUARDED_BY: sized in Start() and never resized; a slot belongs to the writer while
  // it is queued and to producers under `mu_` otherwise (see the top).
  std::vector<RingSlot> slots_;
  std::size_t head_ AUDITLOG_GUARDED_BY(mu_) = 0;          // first queued slot
  std::size_t count_ AUDITLOG_GUARDED_BY(mu_) = 0;         // queued events (user and system)
  std::size_t user_count_ AUDITLOG_GUARDED_BY(mu_) = 0;    // queued user events
  std::size_t queued_bytes_ AUDITLOG_GUARDED_BY(mu_) = 0;  // sum of queued bodies
  std::uint64_t next_seq_ AUDITLOG_GUARDED_BY(mu_) = 1;
  RecordClock clock_ AUDITLOG_GUARDED_BY(mu_);
  bool closed_ AUDITLOG_GUARDED_BY(mu_) = false;  // Shutdown(): refuse, the writer drains
  Status failed_ AUDITLOG_GUARDED_BY(mu_);        // sticky: the first unrecoverable error
  Status write_error_ AUDITLOG_GUARDED_BY(mu_);   // the last write failed; the writer retries
  std::int64_t suspended_since_mono_ AUDITLOG_GUARDED_BY(mu_) = -1;   // refusing for lack of space
  std::uint64_t refused_at_suspension_ AUDITLOG_GUARDED_BY(mu_) = 0;  // rejected_disk_low then
  int space_waiters_ AUDITLOG_GUARDED_BY(mu_) = 0;
  // The writer sleeps in writer_cv_ and needs a notify.
  bool writer_waiting_ AUDITLOG_GUARDED_BY(mu_) = false;
  std::uint64_t writer_sleeps_ AUDITLOG_GUARDED_BY(mu_) = 0;
  bool writer_exited_ AUDITLOG_GUARDED_BY(mu_) = false;
  int idle_watchers_ AUDITLOG_GUARDED_BY(mu_) = 0;
  Counters counters_ AUDITLOG_GUARDED_BY(mu_);
  // Written under `mu_`, read without it (hints, see work_epoch()).
  std::atomic<std::uint64_t> work_epoch_{0};
  std::atomic<std::size_t> queued_hint_{0};  // count_, as of the last change
  std::atomic<bool> writer_asleep_{false};   // see writer_asleep()
};

}  // namespace auditlog::internal
