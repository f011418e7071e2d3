// Status and Result<T>: how every fallible auditlog call reports its outcome.
// Nothing in the public API throws; errors are values that must be looked at.
// Both types are cheap to copy and safe to pass between threads.
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "auditlog/export.h"

namespace auditlog {

// A few codes, each with one meaning.
enum class StatusCode : std::uint8_t {
  kOk = 0,
  kInvalidArgument,     // the caller passed something malformed (names the field)
  kNotFound,            // a file or directory that must exist does not
  kIOError,             // the operating system refused an operation (carries errno text)
  kCorruption,          // bytes on disk are not what the format promises
  kFailedPrecondition,  // the object is in a state where the call cannot run (shut down,
                        // failed after an fsync error, log locked by another process)
  kBufferFull,          // the queue is full and the overflow policy is reject
  kDiskSpaceLow,        // free space is below Config::min_free_bytes; fail closed
  kTimeout,             // a bounded wait ran out
};

// Returns a stable lowercase name for `code`, e.g. "buffer_full".
AUDITLOG_EXPORT std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] AUDITLOG_EXPORT Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return {StatusCode::kInvalidArgument, std::move(msg)};
  }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status IOError(std::string msg) { return {StatusCode::kIOError, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {StatusCode::kCorruption, std::move(msg)}; }
  static Status FailedPrecondition(std::string msg) {
    return {StatusCode::kFailedPrecondition, std::move(msg)};
  }
  static Status BufferFull(std::string msg) { return {StatusCode::kBufferFull, std::move(msg)}; }
  static Status DiskSpaceLow(std::string msg) {
    return {StatusCode::kDiskSpaceLow, std::move(msg)};
  }
  static Status Timeout(std::string msg) { return {StatusCode::kTimeout, std::move(msg)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "io_error: open /x: Permission denied"; "ok" when OK.
  std::string ToString() const;

  // Marks a deliberate decision to drop this status; write a comment saying why.
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status that explains why there is none (a small StatusOr).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "a Result built from a Status needs an error");
    if (status_.ok()) status_ = Status(StatusCode::kFailedPrecondition, "Result without value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  // REQUIRES: ok().
  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace auditlog

// Propagation helpers in the style of absl/status_macros.h.
#define AUDITLOG_RETURN_IF_ERROR(expr)                   \
  do {                                                   \
    ::auditlog::Status auditlog_status_ = (expr);        \
    if (!auditlog_status_.ok()) return auditlog_status_; \
  } while (0)

#define AUDITLOG_CONCAT_INNER_(a, b) a##b
#define AUDITLOG_CONCAT_(a, b) AUDITLOG_CONCAT_INNER_(a, b)
#define AUDITLOG_ASSIGN_OR_RETURN(lhs, expr) \
  AUDITLOG_ASSIGN_OR_RETURN_IMPL_(AUDITLOG_CONCAT_(auditlog_result_, __LINE__), lhs, expr)
#define AUDITLOG_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return tmp.status();                   \
  lhs = std::move(tmp).value()
