// StorageUpkeep: the writer thread's care of its segments, between batches: rotation (daily,
// at a clock step back, after a replaced segment), the check that the active segment is still
// the file at its path, retention after each new segment, and the once-a-second upkeep of an
// idle logger. The records it produces (segment_archived, integrity_violation, ...) are queued
// in the EventRing like any system event.
//
// Thread-safety: writer thread only (and Open, before the writer thread starts: the first
// ApplyRetention); not thread-safe, holds no lock of its own.
//
// Lifetime: owned by the WriterThread; every pointer given to it outlives it.
#pragma once

#include <cstdint>
#include <functional>

#include "auditlog/config.h"
#include "auditlog/env.h"
#include "engine/durable_watermark.h"
#include "engine/event_ring.h"
#include "engine/storage_failures.h"
#include "storage/record_writer.h"

namespace auditlog::internal {

class StorageUpkeep {
 public:
  // `old_segment_synced(fsync_micros)` is called after each rotation: Rotate() fsyncs the old
  // segment, so everything written so far is durable.
  StorageUpkeep(const Config& config, Env* env, RecordWriter* writer, EventRing* ring,
                DurableWatermark* watermark, StorageFailures* failures,
                std::function<void(std::int64_t)> old_segment_synced);

  // When Maintain() is due next (monotonic micros): an idle writer sleeps no longer.
  std::int64_t next_maintenance_mono() const { return next_maintenance_mono_; }
  // Rotation by the writer's own clock (so an idle log still moves to the new day's file) and
  // the active-segment check. False when the logger entered its failed state.
  bool Maintain();
  // Closes the active segment and starts a new one (retrying while the disk is full), then
  // applies retention. False when the logger entered its failed state.
  bool RotateSegment();
  // When someone deleted or replaced the active segment: rotates and records the incident.
  // False when the logger entered its failed state.
  bool CheckActiveSegment();
  // Applies Config::retention and queues its records; a failure goes on the record too (the
  // log stays writable).
  void ApplyRetention();

 private:
  const Config& config_;
  Env* const env_;
  RecordWriter* const writer_;
  EventRing* const ring_;
  DurableWatermark* const watermark_;
  StorageFailures* const failures_;
  const std::function<void(std::int64_t)> old_segment_synced_;
  std::int64_t next_maintenance_mono_;
};

}  // namespace auditlog::internal
