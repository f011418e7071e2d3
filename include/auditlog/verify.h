// Verify: checks that a log directory is exactly what the writer produced. Every finding is
// collected (not just the first), with the file, line, byte offset and seq where it was seen.
// Thread-safe: Verify() shares no state between calls, and it may run while a Logger appends
// to the same log (each segment is read up to the length it had when it was opened).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auditlog/env.h"
#include "auditlog/export.h"
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
  // Checks against manifest.json (full verification only):
  kSegmentMissing,        // a segment the manifest lists is not in the directory
  kSegmentUnexpected,     // a segment file the manifest does not list (added or renamed)
  kChecksumMismatch,      // a closed segment, archive, NAME.sha256 or quarantine file changed
  kManifestMismatch,      // records missing at the end of a closed segment, or a replaced
                          // segment; or manifest.json missing or unreadable
  kQuarantineUnrecorded,  // a NAME.torn-OFFSET file no log_recovered record accounts for
  // Sealed logs (docs/FORMAT.md §12.7), full verification only:
  kSealBroken,       // a seal that does not match the records (coverage, chain, Merkle root,
                     // previous tag, log_id), or a malformed seal record
  kSealTagMismatch,  // a seal's tag is not the MAC of its epoch's key (verification key given)
  kSealGap,          // seals missing: an epoch gap no seal explains, epochs not increasing,
                     // a first seal not at epoch 0, records of a sealed log that no seal covers
  kSealWindow,       // a record stamped outside its seal's time window
  kSealIncident,     // the writer recorded a sealing incident (its seal state replaced, the
                     // log cut back under it): an integrity_violation about "seal_state"
};
// "malformed_record", "hash_mismatch", "chain_broken", "seq_gap", "duplicate_audit_id",
// "torn_tail", "bad_segment", "segment_missing", "segment_unexpected", "checksum_mismatch",
// "manifest_mismatch", "quarantine_unrecorded", "seal_broken", "seal_tag_mismatch",
// "seal_gap", "seal_window", "seal_incident".
AUDITLOG_EXPORT std::string_view FindingKindName(FindingKind kind);

struct Finding {
  FindingKind kind{};
  std::string file{};                  // segment file name (relative to the log directory)
  std::uint64_t line = 0;              // 1-based line number in that file (0: not about one line)
  std::uint64_t offset = 0;            // byte offset of the line in that file
  std::optional<std::uint64_t> seq{};  // the record's seq, when it could be read
  std::string reason{};                // at most kMaxFindingReasonBytes (cut with "...")
  // The same finding on a run of consecutive lines of `file` is kept once: `line` is the
  // run's first line (`offset` and `seq` are that line's), `last_line` its last, and
  // `reason` then starts with "lines X-Y: ". 0 for a finding about one line (or none).
  std::uint64_t last_line = 0;
};

// Threads Verify uses at most, whatever VerifyOptions::threads says.
inline constexpr unsigned kMaxVerifyThreads = 64;
// Findings Verify keeps by default (VerifyOptions::max_findings).
inline constexpr std::size_t kDefaultMaxFindings = 1000;
inline constexpr std::size_t kMaxFindingReasonBytes = 1024;

// How far a Verify run has got; see VerifyOptions::progress.
struct VerifyProgress {
  std::uint64_t bytes_done = 0;   // bytes read so far (including skipped lines before a range)
  std::uint64_t bytes_total = 0;  // bytes of the segments to read (snapshotted at the start)
  std::uint64_t records_done = 0;
  double elapsed_seconds = 0;
};

struct VerifyOptions {
  Env* env = nullptr;  // nullptr: Env::Default(); must outlive the call

  // Which records to verify; by default all. At most one of `last_n` and since/until may be
  // set (kInvalidArgument otherwise). A range is verified from an anchored record: the
  // record just before it is read (not itself verified) and its stored hash must be the
  // first record's prev_hash, so a range's chain link is still checked across its boundary.
  std::optional<std::uint64_t> last_n{};  // the last N complete lines of the log
  // The contiguous run of records from the first one stamped at or after `since` up to
  // (excluding) the first one stamped after `until`. Either bound may be left open.
  std::optional<std::chrono::system_clock::time_point> since{}, until{};

  // Threads that parse and hash in parallel (the chain check stays sequential); 0: one
  // per core, at most 8; more than kMaxVerifyThreads: kMaxVerifyThreads. Logs under 8 MiB
  // are verified on the calling thread, and so is everything when no thread can be started.
  unsigned threads = 0;

