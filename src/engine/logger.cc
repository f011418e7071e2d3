// The writer engine behind Logger (issue "Writer engine").
//
// Emit() validates and encodes the event on the caller's thread. Then, in one short
// critical section, it takes the next seq and a timestamp (a small backward step of the
// wall clock is clamped; a larger step is recorded as a clock_stepped event, see StampLocked)
// and copies the encoded body into the next slot of a fixed ring:
// seq order == queue order == file order. One writer thread takes everything queued, frames
// it (hash chain) into one buffer, writes it with one write(), and fsyncs when the
// FlushPolicy says so, or when someone waits in Flush()/EmitDurable(). Only after a
// successful fsync does it raise the durable watermark and wake the waiters, so the
// watermark is never ahead of the disk, and concurrent waiters share one fsync (group commit).
//
// Locking: `mu` guards every member marked AUDITLOG_GUARDED_BY(mu), and the functions that
// need it say so (AUDITLOG_REQUIRES); Clang checks both (-Wthread-safety, thread_annotations.h).
// The slots in [head, head+count) are queued; producers write only slots outside that range,
// and the writer reads the range it took under `mu` without holding it, then gives the slots
// back under `mu`. The RecordWriter, the batch buffer and the un-synced bookkeeping belong to
// the writer thread ("writer thread only": not expressible as a capability, not checked).
// No I/O ever happens while `mu` is held.
#include "auditlog/logger.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <limits>
#include <optional>
#include <thread>
#include <vector>

#include "format/event_codec.h"
#include "engine/flush_policy.h"
#include "engine/logger_test_peer.h"
#include "engine/metrics.h"
#include "util/mutex.h"
#include "storage/record_writer.h"
#include "util/thread_annotations.h"

namespace auditlog {
namespace {

using internal::CondVar;
using internal::FlushPolicy;
using internal::Mutex;
using internal::MutexLock;
using SteadyTime = std::chrono::steady_clock::time_point;

// A queued event. Slots are reused, and Emit swaps its encoding buffer with the slot's body,
// so the buffers circulate with their capacity and Emit does not allocate in steady state.
struct Slot {
  internal::EncodedEvent event;
  std::int64_t ts_micros = 0;         // record timestamp (wall clock, clamped)
  std::int64_t emit_mono_micros = 0;  // when it was emitted (monotonic), for Batched intervals
  bool system = false;                // a system event (may use the reserve slots)
};

// Clock steps (docs/FORMAT.md §3 "Clock steps"). The wall clock going back by up to this
// much is absorbed by clamping (stamping the previous record's time), so timestamps stay
// non-decreasing through NTP corrections, and no record is ever stamped more than this
// after the clock it was emitted at. A larger backward step, or a forward jump by more than
// this beyond what the monotonic clock measured, is a clock step: later records carry the
// real clock, a critical clock_stepped record says what happened, and (going back) the
// writer continues in a new segment. One second: far above NTP slewing (at most 500 ppm)
// and the jitter between reading the clocks and taking the lock, far below any step that
// would mislead an investigation.
constexpr std::int64_t kMaxClockClampMicros = 1000000;

Time TimeOf(std::int64_t micros) {
  return Time(std::chrono::duration_cast<Time::duration>(std::chrono::microseconds(micros)));
}

// Slots beyond Config::queue_capacity_events that only the library's own system events may
// use, so that recording one never fails for a full queue.
constexpr std::size_t kSystemReserveSlots = 16;
// A body larger than this is released after framing instead of being kept for reuse: a ring
// then keeps at most (slots * this) bytes of spare capacity.
constexpr std::size_t kMaxRetainedBodyBytes = 4096;
// At Open every slot's body gets this much capacity (in total at most queue_capacity_bytes),
// as spdlog preallocates its queue: otherwise each of the first pass of Emits over the ring
// allocates fresh heap memory, and the first touch of a fresh page (a page fault, on a VM
// also a host fault) dominated Emit's p99 until the ring had wrapped once.
constexpr std::size_t kPrewarmBodyBytes = 512;
// The per-thread encoding buffer is released when it grew beyond this.
constexpr std::size_t kMaxRetainedEncodeBytes = 64 * 1024;

// Retry of failed writes: exponential back-off, and a few last attempts after Shutdown().
constexpr std::int64_t kFirstBackoffMicros = 1000;
constexpr std::int64_t kMaxBackoffMicros = 1000 * 1000;
constexpr int kAttemptsAfterShutdown = 3;
// The writer's longest single sleep; it re-reads the clock when it wakes.
constexpr std::int64_t kMaxSleepMicros = 10 * 1000 * 1000;
// The writer frames and writes at most about this many bytes at a time, giving the slots
// back after each chunk: the batch buffer stays cache-sized (and bounded), producers blocked
// on a full queue resume sooner, and write() copies from cache (measured on the bench VM:
// 64-256 KiB writes are the fastest; multi-MiB ones are often several times slower).
constexpr std::size_t kMaxWriteBytes = 256 * 1024;
// Before it sleeps, the writer polls for new work this long (real time): a producer that
// finds it polling needs no futex wake-up, which costs more than encoding an event and
// dominated Emit's p99. Bounded, so an idle logger burns at most this much per batch.
constexpr std::int64_t kWriterSpinMicros = 50;
// Group commit: after an fsync released EmitDurable callers, the writer waits up to this
// long (and at most a quarter of the last fsync's time) for them to come back with their
// next events, so that they share the next fsync instead of one of them paying for it alone.
constexpr std::int64_t kGatherMaxMicros = 200;
// How often an idle writer looks after its storage: daily rotation, and whether the active
// segment is still the file at its path.
constexpr std::int64_t kMaintenanceMicros = 1000 * 1000;

// now + `timeout`, with negative timeouts as zero and huge ones (milliseconds::max()) capped
// far in the future instead of overflowing.
SteadyTime DeadlineAfter(std::chrono::milliseconds timeout) {
  constexpr std::chrono::milliseconds kFarFuture = std::chrono::hours(24 * 365 * 100);
  return std::chrono::steady_clock::now() +
         std::clamp(timeout, std::chrono::milliseconds(0), kFarFuture);
}

Status ValidateConfig(const Config& c) {
  AUDITLOG_RETURN_IF_ERROR(ValidateServiceId(c.service_id));
  if (const auto* local = std::get_if<LocalMode>(&c.mode); local && local->dir.empty()) {
    return Status::InvalidArgument("mode.dir: empty log directory");
  }
  AUDITLOG_RETURN_IF_ERROR(internal::ValidateFlushMode(c.flush_mode));
  if (c.queue_capacity_events == 0) {
    return Status::InvalidArgument("queue_capacity_events: must be at least 1");
  }
  if (c.queue_capacity_events > (std::size_t{1} << 26)) {
    return Status::InvalidArgument("queue_capacity_events: must be at most 67108864");
  }
  if (c.queue_capacity_bytes == 0) {
    return Status::InvalidArgument("queue_capacity_bytes: must be at least 1");
  }
  if (c.block_timeout.count() < 0) {
    return Status::InvalidArgument("block_timeout: must not be negative");
  }
  if (c.max_field_bytes < 16)
    return Status::InvalidArgument("max_field_bytes: must be at least 16");
  return Status::Ok();
}

}  // namespace

struct [[gnu::visibility("hidden")]] Logger::Impl {
  explicit Impl(const Config& c)
      : config(c),
        env(c.env != nullptr ? c.env : Env::Default()),
        disabled(std::holds_alternative<DisabledMode>(c.mode)),
        policy(c.flush_mode) {
    encode_options.max_field_bytes = c.max_field_bytes;
    stats.flush_batch_size = policy.batch_size();
    stats.flush_interval_micros = policy.interval_micros();
  }

