// Log verification; see verify.h and docs/FORMAT.md ("Verifying a log").
#include "auditlog/verify.h"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "format/record_format.h"
#include "read/line_reader.h"
#include "read/verify_manifest.h"
#include "read/verify_pipeline.h"
#include "read/verify_seals.h"
#include "seal/seal_state.h"

namespace auditlog {

std::string_view FindingKindName(FindingKind kind) {
  switch (kind) {
    case FindingKind::kMalformedRecord:
      return "malformed_record";
    case FindingKind::kHashMismatch:
      return "hash_mismatch";
    case FindingKind::kChainBroken:
      return "chain_broken";
    case FindingKind::kSeqGap:
      return "seq_gap";
    case FindingKind::kDuplicateAuditId:
      return "duplicate_audit_id";
    case FindingKind::kTornTail:
      return "torn_tail";
    case FindingKind::kBadSegment:
      return "bad_segment";
    case FindingKind::kSegmentMissing:
      return "segment_missing";
    case FindingKind::kSegmentUnexpected:
      return "segment_unexpected";
    case FindingKind::kChecksumMismatch:
      return "checksum_mismatch";
    case FindingKind::kSealBroken:
      return "seal_broken";
    case FindingKind::kSealTagMismatch:
      return "seal_tag_mismatch";
    case FindingKind::kSealGap:
      return "seal_gap";
    case FindingKind::kSealWindow:
      return "seal_window";
    case FindingKind::kSealIncident:
      return "seal_incident";
    case FindingKind::kManifestMismatch:
      return "manifest_mismatch";
    case FindingKind::kQuarantineUnrecorded:
      return "quarantine_unrecorded";
  }
  return "unknown";
}

bool VerifyReport::tampered() const {
  return findings_dropped > 0 ||
         std::any_of(findings.begin(), findings.end(),
                     [](const Finding& f) { return f.kind != FindingKind::kTornTail; });
}

bool VerifyReport::torn_tail() const {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& f) { return f.kind == FindingKind::kTornTail; });
}

namespace {

namespace fs = std::filesystem;
using internal::RecordParser;
using internal::RecordView;

// The audit_ids seen so far, in memory proportional to the irregularities of the log rather
// than to its length. A well-formed id is "<service_id>-<seq>" (and the last '-' splits it
// unambiguously), so it is kept as a seq in per-service intervals of seen seqs; in a
// healthy log each service has one interval that just grows. Ill-formed ids (reported
// separately) are kept as strings.
class AuditIdSet {
 public:
  // Adds `id`; false when it was seen before. `well_formed`: id == MakeAuditId(service, seq).
  bool Insert(std::string_view id, bool well_formed, std::string_view service, std::uint64_t seq) {
    if (!odd_.empty() && odd_.count(std::string(id)) != 0) return false;
    if (well_formed) return AddSeq(service, seq);
    // An ill-formed id may still spell a well-formed id seen (or yet to be seen) elsewhere.
    const std::size_t dash = id.rfind('-');
    if (dash != std::string_view::npos && dash + 1 < id.size() && id[dash + 1] != '0') {
      std::uint64_t n = 0;
      const auto r = std::from_chars(id.data() + dash + 1, id.data() + id.size(), n);
      if (r.ec == std::errc() && r.ptr == id.data() + id.size()) {
        if (!AddSeq(id.substr(0, dash), n)) return false;
        return true;  // now recorded as that service's seq
      }
    }
    return odd_.insert(std::string(id)).second;
  }

 private:
  struct Intervals {
    std::map<std::uint64_t, std::uint64_t> spans;  // first seq -> last seq, disjoint
    std::uint64_t last_first = 0, last_end = 0;    // the span extended last (fast path)
    bool have_last = false;
  };

  bool AddSeq(std::string_view service, std::uint64_t seq) {
    if (last_service_ == nullptr || last_service_name_ != service) {
      last_service_ = &services_[std::string(service)];
      last_service_name_.assign(service);
    }
    Intervals& iv = *last_service_;
    if (iv.have_last && seq == iv.last_end + 1 &&
        (iv.spans.upper_bound(iv.last_first) == iv.spans.end() ||
         iv.spans.upper_bound(iv.last_first)->first > seq)) {
      iv.spans[iv.last_first] = seq;  // the common case: the next seq
      iv.last_end = seq;
      Merge(iv, iv.spans.find(iv.last_first));
      return true;
    }
    auto next = iv.spans.upper_bound(seq);
    if (next != iv.spans.begin()) {
      auto prev = std::prev(next);
      if (seq <= prev->second) return false;  // inside a seen span
    }
    auto it = iv.spans.emplace(seq, seq).first;
    // Join with the span before when adjacent.
    if (it != iv.spans.begin()) {
      auto prev = std::prev(it);
      if (prev->second + 1 == seq) {
        prev->second = seq;
        iv.spans.erase(it);
        it = prev;
      }
    }
    Merge(iv, it);
    iv.have_last = true;
    iv.last_first = it->first;
    iv.last_end = it->second;
    return true;
  }

