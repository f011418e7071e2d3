// Compiled (not run) by check_compile.cmake to show that the thread-safety analysis is live:
// with AUDITLOG_TSA_VIOLATION defined, Counter::Peek reads a guarded member without the lock,
// and Clang must reject the file; without it, the same file must compile cleanly (so the
// rejection is the analysis, not a broken include path or flag).
#include <chrono>

#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace {

using auditlog::internal::CondVar;
using auditlog::internal::Mutex;
using auditlog::internal::MutexLock;

class Counter {
 public:
  void Add(int n) AUDITLOG_EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    AddLocked(n);
    changed_.NotifyAll();
  }
  // Waits until the value reaches `target`; false on timeout.
  bool AwaitAtLeast(int target) AUDITLOG_EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    return changed_.WaitFor(&mu_, std::chrono::milliseconds(1),
                            [&]() AUDITLOG_REQUIRES(mu_) { return value_ >= target; });
  }
  int Peek() {
#if defined(AUDITLOG_TSA_VIOLATION)
    return value_;  // no lock held: "reading variable 'value_' requires holding mutex 'mu_'"
#else
    MutexLock lock(&mu_);
    return value_;
#endif
  }

 private:
  void AddLocked(int n) AUDITLOG_REQUIRES(mu_) { value_ += n; }

  Mutex mu_;
  CondVar changed_;
  int value_ AUDITLOG_GUARDED_BY(mu_) = 0;
};

}  // namespace

int main() {
  Counter c;
  c.Add(1);
  return c.AwaitAtLeast(1) && c.Peek() == 1 ? 0 : 1;
}
