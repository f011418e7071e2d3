// WriterThread (writer_thread.h).
#include "engine/writer_thread.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "util/port/cpu_relax.h"

namespace auditlog::internal {
namespace {

// A body larger than this is released after framing instead of being kept for reuse: a ring
// then keeps at most (slots * this) bytes of spare capacity.
constexpr std::size_t kMaxRetainedBodyBytes = 4096;
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

// The WriterThread running on this thread, if any.
thread_local const WriterThread* tls_current_writer = nullptr;

}  // namespace

WriterThread::WriterThread(const Config& config, Env* env, const FlushPolicy& policy,
                           std::unique_ptr<RecordWriter> writer, EventRing* ring,
                           DurableWatermark* watermark, std::unique_ptr<Sealer> sealer)
    : env_(env),
      policy_(policy),
      ring_(ring),
      watermark_(watermark),
      writer_(std::move(writer)),
      failures_(env, writer_.get(), ring, watermark, config.on_error),
      upkeep_(config, env, writer_.get(), ring, watermark, &failures_,
              [this](std::int64_t fsync_micros) { MarkAllWrittenDurable(fsync_micros); }),
      written_seq_(writer_->next_seq() - 1),
      synced_seq_(written_seq_),
      sealer_(std::move(sealer)) {}

WriterThread::~WriterThread() {
  if (thread_.joinable()) thread_.join();  // only when Shutdown() could not run
}

void WriterThread::Start() {
  upkeep_.ApplyRetention();
  thread_ = std::thread([this] { Run(); });
}

void WriterThread::Join() { thread_.join(); }

bool WriterThread::IsCurrentThread() const { return tls_current_writer == this; }

void WriterThread::Run() {
  tls_current_writer = this;
  for (;;) {
    Work work = WaitForWork();
    const bool stopping = work.ring.closed;
    if (work.ring.failed) {
      if (stopping) break;
      continue;
    }
    if (!stopping && work.ring.count > 0) work = Gather(work);
    if (work.ring.count > 0 && !WriteEvents(work.ring.head, work.ring.count)) {
      if (stopping) break;
      continue;
    }
    if (!stopping && env_->MonotonicMicros() >= upkeep_.next_maintenance_mono() &&
        !upkeep_.Maintain()) {
      continue;
    }
    if (sealer_ && !stopping) MaybeSeal();
    // Every event seen is now written; when stopping, Finish() below does the fsync. A sync
    // request for an event queued after the look waits for the next round, which writes it.
    const bool sync_requested = work.sync_target > synced_seq_ && work.sync_target <= written_seq_;
    if (!stopping && unsynced_.events > 0 &&
        (sync_requested || policy_.ShouldSync(unsynced_, env_->MonotonicMicros()))) {
      SyncWritten();
    }
    if (stopping) break;
  }
  Finish();
}

// ---------------------------------------------------------------------------------------
// Waiting for work.

WriterThread::Work WriterThread::Look() const {
  Work work;
  work.ring = ring_->Peek();
  // After the Peek. A request raised later keeps the writer from sleeping
  // (EventRing::SleepUnlessChanged re-reads it), or wakes it (DurableWatermark::SyncAndAwait).
  work.sync_target = watermark_->sync_request();
  return work;
}

WriterThread::Work WriterThread::WaitForWork() {
  bool spun = false;
  for (;;) {
    const Work work = Look();
    const EventRing::Work& ring = work.ring;
    if (ring.closed) return work;
    if (ring.failed) {
      ring_->SleepUnlessChanged(ring.epoch, -1, watermark_->sync_request_atomic(),
                                work.sync_target);
      continue;
    }
    if (ring.count > 0) return work;
    std::int64_t deadline = upkeep_.next_maintenance_mono();  // idle: storage upkeep
    if (sealer_) {
      // The next epoch boundary, by the wall clock the epochs follow.
      const std::int64_t wall_left =
          std::max<std::int64_t>(0, next_seal_check_ - env_->NowMicros());
      deadline = std::min(deadline, env_->MonotonicMicros() + wall_left);
    }
    if (unsynced_.events > 0) {
      if (work.sync_target > synced_seq_) return work;
      // Batched/Hybrid: sleep until the oldest un-synced event reaches the interval, even
      // if no further event ever comes.
      deadline = std::min(policy_.Deadline(unsynced_), deadline);
    }
    const std::int64_t now = env_->MonotonicMicros();
    if (now >= deadline) return work;
    if (!spun) {
      // Poll briefly before sleeping: the next event usually comes within microseconds,
      // and then neither side pays for a futex wake-up. Everything is re-checked after.
      spun = true;
      SpinForWork(ring.epoch, work.sync_target, kWriterSpinMicros);
      continue;
    }
    ring_->SleepUnlessChanged(ring.epoch, std::min(deadline - now, kMaxSleepMicros),
                              watermark_->sync_request_atomic(), work.sync_target);
  }
}

bool WriterThread::SpinForWork(std::uint64_t epoch, std::uint64_t sync_target,
                               std::int64_t micros) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(micros);
  for (int round = 0;; ++round) {
    for (int i = 0; i < 32; ++i) {
      if (ring_->work_epoch() != epoch || watermark_->sync_request() != sync_target) return true;
      CpuRelax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    // There may be more runnable threads than cores (producers): let them go first.
    if (round % 2 == 1) std::this_thread::yield();
  }
}

WriterThread::Work WriterThread::Gather(Work work) {
  const std::size_t want = expected_returns_;
  expected_returns_ = 0;
  // Only worth it when an fsync follows this batch anyway (Immediate, or someone waits).
  if (work.ring.count >= want || !(policy_.immediate() || work.sync_target > synced_seq_)) {
    return work;
  }
  const std::int64_t budget = std::min(kGatherMaxMicros, last_fsync_micros_ / 4);
  if (budget <= 0) return work;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(budget);
  while (work.ring.count < want && !work.ring.closed && !work.ring.failed) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    const bool moved =
        SpinForWork(work.ring.epoch, work.sync_target,
                    std::chrono::duration_cast<std::chrono::microseconds>(deadline - now).count());
    if (!moved) break;
    work = Look();
  }
  return work;
}

