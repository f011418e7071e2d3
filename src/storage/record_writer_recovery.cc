// RecordWriter at open: where the chain stands in the files, the manifest cross-checked
// with them, and crash recovery (torn tail, segments left active); see record_writer.h and
// docs/FORMAT.md ("Manifest", "Crash recovery"). The writing side is record_writer.cc.
#include <algorithm>
#include <limits>
#include <system_error>
#include <vector>

#include "format/log_dir.h"
#include "format/record_format.h"
#include "read/line_reader.h"
#include "storage/record_writer.h"
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

}  // namespace auditlog::internal
