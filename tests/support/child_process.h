// Runs a piece of test code in a forked child, so that a crash, a hang or a memory blow-up of
// the code under test becomes a result the test checks, not the end of the test binary.
// Thread-compatible; call it from a test's main thread (fork copies only the caller's thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace auditlog::testing {

// How long a call that takes milliseconds may run before a test calls it hung: 60 s, or
// AUDITLOG_HANG_LIMIT_S (to see an old version of the code hang quickly).
std::chrono::seconds HangLimit();

struct ChildRun {
  enum class End { kReturned, kCrashed, kHung, kNotStarted };
  End end = End::kNotStarted;
  std::string text;     // what the function returned (kReturned only)
  std::string problem;  // otherwise: what happened ("signal 11", "still running after 60 s", ...)
  std::int64_t rss_growth_kb = -1;  // the function's own peak: VmHWM after it minus VmRSS before
  long max_rss_kb = -1;             // the child's peak RSS, the pages it inherited included

  bool returned() const { return end == End::kReturned; }
  // "" when the function returned; else "crash: ...", "hang: ..." or "not started: ...".
  std::string Failure() const;
};

// Runs `fn` in a forked child and waits at most `limit` (then kills it: kHung). An exception
// escaping `fn` is a crash whose problem names it. REQUIRES: `fn` makes no gtest assertions
// (the child's are lost); it returns what the parent should check instead.
ChildRun RunInChild(const std::function<std::string()>& fn,
                    std::chrono::seconds limit = HangLimit());

}  // namespace auditlog::testing
