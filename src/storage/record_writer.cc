// The synchronous record writer and its storage lifecycle; see record_writer.h and
// docs/FORMAT.md ("Manifest", "Crash recovery").
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

namespace {

// Plain segment files of `dir` as (index, name), in log order (log_dir's one listing).
Result<std::vector<std::pair<std::uint64_t, std::string>>> ListSegments(Env* env,
                                                                        const fs::path& dir) {
  AUDITLOG_ASSIGN_OR_RETURN(std::vector<ListedSegment> listed, ListSegmentNames(env, dir));
  std::vector<std::pair<std::uint64_t, std::string>> segments;
  for (ListedSegment& l : listed) {
    if (l.plain) segments.emplace_back(l.index, std::move(l.name));
  }
  return segments;
}

// The largest seq a writer writes (the Logger hands out no more either): a log whose last
// record has it cannot continue, and nothing ever wraps to seq 0.
constexpr std::uint64_t kMaxSeq = std::numeric_limits<std::uint64_t>::max() - 1;

Status SeqExhausted(const std::string& what, std::uint64_t seq) {
  return Status::FailedPrecondition(
      what + " has seq " + std::to_string(seq) + ", and " + std::to_string(kMaxSeq) +
      " is the largest a log may use: the log cannot continue without reusing seq numbers "
      "(start a new log directory)");
}

// Reads a whole segment and fills the counting members of `entry` (records, first/last seq
// and hash, bytes, sha256). Used for segments a previous process left open.
Status SummarizeSegment(Env* env, const fs::path& path, SegmentEntry* entry) {
  SegmentFile segment;
  segment.index = entry->index;
  segment.name = entry->name;
  segment.path = path;
  AUDITLOG_ASSIGN_OR_RETURN(auto reader, LineReader::Open(env, segment));
  RecordParser parser;
  Sha256Stream hash;
  std::string_view line;
  std::uint64_t offset = 0;
  entry->records = 0;
  for (;;) {
    AUDITLOG_ASSIGN_OR_RETURN(bool more, reader->Next(&line, &offset));
    if (!more) break;
    hash.Update(line);
    hash.Update("\n");
    RecordView r;
    if (!parser.Parse(line, &r, /*compute_hash=*/false).ok()) continue;  // Verify reports it
    if (entry->records++ == 0) {
      entry->first_seq = r.seq;
      entry->first_hash.assign(r.hash);
      entry->first_ts_micros = r.ts_micros;
    }
    entry->last_seq = r.seq;
    entry->last_hash.assign(r.hash);
    entry->last_ts_micros = r.ts_micros;
  }
  if (reader->trailing_bytes() > 0) {
    return Status::Corruption(path.string() + ": incomplete last line in a closed segment");
  }
  entry->bytes = reader->size();
  entry->sha256 = ToHex(hash.Finish());
  return Status::Ok();
}

// The end of `path`: at least its last complete line and whatever follows it (the whole
// file when it is small), and the file offset where the returned bytes start.
Status ReadTail(Env* env, const fs::path& path, std::string* tail, std::uint64_t* start) {
  AUDITLOG_ASSIGN_OR_RETURN(auto file, env->NewReadableFile(path));
  AUDITLOG_ASSIGN_OR_RETURN(std::uint64_t size, file->Size());
  for (std::uint64_t window = 64 * 1024;; window *= 4) {
    *start = size > window ? size - window : 0;
    AUDITLOG_RETURN_IF_ERROR(file->Read(*start, static_cast<std::size_t>(size - *start), tail));
    if (*start == 0) return Status::Ok();
    // Enough when the window holds the '\n' before the last complete line as well.
    const std::size_t last_nl = tail->rfind('\n');
    if (last_nl != std::string::npos && last_nl > 0 &&
        tail->rfind('\n', last_nl - 1) != std::string::npos) {
      return Status::Ok();
    }
  }
}

}  // namespace

