// The log directory's names: the ONE place that knows which file names belong to a log
// (segments, archives, checksums, quarantine files, the manifest, the lock, temporaries),
// validates names read from disk against the grammar the writer makes, and turns a validated
// name into a path. Every name that comes from the directory listing or from manifest.json
// is hostile input until one of these functions accepted it: a name that passes contains no
// '/', no "..", no NUL, and resolves to a file directly inside the log directory.
// docs/FORMAT.md §1 and §9.1 describe the names. Thread-safe (no state).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auditlog/env.h"
#include "auditlog/status.h"

namespace auditlog::internal {

inline constexpr std::string_view kSegmentSuffix = ".audit";
inline constexpr std::string_view kArchiveSuffix = ".zst";      // NAME.audit.zst
inline constexpr std::string_view kChecksumSuffix = ".sha256";  // NAME.audit.sha256
inline constexpr std::string_view kTornMarker = ".torn-";       // NAME.audit.torn-OFFSET
inline constexpr std::string_view kTempSuffix = ".tmp";  // manifest.json.tmp, NAME.sha256.tmp
inline constexpr std::string_view kManifestFileName = "manifest.json";
inline constexpr std::string_view kLockFileName = "LOCK";
// The largest segment index: the index is exactly 10 decimal digits.
inline constexpr std::uint64_t kMaxSegmentIndex = 9'999'999'999;

// Segment file names: 10-digit zero-padded index, creation date (UTC), ".audit", e.g.
// "0000000001-2026-11-27.audit". The fixed-width index makes names sort in log order. The
// result is a valid name (IsValidSegmentName) only for 1 <= index <= kMaxSegmentIndex and a
// date in the years 0000-9999: callers creating a segment check it.
std::string SegmentFileName(std::uint64_t index, std::int64_t created_micros);
// The index of a segment file name, or nullopt if `name` is not one: exactly 10 digits
// (index >= 1), '-', a real calendar date YYYY-MM-DD (proleptic Gregorian, leap years
// included), ".audit". Nothing else (no '/', "..", NUL, other case, other lengths).
std::optional<std::uint64_t> ParseSegmentFileName(std::string_view name);
inline bool IsValidSegmentName(std::string_view name) {
  return ParseSegmentFileName(name).has_value();
}

// Companion names of segment `segment` (REQUIRES: a valid segment name).
std::string ArchiveFileName(std::string_view segment);                           // NAME.zst
std::string ChecksumFileName(std::string_view segment);                          // NAME.sha256
std::string QuarantineFileName(std::string_view segment, std::uint64_t offset);  // NAME.torn-N
// True when `archive` is exactly ArchiveFileName(segment) of a valid segment name.
bool IsValidArchiveName(std::string_view archive, std::string_view segment);

// NAME.torn-OFFSET: a valid segment name, ".torn-", and OFFSET in decimal as the writer
// makes it (no sign, no leading zero unless "0", fits in 64 bits).
struct QuarantineName {
  std::string_view segment;  // points into the parsed name
  std::uint64_t offset = 0;
};
std::optional<QuarantineName> ParseQuarantineFileName(std::string_view name);

// What a directory entry's name says it is.
enum class LogFileKind : std::uint8_t {
  kSegment,     // NAME (a valid segment name)
  kArchive,     // NAME.zst
  kChecksum,    // NAME.sha256
  kQuarantine,  // NAME.torn-OFFSET
  kManifest,    // manifest.json
  kLock,        // LOCK
  kTemp,        // manifest.json.tmp or NAME.sha256.tmp
  kOther,       // not a log file name (ignored by readers; never opened)
};
struct LogFileName {
  LogFileKind kind = LogFileKind::kOther;
  std::string_view segment;  // kSegment/kArchive/kChecksum/kQuarantine: the segment's name
  std::uint64_t index = 0;   // its index
  std::uint64_t offset = 0;  // kQuarantine: OFFSET
};
LogFileName ClassifyLogFileName(std::string_view name);

// THE way a name read from disk (directory listing, manifest.json, a record) becomes a path:
// `dir / name` when `name` is one of the log's file names (any kind but kOther), else
// kCorruption naming it. Nothing outside `dir` can be reached through it.
Result<std::filesystem::path> LogFilePath(const std::filesystem::path& dir, std::string_view name);

// One segment as the directory listing shows it: its plain file, its archive, or both.
struct ListedSegment {
  std::uint64_t index = 0;
  std::string name;      // the ".audit" name
  bool plain = false;    // NAME exists
  bool archive = false;  // NAME.zst exists
};
// THE listing of a log's segments: every valid segment name that exists as NAME or NAME.zst,
// sorted by (index, name). Two names with the same index (not something a writer makes) are
// both listed, so that no reader silently prefers one. Other entries are ignored. kNotFound
// when `dir` does not exist, kIOError when it cannot be read.
Result<std::vector<ListedSegment>> ListSegmentNames(Env* env, const std::filesystem::path& dir);

}  // namespace auditlog::internal