  ~Impl() {
    if (thread.joinable()) thread.join();  // only when Shutdown() could not run
  }

  Status Start() AUDITLOG_EXCLUDES(mu);

  // ---- producer side ----
  Status Encode(const Event& event, internal::EncodedEvent* out);
  // Locks `mu` and queues `*e`, whose body it swaps with the slot's (so `e->body` comes back
  // holding some earlier body's buffer, to be reused); `mu` stays held on return, also on
  // failure. Sets `*wake_writer` when the caller must notify writer_cv (after unlocking).
  Result<std::uint64_t> Enqueue(internal::EncodedEvent* e, bool system, bool* wake_writer)
      AUDITLOG_ACQUIRE(mu);
  // Queues one of the library's own system events (log_writes_resumed, segment_archived, ...)
  // from any thread that does not hold `mu`, the writer included: it takes the next seq like
  // any event, so seq order stays file order, and it may use the reserve slots.
  Result<std::uint64_t> EnqueueSystemEvent(const Event& event) AUDITLOG_EXCLUDES(mu);
  // The timestamp for an event emitted when the clocks read `now` (wall) and `mono`; sets
  // `*step` when the wall clock stepped since the last stamp.
  std::int64_t StampLocked(std::int64_t now, std::int64_t mono, std::optional<ClockStepped>* step)
      AUDITLOG_REQUIRES(mu);
  // Puts an encoded event into the next slot and takes its seq. REQUIRES: a free slot.
  std::uint64_t PushLocked(internal::EncodedEvent* e, bool system, std::int64_t ts,
                           std::int64_t mono) AUDITLOG_REQUIRES(mu);
  // Rare events that must take their seq at an exact moment (a clock step, writes resuming):
  // encoded under the lock and pushed into a reserve slot if one is free.
  void PushSystemEventLocked(const Event& event, std::int64_t ts, std::int64_t mono)
      AUDITLOG_REQUIRES(mu);
  bool RefusingLocked() const AUDITLOG_REQUIRES(mu) { return stop || !failed.ok(); }
  Status RefuseLocked() AUDITLOG_REQUIRES(mu);
  bool HasRoomLocked(std::size_t size, bool system) const AUDITLOG_REQUIRES(mu);
  // Waits until every seq <= `seq` is durable (releasing `mu` while it waits); `deadline`
  // null: no time limit.
  Status AwaitDurableLocked(std::uint64_t seq, const SteadyTime* deadline) AUDITLOG_REQUIRES(mu);
  // Asks the writer to fsync through `seq` soon; true when it must be notified.
  bool RequestSyncLocked(std::uint64_t seq) AUDITLOG_REQUIRES(mu);
  Stats SnapshotLocked() const AUDITLOG_REQUIRES(mu);

  // ---- writer thread ----
  // The writer thread's functions below that do not REQUIRE `mu` take it themselves, for
  // short moments, and never do I/O under it (EXCLUDES).
  void Run() AUDITLOG_EXCLUDES(mu);
  // Both release `mu` while they wait (or poll) and hold it again on return.
  void WaitForWorkLocked() AUDITLOG_REQUIRES(mu);
  void SleepLocked(std::int64_t micros) AUDITLOG_REQUIRES(mu);  // <0: untimed
  bool WriteEvents(std::size_t start, std::size_t n) AUDITLOG_EXCLUDES(mu);
  // Storage upkeep between batches: rotation on the writer's own clock, the active-segment
  // check, retention. False when the logger entered its failed state.
  bool Maintain() AUDITLOG_EXCLUDES(mu);
  bool RotateSegment() AUDITLOG_EXCLUDES(mu);
  bool CheckActiveSegment() AUDITLOG_EXCLUDES(mu);
  void ApplyRetention() AUDITLOG_EXCLUDES(mu);
  // Polls (without `mu`) until work_epoch moves away from `epoch` or `micros` of real time
  // passed; true when it moved.
  bool SpinForWork(std::uint64_t epoch, std::int64_t micros) const AUDITLOG_EXCLUDES(mu);
  // Group commit: waits briefly for the EmitDurable callers released by the last fsync
  // (polling without `mu`; held again on return).
  void GatherLocked() AUDITLOG_REQUIRES(mu);
  // Frames slots from `start` (at most `n`, at least one, about kMaxWriteBytes), gives them
  // back, writes them and accounts for them; `*done` receives how many. False when the
  // logger entered its failed state.
  bool WriteChunk(std::size_t start, std::size_t n, std::size_t* done) AUDITLOG_EXCLUDES(mu);
  Status WriteBatch(std::size_t events) AUDITLOG_EXCLUDES(mu);
  // Runs `attempt` (a step of the RecordWriter) until it succeeds, backing off while it
  // fails and the RecordWriter stays usable: a full disk suspends the writer (Emit refuses
  // user events with kDiskSpaceLow meanwhile) at a segment write and at every step of a
  // rotation alike. Gives up only when the RecordWriter is unusable, or after a few attempts
  // once Shutdown() was called (`what` then says what was lost).
  Status RetryStorage(const std::function<Status()>& attempt, const std::string& what)
      AUDITLOG_EXCLUDES(mu);
  // Storage works again after RetryStorage failures: clears the write error and, when a full
  // disk had suspended writes, records log_writes_resumed.
  // Called under the lock the writer already takes for its stats after each write, so the
  // hot path locks once per batch.
  void StorageWorksAgainLocked(std::int64_t now_mono) AUDITLOG_REQUIRES(mu);
  void SyncWritten() AUDITLOG_EXCLUDES(mu);
  void MarkAllWrittenDurable(std::int64_t fsync_micros) AUDITLOG_EXCLUDES(mu);
  void EnterFailed(const Status& s) AUDITLOG_EXCLUDES(mu);
  void Finish() AUDITLOG_EXCLUDES(mu);

