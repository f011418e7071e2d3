// Verify: checks that a log directory is exactly what the writer produced. Every finding is
// collected (not just the first), with the file, line, byte offset and seq where it was seen.
// Thread-safe: Verify() shares no state between calls, and it may run while a Logger appends
// to the same log (each segment is read up to the length it had when it was opened).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auditlog/env.h"
#include "auditlog/status.h"

namespace auditlog {

enum class FindingKind : std::uint8_t {
  kMalformedRecord,   // not a well-formed version-1 record line (bad JSON, member, format)
  kHashMismatch,      // the stored hash is not the SHA-256 of the line's covered bytes
  kChainBroken,       // prev_hash is not the hash of the record before
  kSeqGap,            // seq is not one more than the seq before (missing, extra or moved lines)
  kDuplicateAuditId,  // an audit_id seen before
  kTornTail,          // the newest segment ends in an incomplete line (a crash, not tampering)
  kBadSegment,        // a segment file that cannot be read, or an incomplete line elsewhere
};
// "malformed_record", "hash_mismatch", "chain_broken", "seq_gap", "duplicate_audit_id",
// "torn_tail", "bad_segment".
std::string_view FindingKindName(FindingKind kind);

struct Finding {
  FindingKind kind;
  std::string file;  // segment file name (relative to the log directory)
  std::uint64_t line = 0;    // 1-based line number in that file (0: not about one line)
  std::uint64_t offset = 0;  // byte offset of the line in that file
  std::optional<std::uint64_t> seq;  // the record's seq, when it could be read
  std::string reason;
};

struct VerifyOptions {
  Env* env = nullptr;  // nullptr: Env::Default(); must outlive the call
};

struct VerifyReport {
  std::vector<Finding> findings;
  std::uint64_t segments = 0;
  std::uint64_t records = 0;           // complete record lines read
  std::uint64_t critical_records = 0;
  std::uint64_t bytes = 0;
  std::optional<std::uint64_t> first_seq, last_seq;
  std::string first_timestamp, last_timestamp;
  std::string last_hash;               // hash of the last record: an anchor to publish

  // No finding at all.
  bool intact() const { return findings.empty(); }
  // Findings other than a torn tail: evidence of tampering or corruption.
  bool tampered() const;
  bool torn_tail() const;
};

// Verifies every record of every segment in `dir`: line form, hash, chain link, seq
// contiguity, audit_id uniqueness and JSON validity. Findings are part of the report; the
// Status is an error only when the log cannot be read at all (kNotFound, kIOError).
// Example:
//   auto report = auditlog::Verify("/var/lib/audit/queen");
//   if (!report.ok()) ...;               // I/O error
//   else if (!report->intact()) ...;     // findings
Result<VerifyReport> Verify(const std::filesystem::path& dir, const VerifyOptions& options = {});

}  // namespace auditlog
