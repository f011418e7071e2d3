// LogBuilder: writes test logs directly through internal::RecordWriter, with timestamps the
// test chooses, rotations on demand and hand-made (hostile) lines. For tests of the readers
// (query, tail, stats, export, verify). Not thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "auditlog/events.h"
#include "auditlog/status.h"
#include "storage/record_writer.h"

namespace auditlog::testing {

class LogBuilder {
 public:
  // Opens (or continues) the log in `dir`; every Open starts a new segment.
  static Result<std::unique_ptr<LogBuilder>> Open(const std::filesystem::path& dir,
                                                  const std::string& service_id = "queen");
  ~LogBuilder();

  // Appends `event` stamped `ts_micros`; returns its seq.
  Result<std::uint64_t> Add(const Event& event, std::int64_t ts_micros);
  // A record the library writes of its own accord (log_recovered, segment_deleted, ...).
  Result<std::uint64_t> Add(const SystemEvent& event, std::int64_t ts_micros);
  // Appends a record whose "event" member is `event_json` verbatim (it may hold JSON escapes
  // or raw bytes the library itself would never write). The record is correctly framed
  // and hash-chained.
  Result<std::uint64_t> AddRawEvent(std::string_view event_json, std::int64_t ts_micros,
                                    bool critical = false);
  Status Rotate();
  Status Close();

  std::uint64_t next_seq() const { return writer_->next_seq(); }
  const std::string& last_hash() const { return writer_->last_hash(); }
  const std::filesystem::path& segment_path() const { return writer_->segment_path(); }

 private:
  explicit LogBuilder(std::unique_ptr<internal::RecordWriter> w) : writer_(std::move(w)) {}
  Result<std::uint64_t> AddEncoded(const internal::EncodedEvent& encoded, std::int64_t ts_micros);
  std::unique_ptr<internal::RecordWriter> writer_;
  std::string batch_;
};

// 2026-11-27T00:00:00Z plus `seconds`, in microseconds.
std::int64_t TestTime(std::int64_t seconds);

}  // namespace auditlog::testing