  // ---- immutable after Open ----
  const Config config;
  Env* const env;
  const bool disabled;
  const FlushPolicy policy;
  internal::EncodeOptions encode_options;
  std::size_t user_slots = 0;  // queue_capacity_events; the ring has kSystemReserveSlots more

  // ---- DisabledMode only ----
  std::atomic<bool> disabled_shut_down{false};

  // ---- any thread, lock-free ----
  std::atomic<std::uint64_t> rejected_invalid{0};

  // ---- writer thread only ----
  std::unique_ptr<internal::RecordWriter> writer;
  std::string batch;                        // framed records of the batch being written
  FlushPolicy::Unsynced unsynced;           // written, not yet fsync'ed
  std::uint64_t written_seq = 0;            // highest seq handed to the kernel
  std::uint64_t synced_seq = 0;             // highest seq known fsync'ed
  std::int64_t suspended_since_mono = -1;   // writes refused for lack of space since then
  std::uint64_t refused_at_suspension = 0;  // stats.rejected_disk_low when it began
  std::size_t expected_returns = 0;         // EmitDurable callers the last fsync released
  std::int64_t last_fsync_micros = 0;       // how long the last fsync took
  std::int64_t next_maintenance_mono = 0;   // when the writer looks after its storage next

  // ---- any thread, lock-free hint ----
  // Bumped (under `mu`) whenever the writer has something new to look at: an event queued,
  // an fsync requested, Shutdown. The polling writer reads it without `mu`; it is only a
  // hint, every decision is re-checked under `mu`.
  std::atomic<std::uint64_t> work_epoch{0};
  std::atomic<std::size_t> queued_hint{0};  // `count`, as of the last change

  // ---- guarded by mu (AUDITLOG_GUARDED_BY, checked by Clang) ----
  mutable Mutex mu;
  // Waiting on one releases `mu`; notifying needs no lock.
  CondVar writer_cv;   // the writer waits for work (and back-off)
  CondVar space_cv;    // producers blocked on a full queue
  CondVar durable_cv;  // EmitDurable / WaitDurable / Flush
  CondVar idle_cv;     // LoggerTestPeer::WaitWriterIdle
  // Not GUARDED_BY: sized in Start() and never resized; a slot belongs to the writer while
  // it is queued and to producers under `mu` otherwise (see "Locking" at the top).
  std::vector<Slot> slots;
  std::size_t head AUDITLOG_GUARDED_BY(mu) = 0;          // first queued slot
  std::size_t count AUDITLOG_GUARDED_BY(mu) = 0;         // queued events (user and system)
  std::size_t user_count AUDITLOG_GUARDED_BY(mu) = 0;    // queued user events
  std::size_t queued_bytes AUDITLOG_GUARDED_BY(mu) = 0;  // sum of queued bodies
  std::uint64_t next_seq AUDITLOG_GUARDED_BY(mu) = 1;
  // The last stamp given, and the clocks' readings it was based on (StampLocked).
  bool stamped AUDITLOG_GUARDED_BY(mu) = false;
  std::int64_t last_ts AUDITLOG_GUARDED_BY(mu) = std::numeric_limits<std::int64_t>::min();
  std::int64_t last_wall AUDITLOG_GUARDED_BY(mu) = 0;
  std::int64_t last_mono AUDITLOG_GUARDED_BY(mu) = 0;
  std::uint64_t durable_seq AUDITLOG_GUARDED_BY(mu) = 0;  // published copy of synced_seq
  // Someone waits for an fsync through this seq.
  std::uint64_t sync_request AUDITLOG_GUARDED_BY(mu) = 0;
  // The writer sleeps in writer_cv and needs a notify.
  bool writer_waiting AUDITLOG_GUARDED_BY(mu) = false;
  std::uint64_t writer_sleeps AUDITLOG_GUARDED_BY(mu) = 0;
  int space_waiters AUDITLOG_GUARDED_BY(mu) = 0;
  int durable_waiters AUDITLOG_GUARDED_BY(mu) = 0;
  int durable_emitters AUDITLOG_GUARDED_BY(mu) = 0;  // the durable_waiters from EmitDurable
  int idle_watchers AUDITLOG_GUARDED_BY(mu) = 0;
  bool stop AUDITLOG_GUARDED_BY(mu) = false;  // Shutdown() was called: refuse Emit, drain, close
  bool writer_exited AUDITLOG_GUARDED_BY(mu) = false;
  Status failed AUDITLOG_GUARDED_BY(mu);        // sticky: the first unrecoverable error
  Status write_error AUDITLOG_GUARDED_BY(mu);   // the last write failed; the writer retries
  Status final_status AUDITLOG_GUARDED_BY(mu);  // what the writer's exit left (Shutdown returns it)
  std::int64_t last_fsync_mono AUDITLOG_GUARDED_BY(mu) = -1;
  Stats stats AUDITLOG_GUARDED_BY(mu);  // counters; the gauges are filled in by SnapshotLocked

