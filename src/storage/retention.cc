// Retention: what the policy asks for, decided from the segments' own records, and how the
// writer carries it out crash-safely; see record_writer.h and docs/FORMAT.md §9.4.
//
// Trust: manifest.json and the file names in the directory are hostile input. A name acted
// on must be exactly a name the writer makes (ValidateManifestSegmentNames), and every file
// touched is one the directory listing found, addressed as DIR / that name. Ages come from
// the last record of each segment (parsed, hash-checked and linked to the next segment's
// first record), which verify checks too; the manifest's own timestamps can only hold
// retention back. A deletion is recorded in the chain, durably, before any file goes.
#include <algorithm>
#include <utility>

#include "auditlog/config.h"
#include "format/log_dir.h"
#include "format/manifest.h"
#include "format/record_format.h"
#include "read/line_reader.h"
#include "storage/record_writer.h"
#include "storage/zstd_file.h"
#include "util/sha256.h"

namespace auditlog::internal {

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kDayMicros = 86400LL * 1000000;
constexpr std::size_t kHashChunk = 1 << 20;

// `s` with every byte outside printable ASCII (and '"', '\') as \xHH: safe in any message.
std::string Escaped(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : s.substr(0, 200)) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7f && c != '"' && c != '\\') {
      out += c;
    } else {
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 15];
    }
  }
  if (s.size() > 200) out += "...";
  return out;
}

Status BadEntry(std::string_view name, const std::string& why) {
  return Status::Corruption("manifest.json: segment entry \"" + Escaped(name) + "\": " + why +
                            "; retention refuses to act on this manifest (run auditlog verify)");
}

std::uint64_t AgeDays(std::int64_t now_micros, std::int64_t ts_micros) {
  if (now_micros <= ts_micros) return 0;
  return static_cast<std::uint64_t>(now_micros - ts_micros) / kDayMicros;
}

// What a segment's own records say about it.
struct Evidence {
  bool has_records = false;
  std::uint64_t first_seq = 0, last_seq = 0;
  std::string last_hash;
  std::int64_t last_ts_micros = 0;
};

Status Untrusted(const SegmentFile& f, const std::string& why) {
  return Status::Corruption(f.name + ": " + why +
                            "; retention does not act on it (run auditlog verify)");
}

// Reads every line of `f` and checks its first and last record (form and hash).
Result<Evidence> ReadEvidence(Env* env, const SegmentFile& f) {
  AUDITLOG_ASSIGN_OR_RETURN(auto reader, LineReader::Open(env, f));
  std::string first, last;
  std::string_view line;
  std::uint64_t offset = 0;
  std::uint64_t lines = 0;
  for (;;) {
    AUDITLOG_ASSIGN_OR_RETURN(bool more, reader->Next(&line, &offset));
    if (!more) break;
    if (lines++ == 0) first.assign(line);
    last.assign(line);
  }
  if (reader->trailing_bytes() > 0) return Untrusted(f, "ends in an incomplete line");
  Evidence ev;
  if (lines == 0) return ev;
  RecordParser parser;
  RecordView r;
  Status s = parser.Parse(first, &r);
  if (!s.ok() || !r.hash_matches) return Untrusted(f, "its first record is malformed or altered");
  ev.first_seq = r.seq;
  s = parser.Parse(last, &r);
  if (!s.ok() || !r.hash_matches) return Untrusted(f, "its last record is malformed or altered");
  ev.has_records = true;
  ev.last_seq = r.seq;
  ev.last_hash.assign(r.hash);
  ev.last_ts_micros = r.ts_micros;
  return ev;
}

// The last record of files[i] must be the one the next record of the log links to (when a
// later segment holds a record): then its timestamp is as checked as the chain.
Status CheckLinkToNext(Env* env, const std::vector<SegmentFile>& files, std::size_t i,
                       const Evidence& ev) {
  for (std::size_t j = i + 1; j < files.size(); ++j) {
    AUDITLOG_ASSIGN_OR_RETURN(std::optional<std::string> line, PeekFirstLine(env, files[j]));
    if (!line) continue;
    RecordParser parser;
    RecordView r;
    if (!parser.Parse(*line, &r, /*compute_hash=*/false).ok() || r.seq != ev.last_seq + 1 ||
        r.prev_hash != ev.last_hash) {
      return Untrusted(files[i], "its last record is not the one " + files[j].name +
                                     " continues the chain from");
    }
    return Status::Ok();
  }
  return Status::Ok();
}

Status HashAll(const ReadableFile& file, std::string* sha) {
  Sha256Stream hash;
  std::string chunk;
  for (std::uint64_t offset = 0;; offset += chunk.size()) {
    AUDITLOG_RETURN_IF_ERROR(file.Read(offset, kHashChunk, &chunk));
    if (chunk.empty()) break;
    hash.Update(chunk);
  }
  *sha = ToHex(hash.Finish());
  return Status::Ok();
}

}  // namespace

