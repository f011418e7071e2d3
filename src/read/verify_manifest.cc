// Manifest checks of Verify; see verify_manifest.h and docs/FORMAT.md ("Manifest").
#include "read/verify_manifest.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "storage/zstd_file.h"
#include "util/json_writer.h"
#include "util/sha256.h"
#include "util/thread_start.h"

namespace auditlog::internal {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kChunk = 1 << 20;

// SHA-256 and length of everything `file` holds.
Status HashReadable(const ReadableFile& file, std::string* sha, std::uint64_t* bytes) {
  Sha256Stream hash;
  std::string chunk;
  std::uint64_t offset = 0;
  for (;;) {
    AUDITLOG_RETURN_IF_ERROR(file.Read(offset, kChunk, &chunk));
    if (chunk.empty()) break;
    hash.Update(chunk);
    offset += chunk.size();
  }
  *sha = ToHex(hash.Finish());
  *bytes = offset;
  return Status::Ok();
}

std::string Ts(std::int64_t micros) {
  if (micros == 0) return "null";
  std::string out;
  AppendTimestamp(micros, &out);
  return out;
}

// Collects "field (manifest X, file Y)" for each field that differs.
class FieldDiffs {
 public:
  template <typename T>
  void Exact(std::string_view field, const T& manifest, const T& file) {
    if (manifest != file) Add(field, manifest, file, "");
  }
  // The manifest may lag behind a growing file: it must not claim more than the file holds.
  void AtMost(std::string_view field, std::uint64_t manifest, std::uint64_t file) {
    if (manifest > file) Add(field, manifest, file, " is more than");
  }
  void Time(std::string_view field, std::int64_t manifest, std::int64_t file) {
    if (manifest != file) Add(field, Ts(manifest), Ts(file), "");
  }
  bool empty() const { return text_.empty(); }
  const std::string& text() const { return text_; }

 private:
  static std::string Str(const std::string& v) { return v.empty() ? "\"\"" : v; }
  static std::string Str(std::uint64_t v) { return std::to_string(v); }
  template <typename T>
  void Add(std::string_view field, const T& manifest, const T& file, std::string_view how) {
    if (!text_.empty()) text_ += ", ";
    text_ += std::string(field) + " (manifest " + Str(manifest) + std::string(how) + " file " +
             Str(file) + ")";
  }
  std::string text_;
};

std::string SeqRange(const SegmentEntry& e) {
  if (e.records == 0) return "no records";
  return "seq " + std::to_string(e.first_seq) + ".." + std::to_string(e.last_seq);
}

}  // namespace

Result<std::unique_ptr<ManifestChecker>> ManifestChecker::Create(
    Env* env, const fs::path& dir, const std::vector<SegmentFile>& segments) {
  return Create(env, dir, segments, LoadManifest(env, dir));
}

Result<std::unique_ptr<ManifestChecker>> ManifestChecker::Create(
    Env* env, const fs::path& dir, const std::vector<SegmentFile>& segments,
    Result<std::optional<Manifest>> manifest) {
  std::unique_ptr<ManifestChecker> c(new ManifestChecker(env, dir));
  c->segments_ = segments;
  if (manifest.ok()) {
    c->manifest_ = std::move(*manifest);
  } else {
    c->manifest_status_ = manifest.status();
  }
  AUDITLOG_ASSIGN_OR_RETURN(std::vector<std::string> names, env->GetChildren(dir));
  for (std::string& name : names) {
    std::string_view base = name;
    if (base.size() > kArchiveSuffix.size() &&
        base.substr(base.size() - kArchiveSuffix.size()) == kArchiveSuffix) {
      base.remove_suffix(kArchiveSuffix.size());
    }
    if (ParseSegmentFileName(base)) {
      c->segment_names_.push_back(name);
      continue;
    }
    const std::size_t torn = name.find(kTornMarker);
    if (torn != std::string::npos && ParseSegmentFileName(std::string_view(name).substr(0, torn))) {
      c->quarantine_files_.push_back(name);
    }
  }
  std::sort(c->segment_names_.begin(), c->segment_names_.end());
  std::sort(c->quarantine_files_.begin(), c->quarantine_files_.end());
  return c;
}

