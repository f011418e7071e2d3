// The synchronous record writer: opening a log, segments, framing, writes, fsync, rotation
// and close; see record_writer.h and docs/FORMAT.md ("Manifest"). What Open() checks and
// recovers is in record_writer_recovery.cc.
#include "storage/record_writer.h"

#include <algorithm>
#include <limits>
#include <system_error>
#include <vector>

#include "format/log_dir.h"
#include "format/record_format.h"
#include "read/line_reader.h"
#include "storage/zstd_file.h"
#include "util/civil_time.h"

namespace auditlog::internal {

namespace fs = std::filesystem;

Status SeqExhausted(const std::string& what, std::uint64_t seq) {
  return Status::FailedPrecondition(
      what + " has seq " + std::to_string(seq) + ", and " + std::to_string(kMaxSeq) +
      " is the largest a log may use: the log cannot continue without reusing seq numbers "
      "(start a new log directory)");
}

Result<std::unique_ptr<RecordWriter>> RecordWriter::Open(const Options& in) {
  Options options = in;
  Env* env = options.env;
  AUDITLOG_RETURN_IF_ERROR(env->CreateDir(options.dir));
  // Resolve symlinks in the path once, so that a later swap of a parent cannot redirect us.
  std::error_code ec;
  const fs::path canonical = fs::canonical(options.dir, ec);
  if (!ec) options.dir = canonical;
  std::unique_ptr<RecordWriter> w(new RecordWriter(options));
  AUDITLOG_ASSIGN_OR_RETURN(w->lock_, env->LockFile(options.dir / kLockFileName));

  // Everything read from the directory is checked before anything builds on it or changes
  // a file: the manifest (Parse validates every field), the segment files against it, and
  // the chain's last record against what the manifest says.
  AUDITLOG_ASSIGN_OR_RETURN(std::optional<Manifest> manifest, LoadManifest(env, options.dir));
  const bool had_manifest = manifest.has_value();
  if (manifest) {
    // Nothing may act on a manifest name that could point outside the directory.
    AUDITLOG_RETURN_IF_ERROR(ValidateManifestSegmentNames(*manifest));
    w->manifest_ = std::move(*manifest);
  } else {
    w->manifest_.service_id = options.service_id;
    w->manifest_.created_micros = env->NowMicros();
  }
  if (had_manifest) AUDITLOG_RETURN_IF_ERROR(w->CheckUnlistedSegments());
  TornTail torn;
  AUDITLOG_ASSIGN_OR_RETURN(w->chain_, ReadChainState(env, options.dir, &torn));
  AUDITLOG_RETURN_IF_ERROR(w->ResolveChainAnchor());
  if (!torn.segment.empty()) AUDITLOG_RETURN_IF_ERROR(w->Recover(torn));
  AUDITLOG_RETURN_IF_ERROR(w->ReconcileManifest());
  w->manifest_.clean_shutdown = false;
  AUDITLOG_RETURN_IF_ERROR(w->StartSegment());
  if (!torn.segment.empty()) {
    LogRecovered recovered{.segment = torn.segment.filename().string(),
                           .offset = torn.offset,
                           .length = torn.bytes.size(),
                           .sha256 = Sha256Hex(torn.bytes),
                           .quarantine_file = torn.segment.filename().string() +
                                              std::string(kTornMarker) +
                                              std::to_string(torn.offset)};
    std::string batch;
    AUDITLOG_RETURN_IF_ERROR(w->FrameSystemEvent(env->NowMicros(), recovered, &batch));
    AUDITLOG_RETURN_IF_ERROR(w->Write(batch));
    AUDITLOG_RETURN_IF_ERROR(w->Sync());
  }
  return w;
}

RecordWriter::~RecordWriter() {
  // The owner calls Close() and reports its status; here we only release the descriptor.
  if (file_) file_->Close().IgnoreError();
}

void RecordWriter::MarkSegmentClosed(SegmentEntry* entry, const std::string& sha256,
                                     std::uint64_t bytes) {
  entry->state = SegmentState::kClosed;
  entry->sha256 = sha256;
  entry->bytes = bytes;
  entry->closed_micros = options_.env->NowMicros();
}

Status RecordWriter::WriteChecksumFile(const SegmentEntry& entry) {
  return WriteFileAtomically(options_.env, options_.dir / (entry.name + ".sha256"),
                             ChecksumFileContents(entry.sha256, entry.name));
}

Status RecordWriter::CloseSegmentEntry(SegmentEntry* entry, const std::string& sha256,
                                       std::uint64_t bytes) {
  MarkSegmentClosed(entry, sha256, bytes);
  return WriteChecksumFile(*entry);
}

Status RecordWriter::StickyUnlessDiskFull(Status s) {
  if (!s.ok() && s.code() != StatusCode::kDiskSpaceLow && sticky_.ok()) sticky_ = s;
  return s;
}

// Creates the next segment and saves the manifest naming it. As the last steps of a
// rotation it resumes at kManifest when only the manifest save failed before.
Status RecordWriter::StartSegment() {
  Env* env = options_.env;
  if (rotation_step_ != RotationStep::kManifest) {
    if (chain_.last_segment_index >= kMaxSegmentIndex) {
      return Status::FailedPrecondition(
          "segment index " + std::to_string(chain_.last_segment_index) +
          " is the largest a segment name holds (10 digits): no segment can follow it (start a "
          "new log directory)");
    }
    const std::uint64_t index = chain_.last_segment_index + 1;
    const std::int64_t now = env->NowMicros();
    const std::string name = SegmentFileName(index, now);
    if (!IsValidSegmentName(name)) {  // a clock outside the years 0000-9999
      return Status::FailedPrecondition("cannot name a segment created at " + std::to_string(now) +
                                        " us since the epoch: \"" + name +
                                        "\" is not a valid segment name");
    }
    const fs::path path = options_.dir / name;
    // A failed O_CREAT|O_EXCL creates nothing: after ENOSPC the same step can run again.
    AUDITLOG_ASSIGN_OR_RETURN(file_, env->NewWritableFile(path, OpenMode::kCreateExclusive));
    chain_.last_segment_index = index;
    segment_path_ = path;
    segment_created_micros_ = now;
    segment_records_ = 0;
    segment_first_seq_ = 0;
    segment_first_ts_ = 0;
    segment_first_hash_.clear();
    SegmentEntry entry;
    entry.name = name;
    entry.index = index;
    entry.state = SegmentState::kActive;
    entry.created_micros = now;
    manifest_.segments.push_back(entry);
    manifest_.updated_micros = now;
    // The new file's directory entry and the manifest naming it become durable together.
    Status s = env->SyncDir(options_.dir);
    if (!s.ok()) {
      sticky_ = s;  // an fsync failure: nothing may be called durable any more
      return s;
    }
    dir_sync_pending_ = false;
    if (rotation_step_ != RotationStep::kNone) rotation_step_ = RotationStep::kManifest;
  }
  // WriteFileAtomically starts from a fresh temporary file: repeating it after ENOSPC is safe.
  AUDITLOG_RETURN_IF_ERROR(SaveManifest(env, options_.dir, manifest_));
  rotation_step_ = RotationStep::kNone;
  return Status::Ok();
}

void RecordWriter::Frame(std::int64_t ts_micros, const EncodedEvent& event, std::string* batch) {
  if (chain_.next_seq > kMaxSeq) {  // never wrap: the next Write() reports it
    if (sticky_.ok()) sticky_ = SeqExhausted("the last record", chain_.next_seq - 1);
    return;
  }
  char hash[64];
  if (!pending_deletions_.empty()) NoteFramed(event.body);
  FrameRecord(chain_.next_seq, ts_micros, options_.service_id, event.critical, event.body,
              chain_.last_hash, batch, hash);
  if (segment_records_++ == 0) {
    segment_first_seq_ = chain_.next_seq;
    segment_first_hash_.assign(hash, 64);
    segment_first_ts_ = ts_micros;
  }
  chain_.last_hash.assign(hash, 64);
  chain_.last_ts_micros = ts_micros;
  ++chain_.next_seq;
}

Status RecordWriter::FrameSystemEvent(std::int64_t ts_micros, const LibraryEvent& event,
                                      std::string* batch) {
  if (chain_.next_seq > kMaxSeq) return SeqExhausted("the last record", chain_.next_seq - 1);
  EncodedEvent encoded;
  EncodeOptions options;
  options.max_field_bytes = options_.max_field_bytes;
  AUDITLOG_RETURN_IF_ERROR(EncodeEvent(event, options, &encoded));
  // Only within this process's segment: an earlier process's (possibly future-dated) last
  // record must not stamp what follows.
  if (segment_records_ > 0) ts_micros = std::max(ts_micros, chain_.last_ts_micros);
  Frame(ts_micros, encoded, batch);
  return Status::Ok();
}

Status RecordWriter::Write(std::string_view batch) {
  if (!sticky_.ok()) return sticky_;
  if (rotation_pending()) return RotationPendingError();
  if (!file_) return Status::FailedPrecondition("record writer is closed");
  if (options_.min_free_bytes > 0) {
    auto free = options_.env->FreeBytes(options_.dir);
    if (free.ok() && *free < options_.min_free_bytes + batch.size()) {
      return Status::DiskSpaceLow("free space on the log's file system (" + std::to_string(*free) +
                                  " bytes) is below min_free_bytes (" +
                                  std::to_string(options_.min_free_bytes) + ")");
    }
  }
  const std::uint64_t before = file_->Size();
  Status s = file_->Append(batch);
  if (s.ok()) {
    segment_hash_.Update(batch);
    written_seq_ = chain_.next_seq - 1;  // the caller writes all it framed
    return s;
  }
  // Invariant: a segment never holds a partial record followed by good ones.
  if (file_->Size() != before) {
    Status cut = file_->Truncate(before);
    if (!cut.ok()) {
      sticky_ = Status::IOError(s.message() +
                                "; then could not cut the partial record: " + cut.message());
      return sticky_;
    }
  }
  return s;
}

Status RecordWriter::Sync() {
  if (!sticky_.ok()) return sticky_;
  if (rotation_pending() && rotation_step_ != RotationStep::kManifest) return Status::Ok();
  if (!file_) return Status::FailedPrecondition("record writer is closed");
  Status s = file_->Sync();
  if (!s.ok()) {
    // After a failed fsync the page cache may have dropped our dirty pages; nothing written
    // since the last good sync can be called durable, and retrying would lie (fsyncgate).
    sticky_ = Status(s.code(), s.message() +
                                   " (fsync failed: data since the last successful fsync may "
                                   "be lost; stop the service, check the disk, then reopen "
                                   "the log to recover)");
    return sticky_;
  }
  if (dir_sync_pending_) {
    s = options_.env->SyncDir(options_.dir);
    if (!s.ok()) {
      sticky_ = s;
      return s;
    }
    dir_sync_pending_ = false;
  }
  synced_seq_ = written_seq_;
  // Retention is upkeep: a deletion that cannot complete does not fail the fsync.
  if (!pending_deletions_.empty()) {
    Status d = CompleteDeletions();
    if (!d.ok() && retention_error_.ok()) retention_error_ = d;
  }
  return Status::Ok();
}

bool RecordWriter::RotationDue(std::int64_t now_micros) const {
  if (rotation_pending()) return true;  // a full disk stopped it: finish it first
  if (!file_ || segment_records_ == 0) return false;
  if (options_.rotation.daily && UtcDay(now_micros) != UtcDay(segment_created_micros_)) return true;
  return options_.rotation.size_limit_bytes > 0 &&
         file_->Size() >= options_.rotation.size_limit_bytes;
}

Result<bool> RecordWriter::ActiveSegmentReplaced() const {
  if (!file_) return false;
  AUDITLOG_ASSIGN_OR_RETURN(bool linked, file_->StillLinked());
  return !linked;
}

// Closes the current segment: fsync, close, manifest entry, checksum file. Resumes at
// kChecksum when a full disk stopped it there before.
Status RecordWriter::FinishSegment() {
  if (rotation_step_ == RotationStep::kNone) {
    AUDITLOG_RETURN_IF_ERROR(Sync());
    const std::uint64_t bytes = file_->Size();
    Status s = file_->Close();
    file_.reset();
    if (!s.ok()) {
      sticky_ = s;
      return s;
    }
    SegmentEntry* entry = manifest_.Find(segment_path_.filename().string());
    if (entry == nullptr) {
      sticky_ = Status::Corruption("manifest lost the active segment's entry");
      return sticky_;
    }
    entry->records = segment_records_;
    entry->first_seq = segment_first_seq_;
    entry->first_hash = segment_first_hash_;
    if (segment_records_ > 0) {
      entry->last_seq = chain_.next_seq - 1;
      entry->last_hash = chain_.last_hash;
      entry->first_ts_micros = segment_first_ts_;
      entry->last_ts_micros = chain_.last_ts_micros;
    }
    MarkSegmentClosed(entry, ToHex(segment_hash_.Finish()), bytes);
    closing_segment_ = entry->name;
    rotation_step_ = RotationStep::kChecksum;
  }
  if (rotation_step_ == RotationStep::kChecksum) {
    const SegmentEntry* entry = manifest_.Find(closing_segment_);
    if (entry == nullptr) {
      sticky_ = Status::Corruption("manifest lost the closing segment's entry");
      return sticky_;
    }
    AUDITLOG_RETURN_IF_ERROR(WriteChecksumFile(*entry));
    rotation_step_ = RotationStep::kStart;
  }
  return Status::Ok();
}

Status RecordWriter::RotationPendingError() const {
  return Status::DiskSpaceLow("rotation to a new segment was stopped by a full disk (" +
                              closing_segment_ + " is closed); Rotate() must finish it first");
}

Status RecordWriter::Rotate() {
  if (!sticky_.ok()) return sticky_;
  Status s = FinishSegment();
  if (s.ok()) s = StartSegment();
  return StickyUnlessDiskFull(s);  // no segment to write into unless a retry finishes it
}

Status RecordWriter::Close() {
  if (closed_) return sticky_;
  if (!sticky_.ok()) {
    closed_ = true;
    return sticky_;
  }
  // A rotation that got as far as the new segment: close that one as usual.
  if (rotation_step_ == RotationStep::kManifest) rotation_step_ = RotationStep::kNone;
  if (!file_ && !rotation_pending()) {
    closed_ = true;
    return sticky_;
  }
  // Otherwise finish closing the current (or half-rotated) segment; a full disk leaves the
  // writer open, so Close() may be called again when there is space.
  Status s = FinishSegment();
  if (s.ok()) {
    manifest_.clean_shutdown = true;
    manifest_.updated_micros = options_.env->NowMicros();
    s = SaveManifest(options_.env, options_.dir, manifest_);
  }
  if (s.ok()) rotation_step_ = RotationStep::kNone;
  if (s.ok() || s.code() != StatusCode::kDiskSpaceLow) closed_ = true;
  return StickyUnlessDiskFull(s);
}

std::uint64_t RecordWriter::segment_bytes() const { return file_ ? file_->Size() : 0; }

}  // namespace auditlog::internal
