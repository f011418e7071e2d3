// The manifest side of Verify: compares manifest.json with the files of the log directory
// and with the records the chain check read. It notices a segment that is missing, extra,
// renamed or replaced, a closed segment whose checksum changed or whose last records are
// gone, a tampered NAME.sha256, and a quarantine file (NAME.torn-OFFSET) that no
// log_recovered record accounts for. Whole-file checksums are computed on a thread of their
// own while the chain check runs. Not thread-safe otherwise: one Verify call owns it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "auditlog/env.h"
#include "auditlog/verify.h"
#include "log_reader.h"
#include "manifest.h"
#include "record_format.h"

namespace auditlog::internal {

class ManifestChecker {
 public:
  // Loads the manifest of `dir` and lists its files. `segments` is what the chain check
  // will read (from ListLogSegments). Errors only when the directory cannot be listed.
  static Result<std::unique_ptr<ManifestChecker>> Create(Env* env, const std::filesystem::path& dir,
                                                          const std::vector<SegmentFile>& segments);
  ~ManifestChecker();

  // Starts hashing the closed and archived segments in the background.
  void StartChecksums();

  // When retention deleted the log's first segments: the last seq and hash of the last one
  // deleted, from which the remaining chain must continue.
  std::optional<std::pair<std::uint64_t, std::string>> DeletedPrefixAnchor() const;

  // Every record the chain check read, in log order.
  void ObserveRecord(const std::string& segment, const RecordView& record);

  // Joins the checksum thread and appends the findings.
  void Finish(std::vector<Finding>* findings);

 private:
  struct Seen {
    std::uint64_t records = 0;
    std::uint64_t first_seq = 0, last_seq = 0;
    std::string first_hash, last_hash;
  };
  struct Recovery {
    std::uint64_t length = 0;
    std::string sha256;
  };
  struct Checksum {
    Status status;
    std::string content_sha256;  // of the (decompressed) segment
    std::uint64_t content_bytes = 0;
    std::string archive_sha256;  // of the .zst file, for archived segments
  };

  ManifestChecker(Env* env, std::filesystem::path dir) : env_(env), dir_(std::move(dir)) {}
  void ComputeChecksums();
  void Add(FindingKind kind, const std::string& file, std::string reason);

  Env* env_;
  std::filesystem::path dir_;
  std::optional<Manifest> manifest_;
  Status manifest_status_;
  std::vector<SegmentFile> segments_;          // what the chain check reads
  std::vector<std::string> segment_names_;     // every segment-like file name in the directory
  std::vector<std::string> quarantine_files_;  // NAME.torn-OFFSET
  std::map<std::string, Seen> seen_;
  std::map<std::string, Recovery> recoveries_;  // by quarantine file name
  std::map<std::string, Checksum> checksums_;   // by segment name; written by the thread
  std::thread thread_;
  std::vector<Finding>* findings_ = nullptr;
};

}  // namespace auditlog::internal