  // ---- Shutdown ----
  std::thread thread;
  Mutex shutdown_mu;
  bool shut_down AUDITLOG_GUARDED_BY(shutdown_mu) = false;
  Status shutdown_status AUDITLOG_GUARDED_BY(shutdown_mu);
};

namespace {
// The Impl whose writer runs on this thread (for the Shutdown-from-on_error check).
thread_local const Logger::Impl* tls_writer_of = nullptr;
}  // namespace

// ---------------------------------------------------------------------------------------
// Open and the producer side.

Status Logger::Impl::Start() {
  const auto& local = std::get<LocalMode>(config.mode);
  internal::RecordWriter::Options options;
  options.env = env;
  options.dir = local.dir;
  options.service_id = config.service_id;
  options.rotation = config.rotation;
  options.min_free_bytes = config.min_free_bytes;
  options.max_field_bytes = config.max_field_bytes;
  AUDITLOG_ASSIGN_OR_RETURN(writer, internal::RecordWriter::Open(options));
  user_slots = config.queue_capacity_events;
  slots.resize(user_slots + kSystemReserveSlots);
  const std::size_t prewarm =
      std::min(slots.size(), config.queue_capacity_bytes / kPrewarmBodyBytes);
  for (std::size_t i = 0; i < prewarm; ++i) slots[i].event.body.reserve(kPrewarmBodyBytes);
  {
    // No other thread has this Impl yet: the lock costs nothing and keeps the contract
    // checkable.
    MutexLock lock(&mu);
    // Records of earlier processes are already in the files; Open has checked the chain.
    next_seq = writer->next_seq();
    written_seq = synced_seq = durable_seq = next_seq - 1;
    // A new process clamps only to the records of its own segment (a log_recovered record
    // framed at Open), never to an earlier process's: a future-dated record must not stamp
    // everything after it.
    if (auto seg_last = writer->segment_last_ts_micros()) {
      stamped = true;
      last_ts = last_wall = *seg_last;
      last_mono = env->MonotonicMicros();
    }
    stats.segments_created = 1;
  }
  next_maintenance_mono = env->MonotonicMicros() + kMaintenanceMicros;
  // The log's last record is later than the clock now: the clock stepped back (now, or
  // forward in an earlier process). Put it on the record before anything else.
  const std::int64_t open_now = env->NowMicros();
  if (writer->last_ts_micros() > open_now + kMaxClockClampMicros) {
    EnqueueSystemEvent(
        ClockStepped{.direction = "backward",
                     .from = TimeOf(writer->last_ts_micros()),
                     .to = TimeOf(open_now),
                     .step_micros = static_cast<std::uint64_t>(writer->last_ts_micros() - open_now),
                     .detected = "at_open"})
        .status()
        .IgnoreError();  // reserve slots: fits
  }
  // Opening started a new segment, as a rotation does: apply retention now too. Its
  // records are queued before any caller's event.
  ApplyRetention();
  thread = std::thread([this] { Run(); });
  return Status::Ok();
}

Status Logger::Impl::Encode(const Event& event, internal::EncodedEvent* out) {
  if (EventCategory(event) == Category::kSystem) {
    rejected_invalid.fetch_add(1, std::memory_order_relaxed);
    return Status::InvalidArgument(std::string(EventTypeName(event)) +
                                   ": system events are written by the library itself");
  }
  Status s = internal::EncodeEvent(event, encode_options, out);
  if (!s.ok()) rejected_invalid.fetch_add(1, std::memory_order_relaxed);
  return s;
}

Result<std::uint64_t> Logger::Impl::EnqueueSystemEvent(const Event& event) {
  internal::EncodedEvent encoded;
  AUDITLOG_RETURN_IF_ERROR(internal::EncodeEvent(event, encode_options, &encoded));
  bool wake = false;
  Result<std::uint64_t> seq = Enqueue(&encoded, /*system=*/true, &wake);
  mu.Unlock();
  if (wake) writer_cv.NotifyOne();
  return seq;
}

bool Logger::Impl::HasRoomLocked(std::size_t size, bool system) const {
  if (system) return count < slots.size();
  if (user_count >= user_slots || count >= slots.size()) return false;
  // An event larger than the byte capacity is accepted into an empty queue, else it could
  // never be recorded.
  return queued_bytes + size <= config.queue_capacity_bytes || count == 0;
}

Status Logger::Impl::RefuseLocked() {
  ++stats.rejected_failed;
  if (stop) {
    return Status::FailedPrecondition(
        "Emit after Shutdown(): the logger is shut down and records nothing more");
  }
  return Status::FailedPrecondition("the logger has failed and records nothing more: " +
                                    failed.ToString());
}

Result<std::uint64_t> Logger::Impl::Enqueue(internal::EncodedEvent* e, bool system,
                                            bool* wake_writer) {
  // Clocks are read before taking the lock to keep the critical section short.
  std::int64_t now = env->NowMicros();
  std::int64_t mono = env->MonotonicMicros();
  mu.Lock();
  if (RefusingLocked()) return RefuseLocked();
  if (!system && write_error.code() == StatusCode::kDiskSpaceLow) {
    ++stats.rejected_disk_low;
    return write_error;
  }
  if (next_seq == std::numeric_limits<std::uint64_t>::max()) {
    return Status::FailedPrecondition("seq space exhausted");
  }
  const std::size_t size = e->body.size();
  if (!HasRoomLocked(size, system)) {
    // System events never block: the writer thread itself may be the caller.
    if (config.overflow == OverflowPolicy::kReject || system) {
      ++stats.rejected_buffer_full;
      return Status::BufferFull("queue full (" + std::to_string(user_count) + " events, " +
                                std::to_string(queued_bytes) + " bytes queued); event refused");
    }
    const SteadyTime deadline = DeadlineAfter(config.block_timeout);
    ++space_waiters;
    const bool room = space_cv.WaitUntil(&mu, deadline, [&]() AUDITLOG_REQUIRES(mu) {
      return RefusingLocked() || HasRoomLocked(size, system);
    });
    --space_waiters;
    if (RefusingLocked()) return RefuseLocked();
    if (!room) {
      ++stats.rejected_timeout;
      return Status::Timeout("queue still full after block_timeout (" +
                             std::to_string(config.block_timeout.count()) + " ms); event refused");
    }
    // Time passed while blocked: the record's timestamp is the moment it was accepted.
    now = env->NowMicros();
    mono = env->MonotonicMicros();
  }
  std::optional<ClockStepped> step;
  const std::int64_t ts = StampLocked(now, mono, &step);
  if (step && count + 1 < slots.size()) {
    // It takes the seq just before the event that saw the step. (With the reserve slots all
    // taken the step still shows in the timestamps.)
    PushSystemEventLocked(*step, ts, mono);
  }
  const std::uint64_t seq = PushLocked(e, system, ts, mono);
  queued_hint.store(count, std::memory_order_relaxed);
  work_epoch.fetch_add(1, std::memory_order_release);
  if (writer_waiting) {
    writer_waiting = false;
    *wake_writer = true;
  }
  return seq;
}

void Logger::Impl::PushSystemEventLocked(const Event& event, std::int64_t ts, std::int64_t mono) {
  if (count >= slots.size()) return;  // all reserve slots taken; the stats still tell
  internal::EncodedEvent encoded;
  if (!internal::EncodeEvent(event, encode_options, &encoded).ok()) return;
  PushLocked(&encoded, /*system=*/true, ts, mono);
  queued_hint.store(count, std::memory_order_relaxed);
  work_epoch.fetch_add(1, std::memory_order_release);
}

std::uint64_t Logger::Impl::PushLocked(internal::EncodedEvent* e, bool system, std::int64_t ts,
                                       std::int64_t mono) {
  std::size_t index = head + count;
  if (index >= slots.size()) index -= slots.size();
  Slot& slot = slots[index];
  // A swap, not a copy: no allocation and no memcpy under the lock. The buffers circulate
  // between the ring and the producers' encoding buffers.
  slot.event.body.swap(e->body);
  slot.event.critical = e->critical;
  slot.event.altered_fields = e->altered_fields;
  slot.ts_micros = ts;
  slot.emit_mono_micros = mono;
  slot.system = system;
  const std::uint64_t seq = next_seq++;
  ++count;
  if (!system) ++user_count;
  queued_bytes += slot.event.body.size();
  ++stats.events_emitted;
  if (e->critical) ++stats.critical_events;
  stats.neutralized_fields += e->altered_fields;
  stats.queue_high_water_events = std::max<std::uint64_t>(stats.queue_high_water_events, count);
  stats.queue_high_water_bytes =
      std::max<std::uint64_t>(stats.queue_high_water_bytes, queued_bytes);
  return seq;
}

// The wall clock stepped when it moved by more than kMaxClockClampMicros away from what the
// monotonic clock measured since the last stamp, or fell that far behind the last stamp; a
// reading taken before the last stamp's (a thread that was slow to get the lock) is just
// clamped. Timestamps never go back except at a step (the writer then starts a new segment,
// see WriteEvents).
std::int64_t Logger::Impl::StampLocked(std::int64_t now, std::int64_t mono,
                                       std::optional<ClockStepped>* step) {
  if (!stamped) {
    stamped = true;
    last_ts = last_wall = now;
    last_mono = mono;
    return now;
  }
  // -1: stepped back, +1: jumped forward, 0: neither.
  const auto classify = [this](std::int64_t wall, std::int64_t m) AUDITLOG_REQUIRES(mu) {
    if (m < last_mono) return 0;  // a stale reading
    const std::int64_t expected = last_wall + (m - last_mono);
    if (wall < expected - kMaxClockClampMicros || wall < last_ts - kMaxClockClampMicros) return -1;
    return wall > expected + kMaxClockClampMicros ? 1 : 0;
  };
  int kind = classify(now, mono);
  if (kind != 0) {
    // Confirm with a fresh reading (no I/O): a thread preempted between reading the wall
    // and the monotonic clock would look like a step.
    now = env->NowMicros();
    mono = env->MonotonicMicros();
    kind = classify(now, mono);
  }
  if (mono < last_mono) return std::max(now, last_ts);
  const std::int64_t expected = last_wall + (mono - last_mono);
  std::int64_t ts = std::max(now, last_ts);
  if (kind < 0) {
    const std::int64_t from = std::max(expected, last_ts);
    *step = ClockStepped{.direction = "backward",
                         .from = TimeOf(from),
                         .to = TimeOf(now),
                         .step_micros = static_cast<std::uint64_t>(from - now),
                         .detected = "between_records"};
    ts = now;
  } else if (kind > 0) {
    *step = ClockStepped{.direction = "forward",
                         .from = TimeOf(expected),
                         .to = TimeOf(now),
                         .step_micros = static_cast<std::uint64_t>(now - expected),
                         .detected = "between_records"};
  }
  last_ts = ts;
  last_wall = now;
  last_mono = mono;
  return ts;
}

bool Logger::Impl::RequestSyncLocked(std::uint64_t seq) {
  if (seq <= durable_seq || seq <= sync_request) return false;
  sync_request = seq;
  work_epoch.fetch_add(1, std::memory_order_release);
  if (!writer_waiting) return false;
  writer_waiting = false;
  return true;
}

Status Logger::Impl::AwaitDurableLocked(std::uint64_t seq, const SteadyTime* deadline) {
  ++durable_waiters;
  Status result;
  for (;;) {
    if (durable_seq >= seq) break;
    if (!failed.ok()) {
      result = failed;
      break;
    }
    if (!write_error.ok()) {
      result = Status(write_error.code(),
                      "not durable: writes are failing (the event stays queued and the writer "
                      "keeps retrying): " +
                          write_error.message());
      break;
    }
    if (writer_exited) {
      result =
          final_status.ok() ? Status::FailedPrecondition("the logger is shut down") : final_status;
      break;
    }
    if (deadline == nullptr) {
      durable_cv.Wait(&mu);
    } else if (durable_cv.WaitUntil(&mu, *deadline) == std::cv_status::timeout &&
               durable_seq < seq && failed.ok() && write_error.ok() && !writer_exited) {
      result = Status::Timeout("seq " + std::to_string(seq) + " not durable within the timeout");
      break;
    }
  }
  --durable_waiters;
  return result;
}

// ---------------------------------------------------------------------------------------
// The writer thread.

void Logger::Impl::Run() {
  tls_writer_of = this;
  for (;;) {
    std::size_t start = 0, n = 0;
    bool stopping = false;
    std::uint64_t sync_target = 0;
    {
      MutexLock lock(&mu);
      WaitForWorkLocked();
      stopping = stop;
      if (!failed.ok()) {
        if (stopping) break;
        continue;
      }
      if (!stopping && count > 0) GatherLocked();
      start = head;
      n = count;
      sync_target = sync_request;
    }
    if (n > 0 && !WriteEvents(start, n)) {
      if (stopping) break;
      continue;
    }
    if (!stopping && env->MonotonicMicros() >= next_maintenance_mono && !Maintain()) continue;
    // Every accepted event is now written; when stopping, Close() below does the fsync.
    if (!stopping && unsynced.events > 0 &&
        (sync_target > synced_seq || policy.ShouldSync(unsynced, env->MonotonicMicros()))) {
      SyncWritten();
    }
    if (stopping) break;
  }
  Finish();
}

void Logger::Impl::SleepLocked(std::int64_t micros) {
  writer_waiting = true;
  ++writer_sleeps;
  if (idle_watchers > 0) idle_cv.NotifyAll();
  if (micros < 0) {
    writer_cv.Wait(&mu);
  } else {
    writer_cv.WaitFor(&mu, std::chrono::microseconds(micros));
  }
  writer_waiting = false;
}

void Logger::Impl::WaitForWorkLocked() {
  bool spun = false;
  for (;;) {
    if (stop) return;
    if (!failed.ok()) {
      SleepLocked(-1);
      continue;
    }
    if (count > 0) return;
    std::int64_t deadline = next_maintenance_mono;  // idle: storage upkeep (rotation, ...)
    if (unsynced.events > 0) {
      if (sync_request > synced_seq) return;
      // Batched/Hybrid: sleep until the oldest un-synced event reaches the interval, even
      // if no further event ever comes.
      deadline = std::min(policy.Deadline(unsynced), next_maintenance_mono);
    }
    const std::int64_t now = env->MonotonicMicros();
    if (now >= deadline) return;
    if (!spun) {
      // Poll briefly before sleeping: the next event usually comes within microseconds,
      // and then neither side pays for a futex wake-up. Everything is re-checked after.
      spun = true;
      const std::uint64_t epoch = work_epoch.load(std::memory_order_acquire);
      mu.Unlock();
      SpinForWork(epoch, kWriterSpinMicros);
      mu.Lock();
      continue;
    }
    SleepLocked(std::min(deadline - now, kMaxSleepMicros));
  }
}

bool Logger::Impl::SpinForWork(std::uint64_t epoch, std::int64_t micros) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(micros);
  for (int round = 0;; ++round) {
    for (int i = 0; i < 32; ++i) {
      if (work_epoch.load(std::memory_order_acquire) != epoch) return true;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#elif defined(__aarch64__)
      asm volatile("yield");
#endif
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    // There may be more runnable threads than cores (producers): let them go first.
    if (round % 2 == 1) std::this_thread::yield();
  }
}

void Logger::Impl::GatherLocked() {
  const std::size_t want = expected_returns;
  expected_returns = 0;
  // Only worth it when an fsync follows this batch anyway (Immediate, or someone waits).
  if (count >= want || !(policy.immediate() || sync_request > synced_seq)) return;
  const std::int64_t budget = std::min(kGatherMaxMicros, last_fsync_micros / 4);
  if (budget <= 0) return;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(budget);
  while (count < want && !stop && failed.ok()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    const std::uint64_t epoch = work_epoch.load(std::memory_order_acquire);
    mu.Unlock();
    const bool moved = SpinForWork(
        epoch, std::chrono::duration_cast<std::chrono::microseconds>(deadline - now).count());
    mu.Lock();
    if (!moved) break;
  }
}

// Frames and writes slots [start, start+n) in chunks of about kMaxWriteBytes (file order
// stays seq order: the chunks are consecutive). False when the logger entered its failed
// state; slots not written yet then stay queued (and are never written).
bool Logger::Impl::WriteEvents(std::size_t start, std::size_t n) {
  // Never write into a segment that was deleted or replaced behind our back.
  if (!CheckActiveSegment()) return false;
  // Daily rotation goes by the record timestamps: the first record of a new UTC day starts
  // a new segment. Rotate() fsyncs the old segment, so everything written becomes durable.
  if (writer->RotationDue(slots[start].ts_micros) && !RotateSegment()) return false;

  while (n > 0) {
    // After a clock step back, a new segment: timestamps never decrease within one.
    const auto seg_last = writer->segment_last_ts_micros();
    if (seg_last && slots[start].ts_micros < *seg_last && !RotateSegment()) return false;
    std::size_t done = 0;
    if (!WriteChunk(start, n, &done)) return false;
    n -= done;
    start += done;
    if (start >= slots.size()) start -= slots.size();
  }
  return true;
}

bool Logger::Impl::WriteChunk(std::size_t start, std::size_t max_n, std::size_t* done) {
  batch.clear();
  std::size_t bytes = 0, users = 0;
  bool critical = false;
  const std::int64_t first_mono = slots[start].emit_mono_micros;
  std::size_t i = start;
  std::size_t n = 0;
  while (n < max_n && (n == 0 || batch.size() < kMaxWriteBytes)) {
    Slot& slot = slots[i];
    // A clock step back ends the chunk: WriteEvents starts a new segment for the rest.
    if (n > 0 && slot.ts_micros < writer->last_ts_micros()) break;
    ++n;
    writer->Frame(slot.ts_micros, slot.event, &batch);
    bytes += slot.event.body.size();
    critical |= slot.event.critical;
    if (!slot.system) ++users;
    if (slot.event.body.capacity() > kMaxRetainedBodyBytes) std::string().swap(slot.event.body);
    if (++i == slots.size()) i = 0;
  }
  {
    MutexLock lock(&mu);
    head = i;
    count -= n;
    user_count -= users;
    queued_bytes -= bytes;
    queued_hint.store(count, std::memory_order_relaxed);
    if (space_waiters > 0) space_cv.NotifyAll();
  }
  *done = n;

  const std::int64_t t0 = env->MonotonicMicros();
  Status s = WriteBatch(n);
  const std::int64_t t1 = env->MonotonicMicros();
  if (!s.ok()) {
    EnterFailed(s);
    return false;
  }
  if (unsynced.events == 0) unsynced.oldest_emit_micros = first_mono;
  unsynced.events += n;
  unsynced.critical |= critical;
  written_seq += n;
  {
    MutexLock lock(&mu);
    stats.events_written += n;
    stats.bytes_written += batch.size();
    stats.write_latency.Record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, t1 - t0)));
    stats.events_since_sync = unsynced.events;
    StorageWorksAgainLocked(t1);
  }
  return true;
}