Status ValidateManifestSegmentNames(const Manifest& manifest) {
  for (const SegmentEntry& e : manifest.segments) {
    // Manifest::Parse checks the same; this keeps retention safe on any Manifest it is given.
    const auto index = ParseSegmentFileName(e.name);
    if (!index) {
      return BadEntry(e.name, "not a segment file name (NNNNNNNNNN-YYYY-MM-DD.audit)");
    }
    if (*index != e.index) {
      return BadEntry(e.name, "index " + std::to_string(e.index) + " differs from its name");
    }
    if (e.state == SegmentState::kArchived && !IsValidArchiveName(e.archive_name, e.name)) {
      return BadEntry(e.name, "archive name \"" + Escaped(e.archive_name) + "\" is not \"" +
                                  e.name + std::string(kArchiveSuffix) + "\"");
    }
  }
  return Status::Ok();
}

std::vector<RetentionAction> PlanRetention(const Manifest& manifest, const RetentionPolicy& policy,
                                           std::int64_t now_micros) {
  const std::uint32_t delete_days = std::max(policy.delete_after_days, policy.min_retention_days);
  std::vector<RetentionAction> plan;
  bool prefix = true;  // every earlier segment is deleted: this one may be too
  for (const SegmentEntry& e : manifest.segments) {
    if (e.state == SegmentState::kDeleted) continue;
    if (e.state == SegmentState::kActive) break;
    if (e.records == 0 || e.last_ts_micros == 0) continue;
    const std::uint64_t age = AgeDays(now_micros, e.last_ts_micros);
    if (prefix && age >= delete_days) {
      plan.push_back({RetentionAction::kDelete, e.name, age, e.first_seq, e.last_seq, e.last_hash});
      continue;
    }
    prefix = false;
    if (e.state == SegmentState::kClosed && age >= policy.archive_after_days) {
      plan.push_back({RetentionAction::kArchive, e.name, age});
    }
  }
  return plan;
}

Result<std::vector<RetentionAction>> PlanRetention(Env* env, const fs::path& dir,
                                                   const Manifest& manifest,
                                                   const RetentionPolicy& policy,
                                                   std::int64_t now_micros) {
  AUDITLOG_RETURN_IF_ERROR(ValidateManifestSegmentNames(manifest));
  AUDITLOG_ASSIGN_OR_RETURN(std::vector<SegmentFile> files, ListLogSegments(env, dir));
  const std::uint32_t delete_days = std::max(policy.delete_after_days, policy.min_retention_days);
  auto claims_old = [&](std::int64_t claimed_ts, std::uint32_t days) {
    return claimed_ts == 0 || AgeDays(now_micros, claimed_ts) >= days;
  };
  // A segment the manifest calls empty is not read just to archive it (nothing to gain).
  std::vector<RetentionAction> plan;
  std::vector<RetentionAction> empties;  // record-less segments: as old as the next record
  bool prefix = true;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const SegmentFile& f = files[i];
    const SegmentEntry* e = manifest.Find(f.name);
    if (e == nullptr || e->state == SegmentState::kActive) break;
    const bool archivable = !f.archived && e->state == SegmentState::kClosed && !e->sha256.empty();
    // The manifest's claim is only a pre-filter: it can hold retention back, never push it.
    const bool may_delete = prefix && claims_old(e->last_ts_micros, delete_days);
    const bool may_archive = archivable && e->last_ts_micros != 0 &&
                             claims_old(e->last_ts_micros, policy.archive_after_days);
    if (!may_delete && !may_archive) {
      prefix = false;
      empties.clear();
      continue;
    }
    AUDITLOG_ASSIGN_OR_RETURN(Evidence ev, ReadEvidence(env, f));
    if (!ev.has_records) {
      if (prefix) empties.push_back({RetentionAction::kDelete, f.name, 0});
      continue;
    }
    AUDITLOG_RETURN_IF_ERROR(CheckLinkToNext(env, files, i, ev));
    const std::uint64_t age = AgeDays(now_micros, ev.last_ts_micros);
    if (may_delete && age >= delete_days) {
      for (RetentionAction& empty : empties) {
        empty.age_days = age;
        plan.push_back(std::move(empty));
      }
      empties.clear();
      plan.push_back(
          {RetentionAction::kDelete, f.name, age, ev.first_seq, ev.last_seq, ev.last_hash});
      continue;
    }
    prefix = false;
    empties.clear();
    if (may_archive && age >= policy.archive_after_days) {
      plan.push_back({RetentionAction::kArchive, f.name, age});
    }
  }
  return plan;
}

