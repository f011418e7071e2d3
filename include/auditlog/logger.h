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
#include <string>

#include "auditlog/config.h"
#include "auditlog/events.h"
#include "auditlog/stats.h"
#include "auditlog/status.h"

namespace auditlog {

class Logger {
 public:
  // Opens (or creates) the log in config.mode. Fails with kInvalidArgument for a bad config,
  // kFailedPrecondition when another Logger holds the directory, kIOError for I/O errors.
  static Result<std::unique_ptr<Logger>> Open(const Config& config);

  // Calls Shutdown().
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  // Validates, sequences and queues `event`; returns its seq without waiting for I/O.
  // Errors: kInvalidArgument (names the field), kBufferFull (queue full, reject policy),
  // kTimeout (queue full, block policy), kDiskSpaceLow, kFailedPrecondition (after
  // Shutdown, or after an unrecoverable I/O error). A failed Emit consumes no seq.
  Result<std::uint64_t> Emit(Event event);

  // Emit, then wait until the event is durable: fsync'ed, and for a new segment its
  // directory entry too.
  Status EmitDurable(Event event);

  // Waits until every record with seq <= `seq` is durable, or `timeout` passes (kTimeout).
  Status WaitDurable(std::uint64_t seq, std::chrono::milliseconds timeout);

  // Makes everything emitted before the call durable.
  Status Flush();

  // Drains the queue, fsyncs, closes and joins the writer. Idempotent.
  Status Shutdown();

  // A consistent snapshot of the counters; cheap, thread-safe.
  Stats GetStats() const;
  // The same counters in the Prometheus text exposition format.
  std::string MetricsText() const;

  struct Impl;

 private:
  explicit Logger(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace auditlog