ManifestChecker::~ManifestChecker() {
  if (thread_.joinable()) thread_.join();
}

void ManifestChecker::StartChecksums() {
  if (!manifest_) return;
  const std::set<std::string> present(segment_names_.begin(), segment_names_.end());
  bool archives = false;
  for (const SegmentEntry& e : manifest_->segments) {
    if (e.state == SegmentState::kClosed || e.state == SegmentState::kArchived) {
      Checksum& sum = checksums_[e.name];
      sum.from_archive = !present.count(e.name);
      archives = archives || (sum.from_archive && e.state == SegmentState::kArchived &&
                              present.count(e.name + std::string(kArchiveSuffix)));
    }
  }
  if (!archives) return;
  auto thread = TryStartThread([this] { ComputeArchiveChecksums(); });
  if (thread) {
    thread_ = std::move(*thread);
  } else {
    ComputeArchiveChecksums();  // no thread to be had: the same work, on this thread
  }
}

// The archive files themselves (their decompressed contents come through SegmentBytes).
void ManifestChecker::ComputeArchiveChecksums() {
  const std::set<std::string> present(segment_names_.begin(), segment_names_.end());
  for (auto& [name, sum] : checksums_) {
    const SegmentEntry& e = *manifest_->Find(name);
    const std::string archive = name + std::string(kArchiveSuffix);
    if (!sum.from_archive || e.state != SegmentState::kArchived || !present.count(archive))
      continue;
    auto raw = env_->NewReadableFile(dir_ / archive);
    sum.archive_status =
        raw.ok() ? HashReadable(**raw, &sum.archive_sha256, &sum.archive_bytes) : raw.status();
  }
}

// The content checksum of one segment, read on its own (when the chain check did not read
// it: it was absent from the listing the chain check used, or reading it failed).
void ManifestChecker::ComputeContentChecksum(const std::string& name, Checksum* sum) {
  const std::set<std::string> present(segment_names_.begin(), segment_names_.end());
  const std::string archive = name + std::string(kArchiveSuffix);
  Result<std::unique_ptr<ReadableFile>> file = Status::NotFound(name);
  // Plain: closed, or archival not finished.
  if (present.count(name)) file = env_->NewReadableFile(dir_ / name);
  // The plain file may have been archived (and removed) since the directory was listed:
  // the archive holds the same bytes.
  if ((!present.count(name) && present.count(archive)) ||
      (present.count(name) && file.status().code() == StatusCode::kNotFound)) {
    file = OpenCompressedFile(env_, dir_ / archive);
  }
  if (!present.count(name) && !present.count(archive)) {
    sum->status = Status::NotFound(name);  // reported as missing
  } else {
    sum->status =
        file.ok() ? HashReadable(**file, &sum->content_sha256, &sum->content_bytes) : file.status();
  }
  sum->content_done = true;
}

void ManifestChecker::SegmentBytes(const SegmentFile& segment, std::string_view bytes) {
  auto it = checksums_.find(segment.name);
  // Only the file Finish() would hash: NAME when it exists, else NAME.zst.
  if (it == checksums_.end() || it->second.from_archive != segment.archived) return;
  Checksum& sum = it->second;
  if (sum.content_done) return;
  if (!sum.stream) sum.stream = std::make_unique<Sha256Stream>();
  sum.stream->Update(bytes);
  sum.content_bytes += bytes.size();
}

void ManifestChecker::SegmentBytesEnd(const SegmentFile& segment, const ReadableFile* file,
                                      std::uint64_t end_offset, const Status& status) {
  auto it = checksums_.find(segment.name);
  if (it == checksums_.end() || it->second.from_archive != segment.archived) return;
  Checksum& sum = it->second;
  if (sum.content_done) return;
  std::unique_ptr<Sha256Stream> stream = std::move(sum.stream);
  const bool complete = status.ok() && file != nullptr && sum.content_bytes == end_offset;
  if (!complete) {  // Finish() reads the file on its own
    sum.content_bytes = 0;
    return;
  }
  if (!stream) stream = std::make_unique<Sha256Stream>();  // an empty segment
  // Bytes appended after the chain check's snapshot are part of the file too.
  std::string chunk;
  for (;;) {
    Status s = file->Read(sum.content_bytes, kChunk, &chunk);
    if (!s.ok()) {
      sum.content_bytes = 0;
      return;
    }
    if (chunk.empty()) break;
    stream->Update(chunk);
    sum.content_bytes += chunk.size();
  }
  sum.content_sha256 = ToHex(stream->Finish());
  sum.status = Status::Ok();
  sum.content_done = true;
}