// An archival interrupted after the manifest named the archive: NAME is removed only when
// NAME.zst decompresses to exactly NAME's bytes (a manifest entry alone proves nothing).
Status RecordWriter::FinishInterruptedArchivals() {
  Env* env = options_.env;
  for (const SegmentEntry& e : manifest_.segments) {
    if (e.state != SegmentState::kArchived) continue;
    const fs::path plain = options_.dir / e.name;  // names validated at Open
    const fs::path archive = options_.dir / (e.name + std::string(kArchiveSuffix));
    if (!env->FileExists(plain) || !env->FileExists(archive)) continue;
    std::string plain_sha, archive_sha;
    AUDITLOG_ASSIGN_OR_RETURN(auto p, env->NewReadableFile(plain));
    AUDITLOG_RETURN_IF_ERROR(HashAll(*p, &plain_sha));
    AUDITLOG_ASSIGN_OR_RETURN(auto z, OpenCompressedFile(env, archive));
    AUDITLOG_RETURN_IF_ERROR(HashAll(*z, &archive_sha));
    if (plain_sha != archive_sha) {
      return Status::Corruption(archive.string() + " does not hold the bytes of " + e.name +
                                "; keeping both (run auditlog verify)");
    }
    AUDITLOG_RETURN_IF_ERROR(env->RemoveFile(plain));
    AUDITLOG_RETURN_IF_ERROR(env->SyncDir(options_.dir));
  }
  return Status::Ok();
}

// Archive: write NAME.zst (fsync, dir fsync), save the manifest naming it, remove NAME.
Status RecordWriter::ArchiveSegment(const RetentionAction& action,
                                    std::vector<LibraryEvent>* records) {
  Env* env = options_.env;
  SegmentEntry& e = *manifest_.Find(action.segment);  // the plan only names listed entries
  const fs::path plain = options_.dir / e.name;
  const fs::path archive = options_.dir / (e.name + std::string(kArchiveSuffix));
  if (env->FileExists(archive)) AUDITLOG_RETURN_IF_ERROR(env->RemoveFile(archive));  // stale
  AUDITLOG_ASSIGN_OR_RETURN(CompressResult z, CompressFile(env, plain, archive));
  if (z.input_sha256 != e.sha256) {
    env->RemoveFile(archive).IgnoreError();  // keep the evidence as it is
    return Status::Corruption(plain.string() +
                              ": contents no longer match the checksum in the manifest; "
                              "not archiving (run auditlog verify)");
  }
  AUDITLOG_RETURN_IF_ERROR(env->SyncDir(options_.dir));
  e.state = SegmentState::kArchived;
  e.archive_name = archive.filename().string();
  e.archive_bytes = z.output_bytes;
  e.archive_sha256 = z.output_sha256;
  AUDITLOG_RETURN_IF_ERROR(SaveManifest(env, options_.dir, manifest_));
  AUDITLOG_RETURN_IF_ERROR(env->RemoveFile(plain));
  AUDITLOG_RETURN_IF_ERROR(env->SyncDir(options_.dir));
  records->push_back(SegmentArchived{.segment = e.name,
                                     .archive = e.archive_name,
                                     .segment_bytes = e.bytes,
                                     .archive_bytes = e.archive_bytes,
                                     .segment_sha256 = e.sha256});
  return Status::Ok();
}

Status RecordWriter::ApplyRetention(const RetentionPolicy& policy, std::int64_t now_micros,
                                    std::vector<LibraryEvent>* records) {
  if (!sticky_.ok()) return sticky_;
  if (!retention_error_.ok()) return std::exchange(retention_error_, Status::Ok());
  // A deletion whose record the caller never framed is planned (and recorded) afresh.
  std::erase_if(pending_deletions_, [](const PendingDeletion& p) { return p.seq == 0; });
  AUDITLOG_RETURN_IF_ERROR(FinishInterruptedArchivals());
  AUDITLOG_ASSIGN_OR_RETURN(
      std::vector<RetentionAction> plan,
      PlanRetention(options_.env, options_.dir, manifest_, policy, now_micros));
  Status status;
  for (const RetentionAction& action : plan) {
    if (action.kind == RetentionAction::kArchive) {
      status = ArchiveSegment(action, records);
      if (!status.ok()) break;
      continue;
    }
    const bool pending =
        std::any_of(pending_deletions_.begin(), pending_deletions_.end(),
                    [&](const PendingDeletion& p) { return p.segment == action.segment; });
    if (pending) continue;  // recorded already, waiting for its fsync
    SegmentDeleted event{.segment = action.segment,
                         .first_seq = action.first_seq,
                         .last_seq = action.last_seq,
                         .last_hash = action.last_hash,
                         .age_days = action.age_days};
    EncodedEvent encoded;
    EncodeOptions encode_options;
    encode_options.max_field_bytes = options_.max_field_bytes;
    status = EncodeEvent(event, encode_options, &encoded);
    if (!status.ok()) break;
    // Verify anchors the rest of the log on this record: it must state the facts verbatim.
    if (encoded.altered_fields != 0) {
      status = Status::FailedPrecondition(
          "max_field_bytes (" + std::to_string(options_.max_field_bytes) +
          ") would cut the segment_deleted record of " + action.segment +
          " (its last_hash needs 64 bytes); not deleting");
      break;
    }
    pending_deletions_.push_back({action.segment, std::move(encoded.body), 0, action});
    records->push_back(std::move(event));
  }
  manifest_.updated_micros = options_.env->NowMicros();
  const Status saved = SaveManifest(options_.env, options_.dir, manifest_);
  return status.ok() ? saved : status;
}

