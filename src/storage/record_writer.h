// RecordWriter: the synchronous core that appends hash-chained records to segment files and
// keeps the storage trustworthy: it holds the directory lock, recovers a torn tail left by a
// crash, rotates segments, checksums closed ones and maintains manifest.json. It frames,
// writes and fsyncs as separate steps so that the writer engine (logger.cc) decides when
// each happens. Not thread-safe: one writer thread owns it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auditlog/config.h"
#include "auditlog/env.h"
#include "auditlog/events.h"
#include "auditlog/status.h"
#include "format/event_codec.h"
#include "format/manifest.h"
#include "util/sha256.h"

namespace auditlog::internal {

// The largest seq a writer writes (the Logger hands out no more either): a log whose last
// record has it cannot continue, and nothing ever wraps to seq 0.
inline constexpr std::uint64_t kMaxSeq = std::numeric_limits<std::uint64_t>::max() - 1;

// The error for a log whose `what` (e.g. "the last record") has seq `seq` >= kMaxSeq.
Status SeqExhausted(const std::string& what, std::uint64_t seq);

// Where the chain stands: the next seq to write and the hash of the last record written.
struct ChainState {
  std::uint64_t next_seq = 1;
  std::string last_hash = std::string(64, '0');
  std::int64_t last_ts_micros = 0;
  std::uint64_t last_segment_index = 0;  // 0: no segment yet
  // The index of the segment file holding the last record (0: no file holds a record).
  std::uint64_t last_record_segment_index = 0;
};

// A torn tail found at open: bytes after the last complete line of the newest segment.
struct TornTail {
  std::filesystem::path segment;
  std::uint64_t offset = 0;
  std::string bytes;
};

// Reads the segments in `dir` and returns where the chain stands after the last complete
// record. If the newest segment ends in an incomplete line, `*torn` receives it (when
// `torn` is null, that is an error).
Result<ChainState> ReadChainState(Env* env, const std::filesystem::path& dir,
                                  TornTail* torn = nullptr);

// One retention step on a closed segment. Ages and the seq/hash facts come from the
// segment's own records (read from the file, hash-checked), never from the manifest.
struct RetentionAction {
  enum Kind : std::uint8_t { kArchive, kDelete };
  Kind kind;
  std::string segment;
  std::uint64_t age_days;  // since the segment's last record (by that record's timestamp)
  // kDelete: the segment's first and last record (0 / empty when it holds none).
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  std::string last_hash;
};

// Checks every segment entry of `manifest` against the one segment-name grammar before
// anything acts on it: `name` exactly as the writer makes it (SegmentFileName: 10-digit
// index >= 1, a real calendar date, ".audit"; so no '/', no "..", no absolute path), `index`
// equal to the index in the name, and for an archived entry an archive name of exactly
// NAME + ".zst". kCorruption naming the entry (escaped) otherwise.
Status ValidateManifestSegmentNames(const Manifest& manifest);

// What the manifest alone claims the policy asks for at `now_micros` (ages by the entries'
// last_timestamp): archive closed segments older than archive_after_days; delete segments
// older than both delete_after_days and min_retention_days, oldest first and only as a
// prefix. Unchecked input: used only as a pre-filter (it can only hold retention back);
// what is done comes from the overload below.
std::vector<RetentionAction> PlanRetention(const Manifest& manifest, const RetentionPolicy& policy,
                                           std::int64_t now_micros);

// The plan for the log in `dir`, trusting only the segment files: walks the segment files
// (ListLogSegments) in log order and takes each one's age from its last record's timestamp
// (the line is parsed and hash-checked, and must link to the next segment's first record).
// A segment holding no record takes the age of the next one. Stops at the first active
// segment, at a file the manifest does not list, and (for deletions) at the first segment
// too young. Errors: kCorruption for a manifest entry that fails
// ValidateManifestSegmentNames or a segment whose evidence cannot be trusted (nothing is
// planned then), kIOError.
Result<std::vector<RetentionAction>> PlanRetention(Env* env, const std::filesystem::path& dir,
                                                   const Manifest& manifest,
                                                   const RetentionPolicy& policy,
                                                   std::int64_t now_micros);

// `auditlog retention --apply`: applies `policy` at `now_micros` to the log in `dir`, which
// no writer may hold (it takes the lock), and records each action in the chain; a deleted
// segment's record is durable before its files are removed. The manifest's service_id
// (which frames the records) must pass ValidateServiceId, else kCorruption and nothing
// changes. Returns the number of actions done and recorded.
Result<std::size_t> ApplyRetentionToLog(Env* env, const std::filesystem::path& dir,
                                        const RetentionPolicy& policy, std::int64_t now_micros);

class RecordWriter {
 public:
  struct Options {
    Env* env = nullptr;  // must outlive the writer
    std::filesystem::path dir;
    std::string service_id;  // REQUIRES: validated [A-Za-z0-9._-]{1,64}
    RotationPolicy rotation = RotationPolicy{false, 0};
    std::uint64_t min_free_bytes = 0;  // 0: no free-space check before writes
    std::size_t max_field_bytes = 1024;
  };