void Logger::Impl::StorageWorksAgainLocked(std::int64_t now_mono) {
  stats.writes_failing = false;
  if (suspended_since_mono >= 0) {
    // Writes were suspended for lack of space and work again: the log itself says so (a
    // critical record, so Hybrid makes it durable at once). It is queued under the same lock
    // that ends the refusals, so it takes a seq before any event accepted after the resume,
    // and its count of refused emits is final.
    const LogWritesResumed resumed{
        .reason = "disk_space_low",
        .suspended_ms = static_cast<std::uint64_t>(
            std::max<std::int64_t>(0, now_mono - suspended_since_mono) / 1000),
        .refused_emits = stats.rejected_disk_low - refused_at_suspension};
    suspended_since_mono = -1;
    std::optional<ClockStepped> step;
    const std::int64_t ts = StampLocked(env->NowMicros(), now_mono, &step);
    if (step) PushSystemEventLocked(*step, ts, now_mono);
    PushSystemEventLocked(resumed, ts, now_mono);
  }
  write_error = Status::Ok();
}

bool Logger::Impl::RotateSegment() {
  const std::int64_t t0 = env->MonotonicMicros();
  bool retried = false;
  Status s = RetryStorage(
      [&] {
        Status r = writer->Rotate();
        // Only a full disk leaves the writer usable (any other failure is sticky).
        retried = retried || !r.ok();
        return r;
      },
      "the rotation to a new segment could not finish");
  if (!s.ok()) {
    EnterFailed(s);
    return false;
  }
  if (retried) {
    MutexLock lock(&mu);
    StorageWorksAgainLocked(env->MonotonicMicros());
  }
  MarkAllWrittenDurable(env->MonotonicMicros() - t0);  // Rotate() fsynced the old segment
  {
    MutexLock lock(&mu);
    ++stats.segments_created;
  }
  ApplyRetention();
  return true;
}

