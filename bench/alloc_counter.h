// A counting global allocator for auditlog-bench. alloc_counter.cc replaces every form of
// the global operator new/delete with malloc/free-based versions that, while counting is on
// for the calling thread, count each allocation. Counters are thread_local: a producer counts
// only its own allocations (the writer thread's are not counted).
#pragma once

#include <cstdint>

namespace bench {

struct AllocCounter {
  bool active = false;
  std::uint64_t count = 0;
};

// The calling thread's counter.
AllocCounter& ThreadAllocCounter();

// Counts the calling thread's allocations from construction to destruction (or Stop()).
// Usage: { AllocScope s(&n); logger->Emit(std::move(event)); }  // n += allocations
class AllocScope {
 public:
  explicit AllocScope(std::uint64_t* sink) : counter_(ThreadAllocCounter()), sink_(sink) {
    start_ = counter_.count;
    counter_.active = true;
  }
  ~AllocScope() { Stop(); }
  void Stop() {
    if (sink_ == nullptr) return;
    counter_.active = false;
    *sink_ += counter_.count - start_;
    sink_ = nullptr;
  }
  AllocScope(const AllocScope&) = delete;
  AllocScope& operator=(const AllocScope&) = delete;

 private:
  AllocCounter& counter_;
  std::uint64_t* sink_;
  std::uint64_t start_ = 0;
};

}  // namespace bench
