// The manifest side of Verify: compares manifest.json with the files of the log directory
// and with the records the chain check read. It notices a segment that is missing, extra,
// renamed or replaced, a closed segment whose checksum changed or whose last records are
// gone, a manifest field that does not describe its segment (seq range, hashes, record and
// byte counts, timestamps), timestamps that decrease within a segment, a tampered
// NAME.sha256, a quarantine file (NAME.torn-OFFSET) that no log_recovered record accounts
// for or that a log_recovered record names but that is gone, and a segment the manifest
// calls deleted that no segment_deleted record of the chain accounts for (the chain, not
// the manifest, says what retention deleted, and anchors what remains). Whole-file
// checksums of closed segments are computed from the bytes the chain check reads anyway
// (SegmentBytes), so each segment is read once; archive files (.zst) are hashed on a
// thread of their own while the chain check runs. Not thread-safe otherwise: one Verify
// call owns it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "auditlog/env.h"
#include "auditlog/verify.h"
#include "format/manifest.h"
#include "format/record_format.h"
#include "read/line_reader.h"
#include "util/sha256.h"

namespace auditlog::internal {

class ManifestChecker {
 public:
  // Loads the manifest of `dir` and lists its files. `segments` is what the chain check
  // will read (from ListLogSegments). Errors only when the directory cannot be listed.
  static Result<std::unique_ptr<ManifestChecker>> Create(Env* env, const std::filesystem::path& dir,
                                                         const std::vector<SegmentFile>& segments);
  // The same with the manifest already loaded (LoadManifest), so that it is parsed once.
  static Result<std::unique_ptr<ManifestChecker>> Create(Env* env, const std::filesystem::path& dir,
                                                         const std::vector<SegmentFile>& segments,
                                                         Result<std::optional<Manifest>> manifest);
  ~ManifestChecker();

  // Decides which segments need a whole-file checksum and starts hashing the archive files
  // of archived segments in the background.
  void StartChecksums();

  // The bytes of a segment as the chain check reads them (see VerifySink::SegmentBytes):
  // the content checksum of a closed or archived segment is computed from them. Segments
  // not passed through here (or whose reading failed) are hashed by Finish() instead.
  void SegmentBytes(const SegmentFile& segment, std::string_view bytes);
  void SegmentBytesEnd(const SegmentFile& segment, const ReadableFile* file,
                       std::uint64_t end_offset, const Status& status);

  // Retention deleted the records before the log's first remaining one (seq `first_seq`,
  // linked to `prev_hash`) only if the chain holds a segment_deleted record (read by
  // ObserveRecord) ending at seq first_seq - 1. That record's segment, or nullopt. Its
  // last_hash must also equal `prev_hash`: `*hash_matches` says whether it does.
  std::optional<std::string> DeletedPrefixAnchor(std::uint64_t first_seq,
                                                 std::string_view prev_hash,
                                                 bool* hash_matches) const;

  // Every record the chain check read, in log order.
  void ObserveRecord(const std::string& segment, const RecordView& record);

  // Joins the checksum thread and appends the findings.
  void Finish(std::vector<Finding>* findings);

 private:
  struct Seen {
    std::uint64_t records = 0;
    std::uint64_t first_seq = 0, last_seq = 0;
    std::string first_hash, last_hash;
    std::int64_t first_ts = 0, last_ts = 0;
    // Records stamped before the record preceding them in this segment, and the first one.
    std::uint64_t decreasing = 0;
    std::uint64_t first_decreasing_seq = 0;
    std::int64_t first_decreasing_ts = 0, before_decreasing_ts = 0;
  };
  // A segment_deleted record of the chain (hash-checked): retention deleted `segment`.
  struct ChainedDeletion {
    std::uint64_t index = 0;  // of the segment it names
    std::uint64_t last_seq = 0;
    std::string last_hash;
  };
  struct Recovery {
    std::uint64_t length = 0;
    std::string sha256;
    std::uint64_t seq = 0;  // of the log_recovered record
  };
  struct Checksum {
    // Written on the calling thread (SegmentBytes, Finish).
    Status status;  // of computing the content checksum
    bool content_done = false;
    std::string content_sha256;  // of the (decompressed) segment
    std::uint64_t content_bytes = 0;
    bool from_archive = false;             // the content is read from NAME.zst (NAME is absent)
    std::unique_ptr<Sha256Stream> stream;  // while SegmentBytes feeds it
    // Written by the thread until Finish() joins it.
    Status archive_status;
    std::string archive_sha256;  // of the .zst file, for archived segments
    std::uint64_t archive_bytes = 0;
  };

  ManifestChecker(Env* env, std::filesystem::path dir) : env_(env), dir_(std::move(dir)) {}
  void ComputeArchiveChecksums();
  void ComputeContentChecksum(const std::string& name, Checksum* sum);
  void Add(FindingKind kind, const std::string& file, std::string reason);
  void CheckQuarantineFiles();
  void CheckTimestampOrder();
  // Compares every field of a closed or archived entry (exact) or an active one (what the
  // file already holds must agree) with the records the chain check saw in its segment.
  void CheckEntryFields(const SegmentEntry& e, const Seen& s, const Checksum* sum);
  void ObserveDeletion(std::string_view event_json);
  // Findings for manifest entries marked deleted that no chained record accounts for.
  void CheckDeletions(const std::set<std::string>& present);
  // The steps of Finish(), in its order.
  // Hashes the segments SegmentBytes did not see (after the archive thread is joined).
  void FinishChecksums();
  // The manifest is unreadable, or missing from a log that has segments.
  void ReportNoManifest();
  // One manifest entry against the directory (`present`: its segment-like file names), the
  // checksums and the records the chain check saw.
  void CheckListedSegment(const SegmentEntry& e, const std::set<std::string>& present);
  // The NAME.sha256 companion of a closed or archived entry says what the manifest says.
  void CheckChecksumFile(const SegmentEntry& e);
  // Segment files the manifest does not list (`max_index`: its highest segment index).
  void CheckUnlistedSegments(const Manifest& m, std::uint64_t max_index);

  Env* env_;
  std::filesystem::path dir_;
  std::optional<Manifest> manifest_;
  Status manifest_status_;
  std::vector<SegmentFile> segments_;          // what the chain check reads
  std::vector<std::string> segment_names_;     // every segment-like file name in the directory
  std::vector<std::string> quarantine_files_;  // NAME.torn-OFFSET
  std::map<std::string, Seen> seen_;
  Seen* last_seen_ = nullptr;  // seen_[last_seen_name_], the segment of the last record
  std::string last_seen_name_;
  std::map<std::string, Recovery> recoveries_;                // by quarantine file name
  std::map<std::string, ChainedDeletion> chained_deletions_;  // by segment name
  std::map<std::string, Checksum> checksums_;  // by segment name (closed and archived)
  std::thread thread_;
  std::vector<Finding>* findings_ = nullptr;
};

}  // namespace auditlog::internal