  // Creates `dir` (0700) if needed, takes its lock (LOCK, flock), resumes the chain from the
  // existing segments, quarantines a torn tail (NAME.torn-OFFSET) and records it with a
  // critical log_recovered record, closes and checksums the previous process's segment,
  // and starts a new segment (every process writes into segments of its own; the chain
  // continues across them). Errors: kFailedPrecondition when another writer holds the
  // lock (naming its pid), kCorruption when the last record cannot be trusted, kIOError.
  static Result<std::unique_ptr<RecordWriter>> Open(const Options& options);

  ~RecordWriter();
  RecordWriter(const RecordWriter&) = delete;
  RecordWriter& operator=(const RecordWriter&) = delete;

  std::uint64_t next_seq() const { return chain_.next_seq; }
  const std::string& last_hash() const { return chain_.last_hash; }
  std::int64_t last_ts_micros() const { return chain_.last_ts_micros; }
  // The timestamp of the last record framed into the current segment; nullopt while it has
  // none. The caller keeps a segment's timestamps non-decreasing (rotating at a clock step).
  std::optional<std::int64_t> segment_last_ts_micros() const {
    if (segment_records_ == 0) return std::nullopt;
    return chain_.last_ts_micros;
  }

  // Appends the framed line for `event` (seq = next_seq()) to `*batch` and advances the
  // chain. Nothing is written yet.
  void Frame(std::int64_t ts_micros, const EncodedEvent& event, std::string* batch);
  // Encodes a system event (log_recovered, …) and frames it, its timestamp clamped to the
  // current segment's last record (not to an earlier segment's). Fails only on a bug.
  Status FrameSystemEvent(std::int64_t ts_micros, const LibraryEvent& event, std::string* batch);

  // Appends framed lines to the current segment. Before writing, checks that free space
  // would stay above min_free_bytes (else kDiskSpaceLow, nothing written). On a failed or
  // short write the segment is cut back to its previous size, so it never holds a partial
  // record, and the same batch may be written again later. If even the cut fails the
  // writer becomes unusable (sticky error).
  Status Write(std::string_view batch);

  // Makes everything written durable: fsyncs the segment, and the directory when the segment
  // is new. A failed fsync is sticky: the writer refuses all later calls.
  Status Sync();

  // True when the rotation policy asks for a new segment at `now_micros` (the UTC day
  // changed since the segment was created, or it reached the size limit).
  bool RotationDue(std::int64_t now_micros) const;

  // Crash-safe rotation: fsync the current segment, close it, write its checksum file and
  // manifest entry, create the next segment, fsync the directory, save the manifest.
  // Resumable: a kDiskSpaceLow (ENOSPC, EDQUOT) at any step leaves the writer usable, with
  // the rotation stopped at that step; the next Rotate() goes on from there (each step is
  // idempotent), and Write()/Sync() refuse until it has succeeded. Any other error is sticky.
  Status Rotate();
  // True while a rotation stopped by a full disk waits to be finished by Rotate().
  bool rotation_pending() const { return rotation_step_ != RotationStep::kNone; }

  // True when the active segment's path no longer names the file being written (it was
  // deleted or replaced). The caller then rotates and records an integrity_violation.
  Result<bool> ActiveSegmentReplaced() const;