std::optional<std::string> ManifestChecker::DeletedPrefixAnchor(std::uint64_t first_seq,
                                                                std::string_view prev_hash,
                                                                bool* hash_matches) const {
  std::optional<std::string> found;
  *hash_matches = false;
  if (first_seq < 2) return found;
  for (const auto& [name, d] : chained_deletions_) {
    if (d.last_seq != first_seq - 1) continue;
    found = name;
    if (d.last_hash == prev_hash) {
      *hash_matches = true;
      break;
    }
  }
  return found;
}

// A segment_deleted record names a segment retention deleted. Only the library writes this
// type, and only a record whose hash matches counts; every member is type-checked.
void ManifestChecker::ObserveDeletion(std::string_view event_json) {
  const auto event = nlohmann::json::parse(event_json, nullptr, /*allow_exceptions=*/false);
  if (!event.is_object()) return;
  const auto segment = event.find("segment");
  const auto last_seq = event.find("last_seq");
  const auto last_hash = event.find("last_hash");
  if (segment == event.end() || !segment->is_string()) return;
  const std::string name = segment->get<std::string>();
  const auto index = ParseSegmentFileName(name);
  if (!index) return;
  ChainedDeletion d;
  d.index = *index;
  if (last_seq != event.end() && last_seq->is_number_unsigned()) {
    d.last_seq = last_seq->get<std::uint64_t>();
  }
  if (last_hash != event.end() && last_hash->is_string()) {
    d.last_hash = last_hash->get<std::string>();
  }
  chained_deletions_[name] = std::move(d);
}

void ManifestChecker::ObserveRecord(const std::string& segment, const RecordView& r) {
  if (last_seen_ == nullptr || last_seen_name_ != segment) {
    last_seen_ = &seen_[segment];  // std::map: the pointer stays valid
    last_seen_name_ = segment;
  }
  Seen& s = *last_seen_;
  if (s.records++ == 0) {
    s.first_seq = r.seq;
    s.first_hash.assign(r.hash);
    s.first_ts = r.ts_micros;
  } else if (r.ts_micros < s.last_ts && s.decreasing++ == 0) {
    s.first_decreasing_seq = r.seq;
    s.first_decreasing_ts = r.ts_micros;
    s.before_decreasing_ts = s.last_ts;
  }
  s.last_seq = r.seq;
  s.last_hash.assign(r.hash);
  s.last_ts = r.ts_micros;
  if (r.event_type == "segment_deleted" && r.hash_matches &&
      r.event_json.rfind("{\"event_type\":\"segment_deleted\"", 0) == 0) {
    ObserveDeletion(r.event_json);
  }
  // The raw event text is looked at only for log_recovered records (event_type, as parsed,
  // is at hand; the raw text may not be in the cache any more).
  if (r.event_type == "log_recovered" &&
      r.event_json.rfind("{\"event_type\":\"log_recovered\"", 0) == 0) {
    const auto event = nlohmann::json::parse(r.event_json, nullptr, /*allow_exceptions=*/false);
    // Type-checked member by member: json::value() throws on a mistyped member, and this
    // record may be hostile (a mistyped length or sha256 then simply fails the comparison).
    auto member = [&](const char* name) -> const nlohmann::json* {
      auto it = event.is_object() ? event.find(name) : event.end();
      return it == event.end() ? nullptr : &*it;
    };
    const nlohmann::json* file = member("quarantine_file");
    if (file != nullptr && file->is_string() && !file->get_ref<const std::string&>().empty()) {
      const nlohmann::json* length = member("length");
      const nlohmann::json* sha = member("sha256");
      recoveries_[file->get<std::string>()] = Recovery{
          length != nullptr && length->is_number_unsigned() ? length->get<std::uint64_t>() : 0,
          sha != nullptr && sha->is_string() ? sha->get<std::string>() : std::string(), r.seq};
    }
  }
}

