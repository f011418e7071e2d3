// Stats: a snapshot of a Logger's counters (see Logger::GetStats and MetricsText).
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace auditlog {

// A latency histogram with fixed power-of-two microsecond buckets: bucket i counts
// observations <= 2^i µs (the last bucket is everything larger).
struct LatencyHistogram {
  static constexpr std::size_t kBuckets = 24;
  std::array<std::uint64_t, kBuckets> counts{};
  std::uint64_t total = 0;
  std::uint64_t sum_micros = 0;

  void Record(std::uint64_t micros) {
    std::size_t i = 0;
    while (i + 1 < kBuckets && micros > (std::uint64_t{1} << i)) ++i;
    ++counts[i];
    ++total;
    sum_micros += micros;
  }
};

struct Stats {
  std::uint64_t events_emitted = 0;    // accepted by Emit (each got a seq)
  std::uint64_t events_written = 0;    // handed to the kernel (write returned)
  std::uint64_t durable_seq = 0;       // every seq <= this is fsync'ed
  std::uint64_t rejected_invalid = 0;  // Emit failed validation
  std::uint64_t rejected_buffer_full = 0;
  std::uint64_t rejected_timeout = 0;
  std::uint64_t rejected_disk_low = 0;
  std::uint64_t rejected_failed = 0;     // refused after shutdown or a sticky error
  std::uint64_t neutralized_fields = 0;  // string fields altered by sanitization
  std::uint64_t critical_events = 0;
  std::uint64_t events_since_sync = 0;  // written but not yet fsync'ed
  std::uint64_t fsyncs = 0;
  std::int64_t micros_since_last_fsync = -1;  // -1: none yet
  std::uint64_t queue_depth_events = 0;
  std::uint64_t queue_depth_bytes = 0;
  std::uint64_t queue_high_water_events = 0;
  std::uint64_t queue_high_water_bytes = 0;
  std::uint64_t bytes_written = 0;
  std::uint64_t segments_created = 0;
  std::uint64_t write_errors = 0;  // failed write attempts (the batch is kept and retried)
  bool writes_failing = false;     // the last write attempt failed; the writer is retrying
  LatencyHistogram write_latency{};
  LatencyHistogram fsync_latency{};
  // The flush mode's batch limits (Batched size/interval, Hybrid batch_size/batch_interval);
  // both 0 for Immediate. events_since_sync should stay below flush_batch_size.
  std::uint64_t flush_batch_size = 0;
  std::int64_t flush_interval_micros = 0;
  bool failed = false;    // the logger is in its failed (sticky error) state
  std::string failure{};  // the error, when failed
};

}  // namespace auditlog