// ---------------------------------------------------------------------------------------
// Writing.

// File order stays seq order: the chunks are consecutive.
bool WriterThread::WriteEvents(std::size_t start, std::size_t n) {
  // Never write into a segment that was deleted or replaced behind our back.
  if (!upkeep_.CheckActiveSegment()) return false;
  // Daily rotation goes by the record timestamps: the first record of a new UTC day starts
  // a new segment. Rotate() fsyncs the old segment, so everything written becomes durable.
  if (writer_->RotationDue(ring_->slot(start).ts_micros) && !upkeep_.RotateSegment()) {
    return false;
  }
  while (n > 0) {
    // After a clock step back, a new segment: timestamps never decrease within one.
    const auto seg_last = writer_->segment_last_ts_micros();
    if (seg_last && ring_->slot(start).ts_micros < *seg_last && !upkeep_.RotateSegment()) {
      return false;
    }
    std::size_t done = 0;
    if (!WriteChunk(start, n, &done)) return false;
    n -= done;
    start += done;
    if (start >= ring_->capacity()) start -= ring_->capacity();
  }
  return true;
}

WriterThread::Framed WriterThread::FrameChunk(std::size_t start, std::size_t max_n) {
  batch_.clear();
  Framed f;
  std::size_t i = start;
  while (f.n < max_n && (f.n == 0 || batch_.size() < kMaxWriteBytes)) {
    RingSlot& slot = ring_->slot(i);
    // A clock step back ends the chunk: WriteEvents starts a new segment for the rest.
    if (f.n > 0 && slot.ts_micros < writer_->last_ts_micros()) break;
    ++f.n;
    const std::size_t line_start = batch_.size();
    // What the slot counted in the ring's queued bytes: a seal marker's body is filled in
    // by FrameSeal, and those bytes were never queued.
    const std::size_t queued_bytes = slot.event.body.size();
    if (slot.seal_marker) {
      FrameSeal(slot);
    } else {
      writer_->Frame(slot.ts_micros, slot.event, &batch_);
    }
    if (sealer_) {
      sealer_->OnFramed(
          std::string_view(batch_).substr(line_start, batch_.size() - line_start - 1));
    }
    f.bytes += queued_bytes;
    f.critical |= slot.event.critical;
    if (!slot.system) ++f.users;
    if (slot.event.body.capacity() > kMaxRetainedBodyBytes) std::string().swap(slot.event.body);
    if (++i == ring_->capacity()) i = 0;
  }
  f.next = i;
  return f;
}

bool WriterThread::WriteChunk(std::size_t start, std::size_t max_n, std::size_t* done) {
  const std::int64_t first_mono = ring_->slot(start).emit_mono_micros;
  const Framed f = FrameChunk(start, max_n);
  ring_->Release(f.next, f.n, f.users, f.bytes);
  *done = f.n;

  // Retries with back-off while the write fails (RecordWriter::Write cuts a partial record
  // off, so the same batch can be written again).
  const std::int64_t t0 = env_->MonotonicMicros();
  Status s = failures_.Retry([&] { return writer_->Write(batch_); },
                             std::to_string(f.n) + " accepted events could not be written");
  const std::int64_t t1 = env_->MonotonicMicros();
  if (!s.ok()) {
    failures_.EnterFailed(s);
    return false;
  }
  if (sealer_) sealer_->OnWritten();  // the chunk's tile hashes follow it (no fsync)
  if (unsynced_.events == 0) unsynced_.oldest_emit_micros = first_mono;
  unsynced_.events += f.n;
  unsynced_.critical |= f.critical;
  written_seq_ += f.n;
  watermark_->RecordWrite(f.n, batch_.size(), t1 - t0, unsynced_.events);
  if (failures_.failing()) failures_.StorageWorksAgain(t1);
  return true;
}