void ManifestChecker::Add(FindingKind kind, const std::string& file, std::string reason) {
  findings_->push_back(Finding{kind, file, 0, 0, std::nullopt, std::move(reason)});
}

// A manifest entry counts as deleted only when the chain says so: a segment_deleted record
// names it, or names a later segment (retention deletes a prefix, and the record of an
// earlier deletion may have been in a segment deleted since).
void ManifestChecker::CheckDeletions(const std::set<std::string>& present) {
  std::uint64_t covered = 0;  // the highest segment index a chained record names
  for (const auto& [name, d] : chained_deletions_) covered = std::max(covered, d.index);
  for (const SegmentEntry& e : manifest_->segments) {
    if (e.state != SegmentState::kDeleted || chained_deletions_.count(e.name)) continue;
    if (present.count(e.name) || present.count(e.name + std::string(kArchiveSuffix))) {
      Add(FindingKind::kManifestMismatch, e.name,
          "marked deleted in the manifest, but its file is present and no segment_deleted "
          "record in the chain names it");
      continue;
    }
    if (ParseSegmentFileName(e.name).value_or(e.index) < covered) continue;
    Add(FindingKind::kSegmentMissing, e.name,
        "marked deleted in the manifest (" + SeqRange(e) +
            "), but no segment_deleted record in the chain names it: removed outside "
            "retention");
  }
}

// Quarantined torn tails must each be accounted for by a log_recovered record, and each
// one such a record names must still be there, unchanged.
void ManifestChecker::CheckQuarantineFiles() {
  const std::set<std::string> present(quarantine_files_.begin(), quarantine_files_.end());
  for (const std::string& q : quarantine_files_) {
    auto it = recoveries_.find(q);
    if (it == recoveries_.end()) {
      Add(FindingKind::kQuarantineUnrecorded, q,
          "quarantined bytes that no log_recovered record accounts for");
      continue;
    }
    auto data = ReadFileToString(env_, dir_ / q);
    if (!data.ok()) {
      Add(FindingKind::kBadSegment, q, data.status().message());
    } else if (data->size() != it->second.length || Sha256Hex(*data) != it->second.sha256) {
      Add(FindingKind::kChecksumMismatch, q,
          "quarantined bytes differ from what the log_recovered record states (length, SHA-256)");
    }
  }
  // The names come from hash-checked records; they are only looked up in the listing,
  // never opened.
  for (const auto& [name, recovery] : recoveries_) {
    if (present.count(name)) continue;
    findings_->push_back(Finding{
        FindingKind::kChecksumMismatch, name, 0, 0, recovery.seq,
        "quarantine file missing: the log_recovered record at seq " + std::to_string(recovery.seq) +
            " names it (" + std::to_string(recovery.length) + " bytes); it was deleted or moved"});
  }
}

// A writer keeps the timestamps of one segment non-decreasing (a clock step starts a new
// segment), which is what lets readers skip a segment by its first and last record.
void ManifestChecker::CheckTimestampOrder() {
  for (const auto& [name, s] : seen_) {
    if (s.decreasing == 0) continue;
    findings_->push_back(Finding{
        FindingKind::kBadSegment, name, 0, 0, s.first_decreasing_seq,
        "timestamps decrease within the segment: seq " + std::to_string(s.first_decreasing_seq) +
            " is stamped " + Ts(s.first_decreasing_ts) + ", before the record preceding it (" +
            Ts(s.before_decreasing_ts) + "); " + std::to_string(s.decreasing) +
            " such record(s) in the segment (a writer starts a new segment at a clock "
            "step)"});
  }
}