  // Joins the span at `it` with the one after it when they touch.
  static void Merge(Intervals& iv, std::map<std::uint64_t, std::uint64_t>::iterator it) {
    auto next = std::next(it);
    if (next != iv.spans.end() && it->second + 1 == next->first) {
      it->second = next->second;
      iv.spans.erase(next);
      iv.last_first = it->first;
      iv.last_end = it->second;
    }
  }

  std::unordered_map<std::string, Intervals> services_;
  Intervals* last_service_ = nullptr;
  std::string last_service_name_;
  std::unordered_set<std::string> odd_;
};

// id == internal::MakeAuditId(service, seq), without building the string.
bool IsAuditIdOf(std::string_view id, std::string_view service, std::uint64_t seq) {
  char digits[20];
  const auto r = std::to_chars(digits, digits + sizeof digits, seq);
  const auto n = static_cast<std::size_t>(r.ptr - digits);
  return id.size() == service.size() + 1 + n && id.substr(0, service.size()) == service &&
         id[service.size()] == '-' && id.substr(service.size() + 1) == std::string_view(digits, n);
}

// `reason` cut to kMaxFindingReasonBytes (at a UTF-8 boundary), "..." marking the cut.
std::string CapReason(std::string reason) {
  if (reason.size() <= kMaxFindingReasonBytes) return reason;
  std::size_t n = kMaxFindingReasonBytes - 3;
  while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) --n;
  reason.resize(n);
  reason += "...";
  return reason;
}

// Keeps the findings of one run in bounded memory: the same finding (kind, file, reason) on
// consecutive lines becomes one Finding over the run, and past `max` findings the rest are
// counted only (a run of them once). A torn tail (at most one per log) is always kept.
class FindingCollector {
 public:
  FindingCollector(VerifyReport* report, std::size_t max) : report_(*report), max_(max) {}

  void Add(Finding f) {
    if (!report_.findings.empty() && f.line != 0) {
      Finding& last = report_.findings.back();
      const std::uint64_t last_line = last.last_line ? last.last_line : last.line;
      if (last.kind == f.kind && last.line != 0 && f.line == last_line + 1 && last.file == f.file &&
          last_reason_ == f.reason) {
        last.last_line = f.line;
        last.reason = CapReason("lines " + std::to_string(last.line) + "-" +
                                std::to_string(f.line) + ": " + last_reason_);
        return;
      }
    }
    if (report_.findings.size() >= max_ && f.kind != FindingKind::kTornTail) {
      // A run continues: it was counted once already.
      const bool run = f.line != 0 && f.line == dropped_line_ + 1 && f.kind == dropped_kind_ &&
                       f.file == dropped_file_ && f.reason == dropped_reason_;
      dropped_line_ = f.line;
      if (run) return;
      ++report_.findings_dropped;
      dropped_kind_ = f.kind;
      dropped_file_ = std::move(f.file);
      dropped_reason_ = std::move(f.reason);
      return;
    }
    last_reason_ = f.reason;
    f.reason = CapReason(std::move(f.reason));
    report_.findings.push_back(std::move(f));
  }

 private:
  VerifyReport& report_;
  std::size_t max_;
  std::string last_reason_;  // the uncut reason of report_.findings.back()
  // The last finding dropped, to count a run of them once.
  FindingKind dropped_kind_ = FindingKind::kTornTail;
  std::string dropped_file_, dropped_reason_;
  std::uint64_t dropped_line_ = 0;
};

class Verifier {
 public:
  Verifier(VerifyReport* report, std::size_t max_findings)
      : report_(*report), findings_(report, max_findings) {}

  // Checks one complete line; `file`, `line_no`, `offset` locate it for findings.
  void Line(const std::string& file, std::uint64_t line_no, std::uint64_t offset,
            std::string_view line) {
    RecordView r;
    Status s = parser_.Parse(line, &r);
    Checked(file, line_no, offset, line.size(), s, r);
  }

