// Retention of a closed log: what the policy asks for (archive old closed segments with
// zstd, delete expired ones), and carrying it out. This is the code a running Logger applies
// at open and at each rotation (Config::retention), for a log directory no Logger holds:
// `auditlog retention` is a thin wrapper over it.
//
// Trust: the directory is treated as hostile. manifest.json's segment names must be exactly
// names the writer makes (no '/', "..", absolute path) or nothing is planned; ages come from
// each segment's own last record (parsed, hash-checked, and linked to the next segment's
// first record), never from the manifest's timestamps, which can only hold retention back;
// deletions only remove a prefix of the log, never a segment younger than
// min_retention_days; every file touched is one the directory listing found.
//
// Errors are a Status, never an exception: kNotFound when `dir` holds no manifest.json,
// kCorruption naming the manifest entry or segment file that cannot be trusted (then
// nothing is done), kFailedPrecondition when another process holds the log's lock
// (ApplyRetention), kIOError.
// Thread-safety: the functions share no state; ApplyRetention takes the directory lock, so
// it fails rather than race with a Logger or another ApplyRetention on the same log.
//
// Example:
//   auditlog::RetentionPolicy policy{.min_retention_days = 365, .archive_after_days = 30,
//                                    .delete_after_days = 365};
//   auto plan = auditlog::PlanRetention("/var/lib/audit/queen", policy);
//   if (!plan.ok()) return plan.status();
//   for (const auditlog::RetentionStep& step : *plan) std::cout << step.segment << "\n";
//   auto done = auditlog::ApplyRetention("/var/lib/audit/queen", policy);
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "auditlog/config.h"
#include "auditlog/env.h"
#include "auditlog/events.h"  // Time
#include "auditlog/export.h"
#include "auditlog/status.h"

namespace auditlog {

// One step the policy asks for, on one closed segment.
struct RetentionStep {
  enum class Kind : std::uint8_t {
    kArchive,  // compress NAME to NAME.zst (verified against the manifest's checksum)
    kDelete,   // remove the segment, after a segment_deleted record anchors the rest
  };
  Kind kind = Kind::kArchive;
  std::string segment{};       // the segment's file name (NNNNNNNNNN-YYYY-MM-DD.audit)
  std::uint64_t age_days = 0;  // since the segment's last record, by that record's timestamp
  // kDelete: seqs of the segment's first and last record and the last one's hash (0 / empty
  // for a segment holding no record), as its segment_deleted record will state them.
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  std::string last_hash{};
};

struct RetentionOptions {
  Env* env = nullptr;         // nullptr: Env::Default(); must outlive the call
  std::optional<Time> now{};  // ages are evaluated at this time; unset: env->NowMicros()
};

// What `policy` asks for at `options.now` on the log in `dir`, oldest segment first: archive
// closed segments older than archive_after_days; delete segments older than both
// delete_after_days and min_retention_days, only as a prefix of the log. Reads the segments;
// changes nothing.
AUDITLOG_EXPORT Result<std::vector<RetentionStep>> PlanRetention(
    const std::filesystem::path& dir, const RetentionPolicy& policy,
    const RetentionOptions& options = {});

// Carries out the plan (computed afresh, under the directory lock) and records every step in
// the log's chain (segment_archived, segment_deleted records); a segment's files are removed
// only once its segment_deleted record is durable. Also finishes an archival a crash
// interrupted. Returns the number of steps done and recorded. The manifest's service_id,
// which frames those records, must be valid (kCorruption otherwise, nothing changed).
AUDITLOG_EXPORT Result<std::size_t> ApplyRetention(const std::filesystem::path& dir,
                                                   const RetentionPolicy& policy,
                                                   const RetentionOptions& options = {});

}  // namespace auditlog
