// std::mutex and std::condition_variable with Clang thread-safety annotations
// (thread_annotations.h), so that the build checks what each lock guards. Internal.
//
// As with Abseil's Mutex/MutexLock/CondVar, a CondVar waits on the Mutex itself, which the
// caller must hold, however it took it (a MutexLock in scope, or its own REQUIRES contract).
// The analysis follows a Mutex across functions through REQUIRES/ACQUIRE; it cannot follow a
// lock object (a std::unique_lock) passed by reference, so there is none to pass.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <utility>

#include "util/thread_annotations.h"

namespace auditlog::internal {

class AUDITLOG_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() AUDITLOG_ACQUIRE() { mu_.lock(); }
  // A function that REQUIRES the Mutex may Unlock() it for a while (no guarded access then)
  // and Lock() it again before it returns, whichever way its caller holds it.
  void Unlock() AUDITLOG_RELEASE() { mu_.unlock(); }

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds a Mutex for its scope, like std::lock_guard.
class AUDITLOG_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) AUDITLOG_ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  // Takes over a Mutex the caller already holds (e.g. from a function that ACQUIREs it).
  MutexLock(Mutex* mu, std::adopt_lock_t) AUDITLOG_REQUIRES(mu) : mu_(mu) {}
  ~MutexLock() AUDITLOG_RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A std::condition_variable waiting on a Mutex. Every Wait REQUIRES the Mutex: it is released
// while waiting and held again on return, as with std::condition_variable. A predicate is
// called with the Mutex held (by std::condition_variable, which the analysis does not look
// into); one that reads guarded members is a lambda annotated AUDITLOG_REQUIRES(mu), which
// the analysis then checks like any function.
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  void NotifyOne() { cv_.notify_one(); }
  void NotifyAll() { cv_.notify_all(); }

  void Wait(Mutex* mu) AUDITLOG_REQUIRES(mu) {
    Adopted lock(mu);
    cv_.wait(lock.lock);
  }
  template <class Predicate>
  void Wait(Mutex* mu, Predicate pred) AUDITLOG_REQUIRES(mu) {
    Adopted lock(mu);
    cv_.wait(lock.lock, std::move(pred));
  }
  template <class Rep, class Period>
  std::cv_status WaitFor(Mutex* mu, const std::chrono::duration<Rep, Period>& timeout)
      AUDITLOG_REQUIRES(mu) {
    Adopted lock(mu);
    return cv_.wait_for(lock.lock, timeout);
  }
  // True when `pred` holds (false: timed out with `pred` still false).
  template <class Rep, class Period, class Predicate>
  bool WaitFor(Mutex* mu, const std::chrono::duration<Rep, Period>& timeout, Predicate pred)
      AUDITLOG_REQUIRES(mu) {
    Adopted lock(mu);
    return cv_.wait_for(lock.lock, timeout, std::move(pred));
  }
  template <class Clock, class Duration>
  std::cv_status WaitUntil(Mutex* mu, const std::chrono::time_point<Clock, Duration>& deadline)
      AUDITLOG_REQUIRES(mu) {
    Adopted lock(mu);
    return cv_.wait_until(lock.lock, deadline);
  }
  // True when `pred` holds (false: timed out with `pred` still false).
  template <class Clock, class Duration, class Predicate>
  bool WaitUntil(Mutex* mu, const std::chrono::time_point<Clock, Duration>& deadline,
                 Predicate pred) AUDITLOG_REQUIRES(mu) {
    Adopted lock(mu);
    return cv_.wait_until(lock.lock, deadline, std::move(pred));
  }

 private:
  // Lends the caller's locked std::mutex to std::condition_variable for one wait and gives it
  // back still locked (release(), not unlock(), also if the predicate throws).
  struct Adopted {
    explicit Adopted(Mutex* mu) : lock(mu->mu_, std::adopt_lock) {}
    ~Adopted() { lock.release(); }
    Adopted(const Adopted&) = delete;
    Adopted& operator=(const Adopted&) = delete;
    std::unique_lock<std::mutex> lock;
  };

  std::condition_variable cv_;
};

}  // namespace auditlog::internal