  // Applies `policy` at `now_micros` (see PlanRetention(env, dir, …)), finishing any
  // archival a crash interrupted (only when the archive decompresses to exactly the plain
  // file's bytes). An archive is made only if the file still has the checksum the manifest
  // recorded (else kCorruption, nothing changed). Appends one segment_archived /
  // segment_deleted event per action to `*records`, for the caller to record (even when a
  // later action failed). Archives are made at once; a deletion only waits: its segment's
  // files are removed (and its manifest entry marked deleted) once its segment_deleted
  // record has been framed, written and fsync'ed by this writer (checked after each
  // successful Sync()), so the chain always names a deletion before it happens. A deletion
  // whose record was not framed by the next call is planned afresh. Also returns (first) the
  // error of a deletion that failed to complete since the last call.
  Status ApplyRetention(const RetentionPolicy& policy, std::int64_t now_micros,
                        std::vector<LibraryEvent>* records);

  // Syncs, closes and checksums the segment (finishing a pending rotation's close) and
  // marks the manifest as cleanly shut down. Idempotent; after kDiskSpaceLow it may be
  // called again (it goes on from where it stopped).
  Status Close();

  const std::filesystem::path& segment_path() const { return segment_path_; }
  std::uint64_t segment_bytes() const;
  std::uint64_t segment_index() const { return chain_.last_segment_index; }
  const Manifest& manifest() const { return manifest_; }
  // Records written into the current process's segments (including recovery records).
  const Status& sticky_error() const { return sticky_; }
  // The error of a retention deletion that could not complete after a Sync() (ok if none).
  const Status& retention_error() const { return retention_error_; }

 private:
  explicit RecordWriter(const Options& options) : options_(options) {}
  Status Recover(const TornTail& torn);
  Status CloseSegmentEntry(SegmentEntry* entry, const std::string& sha256, std::uint64_t bytes);
  Status CheckUnlistedSegments() const;
  Status ResolveChainAnchor();
  Status ReconcileManifest();
  Status StartSegment();
  Status FinishSegment();
  // Sets the fields of a segment entry being closed (state, checksum, bytes, closed_at).
  void MarkSegmentClosed(SegmentEntry* entry, const std::string& sha256, std::uint64_t bytes);
  Status WriteChecksumFile(const SegmentEntry& entry);
  // Makes `s` sticky unless it is OK or a full disk (which a later Rotate() retries).
  Status StickyUnlessDiskFull(Status s);
  Status RotationPendingError() const;

  // How far an interrupted rotation got: kChecksum (the old segment is closed in memory, its
  // NAME.sha256 is still to write), kStart (the next segment is still to create), kManifest
  // (the next segment exists; the manifest naming it is still to save).
  enum class RotationStep : std::uint8_t { kNone, kChecksum, kStart, kManifest };
  // Retention (retention.cc).
  Status FinishInterruptedArchivals();
  Status ArchiveSegment(const RetentionAction& action, std::vector<LibraryEvent>* records);
  void NoteFramed(std::string_view body);
  // Removes the segments whose segment_deleted record is durable (seq <= synced_seq_).
  Status CompleteDeletions();

  Options options_;
  std::unique_ptr<FileLock> lock_;
  ChainState chain_;
  Manifest manifest_;
  std::unique_ptr<WritableFile> file_;
  std::filesystem::path segment_path_;
  std::int64_t segment_created_micros_ = 0;
  Sha256Stream segment_hash_;  // of every byte successfully written to the segment
  std::uint64_t segment_records_ = 0;
  std::uint64_t segment_first_seq_ = 0;
  std::string segment_first_hash_;
  std::int64_t segment_first_ts_ = 0;
  bool dir_sync_pending_ = false;
  RotationStep rotation_step_ = RotationStep::kNone;
  std::string closing_segment_;  // the segment a pending rotation is closing
  bool closed_ = false;
  Status sticky_;  // first unrecoverable error; every later call returns it
  // Deletions decided by ApplyRetention, waiting for their segment_deleted record to be
  // durable: the encoded record body (to recognise it in Frame) and its seq once framed.
  struct PendingDeletion {
    std::string segment;
    std::string body;
    std::uint64_t seq = 0;  // 0: not framed yet
    RetentionAction action;
  };
  std::vector<PendingDeletion> pending_deletions_;
  std::uint64_t written_seq_ = 0;  // last seq framed and successfully written
  std::uint64_t synced_seq_ = 0;   // last seq known fsync'ed
  Status retention_error_;         // a deletion that could not complete; ApplyRetention reports it
};

}  // namespace auditlog::internal
