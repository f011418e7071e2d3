// WriterThread: the one thread that turns queued events into durable records. It waits for
// work (polling briefly, then sleeping in the EventRing), takes everything queued, frames it
// (hash chain) into one buffer per ~256 KiB chunk, writes each chunk with one write(), gives
// the slots back, and fsyncs when the FlushPolicy says so or when someone waits for an fsync
// (DurableWatermark::sync_request). Only after a successful fsync does it raise the durable
// watermark, so the watermark is never ahead of the disk, and concurrent waiters share one
// fsync (group commit: after an fsync it waits briefly for the EmitDurable callers it
// released to come back with their next events). Retries and the failed state go through
// StorageFailures, segment care through StorageUpkeep.
//
// Thread-safety: Start() and Join() from the thread that owns the Logger (Open, Shutdown);
// everything else runs on the writer thread. The RecordWriter, the batch buffer and the
// un-synced bookkeeping belong to the writer thread ("writer thread only": not expressible as
// a capability, not checked); it holds no lock of its own and never holds one while it
// calls out, so it adds no lock order.
//
// Lifetime: created by Open, joined by Shutdown (or by the destructor when Shutdown could
// not run); the ring, watermark, config, policy and env outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "auditlog/config.h"
#include "auditlog/env.h"
#include "engine/durable_watermark.h"
#include "engine/event_ring.h"
#include "engine/flush_policy.h"
#include "engine/storage_failures.h"
#include "engine/storage_upkeep.h"
#include "seal/sealer.h"
#include "storage/record_writer.h"

namespace auditlog::internal {

class WriterThread {
 public:
  // REQUIRES: ring->Start() and watermark->Start() were called with writer->next_seq().
  // `sealer` is null for a log that is not sealed.
  WriterThread(const Config& config, Env* env, const FlushPolicy& policy,
               std::unique_ptr<RecordWriter> writer, EventRing* ring, DurableWatermark* watermark,
               std::unique_ptr<Sealer> sealer);
  ~WriterThread();
  WriterThread(const WriterThread&) = delete;
  WriterThread& operator=(const WriterThread&) = delete;

  // Open: applies retention (opening started a new segment, as a rotation does; its records
  // are queued before any caller's event), then starts the thread.
  void Start();
  // Shutdown: waits for the thread to drain, fsync, close and exit. REQUIRES: ring->Close().
  void Join();
  // True on the writer thread itself (Shutdown from Config::on_error is refused).
  bool IsCurrentThread() const;

 private:
  // What one look at the ring found, with the sync request read after it.
  struct Work {
    EventRing::Work ring;
    std::uint64_t sync_target = 0;
  };

  void Run();
  // Returns when there is something to do: events queued, an fsync due (by the policy or a
  // request), storage upkeep due, Close(). Polls briefly before it sleeps.
  Work WaitForWork();
  Work Look() const;
  // Polls (without any lock) until the ring's work epoch moves away from `epoch`, or the sync
  // request away from `sync_target`, or `micros` of real time passed; true when one moved.
  bool SpinForWork(std::uint64_t epoch, std::uint64_t sync_target, std::int64_t micros) const;
  // Group commit: waits briefly for the EmitDurable callers released by the last fsync.
  Work Gather(Work work);
  // Frames and writes slots [start, start+n) in chunks; false when the logger entered its
  // failed state (the rest then stays queued and is never written).
  bool WriteEvents(std::size_t start, std::size_t n);
  // Frames slots from `start` (at most `n`, at least one, about kMaxWriteBytes), gives them
  // back, writes them and accounts for them; `*done` receives how many. False when the
  // logger entered its failed state.
  bool WriteChunk(std::size_t start, std::size_t n, std::size_t* done);
  // Frames what fits into `batch_` from `start`; returns how many slots, with their totals.
  struct Framed {
    std::size_t n = 0, bytes = 0, users = 0, next = 0;
    bool critical = false;
  };
  Framed FrameChunk(std::size_t start, std::size_t max_n);
  void SyncWritten();
  // Sealing, once per epoch boundary: queues a seal marker when one is due, and lets the key
  // chain step forward (an idle log's keys evolve too).
  void MaybeSeal();
  // Frames the seal of the marker in `slot` (or, should that fail, an integrity_violation in
  // its place: the seq is taken).
  void FrameSeal(RingSlot& slot);
  // The shutdown seal, written after everything else (Finish).
  Status WriteShutdownSeal();
  void MarkAllWrittenDurable(std::int64_t fsync_micros);
  // Closes the RecordWriter (its last fsync) and publishes the exit.
  void Finish();

  // ---- immutable ----
  Env* const env_;
  const FlushPolicy& policy_;
  EventRing* const ring_;
  DurableWatermark* const watermark_;

  // ---- writer thread only ----
  std::unique_ptr<RecordWriter> writer_;
  StorageFailures failures_;
  StorageUpkeep upkeep_;
  std::string batch_;                   // framed records of the chunk being written
  FlushPolicy::Unsynced unsynced_;      // written, not yet fsync'ed
  std::uint64_t written_seq_ = 0;       // highest seq handed to the kernel
  std::uint64_t synced_seq_ = 0;        // highest seq known fsync'ed
  std::size_t expected_returns_ = 0;    // EmitDurable callers the last fsync released
  std::int64_t last_fsync_micros_ = 0;  // how long the last fsync took
  std::unique_ptr<Sealer> sealer_;      // null: the log is not sealed
  std::int64_t next_seal_check_ = 0;    // wall micros of the next epoch boundary

  std::thread thread_;
};

}  // namespace auditlog::internal