  // Findings kept in the report (runs of one finding on consecutive lines count once);
  // the rest are only counted (VerifyReport::findings_dropped). Must be at least 1. A torn
  // tail is always kept, so findings_dropped > 0 means tampering.
  std::size_t max_findings = kDefaultMaxFindings;

  // Called on the calling thread about every 100 ms while a large log is being read.
  std::function<void(const VerifyProgress&)> progress{};

  // A sealed log's verification key ("alsk1:…", as InitSealing printed it; surrounding
  // whitespace is ignored). With it every seal's tag is checked, and the epochs against the
  // key's schedule; without it only the seals' structure, chain and Merkle roots
  // (VerifyReport::seal.tags_checked says which). Full verification only. A malformed key
  // is kInvalidArgument (the message never quotes it).
  std::string seal_key{};
};

// What Verify found out about a sealed log's seals (docs/FORMAT.md §12.7).
struct SealReport {
  bool sealed = false;        // DIR/seal exists, a seal record was found, or a key was given
  bool tags_checked = false;  // a verification key was given and every seal's tag checked
  std::uint64_t seals = 0;
  std::uint64_t sealed_through = 0;  // records 1..sealed_through are covered by a seal
  // Records after the last seal (the seal's own record included), their newest timestamp,
  // and the last seal's timestamp (0 when there is none).
  std::uint64_t unsealed_records = 0;
  std::int64_t last_seal_micros = 0;
  std::int64_t last_record_micros = 0;
  // The last record is a shutdown seal: the last writer closed the log cleanly.
  bool clean_end = false;
  // The log looks written to right now: its unsealed records are younger than one interval
  // (plus a second of write time) and its last seal younger than the longest allowed gap.
  bool live = false;
  // Writers that began after an unclean end (a resume seal not after a shutdown seal).
  std::uint64_t unclean_restarts = 0;
  std::uint32_t interval_ms = 0;  // from the key (or the state file when no key was given)
  // Sealed, intact so far, but neither cleanly shut down nor live: a crash, a power loss —
  // or a truncation that only an external anchor (platform copy, checkpoint) can prove.
  bool unclean_end() const { return sealed && !clean_end && !live; }
};

struct AUDITLOG_EXPORT VerifyReport {
  std::vector<Finding> findings{};     // in the order found, at most VerifyOptions::max_findings
  std::uint64_t findings_dropped = 0;  // findings found beyond that cap (not kept)
  std::uint64_t segments = 0;
  std::uint64_t records = 0;  // complete record lines read
  std::uint64_t critical_records = 0;
  std::uint64_t bytes = 0;
  std::optional<std::uint64_t> first_seq{}, last_seq{};
  std::string first_timestamp{}, last_timestamp{};
  std::string last_hash{};   // hash of the last record: an anchor to publish
  std::string first_hash{};  // hash of the first record verified

  // Ranged modes (last_n, since/until): the record just before the range, whose stored
  // hash anchored the first verified record's prev_hash. Unset when the range starts at
  // the log's first record (then the anchor is the genesis value).
  bool ranged = false;
  std::optional<std::uint64_t> anchor_seq{};
  std::string anchor_hash{};

  SealReport seal{};  // full runs of sealed logs

  // No finding at all.
  bool intact() const { return findings.empty() && findings_dropped == 0; }
  // Findings other than a torn tail: evidence of tampering or corruption.
  bool tampered() const;
  bool torn_tail() const;
};

// Verifies every record of every segment in `dir` (or the range `options` selects): line
// form, hash, chain link, seq contiguity, audit_id uniqueness and JSON validity. Memory is
// bounded whatever the directory holds (lines over kMaxRecordBytes are findings, findings
// are capped). A log that changes under the run (rotation, retention archiving segments)
// is followed; when files came or went during a run that found something, the run is
// repeated (at most twice more) so that a healthy log is never reported as damaged. Findings
// are part of the report; the Status is an error only when the log cannot be read at all
// (kNotFound, kIOError) or the options are contradictory (kInvalidArgument). Large logs
// are parsed and hashed on several threads; findings and counts are the same as a
// sequential run's.
// Example:
//   auto report = auditlog::Verify("/var/lib/audit/queen");
//   if (!report.ok()) ...;               // I/O error
//   else if (!report->intact()) ...;     // findings
AUDITLOG_EXPORT Result<VerifyReport> Verify(const std::filesystem::path& dir,
                                            const VerifyOptions& options = {});

}  // namespace auditlog
