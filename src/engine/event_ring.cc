// EventRing (event_ring.h).
#include "engine/event_ring.h"

#include <algorithm>
#include <limits>
#include <string>

#include "engine/deadline.h"

namespace auditlog::internal {
namespace {

// Slots beyond Config::queue_capacity_events that only the library's own system events may
// use, so that recording one never fails for a full queue.
constexpr std::size_t kSystemReserveSlots = 16;
// At Start every slot's body gets this much capacity (in total at most queue_capacity_bytes),
// as spdlog preallocates its queue: otherwise each of the first pass of Emits over the ring
// allocates fresh heap memory, and the first touch of a fresh page (a page fault, on a VM
// also a host fault) dominated Emit's p99 until the ring had wrapped once.
constexpr std::size_t kPrewarmBodyBytes = 512;

}  // namespace

EventRing::EventRing(Env* env, const Options& options)
    : env_(env), options_(options), clock_(env) {}

void EventRing::Start(std::uint64_t next_seq, std::optional<std::int64_t> segment_last_ts) {
  slots_.resize(options_.user_slots + kSystemReserveSlots);
  const std::size_t prewarm = std::min(slots_.size(), options_.capacity_bytes / kPrewarmBodyBytes);
  for (std::size_t i = 0; i < prewarm; ++i) slots_[i].event.body.reserve(kPrewarmBodyBytes);
  // No other thread has the ring yet: the lock costs nothing and keeps the contract checkable.
  MutexLock lock(&mu_);
  next_seq_ = next_seq;
  if (segment_last_ts) clock_.ContinueFrom(*segment_last_ts, env_->MonotonicMicros());
}

// ---------------------------------------------------------------------------------------
// Producers.

Result<std::uint64_t> EventRing::Push(EncodedEvent* e, bool system) {
  bool wake = false;
  Result<std::uint64_t> seq = PushAndHold(e, system, &wake);
  mu_.Unlock();
  if (wake) writer_cv_.NotifyOne();
  return seq;
}

Result<std::uint64_t> EventRing::EnqueueSystemEvent(const LibraryEvent& event) {
  EncodedEvent encoded;
  AUDITLOG_RETURN_IF_ERROR(EncodeEvent(event, options_.encode_options, &encoded));
  return Push(&encoded, /*system=*/true);
}

Result<std::uint64_t> EventRing::EnqueueSealMarker() {
  EncodedEvent empty;
  bool wake = false;
  Result<std::uint64_t> seq = PushAndHold(&empty, /*system=*/true, &wake);
  if (seq.ok()) {
    // The slot just pushed (a clock_stepped record may precede it).
    std::size_t index = head_ + count_ - 1;
    if (index >= slots_.size()) index -= slots_.size();
    slots_[index].seal_marker = true;
  }
  mu_.Unlock();
  if (wake) writer_cv_.NotifyOne();
  return seq;
}

Result<std::uint64_t> EventRing::PushAndHold(EncodedEvent* e, bool system, bool* wake_writer) {
  // Clocks are read before taking the lock to keep the critical section short.
  std::int64_t now = env_->NowMicros();
  std::int64_t mono = env_->MonotonicMicros();
  mu_.Lock();
  if (RefusingLocked()) return RefuseLocked();
  if (!system && write_error_.code() == StatusCode::kDiskSpaceLow) {
    ++counters_.rejected_disk_low;
    return write_error_;
  }
  if (next_seq_ == std::numeric_limits<std::uint64_t>::max()) {
    return Status::FailedPrecondition("seq space exhausted");
  }
  const std::size_t size = e->body.size();
  if (!HasRoomLocked(size, system)) {
    // System events never block: the writer thread itself may be the caller.
    if (options_.overflow == OverflowPolicy::kReject || system) {
      ++counters_.rejected_buffer_full;
      return Status::BufferFull("queue full (" + std::to_string(user_count_) + " events, " +
                                std::to_string(queued_bytes_) + " bytes queued); event refused");
    }
    AUDITLOG_RETURN_IF_ERROR(AwaitRoomLocked(size));
    // Time passed while blocked: the record's timestamp is the moment it was accepted.
    now = env_->NowMicros();
    mono = env_->MonotonicMicros();
  }
  std::optional<ClockStepped> step;
  const std::int64_t ts = clock_.Stamp(now, mono, &step);
  if (step && count_ + 1 < slots_.size()) {
    // It takes the seq just before the event that saw the step. (With the reserve slots all
    // taken the step still shows in the timestamps.)
    PushSystemEventLocked(*step, ts, mono);
  }
  const std::uint64_t seq = PushLocked(e, system, ts, mono);
  queued_hint_.store(count_, std::memory_order_relaxed);
  if (BumpEpochLocked()) *wake_writer = true;
  return seq;
}

Status EventRing::AwaitRoomLocked(std::size_t size) {
  const SteadyTime deadline = DeadlineAfter(options_.block_timeout);
  ++space_waiters_;
  const bool room = space_cv_.WaitUntil(&mu_, deadline, [&]() AUDITLOG_REQUIRES(mu_) {
    return RefusingLocked() || HasRoomLocked(size, /*system=*/false);
  });
  --space_waiters_;
  if (RefusingLocked()) return RefuseLocked();
  if (!room) {
    ++counters_.rejected_timeout;
    return Status::Timeout("queue still full after block_timeout (" +
                           std::to_string(options_.block_timeout.count()) + " ms); event refused");
  }
  return Status::Ok();
}

bool EventRing::HasRoomLocked(std::size_t size, bool system) const {
  if (system) return count_ < slots_.size();
  if (user_count_ >= options_.user_slots || count_ >= slots_.size()) return false;
  // An event larger than the byte capacity is accepted into an empty queue, else it could
  // never be recorded.
  return queued_bytes_ + size <= options_.capacity_bytes || count_ == 0;
}

Status EventRing::RefuseLocked() {
  ++counters_.rejected_failed;
  if (closed_) {
    return Status::FailedPrecondition(
        "Emit after Shutdown(): the logger is shut down and records nothing more");
  }
  return Status::FailedPrecondition("the logger has failed and records nothing more: " +
                                    failed_.ToString());
}

void EventRing::PushSystemEventLocked(const LibraryEvent& event, std::int64_t ts,
                                      std::int64_t mono) {
  if (count_ >= slots_.size()) return;  // all reserve slots taken; the stats still tell
  EncodedEvent encoded;
  if (!EncodeEvent(event, options_.encode_options, &encoded).ok()) return;
  PushLocked(&encoded, /*system=*/true, ts, mono);
  queued_hint_.store(count_, std::memory_order_relaxed);
  work_epoch_.fetch_add(1, std::memory_order_release);
}

std::uint64_t EventRing::PushLocked(EncodedEvent* e, bool system, std::int64_t ts,
                                    std::int64_t mono) {
  std::size_t index = head_ + count_;
  if (index >= slots_.size()) index -= slots_.size();
  RingSlot& slot = slots_[index];
  // A swap, not a copy: no allocation and no memcpy under the lock. The buffers circulate
  // between the ring and the producers' encoding buffers.
  slot.event.body.swap(e->body);
  slot.event.critical = e->critical;
  slot.event.altered_fields = e->altered_fields;
  slot.ts_micros = ts;
  slot.emit_mono_micros = mono;
  slot.system = system;
  slot.seal_marker = false;
  const std::uint64_t seq = next_seq_++;
  ++count_;
  if (!system) ++user_count_;
  queued_bytes_ += slot.event.body.size();
  ++counters_.events_emitted;
  if (e->critical) ++counters_.critical_events;
  counters_.neutralized_fields += e->altered_fields;
  counters_.queue_high_water_events =
      std::max<std::uint64_t>(counters_.queue_high_water_events, count_);
  counters_.queue_high_water_bytes =
      std::max<std::uint64_t>(counters_.queue_high_water_bytes, queued_bytes_);
  return seq;
}

std::uint64_t EventRing::LastSeq() const {
  MutexLock lock(&mu_);
  return next_seq_ - 1;
}

// ---------------------------------------------------------------------------------------
// State changes.

bool EventRing::BumpEpochLocked() {
  work_epoch_.fetch_add(1, std::memory_order_release);
  if (!writer_waiting_) return false;
  writer_waiting_ = false;
  return true;
}

void EventRing::Close() {
  {
    MutexLock lock(&mu_);
    closed_ = true;
    writer_waiting_ = false;
    work_epoch_.fetch_add(1, std::memory_order_release);
    space_cv_.NotifyAll();
  }
  // Also cuts a retry back-off short (WaitBackoff).
  writer_cv_.NotifyOne();
}

bool EventRing::Fail(const Status& s) {
  MutexLock lock(&mu_);
  if (!failed_.ok()) return false;
  failed_ = s;
  space_cv_.NotifyAll();
  return true;
}

void EventRing::NotifyWriter() {
  bool wake;
  {
    MutexLock lock(&mu_);
    wake = BumpEpochLocked();
  }
  if (wake) writer_cv_.NotifyOne();
}

bool EventRing::NoteWriteError(const Status& s, std::int64_t now_mono) {
  MutexLock lock(&mu_);
  write_error_ = s;
  if (s.code() == StatusCode::kDiskSpaceLow && suspended_since_mono_ < 0) {
    suspended_since_mono_ = now_mono;
    refused_at_suspension_ = counters_.rejected_disk_low;
  }
  return closed_;
}

void EventRing::EndWriteErrors(std::int64_t now_mono) {
  MutexLock lock(&mu_);
  if (suspended_since_mono_ >= 0) {
    // Writes were suspended for lack of space and work again: the log itself says so (a
    // critical record, so Hybrid makes it durable at once).
    const LogWritesResumed resumed{
        .reason = "disk_space_low",
        .suspended_ms = static_cast<std::uint64_t>(
            std::max<std::int64_t>(0, now_mono - suspended_since_mono_) / 1000),
        .refused_emits = counters_.rejected_disk_low - refused_at_suspension_};
    suspended_since_mono_ = -1;
    std::optional<ClockStepped> step;
    const std::int64_t ts = clock_.Stamp(env_->NowMicros(), now_mono, &step);
    if (step) PushSystemEventLocked(*step, ts, now_mono);
    PushSystemEventLocked(resumed, ts, now_mono);
  }
  write_error_ = Status::Ok();
}

// ---------------------------------------------------------------------------------------
// The writer thread.

EventRing::Work EventRing::Peek() const {
  MutexLock lock(&mu_);
  return Work{.head = head_,
              .count = count_,
              .closed = closed_,
              .failed = !failed_.ok(),
              .epoch = work_epoch_.load(std::memory_order_relaxed)};
}

void EventRing::Release(std::size_t new_head, std::size_t n, std::size_t users, std::size_t bytes) {
  MutexLock lock(&mu_);
  head_ = new_head;
  count_ -= n;
  user_count_ -= users;
  queued_bytes_ -= bytes;
  queued_hint_.store(count_, std::memory_order_relaxed);
  if (space_waiters_ > 0) space_cv_.NotifyAll();
}

void EventRing::SleepUnlessChanged(std::uint64_t epoch, std::int64_t micros,
                                   const std::atomic<std::uint64_t>& sync_request,
                                   std::uint64_t seen_sync_request) {
  MutexLock lock(&mu_);
  // Every bump happens under `mu_`: an unchanged epoch means nothing new since the Peek().
  if (work_epoch_.load(std::memory_order_relaxed) != epoch) return;
  // A sync request is raised without `mu_`: announce the sleep first, then look at it (the
  // requester raises it, then reads writer_asleep_; seq_cst both ways).
  writer_asleep_.store(true, std::memory_order_seq_cst);
  if (sync_request.load(std::memory_order_seq_cst) != seen_sync_request) {
    writer_asleep_.store(false, std::memory_order_relaxed);
    return;
  }
  writer_waiting_ = true;
  ++writer_sleeps_;
  if (idle_watchers_ > 0) idle_cv_.NotifyAll();
  if (micros < 0) {
    writer_cv_.Wait(&mu_);
  } else {
    writer_cv_.WaitFor(&mu_, std::chrono::microseconds(micros));
  }
  writer_waiting_ = false;
  writer_asleep_.store(false, std::memory_order_relaxed);
}

bool EventRing::WaitBackoff(std::int64_t micros) {
  MutexLock lock(&mu_);
  // Close() notifies writer_cv_, which cuts the back-off short.
  writer_cv_.WaitFor(&mu_, std::chrono::microseconds(micros));
  return closed_;
}

void EventRing::MarkWriterExited() {
  MutexLock lock(&mu_);
  writer_exited_ = true;
  idle_cv_.NotifyAll();
}

bool EventRing::WaitWriterIdle(std::chrono::milliseconds timeout) {
  bool idle;
  {
    MutexLock lock(&mu_);
    if (writer_exited_) return false;
    // The writer's next sleep comes after it has looked at the ring and the clock afresh:
    // the bump makes a writer between its Peek() and its sleep look again, and a sleeping
    // one is woken.
    const std::uint64_t target = writer_sleeps_ + 1;
    if (BumpEpochLocked()) writer_cv_.NotifyOne();
    ++idle_watchers_;
    idle = idle_cv_.WaitFor(&mu_, timeout, [&]() AUDITLOG_REQUIRES(mu_) {
      return writer_sleeps_ >= target || writer_exited_;
    });
    --idle_watchers_;
    idle = idle && !writer_exited_;
  }
  return idle;
}

// ---------------------------------------------------------------------------------------
// Stats.

void EventRing::FillStatsLocked(Stats* s) const {
  s->events_emitted = counters_.events_emitted;
  s->critical_events = counters_.critical_events;
  s->neutralized_fields = counters_.neutralized_fields;
  s->rejected_buffer_full = counters_.rejected_buffer_full;
  s->rejected_timeout = counters_.rejected_timeout;
  s->rejected_disk_low = counters_.rejected_disk_low;
  s->rejected_failed = counters_.rejected_failed;
  s->queue_high_water_events = counters_.queue_high_water_events;
  s->queue_high_water_bytes = counters_.queue_high_water_bytes;
  s->queue_depth_events = count_;
  s->queue_depth_bytes = queued_bytes_;
}

}  // namespace auditlog::internal
