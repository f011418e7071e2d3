// Log verification; see verify.h and docs/FORMAT.md ("Verifying a log").
#include "auditlog/verify.h"

#include <algorithm>
#include <string>
#include <unordered_set>
#include <vector>

#include "record_format.h"
#include "segment_reader.h"

namespace auditlog {

std::string_view FindingKindName(FindingKind kind) {
  switch (kind) {
    case FindingKind::kMalformedRecord: return "malformed_record";
    case FindingKind::kHashMismatch: return "hash_mismatch";
    case FindingKind::kChainBroken: return "chain_broken";
    case FindingKind::kSeqGap: return "seq_gap";
    case FindingKind::kDuplicateAuditId: return "duplicate_audit_id";
    case FindingKind::kTornTail: return "torn_tail";
    case FindingKind::kBadSegment: return "bad_segment";
  }
  return "unknown";
}

bool VerifyReport::tampered() const {
  return std::any_of(findings.begin(), findings.end(),
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

class Verifier {
 public:
  explicit Verifier(VerifyReport* report) : report_(*report) {}

  // Checks one complete line; `file`, `line_no`, `offset` locate it for findings.
  void Line(const std::string& file, std::uint64_t line_no, std::uint64_t offset,
            std::string_view line) {
    RecordView r;
    Status s = parser_.Parse(line, &r);
    if (!s.ok()) {
      Add(FindingKind::kMalformedRecord, file, line_no, offset, std::nullopt, s.message());
      // The chain cannot be followed through an unreadable line; the next record's link
      // will be reported against the last readable one.
      return;
    }
    ++report_.records;
    report_.bytes += line.size() + 1;
    if (r.critical) ++report_.critical_records;
    if (!report_.first_seq) {
      report_.first_seq = r.seq;
      report_.first_timestamp.assign(r.timestamp);
    }
    report_.last_seq = r.seq;
    report_.last_timestamp.assign(r.timestamp);

    if (!r.hash_matches) {
      Add(FindingKind::kHashMismatch, file, line_no, offset, r.seq,
          "stored hash does not match the record's contents (the line was altered)");
    }
    const std::uint64_t expected_seq = prev_seq_ + 1;
    if (r.seq != expected_seq) {
      Add(FindingKind::kSeqGap, file, line_no, offset, r.seq,
          "expected seq " + std::to_string(expected_seq) + ", found " + std::to_string(r.seq) +
              (r.seq <= prev_seq_ ? " (repeated or out of order)" : " (records missing)"));
    }
    if (r.prev_hash != prev_hash_) {
      Add(FindingKind::kChainBroken, file, line_no, offset, r.seq,
          prev_seq_ == 0 ? "first record's prev_hash is not the genesis value (64 zeros)"
                         : "prev_hash does not match the hash of the record before (seq " +
                               std::to_string(prev_seq_) + ")");
    }
    const std::string expected_id = internal::MakeAuditId(r.service_id, r.seq);
    if (r.audit_id != expected_id) {
      Add(FindingKind::kMalformedRecord, file, line_no, offset, r.seq,
          "audit_id is not \"<service_id>-<seq>\"");
    }
    if (!audit_ids_.insert(std::string(r.audit_id)).second) {
      Add(FindingKind::kDuplicateAuditId, file, line_no, offset, r.seq,
          "audit_id \"" + std::string(r.audit_id) + "\" appears earlier in the log");
    }
    prev_seq_ = r.seq;
    prev_hash_.assign(r.hash);
    report_.last_hash = prev_hash_;
  }

  void Add(FindingKind kind, const std::string& file, std::uint64_t line, std::uint64_t offset,
           std::optional<std::uint64_t> seq, std::string reason) {
    report_.findings.push_back(Finding{kind, file, line, offset, seq, std::move(reason)});
  }

 private:
  VerifyReport& report_;
  RecordParser parser_;
  std::uint64_t prev_seq_ = 0;
  std::string prev_hash_ = std::string(internal::kGenesisHash);
  std::unordered_set<std::string> audit_ids_;
};

}  // namespace

Result<VerifyReport> Verify(const fs::path& dir, const VerifyOptions& options) {
  Env* env = options.env ? options.env : Env::Default();
  AUDITLOG_ASSIGN_OR_RETURN(std::vector<std::string> names, env->GetChildren(dir));
  std::vector<std::pair<std::uint64_t, std::string>> segments;
  for (std::string& name : names) {
    if (auto index = internal::ParseSegmentFileName(name)) {
      segments.emplace_back(*index, std::move(name));
    }
  }
  std::sort(segments.begin(), segments.end());

  VerifyReport report;
  Verifier verifier(&report);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& name = segments[i].second;
    ++report.segments;
    auto reader = internal::SegmentReader::Open(env, dir / name);
    if (!reader.ok()) {
      verifier.Add(FindingKind::kBadSegment, name, 0, 0, std::nullopt, reader.status().message());
      continue;
    }
    std::string_view line;
    std::uint64_t offset = 0, line_no = 0;
    for (;;) {
      auto more = (*reader)->Next(&line, &offset);
      if (!more.ok()) {
        verifier.Add(FindingKind::kBadSegment, name, line_no, offset, std::nullopt,
                     more.status().message());
        break;
      }
      if (!*more) break;
      verifier.Line(name, ++line_no, offset, line);
    }
    if ((*reader)->torn_tail()) {
      const bool newest = i + 1 == segments.size();
      verifier.Add(newest ? FindingKind::kTornTail : FindingKind::kBadSegment, name, line_no + 1,
                   (*reader)->torn_offset(), std::nullopt,
                   std::to_string((*reader)->torn_bytes()) +
                       " bytes after the last complete line" +
                       (newest ? " (an interrupted write, e.g. a crash)"
                               : " in a segment that is not the newest"));
    }
  }
  return report;
}

}  // namespace auditlog
