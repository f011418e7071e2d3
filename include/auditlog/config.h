// Config: everything a Logger is opened with. A plain struct; copy it freely.
//
// Example:
//   auditlog::Config config;
//   config.service_id = "queen";
//   config.mode = auditlog::LocalMode{"/var/lib/audit/queen"};
//   config.flush_mode = auditlog::Hybrid{.batch_size = 100, .batch_interval =
//   std::chrono::seconds(1),
//                                        .critical_immediate = true};
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <variant>

#include "auditlog/env.h"
#include "auditlog/export.h"
#include "auditlog/status.h"

namespace auditlog {

// Where records go.
struct LocalMode {
  std::filesystem::path dir{};  // the log directory; created 0700 if missing
};
// Home-lab mode: no thread, no file; every call returns at once. Not compliant.
struct DisabledMode {};
using Mode = std::variant<LocalMode, DisabledMode>;

// The three flush (fsync) policies. Writes happen promptly in every mode; the mode decides
// when the writer fsyncs and therefore what a power loss can take (docs/API.md, "Flush
// modes and loss windows").
//
// Immediate: nothing written stays un-fsynced; concurrent producers share each fsync.
struct Immediate {};
// Batched: fsync once `size` events are un-synced or the oldest un-synced event is
// `interval` old, whichever comes first (the writer wakes up for the deadline by itself).
struct Batched {
  std::size_t size = 1000;
  std::chrono::milliseconds interval = std::chrono::seconds(1);
};
// Hybrid: routine events as Batched; with critical_immediate, a critical event is fsync'ed
// (with every event before it) before the writer moves past it.
struct Hybrid {
  std::size_t batch_size = 100;
  std::chrono::milliseconds batch_interval = std::chrono::seconds(1);
  bool critical_immediate = true;
};
using FlushMode = std::variant<Immediate, Batched, Hybrid>;

// When the writer starts a new segment file. Both may be on.
struct RotationPolicy {
  bool daily = true;                   // at midnight UTC
  std::uint64_t size_limit_bytes = 0;  // 0: no size limit; otherwise rotate at this size

  static RotationPolicy Daily() { return {true, 0}; }
  static RotationPolicy SizeLimit(std::uint64_t bytes) { return {false, bytes}; }
  static RotationPolicy Both(std::uint64_t bytes) { return {true, bytes}; }
};

// Retention defaults: 7 years minimum (a common audit-record obligation), archive
// (compress) after 90 days.
struct RetentionPolicy {
  std::uint32_t min_retention_days = 2555;
  std::uint32_t archive_after_days = 90;
  std::uint32_t delete_after_days = 2555;
};

// What Emit does when the queue is full. Never a silent drop.
enum class OverflowPolicy : std::uint8_t {
  kReject,  // Emit returns kBufferFull at once (the original design's behaviour), and it is counted
  kBlock,   // Emit waits up to Config::block_timeout for room, then returns kTimeout
};

struct Config {
  // Names the emitting service in every record; [A-Za-z0-9._-], 1–64 bytes.
  std::string service_id{};
  Mode mode = LocalMode{};
  // Hybrid{100, 1 s, critical_immediate}: a bounded loss window, criticals durable at once.
  FlushMode flush_mode = Hybrid{};
  RotationPolicy rotation{};
  RetentionPolicy retention{};

  std::size_t queue_capacity_events = 1000;
  std::size_t queue_capacity_bytes = 10 << 20;
  OverflowPolicy overflow = OverflowPolicy::kReject;
  std::chrono::milliseconds block_timeout = std::chrono::seconds(1);

  // Longer string fields are cut at a UTF-8 boundary; the record keeps the original's length
  // and SHA-256.
  std::size_t max_field_bytes = 1024;
  // Below this much free space the writer suspends and Emit fails with kDiskSpaceLow.
  std::uint64_t min_free_bytes = 10 << 20;

  // Called once, from the writer thread, when the logger enters its failed state.
  std::function<void(const Status&)> on_error{};

  // File system and clock; nullptr: Env::Default(). Must outlive the Logger.
  Env* env = nullptr;
};

// Checks a service id: [A-Za-z0-9._-], 1–64 bytes.
AUDITLOG_EXPORT Status ValidateServiceId(std::string_view service_id);

}  // namespace auditlog
