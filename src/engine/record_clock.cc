// RecordClock (record_clock.h).
#include "engine/record_clock.h"

#include <algorithm>

namespace auditlog::internal {

void RecordClock::ContinueFrom(std::int64_t last_ts_micros, std::int64_t mono_micros) {
  stamped_ = true;
  last_ts_ = last_wall_ = last_ts_micros;
  last_mono_ = mono_micros;
}

int RecordClock::Classify(std::int64_t wall, std::int64_t mono) const {
  if (mono < last_mono_) return 0;  // a stale reading
  const std::int64_t expected = last_wall_ + (mono - last_mono_);
  if (wall < expected - kMaxClockClampMicros || wall < last_ts_ - kMaxClockClampMicros) return -1;
  return wall > expected + kMaxClockClampMicros ? 1 : 0;
}

// The wall clock stepped when it moved by more than kMaxClockClampMicros away from what the
// monotonic clock measured since the last stamp, or fell that far behind the last stamp; a
// reading taken before the last stamp's (a thread that was slow to get the lock) is just
// clamped. Timestamps never go back except at a step (the writer then starts a new segment,
// see WriterThread::WriteEvents).
std::int64_t RecordClock::Stamp(std::int64_t now, std::int64_t mono,
                                std::optional<ClockStepped>* step) {
  if (!stamped_) {
    ContinueFrom(now, mono);
    return now;
  }
  int kind = Classify(now, mono);
  if (kind != 0) {
    // Confirm with a fresh reading (no I/O): a thread preempted between reading the wall
    // and the monotonic clock would look like a step.
    now = env_->NowMicros();
    mono = env_->MonotonicMicros();
    kind = Classify(now, mono);
  }
  if (mono < last_mono_) return std::max(now, last_ts_);
  const std::int64_t expected = last_wall_ + (mono - last_mono_);
  std::int64_t ts = std::max(now, last_ts_);
  if (kind < 0) {
    const std::int64_t from = std::max(expected, last_ts_);
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
  last_ts_ = ts;
  last_wall_ = now;
  last_mono_ = mono;
  return ts;
}

}  // namespace auditlog::internal
