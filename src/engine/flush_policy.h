// FlushPolicy: when the writer engine fsyncs, as a pure function of the flush mode, what is
// written but not yet fsync'ed, and the monotonic clock. No I/O and no threads, so every
// decision is unit-tested with plain numbers. Immutable after construction; thread-safe.
#pragma once

#include <cstdint>
#include <limits>
#include <variant>

#include "auditlog/config.h"

namespace auditlog::internal {

class FlushPolicy {
 public:
  static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

  // What the writer has written (handed to the kernel) but not yet fsync'ed.
  struct Unsynced {
    std::uint64_t events = 0;
    std::int64_t oldest_emit_micros = 0;  // Env::MonotonicMicros() when the oldest was emitted
    bool critical = false;                // at least one of them is a critical event
  };

  // REQUIRES: the mode passed ValidateFlushMode().
  explicit FlushPolicy(const FlushMode& mode) {
    if (const auto* b = std::get_if<Batched>(&mode)) {
      immediate_ = false;
      size_ = b->size;
      interval_micros_ = SaturatingMicros(b->interval);
    } else if (const auto* h = std::get_if<Hybrid>(&mode)) {
      immediate_ = false;
      size_ = h->batch_size;
      interval_micros_ = SaturatingMicros(h->batch_interval);
      critical_immediate_ = h->critical_immediate;
    }
  }

  // True when the writer must fsync now (before it takes the next batch):
  //   Immediate: whenever anything is un-synced.
  //   Batched:   `size` events un-synced, or the oldest is `interval` old.
  //   Hybrid:    as Batched, or (critical_immediate) a critical event is un-synced.
  bool ShouldSync(const Unsynced& u, std::int64_t now_micros) const {
    if (u.events == 0) return false;
    if (immediate_) return true;
    if (critical_immediate_ && u.critical) return true;
    if (u.events >= size_) return true;
    return now_micros >= Deadline(u);
  }

  // The monotonic time at which ShouldSync() turns true without any further event: the
  // writer sleeps until then. kNever when nothing is un-synced.
  std::int64_t Deadline(const Unsynced& u) const {
    if (u.events == 0) return kNever;
    if (immediate_ || (critical_immediate_ && u.critical) || u.events >= size_) {
      return u.oldest_emit_micros;
    }
    if (u.oldest_emit_micros > kNever - interval_micros_) return kNever;
    return u.oldest_emit_micros + interval_micros_;
  }

  bool immediate() const { return immediate_; }
  // 0 for Immediate.
  std::uint64_t batch_size() const { return immediate_ ? 0 : size_; }
  std::int64_t interval_micros() const { return immediate_ ? 0 : interval_micros_; }

 private:
  // `d` in microseconds; huge intervals (milliseconds::max(): "never") saturate to kNever.
  static std::int64_t SaturatingMicros(std::chrono::milliseconds d) {
    if (d.count() > kNever / 1000) return kNever;
    return d.count() * 1000;
  }

  bool immediate_ = true;
  std::uint64_t size_ = 1;
  std::int64_t interval_micros_ = 0;
  bool critical_immediate_ = false;
};

// Checks the parameters of a flush mode: sizes >= 1, intervals >= 0.
inline Status ValidateFlushMode(const FlushMode& mode) {
  if (const auto* b = std::get_if<Batched>(&mode)) {
    if (b->size == 0) return Status::InvalidArgument("flush_mode: Batched.size must be at least 1");
    if (b->interval.count() < 0) {
      return Status::InvalidArgument("flush_mode: Batched.interval must not be negative");
    }
  } else if (const auto* h = std::get_if<Hybrid>(&mode)) {
    if (h->batch_size == 0) {
      return Status::InvalidArgument("flush_mode: Hybrid.batch_size must be at least 1");
    }
    if (h->batch_interval.count() < 0) {
      return Status::InvalidArgument("flush_mode: Hybrid.batch_interval must not be negative");
    }
  }
  return Status::Ok();
}

}  // namespace auditlog::internal
