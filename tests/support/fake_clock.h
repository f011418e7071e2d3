// FakeClockEnv: an EnvWrapper whose clocks move only when the test moves them. Both clocks
// advance together with Advance(); SetWallMicros() makes the wall clock jump (even backwards)
// without touching the monotonic one. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "auditlog/env.h"

namespace auditlog::testing {

class FakeClockEnv : public EnvWrapper {
 public:
  // 2026-01-01T12:00:00Z: far from a UTC day boundary, so daily rotation stays out of the way.
  static constexpr std::int64_t kDefaultWallMicros = 1767268800LL * 1000000;

  explicit FakeClockEnv(Env* target = Env::Default(), std::int64_t wall_micros = kDefaultWallMicros)
      : EnvWrapper(target), wall_(wall_micros) {}

  std::int64_t NowMicros() override { return wall_.load(); }
  std::int64_t MonotonicMicros() override { return mono_.load(); }

  void Advance(std::chrono::microseconds d) {
    wall_ += d.count();
    mono_ += d.count();
  }
  void SetWallMicros(std::int64_t micros) { wall_ = micros; }

 private:
  std::atomic<std::int64_t> wall_;
  std::atomic<std::int64_t> mono_{1000000};
};

}  // namespace auditlog::testing
