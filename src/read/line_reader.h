// Reading a whole log: which files are its segments (in log order), cheap peeks at a
// segment's first and last records, and a line reader that walks complete lines segment after
// segment in bounded memory. Used by query, tail, stats, export and verify's ranged modes.
// Thread-compatible: each object is used by one thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auditlog/env.h"
#include "auditlog/status.h"

namespace auditlog::internal {

// One segment of a log, as found on disk.
struct SegmentFile {
  std::uint64_t index = 0;
  std::string name;            // the segment's ".audit" name (its identity in the log)
  std::filesystem::path path;  // the file to read: NAME, or NAME.zst when archived
  bool archived = false;       // path is a zstd archive of the segment
  // No time range here: readers learn it from the segment's own records (PeekTimeRange),
  // never from manifest.json, whose timestamps are not covered by the hash chain.
};

// THE function that lists a log's segment files, in log order (ascending index; built on
// log_dir.h's ListSegmentNames, so only valid segment names are listed). A segment whose
// ".audit" file is gone but whose "NAME.audit.zst" archive exists is listed as archived; when
// both exist (archival in progress) the plain file wins. Two names with one index are both
// listed (sorted by name). Other files are ignored. kNotFound when `dir` does not exist, kIOError
// when it cannot be read.
Result<std::vector<SegmentFile>> ListLogSegments(Env* env, const std::filesystem::path& dir);

// Opens a segment for reading (decompressing archived segments transparently).
Result<std::unique_ptr<ReadableFile>> OpenSegment(Env* env, const SegmentFile& segment);

// Cheap timestamp extraction from a record line, without a full parse. It relies on the
// fixed member order of version-1 lines; nullopt when the line does not have that shape.
std::optional<std::int64_t> ExtractTimestampMicros(std::string_view line);

// The first complete line of a segment (looked for in its first MiB); nullopt when the
// segment has no complete line there.
Result<std::optional<std::string>> PeekFirstLine(Env* env, const SegmentFile& segment);

// The timestamps of a segment's first and last complete records, read from the file itself
// (its first line, and its last complete line found from the end; each looked for within
// kPeekWindowBytes). Writers keep the timestamps within one segment non-decreasing
// (docs/FORMAT.md §3, "Clock steps") and Verify reports a segment that breaks the rule, so
// every record of the segment lies in [first_micros, last_micros]. nullopt when that cannot
// be relied on: no complete line, a line too long to find or without a readable timestamp,
// or a first record stamped after the last (the segment is not non-decreasing).
struct SegmentTimeRange {
  std::int64_t first_micros = 0;
  std::int64_t last_micros = 0;
};
inline constexpr std::size_t kPeekWindowBytes = 1 << 20;
Result<std::optional<SegmentTimeRange>> PeekTimeRange(Env* env, const SegmentFile& segment);

// Number of complete lines ('\n'-terminated) in a segment, counted up to its current length.
Result<std::uint64_t> CountLines(Env* env, const SegmentFile& segment);

// Reads the complete lines of one segment from a byte offset on, up to the file's length
// when it was opened (a file being appended to reads as a consistent snapshot). Bytes after
// the last '\n' are a torn (or still being written) line and are not returned.
// A line longer than kMaxRecordBytes (auditlog/limits.h) is never buffered: it is returned
// as an empty line with overlong() set (a record cannot be that long, so it is malformed),
// and reading resynchronises at the next '\n'. Memory stays under 2 * kMaxRecordBytes plus
// one chunk and time is linear in the bytes read, whatever the file holds.
class LineReader {
 public:
  // Opens `segment` and snapshots its length; reading starts at `offset` (which must be
  // the start of a line).
  static Result<std::unique_ptr<LineReader>> Open(Env* env, const SegmentFile& segment,
                                                  std::uint64_t offset = 0);

  // Sets `*line` (without '\n', valid until the next call) and `*offset` (its first byte);
  // false at the end of the snapshot. An overlong line (also one that runs to the end of
  // the snapshot without a '\n') is returned as an empty `*line` with overlong() true.
  Result<bool> Next(std::string_view* line, std::uint64_t* offset);
  // The line Next() returned last was longer than kMaxRecordBytes (its bytes are dropped).
  bool overlong() const { return overlong_; }

  std::uint64_t size() const { return size_; }
  // At the end: the bytes after the last complete line.
  std::uint64_t trailing_bytes() const { return size_ - end_of_lines_; }
  // The offset just past the last line returned.
  std::uint64_t end_of_lines() const { return end_of_lines_; }

 private:
  LineReader(std::unique_ptr<ReadableFile> file, std::uint64_t size, std::uint64_t offset)
      : file_(std::move(file)),
        size_(size),
        buf_offset_(offset),
        read_to_(offset),
        end_of_lines_(offset) {}

  static constexpr std::size_t kChunk = 1 << 20;

  std::unique_ptr<ReadableFile> file_;
  std::uint64_t size_;
  std::uint64_t buf_offset_;  // file offset of buf_[0]
  std::uint64_t read_to_;     // file offset up to which bytes are in buf_
  std::uint64_t end_of_lines_;
  std::string buf_;
  std::size_t pos_ = 0;           // start of the next line in buf_
  std::size_t scan_ = 0;          // buf_[pos_, scan_) holds no '\n' (never scanned twice)
  bool skipping_ = false;         // inside an overlong line, dropping its bytes
  std::uint64_t skip_start_ = 0;  // file offset of that line
  bool overlong_ = false;
  std::string chunk_;
};

}  // namespace auditlog::internal
