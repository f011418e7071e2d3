// RecordClock: the timestamps of records (docs/FORMAT.md §3 "Clock steps"). It stamps each
// record with the wall clock, clamped so that timestamps never decrease through small
// backward steps (NTP corrections), and reports a larger step as a ClockStepped event for
// the log.
//
// Thread-safety: none of its own. The EventRing owns it and calls it under the ring's mutex,
// because a stamp is taken together with the record's seq (seq order == timestamp order).
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>

#include "auditlog/env.h"
#include "auditlog/events.h"

namespace auditlog::internal {

// The wall clock going back by up to this much is absorbed by clamping (stamping the previous
// record's time), so timestamps stay non-decreasing through NTP corrections, and no record is
// ever stamped more than this after the clock it was emitted at. A larger backward step, or a
// forward jump by more than this beyond what the monotonic clock measured, is a clock step:
// later records carry the real clock, a critical clock_stepped record says what happened, and
// (going back) the writer continues in a new segment. One second: far above NTP slewing (at
// most 500 ppm) and the jitter between reading the clocks and taking the lock, far below any
// step that would mislead an investigation.
constexpr std::int64_t kMaxClockClampMicros = 1000000;

inline Time TimeOf(std::int64_t micros) {
  return Time(std::chrono::duration_cast<Time::duration>(std::chrono::microseconds(micros)));
}

class RecordClock {
 public:
  // `env` must outlive the clock.
  explicit RecordClock(Env* env) : env_(env) {}

  // Clamps to `last_ts_micros` (the last record of the active segment, read at Open; never an
  // earlier process's segment: a future-dated record must not stamp everything after it).
  void ContinueFrom(std::int64_t last_ts_micros, std::int64_t mono_micros);

  // The timestamp for a record emitted when the clocks read `now` (wall) and `mono`; sets
  // `*step` when the wall clock stepped since the last stamp.
  std::int64_t Stamp(std::int64_t now, std::int64_t mono, std::optional<ClockStepped>* step);

 private:
  // -1: stepped back, +1: jumped forward, 0: neither (or a stale reading).
  int Classify(std::int64_t wall, std::int64_t mono) const;

  Env* const env_;
  // The last stamp given, and the clocks' readings it was based on.
  bool stamped_ = false;
  std::int64_t last_ts_ = std::numeric_limits<std::int64_t>::min();
  std::int64_t last_wall_ = 0;
  std::int64_t last_mono_ = 0;
};

}  // namespace auditlog::internal