bool Logger::Impl::CheckActiveSegment() {
  auto replaced = writer->ActiveSegmentReplaced();
  if (!replaced.ok() || !*replaced) return true;  // a failed lstat is re-tried next time
  // Someone deleted or replaced the file we append to. Close it (what we wrote is still in
  // the unlinked inode and its checksum goes to NAME.sha256 and the manifest), continue in
  // a new segment, and put the incident on the record.
  const std::string old_name = writer->segment_path().filename().string();
  if (!RotateSegment()) return false;
  const internal::SegmentEntry* entry = writer->manifest().Find(old_name);
  EnqueueSystemEvent(
      IntegrityViolation{
          .resource_type = "audit_segment",
          .resource_id = old_name,
          .expected_hash = entry != nullptr ? entry->sha256 : std::string(),
          .actual_hash = env->FileExists(writer->segment_path().parent_path() / old_name)
                             ? "replaced"
                             : "deleted",
          .severity = "critical",
          .action_taken = "continued in new segment " + writer->segment_path().filename().string()})
      .status()
      .IgnoreError();  // reserve slots: fits
  return true;
}

void Logger::Impl::ApplyRetention() {
  std::vector<Event> records;
  Status s = writer->ApplyRetention(config.retention, env->NowMicros(), &records);
  for (const Event& e : records) EnqueueSystemEvent(e).status().IgnoreError();
  if (!s.ok()) {
    // Retention is upkeep, not the audit trail: the log stays writable, and the problem (for
    // example a closed segment that no longer matches its checksum) goes on the record.
    EnqueueSystemEvent(IntegrityViolation{.resource_type = "audit_retention",
                                          .resource_id = config.service_id,
                                          .severity = "critical",
                                          .action_taken = "retention stopped: " + s.message()})
        .status()
        .IgnoreError();
  }
}

