// Logger: the entry point services use to record audit events.
//
// Emit() validates an event, gives it the next seq, queues it and returns without waiting
// for I/O; one background writer thread frames, hash-chains, writes and fsyncs records in
// seq order according to the FlushMode. Safe for concurrent use by multiple threads.
//
// Example:
//   auditlog::Config config{.service_id = "queen", .mode = auditlog::LocalMode{"/var/lib/audit"}};
//   auto logger = auditlog::Logger::Open(config);
//   if (!logger.ok()) return logger.status();
//   auto seq = (*logger)->Emit(auditlog::AuthSuccess{...});          // queued, not yet durable
//   auto st = (*logger)->EmitDurable(auditlog::TokenRevoked{...});   // fsync'ed on return
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "auditlog/config.h"
#include "auditlog/events.h"
#include "auditlog/export.h"
#include "auditlog/stats.h"
#include "auditlog/status.h"

namespace auditlog {

namespace internal {
class LoggerTestPeer;  // test hooks (src/engine/logger_test_peer.h)
}  // namespace internal

// The process a record is written for, as the kernel attests it: auditlogd fills it from
// SO_PEERCRED and /proc/PID/exe. Recorded in the record's "origin" member (docs/FORMAT.md
// §3), which no event can set.
struct Origin {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint32_t pid = 0;
  std::string exe{};  // the executable's path; neutralized like every string
};

struct EmitOptions {
  std::optional<Origin> origin{};
};

class AUDITLOG_EXPORT Logger {
 public:
  // Opens (or creates) the log in config.mode and starts the writer thread (LocalMode; in
  // DisabledMode nothing is opened and no thread runs). Fails with kInvalidArgument for a
  // bad config, kFailedPrecondition when another Logger holds the directory, kIOError for
  // I/O errors.
  static Result<std::unique_ptr<Logger>> Open(const Config& config);

  // Calls Shutdown().
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  // Validates and encodes `event` on the calling thread, gives it the next seq and a
  // timestamp (never earlier than the previous record's), queues it and returns its seq
  // without waiting for I/O. Errors: kInvalidArgument (names the field), kBufferFull
  // (queue full, reject policy), kTimeout (queue still full after Config::block_timeout,
  // block policy), kDiskSpaceLow (writes are failing for lack of space), kFailedPrecondition
  // (after Shutdown, or after an unrecoverable I/O error). A failed Emit consumes no seq.
  // In DisabledMode it returns 0 at once and the event is neither validated nor recorded.
  Result<std::uint64_t> Emit(Event event);
  // Emit, recording `options` (the requesting process's identity) in the record.
  Result<std::uint64_t> Emit(Event event, const EmitOptions& options);

  // Emit, then asks the writer for an fsync and waits until the event is durable: fsync'ed,
  // and for a new segment its directory entry too. Errors: those of Emit, the fsync error
  // (the logger is then failed), or the write error while writes are failing (the event
  // stays queued and is written when the writer's retry succeeds). `seq`, when not null,
  // receives the event's seq once it is queued (so also when the wait then fails).
  Status EmitDurable(Event event, std::uint64_t* seq = nullptr);
  Status EmitDurable(Event event, const EmitOptions& options, std::uint64_t* seq = nullptr);

  // Waits until every record with seq <= `seq` is durable, or `timeout` passes (kTimeout).
  // It does not hurry the writer: the flush mode decides when the fsync happens (use
  // Flush() to force one). kInvalidArgument when `seq` was never handed out.
  Status WaitDurable(std::uint64_t seq, std::chrono::milliseconds timeout);

  // Makes everything emitted before the call durable: forces an fsync (shared with other
  // callers) and waits for it. Errors as for EmitDurable.
  Status Flush();

  // Refuses further Emits, drains the queue, writes, fsyncs, closes and joins the writer.
  // Idempotent: later calls return the first call's result. Must not be called from
  // Config::on_error (kFailedPrecondition).
  Status Shutdown();

  // A consistent snapshot of the counters; cheap, thread-safe.
  Stats GetStats() const;
  // The same counters in the Prometheus text exposition format.
  std::string MetricsText() const;

 private:
  struct Impl;
  friend class internal::LoggerTestPeer;
  explicit Logger(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace auditlog