void WriterThread::SyncWritten() {
  const std::int64_t t0 = env_->MonotonicMicros();
  Status s = writer_->Sync();
  const std::int64_t t1 = env_->MonotonicMicros();
  if (!s.ok()) {
    failures_.EnterFailed(s);
    return;
  }
  MarkAllWrittenDurable(t1 - t0);
}

void WriterThread::MarkAllWrittenDurable(std::int64_t fsync_micros) {
  synced_seq_ = written_seq_;
  unsynced_ = {};
  // Seals up to here are durable: their keys may go.
  if (sealer_) {
    sealer_->OnDurable(synced_seq_, env_->NowMicros(),
                       ring_->LastSeq() > sealer_->last_marker_seq());
  }
  last_fsync_micros_ = fsync_micros;
  const int emitters = watermark_->Advance(synced_seq_, fsync_micros);
  // EmitDurable callers whose events are still queued are not released by this fsync; the
  // rest will come back soon with their next events (an estimate: see Gather).
  const int queued = static_cast<int>(ring_->queued_hint());
  expected_returns_ = emitters > queued ? static_cast<std::size_t>(emitters - queued) : 0;
}

// ---------------------------------------------------------------------------------------
// Sealing.

void WriterThread::MaybeSeal() {
  const std::int64_t now = env_->NowMicros();
  if (now < next_seal_check_) return;
  bool unsealed = ring_->LastSeq() > sealer_->last_marker_seq();
  const auto kind = sealer_->DueAt(now, unsealed);
  if (kind) {
    auto seq = ring_->EnqueueSealMarker();
    if (!seq.ok()) return;  // the reserve slots are taken: the next round tries again
    sealer_->MarkerQueued(*kind, *seq, now);
    unsealed = false;
  }
  sealer_->OnDurable(synced_seq_, now, unsealed);  // keys evolve by time, also while idle
  next_seal_check_ = sealer_->NextBoundaryMicros();
}

void WriterThread::FrameSeal(RingSlot& slot) {
  // The marker's ts is the seal's t_end; its seq is the one Frame() gives it.
  Status s =
      sealer_->BuildSeal(writer_->next_seq(), slot.ts_micros, writer_->last_hash(), &slot.event);
  if (s.ok()) {
    writer_->Frame(slot.ts_micros, slot.event, &batch_);
    return;
  }
  // A bug, not input: the seq is taken, so something must be framed there.
  writer_
      ->FrameSystemEvent(slot.ts_micros,
                         IntegrityViolation{.resource_type = "seal_state",
                                            .resource_id = "seal not made: " + s.message(),
                                            .severity = "critical",
                                            .action_taken = "the next seal covers its records"},
                         &batch_)
      .IgnoreError();
}

Status WriterThread::WriteShutdownSeal() {
  EncodedEvent seal;
  const std::int64_t ts = std::max(env_->NowMicros(), writer_->last_ts_micros());
  AUDITLOG_RETURN_IF_ERROR(
      sealer_->BuildShutdownSeal(writer_->next_seq(), ts, writer_->last_hash(), &seal));
  batch_.clear();
  writer_->Frame(ts, seal, &batch_);
  sealer_->OnFramed(std::string_view(batch_).substr(0, batch_.size() - 1));
  AUDITLOG_RETURN_IF_ERROR(failures_.Retry([&] { return writer_->Write(batch_); },
                                           "the shutdown seal could not be written"));
  ++written_seq_;
  return Status::Ok();
}

void WriterThread::Finish() {
  if (!watermark_->failed() && sealer_) {
    Status s = WriteShutdownSeal();
    if (!s.ok()) failures_.EnterFailed(s);
  }
  if (!watermark_->failed()) {
    const std::int64_t t0 = env_->MonotonicMicros();
    // Fsyncs what is left; a full disk gets the few retries any write gets after Shutdown.
    Status s =
        failures_.Retry([&] { return writer_->Close(); }, "the last segment could not be closed");
    if (s.ok()) {
      MarkAllWrittenDurable(env_->MonotonicMicros() - t0);
    } else {
      failures_.EnterFailed(s);
    }
  } else {
    // The failure was reported when it happened; this only releases the file.
    writer_->Close().IgnoreError();
  }
  writer_.reset();  // releases the directory lock
  watermark_->MarkWriterExited();
  ring_->MarkWriterExited();
}

}  // namespace auditlog::internal
