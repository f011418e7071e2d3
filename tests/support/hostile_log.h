// Helpers of the hostile-directory property test (tests/hostile_property_test.cc): a random
// but reproducible valid log written by the real Logger, a snapshot of what it holds, and
// random mutations of one file of its directory. Not thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "auditlog/status.h"

namespace auditlog::testing {

// Writes a valid log to the empty directory `dir` with the real Logger on a fake clock,
// shaped by `seed`: several size-rotated segments, the oldest archived by retention
// (archive_after_days = 0), closed plain ones after them, a quarantined torn tail and the
// log_recovered record naming it, and an active newest segment. Same seed, same bytes.
Status BuildRandomLog(const std::filesystem::path& dir, std::uint64_t seed);

// What a log directory holds, as the property's oracle compares it.
struct LogSnapshot {
  // (seq, hash, line) of every record a full Query returns, in order.
  struct Rec {
    std::uint64_t seq;
    std::string hash;
    std::string line;
    std::int64_t ts_micros;
    bool operator==(const Rec&) const = default;
  };
  std::vector<Rec> records;
  // The chained bytes: each segment's contents by segment name ("NAME.audit"), an archive's
  // decompressed (or "<unreadable>"). A segment present both plain and archived keeps the
  // plain file's bytes (it is authoritative).
  std::map<std::string, std::string> segments;
};

// Reads `dir` with QueryCursor (records) and directly (segments). An error when the query
// cannot run at all.
Result<LogSnapshot> TakeSnapshot(const std::filesystem::path& dir);
// The records of `all` stamped within [since, until] (what a ranged query must return).
std::vector<LogSnapshot::Rec> RecordsBetween(const std::vector<LogSnapshot::Rec>& all,
                                             std::int64_t since, std::int64_t until);

// Mutation kinds: byte- and file-level ones on any file, then targeted manifest attacks.
enum class MutationKind : int {
  kFlipByte,
  kTruncate,
  kAppendBytes,
  kAppendLineCopy,
  kDuplicateLine,
  kDeleteFile,
  kRenameFile,
  kSwapFiles,
  // Targeted manifest attacks:
  kManifestTimestamps,    // shift a segment's first/last_timestamp (issue 8 case 3)
  kManifestDeleteOldest,  // remove the oldest segment, mark it deleted (case 2)
  kManifestMistype,       // turn a numeric manifest member into a string (case 4)
  kCount,
};
inline constexpr int kFirstManifestAttack = static_cast<int>(MutationKind::kManifestTimestamps);

// Applies one random mutation of a kind in [0, kinds) to a random file of `dir`; returns
// what it did ("flip byte 123 of manifest.json (^0x20)"), or "" when it changed nothing.
std::string MutateDirectory(const std::filesystem::path& dir, std::mt19937_64& rng, int kinds);

}  // namespace auditlog::testing
