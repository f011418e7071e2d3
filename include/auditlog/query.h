// Query: streaming search over the records of a log, for auditors and incident responders.
// A QueryCursor walks the log in seq order in constant memory (one segment chunk and one
// record at a time), whatever the log's size. Segments that lie entirely outside the
// query's time range are skipped after reading only their first and last record (the
// records' own timestamps, which Verify checks; never manifest.json's).
//
// A query reads; it does not verify. Hashes and chain links are checked by Verify().
// Thread-safety: a QueryCursor is used by one thread at a time; any number of cursors (and
// a Logger appending to the same log) may run concurrently, each segment being read up to
// the length it had when the cursor reached it.
//
// Example:
//   auditlog::Query q{.actor = "mallory", .critical_only = true};
//   auto cursor = auditlog::QueryCursor::Open("/var/lib/audit/queen", q);
//   if (!cursor.ok()) return cursor.status();
//   auditlog::Record r;
//   for (;;) {
//     auto more = (*cursor)->Next(&r);
//     if (!more.ok()) return more.status();
//     if (!*more) break;
//     std::cout << r.line << "\n";   // the exact record line, JSON
//   }
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auditlog/env.h"
#include "auditlog/events.h"
#include "auditlog/export.h"
#include "auditlog/status.h"

namespace auditlog {

// What to look for. Every filter that is set must match (AND); an unset filter matches
// everything. String comparisons are exact (case-sensitive) on the decoded JSON value.
struct Query {
  // The principal the event is about. Matches the event's
  //   actor.user_id        (who acted: most events),
  //   attempted_user       (auth_failure: who tried to log in),
  //   requester            (gdpr_data_access_request: who asked),
  //   subject              (permission_changed: whose permissions changed).
  std::optional<std::string> actor{};
  // A resource the event concerns. Matches resource.resource_id, resource.parent_id,
  // model_ref, and every top-level string member of the event whose name ends in "_id"
  // (pool_id, task_id, node_id, shard_id, job_id, customer_id, worker_id, provider_id,
  // resource_id, ... and such members of custom events), except service_id.
  std::optional<std::string> resource_id{};
  // Event type names ("auth_failure"); empty: every type.
  std::vector<std::string> event_types{};
  // Inclusive bounds on the record's timestamp.
  std::optional<Time> start_time{};
  std::optional<Time> end_time{};
  // Only records marked "critical": true.
  bool critical_only = false;
  // Stop after this many matching records.
  std::optional<std::uint64_t> limit{};
};

struct QueryOptions {
  Env* env = nullptr;  // nullptr: Env::Default(); must outlive the cursor
};

// One record of the log. Next() reuses the strings' capacity, so reading many records into
// the same Record does not allocate in steady state.
struct Record {
  std::uint64_t seq = 0;
  std::string audit_id{};
  std::string timestamp{};     // as stored: "2026-11-27T00:57:42.123456Z"
  std::int64_t ts_micros = 0;  // the same, in microseconds since the Unix epoch (UTC)
  std::string service_id{};
  bool critical = false;
  std::string event_type{};
  std::string event_json{};      // the raw JSON text of the "event" member
  std::string sanitized_json{};  // the raw JSON array of the "sanitized" member; empty if none
  std::string prev_hash{};
  std::string hash{};
  std::string line{};         // the exact record line (JSON), without its '\n'
  std::string segment{};      // segment file name
  std::uint64_t line_no = 0;  // 1-based line number in that segment

  bool sanitized() const { return !sanitized_json.empty(); }
};

class AUDITLOG_EXPORT QueryCursor {
 public:
  // Lists the log's segments and prepares the walk. kInvalidArgument when start_time is
  // after end_time or limit is 0; kNotFound when `dir` does not exist; kIOError.
  static Result<std::unique_ptr<QueryCursor>> Open(const std::filesystem::path& dir,
                                                   const Query& query,
                                                   const QueryOptions& options = {});
  ~QueryCursor();
  QueryCursor(const QueryCursor&) = delete;
  QueryCursor& operator=(const QueryCursor&) = delete;

  // Fills `*record` with the next matching record (in seq order) and returns true; false
  // when there is none left (or the limit is reached). An I/O error is returned as a
  // Status; lines that are not well-formed records are skipped and counted
  // (malformed_lines()), as is a torn last line.
  Result<bool> Next(Record* record);

  // Counters, for reporting what the walk saw.
  std::uint64_t records_scanned() const;  // well-formed records looked at
  std::uint64_t records_matched() const;
  std::uint64_t malformed_lines() const;  // complete lines that are not valid records
  std::uint64_t torn_segments() const;    // segments ending in an incomplete line
  std::uint64_t segments_total() const;
  std::uint64_t segments_skipped() const;  // skipped by time range (only their first and
                                           // last record read)
  std::uint64_t bytes_read() const;

 private:
  struct Impl;
  explicit QueryCursor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Which end of a date-only argument ParseTime should use.
enum class TimeBound : std::uint8_t {
  kStart,  // "2026-11-27" means 2026-11-27T00:00:00.000000Z
  kEnd,    // "2026-11-27" means 2026-11-27T23:59:59.999999Z (the whole day is included)
};

// Parses an RFC 3339 date-time ("2026-11-27T10:00:00Z", "2026-11-27T10:00:00.5+02:00";
// 'T' may be 't' or a space, 'Z' may be 'z') or a date ("2026-11-27", UTC). kInvalidArgument
// for anything else (the message describes the expected forms, never echoing the input).
AUDITLOG_EXPORT Result<Time> ParseTime(std::string_view text, TimeBound bound = TimeBound::kStart);

// Microseconds since the Unix epoch of `t` (and back), the unit of record timestamps.
AUDITLOG_EXPORT std::int64_t TimeToMicros(Time t);
AUDITLOG_EXPORT Time MicrosToTime(std::int64_t micros);
// "2026-11-27T00:57:42.123456Z", the record timestamp form.
AUDITLOG_EXPORT std::string FormatTime(Time t);

}  // namespace auditlog