  // Line()'s checks, for a line already parsed (by a worker thread) into `s` and `r`.
  void Checked(const std::string& file, std::uint64_t line_no, std::uint64_t offset,
               std::size_t line_size, const Status& s, const RecordView& r) {
    if (!s.ok()) {
      Add(FindingKind::kMalformedRecord, file, line_no, offset, std::nullopt, s.message());
      // The chain cannot be followed through an unreadable line; the next record's link
      // will be reported against the last readable one.
      return;
    }
    ++report_.records;
    report_.bytes += line_size + 1;
    if (r.critical) ++report_.critical_records;
    if (!report_.first_seq) {
      report_.first_seq = r.seq;
      report_.first_timestamp.assign(r.timestamp);
      report_.first_hash.assign(r.hash);
    }
    report_.last_seq = r.seq;
    report_.last_timestamp.assign(r.timestamp);

    if (!r.hash_matches) {
      Add(FindingKind::kHashMismatch, file, line_no, offset, r.seq,
          "stored hash does not match the record's contents (the line was altered)");
    }
    const std::uint64_t expected_seq = prev_seq_ + 1;
    // A range whose anchor line could not be read: its first link cannot be checked.
    bool anchored = !std::exchange(unanchored_, false);
    if (!std::exchange(seen_record_, true) && defer_first_link_ &&
        (r.seq != 1 || r.prev_hash != internal::kGenesisHash)) {
      first_link_ = FirstLink{file, line_no, offset, r.seq, std::string(r.prev_hash)};
      anchored = false;  // ResolveFirstLink() checks it
    }
    if (anchored && r.seq != expected_seq) {
      Add(FindingKind::kSeqGap, file, line_no, offset, r.seq,
          "expected seq " + std::to_string(expected_seq) + ", found " + std::to_string(r.seq) +
              (r.seq <= prev_seq_ ? " (repeated or out of order)" : " (records missing)"));
    }
    if (anchored && r.prev_hash != prev_hash_) {
      Add(FindingKind::kChainBroken, file, line_no, offset, r.seq,
          prev_seq_ == 0 ? "first record's prev_hash is not the genesis value (64 zeros)"
                         : "prev_hash does not match the hash of the record before (seq " +
                               std::to_string(prev_seq_) + ")");
    }
    const bool id_well_formed = IsAuditIdOf(r.audit_id, r.service_id, r.seq);
    if (!id_well_formed) {
      Add(FindingKind::kMalformedRecord, file, line_no, offset, r.seq,
          "audit_id is not \"<service_id>-<seq>\"");
    }
    if (!audit_ids_.Insert(r.audit_id, id_well_formed, r.service_id, r.seq)) {
      Add(FindingKind::kDuplicateAuditId, file, line_no, offset, r.seq,
          "audit_id \"" + std::string(r.audit_id) + "\" appears earlier in the log");
    }
    prev_seq_ = r.seq;
    prev_hash_.assign(r.hash);
    report_.last_hash = prev_hash_;
  }

  // Ranged modes: the line before the range. Its stored hash and seq are what the range's
  // first record must link to; the anchor itself is not verified (it is outside the range).
  void Anchor(const std::string& file, std::uint64_t line_no, std::uint64_t offset,
              std::string_view line) {
    RecordView r;
    Status s = parser_.Parse(line, &r, /*compute_hash=*/false);
    if (!s.ok()) {
      Add(FindingKind::kMalformedRecord, file, line_no, offset, std::nullopt,
          "the record before the verified range (its anchor) is malformed: " + s.message());
      unanchored_ = true;
      return;
    }
    prev_seq_ = r.seq;
    prev_hash_.assign(r.hash);
    report_.anchor_seq = r.seq;
    report_.anchor_hash = prev_hash_;
  }

  // Full verification: a first record other than seq 1 after the genesis hash is checked
  // only once the whole chain was read, since the segment_deleted records that may account
  // for the records before it come later in the chain.
  void DeferFirstLink() { defer_first_link_ = true; }