void ManifestChecker::CheckEntryFields(const SegmentEntry& e, const Seen& s, const Checksum* sum) {
  FieldDiffs d;
  if (e.state == SegmentState::kActive) {
    // Its entry may lag behind the file, but what it states must be what the file holds.
    d.AtMost("records", e.records, s.records);
    d.AtMost("last_seq", e.last_seq, s.last_seq);
    if (e.records == 0) {
      d.Exact<std::uint64_t>("first_seq", e.first_seq, 0);
      d.Exact<std::string>("first_hash", e.first_hash, "");
      d.Exact<std::string>("last_hash", e.last_hash, "");
      d.Time("first_timestamp", e.first_ts_micros, 0);
      d.Time("last_timestamp", e.last_ts_micros, 0);
    } else if (s.records > 0) {
      d.Exact("first_seq", e.first_seq, s.first_seq);
      d.Exact("first_hash", e.first_hash, s.first_hash);
      d.Time("first_timestamp", e.first_ts_micros, s.first_ts);
      if (e.last_ts_micros > s.last_ts) d.Time("last_timestamp", e.last_ts_micros, s.last_ts);
    }
  } else {
    d.Exact("records", e.records, s.records);
    d.Exact("first_seq", e.first_seq, s.first_seq);
    d.Exact("last_seq", e.last_seq, s.last_seq);
    d.Exact("first_hash", e.first_hash, s.first_hash);
    d.Exact("last_hash", e.last_hash, s.last_hash);
    d.Time("first_timestamp", e.first_ts_micros, s.first_ts);
    d.Time("last_timestamp", e.last_ts_micros, s.last_ts);
    // When the contents do not have the entry's SHA-256, that finding states both sizes.
    if (sum != nullptr && sum->content_sha256 == e.sha256) {
      d.Exact("bytes", e.bytes, sum->content_bytes);
    }
    if (sum != nullptr && e.state == SegmentState::kArchived && sum->from_archive &&
        sum->archive_sha256 == e.archive_sha256) {
      d.Exact("archive.bytes", e.archive_bytes, sum->archive_bytes);
    }
  }
  if (d.empty()) return;
  Add(FindingKind::kManifestMismatch, e.name,
      "manifest entry does not describe the segment (manifest edited, or segment replaced): " +
          d.text());
}

void ManifestChecker::FinishChecksums() {
  for (auto& [name, sum] : checksums_) {
    if (!sum.content_done) ComputeContentChecksum(name, &sum);
    // As if read in one go: the content first, then the archive file.
    if (sum.status.ok() && !sum.archive_status.ok()) sum.status = sum.archive_status;
  }
}

void ManifestChecker::ReportNoManifest() {
  const std::string manifest_name(kManifestFileName);
  if (!manifest_status_.ok()) {
    Add(FindingKind::kManifestMismatch, manifest_name,
        "cannot be read: " + manifest_status_.message());
  } else if (!segment_names_.empty()) {
    Add(FindingKind::kManifestMismatch, manifest_name,
        "missing, although the log has segment files (removed or never written)");
  }
}

void ManifestChecker::CheckListedSegment(const SegmentEntry& e,
                                         const std::set<std::string>& present) {
  if (e.state == SegmentState::kDeleted) return;
  const std::string archive = e.name + std::string(kArchiveSuffix);
  if (!present.count(e.name) && !present.count(archive)) {
    // The chain says retention deleted it (the manifest update may not have happened).
    if (chained_deletions_.count(e.name)) return;
    Add(FindingKind::kSegmentMissing, e.name,
        "listed in the manifest (" + SeqRange(e) + ") but not in the log directory");
    return;
  }
  const auto seen = seen_.find(e.name);
  const Seen none;
  const Seen& s = seen == seen_.end() ? none : seen->second;
  if (e.state == SegmentState::kActive) {  // its manifest entry may lag behind
    CheckEntryFields(e, s, nullptr);
    return;
  }
  const Checksum& sum = checksums_[e.name];
  if (!sum.status.ok()) {
    Add(FindingKind::kBadSegment, e.name, "cannot be checksummed: " + sum.status.message());
    return;
  }
  if (sum.content_sha256 != e.sha256) {
    Add(FindingKind::kChecksumMismatch, e.name,
        "contents (" + std::to_string(sum.content_bytes) +
            " bytes) do not match the SHA-256 "
            "the manifest recorded when the segment was closed (" +
            std::to_string(e.bytes) + " bytes): the file was altered or replaced");
  }
  if (e.state == SegmentState::kArchived && !present.count(e.name) &&
      sum.archive_sha256 != e.archive_sha256) {
    Add(FindingKind::kChecksumMismatch, archive,
        "archive does not match the SHA-256 the manifest recorded for it");
  }
  if (e.records > 0 && s.last_seq < e.last_seq) {
    Add(FindingKind::kManifestMismatch, e.name,
        "records missing at the end: the manifest says the segment ends at seq " +
            std::to_string(e.last_seq) + ", the file " +
            (s.records ? "ends at seq " + std::to_string(s.last_seq) : std::string("has none")));
  } else {
    CheckEntryFields(e, s, &sum);
  }
  CheckChecksumFile(e);
}

