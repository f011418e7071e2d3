// Clang thread-safety annotations (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html).
// Internal. Under Clang the build checks them (-Wthread-safety -Werror=thread-safety, see
// CMakeLists.txt); elsewhere they expand to nothing. Use them with the annotated Mutex of
// mutex.h: libstdc++'s std::mutex carries no capability attributes.
#pragma once

#if defined(__clang__)
#define AUDITLOG_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define AUDITLOG_THREAD_ANNOTATION(x)
#endif

// A type that is a lock (a capability); `x` names its kind in diagnostics ("mutex").
#define AUDITLOG_CAPABILITY(x) AUDITLOG_THREAD_ANNOTATION(capability(x))
// An RAII type that holds a capability for its lifetime (MutexLock).
#define AUDITLOG_SCOPED_CAPABILITY AUDITLOG_THREAD_ANNOTATION(scoped_lockable)
// A member that may be read or written only while holding `x`.
#define AUDITLOG_GUARDED_BY(x) AUDITLOG_THREAD_ANNOTATION(guarded_by(x))
// A pointer member whose pointee may be accessed only while holding `x`.
#define AUDITLOG_PT_GUARDED_BY(x) AUDITLOG_THREAD_ANNOTATION(pt_guarded_by(x))
// The caller must hold the capabilities (and still holds them on return).
#define AUDITLOG_REQUIRES(...) AUDITLOG_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
// The caller must not hold the capabilities (the function takes them itself).
#define AUDITLOG_EXCLUDES(...) AUDITLOG_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
// The function acquires / releases the capabilities (no argument: `this`).
#define AUDITLOG_ACQUIRE(...) AUDITLOG_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define AUDITLOG_RELEASE(...) AUDITLOG_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
// A getter that returns a reference to the capability `x` (a Mutex& accessor): the analysis
// then treats the returned Mutex as `x`.
#define AUDITLOG_RETURN_CAPABILITY(x) AUDITLOG_THREAD_ANNOTATION(lock_returned(x))
// The function checks (or simply asserts) that the capability is held.
#define AUDITLOG_ASSERT_CAPABILITY(x) AUDITLOG_THREAD_ANNOTATION(assert_capability(x))
// Turns the analysis off for one function. Only where it cannot follow the locking, with a
// comment saying why.
#define AUDITLOG_NO_THREAD_SAFETY_ANALYSIS AUDITLOG_THREAD_ANNOTATION(no_thread_safety_analysis)