bool Logger::Impl::Maintain() {
  next_maintenance_mono = env->MonotonicMicros() + kMaintenanceMicros;
  if (!CheckActiveSegment()) return false;
  // Rotation by the writer's own clock, so an idle log still moves to the new day's file.
  if (writer->RotationDue(env->NowMicros()) && !RotateSegment()) return false;
  return true;
}

// Writes `batch`, retrying with back-off while the write fails (RecordWriter::Write cuts a
// partial record off, so the same batch can be written again).
Status Logger::Impl::WriteBatch(std::size_t events) {
  return RetryStorage([&] { return writer->Write(batch); },
                      std::to_string(events) + " accepted events could not be written");
}

Status Logger::Impl::RetryStorage(const std::function<Status()>& attempt, const std::string& what) {
  std::int64_t backoff = kFirstBackoffMicros;
  int attempts_after_shutdown = 0;
  for (;;) {
    Status s = attempt();
    if (s.ok()) return s;
    if (!writer->sticky_error().ok()) return s;
    MutexLock lock(&mu);
    write_error = s;
    ++stats.write_errors;
    if (s.code() == StatusCode::kDiskSpaceLow && suspended_since_mono < 0) {
      suspended_since_mono = env->MonotonicMicros();
      refused_at_suspension = stats.rejected_disk_low;
    }
    stats.writes_failing = true;
    if (durable_waiters > 0) durable_cv.NotifyAll();
    if (stop && ++attempts_after_shutdown > kAttemptsAfterShutdown) {
      return Status(s.code(), "Shutdown: " + what + ": " + s.message());
    }
    // Shutdown() notifies writer_cv, which cuts the back-off short.
    writer_cv.WaitFor(&mu, std::chrono::microseconds(backoff));
    backoff = stop ? kFirstBackoffMicros : std::min(backoff * 2, kMaxBackoffMicros);
  }
}

void Logger::Impl::SyncWritten() {
  const std::int64_t t0 = env->MonotonicMicros();
  Status s = writer->Sync();
  const std::int64_t t1 = env->MonotonicMicros();
  if (!s.ok()) {
    EnterFailed(s);
    return;
  }
  MarkAllWrittenDurable(t1 - t0);
}

void Logger::Impl::MarkAllWrittenDurable(std::int64_t fsync_micros) {
  synced_seq = written_seq;
  unsynced = {};
  last_fsync_micros = fsync_micros;
  MutexLock lock(&mu);
  durable_seq = synced_seq;
  // EmitDurable callers whose events were queued are not released by this fsync; the rest
  // will come back soon with their next events (an estimate: see GatherLocked).
  expected_returns =
      durable_emitters > static_cast<int>(count) ? durable_emitters - static_cast<int>(count) : 0;
  ++stats.fsyncs;
  stats.fsync_latency.Record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, fsync_micros)));
  last_fsync_mono = env->MonotonicMicros();
  stats.events_since_sync = 0;
  if (durable_waiters > 0) durable_cv.NotifyAll();
}

void Logger::Impl::EnterFailed(const Status& s) {
  {
    MutexLock lock(&mu);
    if (!failed.ok()) return;
    failed = s;
    durable_cv.NotifyAll();
    space_cv.NotifyAll();
  }
  if (config.on_error) config.on_error(s);
}