  // The first record's link: the chain itself must say that retention deleted everything
  // before it (a hash-checked segment_deleted record ending at seq - 1 with its prev_hash,
  // which becomes the report's anchor); the manifest's word is not enough.
  void ResolveFirstLink(const internal::ManifestChecker& manifest) {
    if (!first_link_) return;
    const FirstLink& f = *first_link_;
    bool hash_matches = false;
    const auto deleted = manifest.DeletedPrefixAnchor(f.seq, f.prev_hash, &hash_matches);
    if (deleted && hash_matches) {
      report_.anchor_seq = f.seq - 1;
      report_.anchor_hash = f.prev_hash;
      return;
    }
    if (deleted) {
      Add(FindingKind::kChainBroken, f.file, f.line_no, f.offset, f.seq,
          "prev_hash does not match the last_hash of the segment_deleted record for " + *deleted +
              " (seq " + std::to_string(f.seq - 1) + ")");
      return;
    }
    const std::string why =
        "; no segment_deleted record in the chain accounts for the records before it";
    if (f.seq != 1) {
      Add(FindingKind::kSeqGap, f.file, f.line_no, f.offset, f.seq,
          "expected seq 1, found " + std::to_string(f.seq) + " (records missing)" + why);
    }
    if (f.prev_hash != internal::kGenesisHash) {
      Add(FindingKind::kChainBroken, f.file, f.line_no, f.offset, f.seq,
          "first record's prev_hash is not the genesis value (64 zeros)" + why);
    }
  }

  void Add(FindingKind kind, const std::string& file, std::uint64_t line, std::uint64_t offset,
           std::optional<std::uint64_t> seq, std::string reason) {
    findings_.Add(Finding{kind, file, line, offset, seq, std::move(reason)});
  }
  void Add(Finding f) { findings_.Add(std::move(f)); }

 private:
  VerifyReport& report_;
  FindingCollector findings_;
  RecordParser parser_;
  std::uint64_t prev_seq_ = 0;
  std::string prev_hash_ = std::string(internal::kGenesisHash);
  AuditIdSet audit_ids_;
  bool unanchored_ = false;
  struct FirstLink {
    std::string file;
    std::uint64_t line_no = 0, offset = 0, seq = 0;
    std::string prev_hash;
  };
  bool seen_record_ = false;
  bool defer_first_link_ = false;
  std::optional<FirstLink> first_link_;  // deferred: see DeferFirstLink()
};

// Feeds the pipeline's lines, in log order, to the Verifier.
class PipelineSink : public internal::VerifySink {
 public:
  PipelineSink(Verifier* verifier, VerifyReport* report, const VerifyOptions& options,
               internal::ManifestChecker* manifest, internal::SealChecker* seals)
      : verifier_(*verifier),
        report_(*report),
        options_(options),
        manifest_(manifest),
        seals_(seals) {}

  void BeginSegment(const internal::SegmentFile&) override { ++report_.segments; }
  void AnchorLine(const internal::SegmentFile& segment, std::uint64_t line_no, std::uint64_t offset,
                  std::string_view line) override {
    verifier_.Anchor(segment.name, line_no, offset, line);
  }
  void Line(const internal::SegmentFile& segment, std::uint64_t line_no, std::uint64_t offset,
            std::size_t size, const Status& parsed, const RecordView& record) override {
    verifier_.Checked(segment.name, line_no, offset, size, parsed, record);
    if (manifest_ != nullptr && parsed.ok()) manifest_->ObserveRecord(segment.name, record);
    if (seals_ != nullptr) seals_->Line(segment.name, line_no, offset, parsed, record);
  }
  void SegmentProblem(FindingKind kind, const internal::SegmentFile& segment, std::uint64_t line_no,
                      std::uint64_t offset, std::string reason) override {
    verifier_.Add(kind, segment.name, line_no, offset, std::nullopt, std::move(reason));
  }
  void Progress(const VerifyProgress& progress) override {
    if (options_.progress) options_.progress(progress);
  }
  void SegmentBytes(const internal::SegmentFile& segment, std::string_view bytes) override {
    if (manifest_ != nullptr) manifest_->SegmentBytes(segment, bytes);
  }
  void SegmentBytesEnd(const internal::SegmentFile& segment, const ReadableFile* file,
                       std::uint64_t end_offset, const Status& status) override {
    if (manifest_ != nullptr) manifest_->SegmentBytesEnd(segment, file, end_offset, status);
  }

 private:
  Verifier& verifier_;
  VerifyReport& report_;
  const VerifyOptions& options_;
  internal::ManifestChecker* manifest_;  // null in ranged modes
  internal::SealChecker* seals_;         // null in ranged modes
};

// The names in `dir` that a concurrent rotation or archival changes (sorted).
std::vector<std::string> DirectoryNames(Env* env, const fs::path& dir) {
  auto names = env->GetChildren(dir);
  if (!names.ok()) return {};
  std::sort(names->begin(), names->end());
  return std::move(*names);
}