Result<ChainState> ReadChainState(Env* env, const fs::path& dir, TornTail* torn) {
  ChainState state;
  AUDITLOG_ASSIGN_OR_RETURN(auto segments, ListSegments(env, dir));
  if (segments.empty()) return state;
  state.last_segment_index = segments.back().first;
  bool newest = true;
  // The newest non-empty segment holds the last record.
  for (auto it = segments.rbegin(); it != segments.rend(); ++it, newest = false) {
    const fs::path path = dir / it->second;
    // Only the end of the segment is needed: its last complete line (and a torn tail).
    std::string data;
    std::uint64_t data_start = 0;
    AUDITLOG_RETURN_IF_ERROR(ReadTail(env, path, &data, &data_start));
    if (!data.empty() && data.back() != '\n') {
      const std::size_t cut = data.rfind('\n');
      const std::uint64_t offset = data_start + (cut == std::string::npos ? 0 : cut + 1);
      if (torn == nullptr || !newest) {
        return Status::FailedPrecondition(
            path.string() + ": incomplete last line (torn tail) at byte " + std::to_string(offset));
      }
      torn->segment = path;
      torn->offset = offset;
      AUDITLOG_ASSIGN_OR_RETURN(auto file, env->NewReadableFile(path));
      AUDITLOG_ASSIGN_OR_RETURN(std::uint64_t size, file->Size());
      AUDITLOG_RETURN_IF_ERROR(
          file->Read(offset, static_cast<std::size_t>(size - offset), &torn->bytes));
      data.resize(cut == std::string::npos ? 0 : cut + 1);
    }
    if (data.empty()) continue;
    const std::size_t start = data.rfind('\n', data.size() - 2);
    const std::string_view line =
        std::string_view(data).substr(start == std::string::npos ? 0 : start + 1);
    RecordParser parser;
    RecordView record;
    Status s = parser.Parse(line.substr(0, line.size() - 1), &record);
    if (!s.ok()) return Status::Corruption(path.string() + ": last record: " + s.message());
    if (!record.hash_matches) {
      return Status::Corruption(path.string() + ": last record's hash does not match its contents");
    }
    if (record.seq >= kMaxSeq) return SeqExhausted(path.string() + ": the last record", record.seq);
    state.next_seq = record.seq + 1;
    state.last_hash.assign(record.hash);
    state.last_ts_micros = record.ts_micros;
    state.last_record_segment_index = it->first;
    return state;
  }
  return state;
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

// A plain segment file the manifest does not list is accepted only when it is newer than
// every entry (created just before a crash, before the manifest naming it was saved); any
// other (added, renamed, a second file with an entry's index) is foreign: the writer will
// not build on it.
Status RecordWriter::CheckUnlistedSegments() const {
  std::uint64_t max_index = 0;
  for (const SegmentEntry& e : manifest_.segments) max_index = std::max(max_index, e.index);
  AUDITLOG_ASSIGN_OR_RETURN(auto segments, ListSegments(options_.env, options_.dir));
  for (const auto& [index, name] : segments) {
    if (index > max_index || manifest_.Find(name) != nullptr) continue;
    return Status::Corruption((options_.dir / name).string() +
                              ": a segment file the manifest does not list, with an index not "
                              "newer than its entries (added or renamed?); not continuing the "
                              "log (run auditlog verify)");
  }
  return Status::Ok();
}

namespace {

// The last record of an archived segment, checked against its manifest entry.
Status CheckArchivedLastRecord(Env* env, const fs::path& dir, const SegmentEntry& e) {
  SegmentFile segment;
  segment.index = e.index;
  segment.name = e.name;
  segment.path = dir / ArchiveFileName(e.name);
  segment.archived = true;
  AUDITLOG_ASSIGN_OR_RETURN(auto reader, LineReader::Open(env, segment));
  std::string last;
  std::string_view line;
  std::uint64_t offset = 0;
  for (;;) {
    AUDITLOG_ASSIGN_OR_RETURN(bool more, reader->Next(&line, &offset));
    if (!more) break;
    last.assign(line);
  }
  RecordParser parser;
  RecordView r;
  if (parser.Parse(last, &r).ok() && r.hash_matches && r.seq == e.last_seq &&
      r.hash == e.last_hash) {
    return Status::Ok();
  }
  return Status::Corruption(segment.path.string() +
                            ": its last record is not the one its manifest entry names (seq " +
                            std::to_string(e.last_seq) + "); not continuing the chain from it");
}

}  // namespace

// Where the chain continues, cross-checked with the files: the last record in the plain
// segment files (chain_, from ReadChainState), unless the manifest names a newer segment
// that held later records and was archived (its archive's last record must be the one the
// entry names) or deleted (only the manifest still knows its end). Whatever the manifest
// says about a segment whose file holds the last record must match that record, and no
// older entry may claim a later seq. Also sets the next segment index past every entry.
Status RecordWriter::ResolveChainAnchor() {
  const std::uint64_t file_index = chain_.last_record_segment_index;  // 0: no record
  const std::uint64_t file_seq = chain_.next_seq - 1;
  auto where = [&](const SegmentEntry& e) {
    return "manifest entry " + e.name + " (seq " + std::to_string(e.first_seq) + ".." +
           std::to_string(e.last_seq) + ")";
  };
  const std::string file_end = "the last record in the segment files is seq " +
                               std::to_string(file_seq) + " in segment index " +
                               std::to_string(file_index);
  const SegmentEntry* anchor = nullptr;
  for (const SegmentEntry& e : manifest_.segments) {
    chain_.last_segment_index = std::max(chain_.last_segment_index, e.index);
    if (e.state == SegmentState::kActive) continue;  // its counts lag behind the file
    if (e.index == file_index) {
      if (e.records == 0 || e.last_seq != file_seq || e.last_hash != chain_.last_hash) {
        return Status::Corruption(where(e) + " does not end with its file's last record (" +
                                  file_end + "); not continuing the log (run auditlog verify)");
      }
    } else if (e.records == 0) {
      continue;
    } else if (e.index < file_index) {
      if (e.last_seq >= file_seq) {
        return Status::Corruption(where(e) + " ends after the newest record (" + file_end +
                                  "); not continuing the log (run auditlog verify)");
      }
    } else if (e.state == SegmentState::kClosed ||
               options_.env->FileExists(options_.dir / e.name)) {
      // Its plain file is gone, or holds no complete record, though the entry names some.
      return Status::Corruption(where(e) + ": the segment's records are missing from its file (" +
                                (file_index ? file_end : "no segment file holds a record") +
                                "); not continuing the log (run auditlog verify)");
    } else {
      anchor = &e;  // archived or deleted, newer than every record in the plain files
    }
  }
  if (anchor == nullptr) return Status::Ok();
  if (anchor->state == SegmentState::kArchived) {
    if (!options_.env->FileExists(options_.dir / ArchiveFileName(anchor->name))) {
      return Status::Corruption(where(*anchor) +
                                ": archived, but its archive is missing: the chain cannot be "
                                "continued from a record no file holds (run auditlog verify)");
    }
    AUDITLOG_RETURN_IF_ERROR(CheckArchivedLastRecord(options_.env, options_.dir, *anchor));
  }
  if (anchor->last_seq >= kMaxSeq) return SeqExhausted(where(*anchor), anchor->last_seq);
  chain_.next_seq = anchor->last_seq + 1;
  chain_.last_hash = anchor->last_hash;
  return Status::Ok();
}

// Crash recovery. Order: the torn bytes are made durable in the quarantine file before the
// segment is cut, so a crash at any point loses nothing; a repeated recovery finds the same
// quarantine file (same name, same bytes) and goes on.
Status RecordWriter::Recover(const TornTail& torn) {
  Env* env = options_.env;
  const fs::path quarantine =
      torn.segment.parent_path() /
      (torn.segment.filename().string() + std::string(kTornMarker) + std::to_string(torn.offset));
  bool already = false;
  if (env->FileExists(quarantine)) {
    AUDITLOG_ASSIGN_OR_RETURN(std::string existing, ReadFileToString(env, quarantine));
    if (existing != torn.bytes) {
      return Status::FailedPrecondition(quarantine.string() +
                                        " exists with other contents; move it away to recover");
    }
    already = true;
  }
  if (!already) {
    AUDITLOG_ASSIGN_OR_RETURN(auto qfile,
                              env->NewWritableFile(quarantine, OpenMode::kCreateExclusive));
    AUDITLOG_RETURN_IF_ERROR(qfile->Append(torn.bytes));
    AUDITLOG_RETURN_IF_ERROR(qfile->Sync());
    AUDITLOG_RETURN_IF_ERROR(qfile->Close());
    AUDITLOG_RETURN_IF_ERROR(env->SyncDir(options_.dir));
  }
  AUDITLOG_ASSIGN_OR_RETURN(auto seg,
                            env->NewWritableFile(torn.segment, OpenMode::kAppendExisting));
  AUDITLOG_RETURN_IF_ERROR(seg->Truncate(torn.offset));
  AUDITLOG_RETURN_IF_ERROR(seg->Sync());
  return seg->Close();
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

// Brings the manifest in line with the files after a crash or an older version: a segment
// left active by the previous process is summarized and closed; a segment file the manifest
// does not know (created just before a crash) is added.
Status RecordWriter::ReconcileManifest() {
  AUDITLOG_ASSIGN_OR_RETURN(auto segments, ListSegments(options_.env, options_.dir));
  std::vector<std::string> closing;
  for (const auto& [index, name] : segments) {
    SegmentEntry* entry = manifest_.Find(name);
    if (entry == nullptr) {
      SegmentEntry fresh;
      fresh.name = name;
      fresh.index = index;
      fresh.state = SegmentState::kActive;
      manifest_.segments.push_back(fresh);
      entry = &manifest_.segments.back();
    }
    if (entry->state != SegmentState::kActive) continue;
    // A process crash leaves written but un-fsynced records in the page cache; the chain is
    // about to build on them, so make them durable first.
    {
      AUDITLOG_ASSIGN_OR_RETURN(
          auto file, options_.env->NewWritableFile(options_.dir / name, OpenMode::kAppendExisting));
      AUDITLOG_RETURN_IF_ERROR(file->Sync());
      AUDITLOG_RETURN_IF_ERROR(file->Close());
    }
    AUDITLOG_RETURN_IF_ERROR(SummarizeSegment(options_.env, options_.dir / name, entry));
    entry->state = SegmentState::kClosed;
    closing.push_back(name);
  }
  std::sort(manifest_.segments.begin(), manifest_.segments.end(),
            [](const SegmentEntry& a, const SegmentEntry& b) { return a.index < b.index; });
  for (const SegmentEntry& e : manifest_.segments) {
    if (e.state == SegmentState::kActive) {  // its file is not in the directory
      return Status::Corruption((options_.dir / e.name).string() +
                                ": the segment the previous process was writing is missing "
                                "(deleted or renamed?); not continuing the log (run auditlog "
                                "verify)");
    }
  }
  // What was summarized from the files must obey the manifest's rules (e.g. a seq range that
  // does not overlap the segment before it) before anything is written or built on it.
  Status valid = ValidateManifest(manifest_);
  if (!valid.ok()) {
    return Status::Corruption("segments the previous process left open do not fit the log: " +
                              valid.message() + " (run auditlog verify)");
  }
  for (const std::string& name : closing) {
    SegmentEntry* entry = manifest_.Find(name);
    AUDITLOG_RETURN_IF_ERROR(CloseSegmentEntry(entry, entry->sha256, entry->bytes));
  }
  return Status::Ok();
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

Status RecordWriter::FrameSystemEvent(std::int64_t ts_micros, const Event& event,
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