void Logger::Impl::Finish() {
  bool ok;
  {
    MutexLock lock(&mu);
    ok = failed.ok();
  }
  if (ok) {
    const std::int64_t t0 = env->MonotonicMicros();
    // Fsyncs what is left; a full disk gets the few retries any write gets after Shutdown.
    Status s =
        RetryStorage([&] { return writer->Close(); }, "the last segment could not be closed");
    if (s.ok()) {
      MarkAllWrittenDurable(env->MonotonicMicros() - t0);
    } else {
      EnterFailed(s);
    }
  } else {
    // The failure was reported when it happened; this only releases the file.
    writer->Close().IgnoreError();
  }
  writer.reset();  // releases the directory lock
  MutexLock lock(&mu);
  final_status = failed;
  writer_exited = true;
  durable_cv.NotifyAll();
  idle_cv.NotifyAll();
}

Stats Logger::Impl::SnapshotLocked() const {
  Stats s = stats;
  s.durable_seq = durable_seq;
  s.rejected_invalid = rejected_invalid.load(std::memory_order_relaxed);
  s.queue_depth_events = count;
  s.queue_depth_bytes = queued_bytes;
  if (last_fsync_mono >= 0) s.micros_since_last_fsync = env->MonotonicMicros() - last_fsync_mono;
  s.failed = !failed.ok();
  if (s.failed) s.failure = failed.ToString();
  return s;
}

// ---------------------------------------------------------------------------------------
// Logger.

Logger::Logger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Logger::~Logger() {
  // Errors were reported through Config::on_error when they happened.
  Shutdown().IgnoreError();
}

Result<std::unique_ptr<Logger>> Logger::Open(const Config& config) {
  AUDITLOG_RETURN_IF_ERROR(ValidateConfig(config));
  auto impl = std::make_unique<Impl>(config);
  if (!impl->disabled) AUDITLOG_RETURN_IF_ERROR(impl->Start());
  return std::unique_ptr<Logger>(new Logger(std::move(impl)));
}

namespace {
Status DisabledShutDown() {
  return Status::FailedPrecondition(
      "Emit after Shutdown(): the logger is shut down and records nothing more");
}
}  // namespace

Result<std::uint64_t> Logger::Emit(Event event) {
  Impl& d = *impl_;
  if (d.disabled) {
    if (d.disabled_shut_down.load(std::memory_order_relaxed)) return DisabledShutDown();
    return std::uint64_t{0};
  }
  thread_local internal::EncodedEvent encoded;
  AUDITLOG_RETURN_IF_ERROR(d.Encode(event, &encoded));
  bool wake = false;
  Result<std::uint64_t> seq = d.Enqueue(&encoded, /*system=*/false, &wake);
  d.mu.Unlock();
  if (wake) d.writer_cv.NotifyOne();
  if (encoded.body.capacity() > kMaxRetainedEncodeBytes) std::string().swap(encoded.body);
  return seq;
}

Status Logger::EmitDurable(Event event) {
  Impl& d = *impl_;
  if (d.disabled) {
    if (d.disabled_shut_down.load(std::memory_order_relaxed)) return DisabledShutDown();
    return Status::Ok();
  }
  thread_local internal::EncodedEvent encoded;
  AUDITLOG_RETURN_IF_ERROR(d.Encode(event, &encoded));
  bool wake = false;
  Result<std::uint64_t> seq = d.Enqueue(&encoded, /*system=*/false, &wake);
  MutexLock lock(&d.mu, std::adopt_lock);  // Enqueue returns holding it
  if (!seq.ok()) return seq.status();
  if (d.RequestSyncLocked(*seq)) wake = true;
  if (wake) d.writer_cv.NotifyOne();
  ++d.durable_emitters;
  Status s = d.AwaitDurableLocked(*seq, nullptr);
  --d.durable_emitters;
  return s;
}

Status Logger::WaitDurable(std::uint64_t seq, std::chrono::milliseconds timeout) {
  Impl& d = *impl_;
  if (d.disabled) return Status::Ok();
  const SteadyTime deadline = DeadlineAfter(timeout);
  MutexLock lock(&d.mu);
  if (seq >= d.next_seq) {
    return Status::InvalidArgument(
        "WaitDurable: seq " + std::to_string(seq) +
        " was not handed out yet (last: " + std::to_string(d.next_seq - 1) + ")");
  }
  return d.AwaitDurableLocked(seq, &deadline);
}

Status Logger::Flush() {
  Impl& d = *impl_;
  if (d.disabled) return Status::Ok();
  MutexLock lock(&d.mu);
  const std::uint64_t target = d.next_seq - 1;
  if (d.RequestSyncLocked(target)) d.writer_cv.NotifyOne();
  return d.AwaitDurableLocked(target, nullptr);
}

Status Logger::Shutdown() {
  Impl& d = *impl_;
  if (d.disabled) {
    d.disabled_shut_down.store(true, std::memory_order_relaxed);
    return Status::Ok();
  }
  if (tls_writer_of == &d) {
    return Status::FailedPrecondition(
        "Shutdown() called on the writer thread (from Config::on_error); call it elsewhere");
  }
  MutexLock guard(&d.shutdown_mu);
  if (!d.shut_down) {
    {
      MutexLock lock(&d.mu);
      d.stop = true;
      d.writer_waiting = false;
      d.work_epoch.fetch_add(1, std::memory_order_release);
      d.space_cv.NotifyAll();
    }
    d.writer_cv.NotifyOne();
    d.thread.join();
    MutexLock lock(&d.mu);
    d.shutdown_status = d.final_status;
    d.shut_down = true;
  }
  return d.shutdown_status;
}

Stats Logger::GetStats() const {
  MutexLock lock(&impl_->mu);
  return impl_->SnapshotLocked();
}

std::string Logger::MetricsText() const { return internal::RenderMetricsText(GetStats()); }

// ---------------------------------------------------------------------------------------
// Test hooks.

bool internal::LoggerTestPeer::WaitWriterIdle(Logger& logger, std::chrono::milliseconds timeout) {
  Logger::Impl& d = *logger.impl_;
  if (d.disabled) return false;
  MutexLock lock(&d.mu);
  if (d.writer_exited) return false;
  // The writer's next sleep comes after it has looked at the queue and the clock afresh:
  // if it sleeps now we wake it; otherwise it re-checks under `mu` before sleeping again.
  const std::uint64_t target = d.writer_sleeps + 1;
  if (d.writer_waiting) {
    d.writer_waiting = false;
    d.writer_cv.NotifyOne();
  }
  ++d.idle_watchers;
  const bool idle = d.idle_cv.WaitFor(&d.mu, timeout, [&]() AUDITLOG_REQUIRES(d.mu) {
    return d.writer_sleeps >= target || d.writer_exited;
  });
  --d.idle_watchers;
  return idle && !d.writer_exited;
}

}  // namespace auditlog