void ManifestChecker::CheckChecksumFile(const SegmentEntry& e) {
  const fs::path companion = dir_ / (e.name + ".sha256");
  auto text = ReadFileToString(env_, companion);
  if (!text.ok()) {
    Add(FindingKind::kChecksumMismatch, e.name + ".sha256",
        text.status().code() == StatusCode::kNotFound
            ? std::string("checksum file is missing")
            : "checksum file cannot be read: " + text.status().message());
  } else if (*text != ChecksumFileContents(e.sha256, e.name)) {
    Add(FindingKind::kChecksumMismatch, e.name + ".sha256",
        "checksum file does not match the manifest");
  }
}

void ManifestChecker::CheckUnlistedSegments(const Manifest& m, std::uint64_t max_index) {
  // A live writer may have started (and named in the manifest) a segment since the manifest
  // was read: look again before reporting.
  std::optional<Manifest> late;
  bool late_loaded = false;
  for (const std::string& file : segment_names_) {
    std::string name = file;
    if (name.size() > kArchiveSuffix.size() &&
        std::string_view(name).substr(name.size() - kArchiveSuffix.size()) == kArchiveSuffix) {
      name.resize(name.size() - kArchiveSuffix.size());
    }
    if (m.Find(name) != nullptr) continue;
    if (!late_loaded) {
      late_loaded = true;
      auto reloaded = LoadManifest(env_, dir_);
      if (reloaded.ok()) late = std::move(*reloaded);
    }
    if (late && late->Find(name) != nullptr && !m.clean_shutdown) continue;
    const auto index = ParseSegmentFileName(name).value_or(0);
    const auto seen = seen_.find(name);
    const bool empty = seen == seen_.end() || seen->second.records == 0;
    // A live writer creates a new segment just before the manifest names it; so does a
    // writer opening a log that was shut down cleanly (the file is then still empty).
    if (index > max_index && empty && !m.clean_shutdown) continue;
    if (index > max_index && empty) {
      auto size = env_->GetFileSize(dir_ / file);
      if (size.ok() && *size == 0) continue;
    }
    std::string reason = "not listed in the manifest (added, or renamed)";
    if (seen != seen_.end()) {
      for (const SegmentEntry& e : m.segments) {
        if (e.records > 0 && e.first_hash == seen->second.first_hash) {
          reason = "not listed in the manifest: holds the records of " + e.name + " (renamed)";
        }
      }
    }
    Add(FindingKind::kSegmentUnexpected, file, reason);
  }
}

void ManifestChecker::Finish(std::vector<Finding>* findings) {
  if (thread_.joinable()) thread_.join();
  findings_ = findings;
  FinishChecksums();
  CheckQuarantineFiles();
  CheckTimestampOrder();
  if (!manifest_) {
    ReportNoManifest();
    return;
  }
  const Manifest& m = *manifest_;
  const std::set<std::string> present(segment_names_.begin(), segment_names_.end());
  std::uint64_t max_index = 0;
  for (const SegmentEntry& e : m.segments) {
    max_index = std::max(max_index, e.index);
    CheckListedSegment(e, present);
  }
  CheckDeletions(present);
  CheckUnlistedSegments(m, max_index);
}

}  // namespace auditlog::internal