Result<VerifyReport> VerifyOnce(Env* env, const fs::path& dir, const VerifyOptions& options,
                                const internal::VerificationKey* seal_key) {
  // A sealed log's state is read before anything of the log: what it says is durable is
  // then in the segments read after (even while a writer appends).
  const bool sealed_dir = internal::IsSealedLog(env, dir);
  std::optional<internal::SealState> seal_state;
  if (sealed_dir) {
    auto state = internal::ReadSealState(env, dir);
    if (state.ok()) seal_state = std::move(*state);
  }
  // manifest.json is parsed once per run, for the manifest checks (the listing needs none).
  auto loaded = internal::LoadManifest(env, dir);
  // The one listing of a log's segments (plain and archived), in log order.
  AUDITLOG_ASSIGN_OR_RETURN(std::vector<internal::SegmentFile> segments,
                            internal::ListLogSegments(env, dir));
  auto micros = [](std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  };
  internal::PipelineOptions pipeline;
  pipeline.range.last_n = options.last_n;
  if (options.since) pipeline.range.since_micros = micros(*options.since);
  if (options.until) pipeline.range.until_micros = micros(*options.until);
  pipeline.threads = options.threads;
  pipeline.report_progress = static_cast<bool>(options.progress);

  VerifyReport report;
  report.ranged = pipeline.range.ranged();
  Verifier verifier(&report, options.max_findings);
  // A full verification also checks the files against manifest.json.
  std::unique_ptr<internal::ManifestChecker> manifest;
  if (!report.ranged) {
    AUDITLOG_ASSIGN_OR_RETURN(
        manifest, internal::ManifestChecker::Create(env, dir, segments, std::move(loaded)));
    verifier.DeferFirstLink();
    manifest->StartChecksums();
  }
  // Seals are followed on every full run; the tree is recomputed for a sealed directory or
  // when the key is given (the interval comes from the key, else from the state file).
  std::unique_ptr<internal::SealChecker> seals;
  if (!report.ranged) {
    std::uint32_t interval_ms = 0;
    if (seal_key != nullptr) {
      interval_ms = seal_key->schedule.interval_ms;
    } else if (seal_state) {
      interval_ms = seal_state->schedule.interval_ms;
    }
    pipeline.leaf_hashes = sealed_dir || seal_key != nullptr;
    seals = std::make_unique<internal::SealChecker>(
        seal_key, sealed_dir, interval_ms, env->NowMicros(),
        [&verifier](Finding f) { verifier.Add(std::move(f)); });
    if (seal_state) {
      seals->SetState(seal_state->schedule, seal_state->epoch, seal_state->last_seal_seq);
    }
  }
  PipelineSink sink(&verifier, &report, options, manifest.get(), seals.get());
  AUDITLOG_RETURN_IF_ERROR(internal::RunVerifyPipeline(env, segments, pipeline, &sink));
  if (seals) seals->Finish(&report.seal);
  if (manifest) {
    verifier.ResolveFirstLink(*manifest);
    std::vector<Finding> found;
    manifest->Finish(&found);
    for (Finding& f : found) verifier.Add(std::move(f));
  }
  return report;
}

}  // namespace

Result<VerifyReport> Verify(const fs::path& dir, const VerifyOptions& options) {
  Env* env = options.env ? options.env : Env::Default();
  if (options.last_n && (options.since || options.until)) {
    return Status::InvalidArgument("verify options: last_n and since/until are exclusive");
  }
  if (options.last_n && *options.last_n == 0) {
    return Status::InvalidArgument("verify options: last_n is 0");
  }
  if (options.since && options.until && *options.since > *options.until) {
    return Status::InvalidArgument("verify options: since is after until");
  }
  if (options.max_findings == 0) {
    return Status::InvalidArgument("verify options: max_findings is 0");
  }
  std::optional<internal::VerificationKey> seal_key;
  if (!options.seal_key.empty()) {
    if (options.last_n || options.since || options.until) {
      return Status::InvalidArgument("verify options: a seal key needs a full verification");
    }
    AUDITLOG_ASSIGN_OR_RETURN(seal_key, internal::ParseVerificationKey(options.seal_key));
  }
  // A run that overlapped a rotation or an archival may have seen a file in two states;
  // only a run that found something is repeated, and only when the directory changed.
  constexpr int kMaxRuns = 3;
  try {
    for (int run = 1;; ++run) {
      const std::vector<std::string> before = DirectoryNames(env, dir);
      Result<VerifyReport> report = VerifyOnce(env, dir, options, seal_key ? &*seal_key : nullptr);
      if (!report.ok() || report->intact() || run == kMaxRuns) return report;
      if (DirectoryNames(env, dir) == before) return report;
    }
  } catch (const std::exception& e) {  // e.g. std::bad_alloc: no exception leaves the library
    return Status::IOError(std::string("verify: ") + e.what());
  }
}

}  // namespace auditlog