void RecordWriter::NoteFramed(std::string_view body) {
  for (PendingDeletion& p : pending_deletions_) {
    if (p.seq == 0 && p.body == body) {
      p.seq = chain_.next_seq;
      return;
    }
  }
}

// Delete, once the segment_deleted record is durable: save the manifest marking the
// segment deleted (with the seq/hash facts its record states), then remove its files. A
// crash in between leaves files the chain already calls deleted: verify accepts them, and
// the next run deletes them again (recording it again).
Status RecordWriter::CompleteDeletions() {
  Env* env = options_.env;
  auto ready = [this](const PendingDeletion& p) { return p.seq != 0 && p.seq <= synced_seq_; };
  bool any = false;
  for (const PendingDeletion& p : pending_deletions_) {
    if (!ready(p)) continue;
    SegmentEntry* e = manifest_.Find(p.segment);
    if (e == nullptr) continue;
    e->state = SegmentState::kDeleted;
    e->first_seq = p.action.first_seq;
    e->last_seq = p.action.last_seq;
    e->last_hash = p.action.last_hash;
    any = true;
  }
  if (!any) return Status::Ok();
  manifest_.updated_micros = env->NowMicros();
  AUDITLOG_RETURN_IF_ERROR(SaveManifest(env, options_.dir, manifest_));
  for (const PendingDeletion& p : pending_deletions_) {
    if (!ready(p)) continue;
    const fs::path plain = options_.dir / p.segment;  // a name from the directory listing
    for (const fs::path& path : {plain, fs::path(plain.string() + std::string(kArchiveSuffix)),
                                 fs::path(plain.string() + ".sha256")}) {
      if (env->FileExists(path)) AUDITLOG_RETURN_IF_ERROR(env->RemoveFile(path));
    }
  }
  AUDITLOG_RETURN_IF_ERROR(env->SyncDir(options_.dir));
  std::erase_if(pending_deletions_, ready);
  return Status::Ok();
}

Result<std::size_t> ApplyRetentionToLog(Env* env, const fs::path& dir,
                                        const RetentionPolicy& policy, std::int64_t now_micros) {
  AUDITLOG_ASSIGN_OR_RETURN(std::optional<Manifest> manifest, LoadManifest(env, dir));
  if (!manifest) {
    return Status::NotFound(dir.string() + ": no manifest.json (not an auditlog log directory?)");
  }
  // The records are framed with this id: the same rule as for a caller's Config.
  if (Status s = ValidateServiceId(manifest->service_id); !s.ok()) {
    return Status::Corruption("manifest.json: service_id \"" + Escaped(manifest->service_id) +
                              "\" is not valid (" + s.message() +
                              "); refusing to write records with it");
  }
  RecordWriter::Options options;
  options.env = env;
  options.dir = dir;
  options.service_id = manifest->service_id;
  AUDITLOG_ASSIGN_OR_RETURN(std::unique_ptr<RecordWriter> writer, RecordWriter::Open(options));
  std::vector<LibraryEvent> records;
  Status s = writer->ApplyRetention(policy, now_micros, &records);
  // Record what was done even if a later step failed; Sync() then removes the segments
  // whose segment_deleted record it made durable.
  std::string batch;
  for (const LibraryEvent& e : records) {
    Status f = writer->FrameSystemEvent(env->NowMicros(), e, &batch);
    if (s.ok()) s = f;
  }
  if (!batch.empty()) {
    Status w = writer->Write(batch);
    if (w.ok()) w = writer->Sync();
    if (s.ok()) s = w;
  }
  if (s.ok()) s = writer->retention_error();
  const Status closed = writer->Close();
  if (s.ok()) s = closed;
  if (!s.ok()) return s;
  return records.size();
}

}  // namespace auditlog::internal
