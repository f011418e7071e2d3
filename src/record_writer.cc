// The synchronous record writer and its storage lifecycle; see record_writer.h and
// docs/FORMAT.md ("Manifest", "Crash recovery").
#include "record_writer.h"

#include <algorithm>
#include <system_error>
#include <vector>

#include "log_reader.h"
#include "record_format.h"
#include "zstd_file.h"

namespace auditlog::internal {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kTornMarker = ".torn-";

// Segment files of `dir` as (index, name), in log order.
Result<std::vector<std::pair<std::uint64_t, std::string>>> ListSegments(Env* env,
                                                                        const fs::path& dir) {
  AUDITLOG_ASSIGN_OR_RETURN(std::vector<std::string> names, env->GetChildren(dir));
  std::vector<std::pair<std::uint64_t, std::string>> segments;
  for (std::string& name : names) {
    if (auto index = ParseSegmentFileName(name)) segments.emplace_back(*index, std::move(name));
  }
  std::sort(segments.begin(), segments.end());
  return segments;
}

std::int64_t UtcDay(std::int64_t micros) {
  constexpr std::int64_t kDay = 86400LL * 1000000;
  return micros >= 0 ? micros / kDay : (micros - kDay + 1) / kDay;
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
    state.next_seq = record.seq + 1;
    state.last_hash.assign(record.hash);
    state.last_ts_micros = record.ts_micros;
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

  TornTail torn;
  AUDITLOG_ASSIGN_OR_RETURN(w->chain_, ReadChainState(env, options.dir, &torn));
  AUDITLOG_ASSIGN_OR_RETURN(std::optional<Manifest> manifest, LoadManifest(env, options.dir));
  if (manifest) {
    // Nothing may act on a manifest name that could point outside the directory.
    AUDITLOG_RETURN_IF_ERROR(ValidateManifestSegmentNames(*manifest));
    w->manifest_ = std::move(*manifest);
  } else {
    w->manifest_.service_id = options.service_id;
    w->manifest_.created_micros = env->NowMicros();
  }
  // Segments archived or deleted by retention still count: for numbering, and for the
  // chain when no plain segment after them holds a record (seq must never be reused).
  for (const SegmentEntry& e : w->manifest_.segments) {
    w->chain_.last_segment_index = std::max(w->chain_.last_segment_index, e.index);
    if (e.state != SegmentState::kActive && e.records > 0 && e.last_seq >= w->chain_.next_seq) {
      w->chain_.next_seq = e.last_seq + 1;
      w->chain_.last_hash = e.last_hash;
    }
  }
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

Status RecordWriter::CloseSegmentEntry(SegmentEntry* entry, const std::string& sha256,
                                       std::uint64_t bytes) {
  entry->state = SegmentState::kClosed;
  entry->sha256 = sha256;
  entry->bytes = bytes;
  entry->closed_micros = options_.env->NowMicros();
  return WriteFileAtomically(options_.env, options_.dir / (entry->name + ".sha256"),
                             ChecksumFileContents(sha256, entry->name));
}

// Brings the manifest in line with the files after a crash or an older version: a segment
// left active by the previous process is summarized and closed; a segment file the manifest
// does not know (created just before a crash) is added.
Status RecordWriter::ReconcileManifest() {
  AUDITLOG_ASSIGN_OR_RETURN(auto segments, ListSegments(options_.env, options_.dir));
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
    AUDITLOG_RETURN_IF_ERROR(CloseSegmentEntry(entry, entry->sha256, entry->bytes));
  }
  std::sort(manifest_.segments.begin(), manifest_.segments.end(),
            [](const SegmentEntry& a, const SegmentEntry& b) { return a.index < b.index; });
  return Status::Ok();
}

Status RecordWriter::StartSegment() {
  Env* env = options_.env;
  const std::uint64_t index = chain_.last_segment_index + 1;
  const std::int64_t now = env->NowMicros();
  const std::string name = SegmentFileName(index, now);
  const fs::path path = options_.dir / name;
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
  AUDITLOG_RETURN_IF_ERROR(env->SyncDir(options_.dir));
  dir_sync_pending_ = false;
  return SaveManifest(env, options_.dir, manifest_);
}

void RecordWriter::Frame(std::int64_t ts_micros, const EncodedEvent& event, std::string* batch) {
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
  EncodedEvent encoded;
  EncodeOptions options;
  options.max_field_bytes = options_.max_field_bytes;
  AUDITLOG_RETURN_IF_ERROR(EncodeEvent(event, options, &encoded));
  Frame(std::max(ts_micros, chain_.last_ts_micros), encoded, batch);
  return Status::Ok();
}

Status RecordWriter::Write(std::string_view batch) {
  if (!sticky_.ok()) return sticky_;
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

// Closes the current segment: fsync, close, checksum file, manifest entry.
Status RecordWriter::FinishSegment() {
  AUDITLOG_RETURN_IF_ERROR(Sync());
  const std::uint64_t bytes = file_->Size();
  Status s = file_->Close();
  file_.reset();
  if (!s.ok()) {
    sticky_ = s;
    return s;
  }
  SegmentEntry* entry = manifest_.Find(segment_path_.filename().string());
  if (entry == nullptr) return Status::Corruption("manifest lost the active segment's entry");
  entry->records = segment_records_;
  entry->first_seq = segment_first_seq_;
  entry->first_hash = segment_first_hash_;
  if (segment_records_ > 0) {
    entry->last_seq = chain_.next_seq - 1;
    entry->last_hash = chain_.last_hash;
    entry->first_ts_micros = segment_first_ts_;
    entry->last_ts_micros = chain_.last_ts_micros;
  }
  return CloseSegmentEntry(entry, ToHex(segment_hash_.Finish()), bytes);
}

Status RecordWriter::Rotate() {
  if (!sticky_.ok()) return sticky_;
  AUDITLOG_RETURN_IF_ERROR(FinishSegment());
  Status s = StartSegment();
  if (!s.ok()) sticky_ = s;  // no segment to write into
  return s;
}

Status RecordWriter::Close() {
  if (closed_) return sticky_;
  closed_ = true;
  if (!file_) return sticky_;
  AUDITLOG_RETURN_IF_ERROR(FinishSegment());
  manifest_.clean_shutdown = true;
  manifest_.updated_micros = options_.env->NowMicros();
  return SaveManifest(options_.env, options_.dir, manifest_);
}

std::uint64_t RecordWriter::segment_bytes() const { return file_ ? file_->Size() : 0; }

}  // namespace auditlog::internal
