// The manifest: manifest.json in the log directory, an index of the log's segments that
// lets Verify notice a segment that was removed, added, renamed, replaced or shortened, and
// that keeps the chain anchor of segments deleted by retention. Replaced atomically
// (temporary file, fsync, rename, fsync directory). Not thread-safe: the writer thread owns
// it; readers load their own copy.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auditlog/env.h"
#include "auditlog/status.h"

namespace auditlog::internal {

inline constexpr std::string_view kManifestFileName = "manifest.json";
inline constexpr std::string_view kLockFileName = "LOCK";

enum class SegmentState : std::uint8_t {
  kActive,    // being written; its counts in the manifest may lag behind the file
  kClosed,    // complete; sha256 covers the whole file
  kArchived,  // compressed to archive_name; sha256 still covers the uncompressed bytes
  kDeleted,   // removed by retention; first/last seq and last_hash anchor what follows
};
std::string_view SegmentStateName(SegmentState s);

struct SegmentEntry {
  std::string name;  // the .audit file name (also for archived and deleted segments)
  std::uint64_t index = 0;
  SegmentState state = SegmentState::kActive;
  std::uint64_t first_seq = 0;  // 0: no record yet
  std::uint64_t last_seq = 0;
  std::string first_hash;
  std::string last_hash;
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
  // Timestamps of its first and last record (0 when it has none): lets readers skip a
  // segment outside a query's time range without reading it.
  std::int64_t first_ts_micros = 0;
  std::int64_t last_ts_micros = 0;
  std::int64_t created_micros = 0;
  std::int64_t closed_micros = 0;  // 0: not closed
  std::string sha256;              // of the whole .audit file, once closed
  std::string archive_name;        // for kArchived: "NAME.audit.zst"
  std::uint64_t archive_bytes = 0;
  std::string archive_sha256;  // of the .zst file
};

struct Manifest {
  std::string service_id;
  std::int64_t created_micros = 0;
  std::int64_t updated_micros = 0;
  // True only while the log is closed after a clean Shutdown: then the last segment's entry
  // is exact, and a record missing at its end is a finding.
  bool clean_shutdown = false;
  std::vector<SegmentEntry> segments;  // in log order

  SegmentEntry* Find(std::string_view name);
  const SegmentEntry* Find(std::string_view name) const;

  std::string ToJson() const;
  // Parses manifest JSON; kCorruption naming the member on any problem.
  static Result<Manifest> Parse(std::string_view json);
};

// Loads DIR/manifest.json; nullopt when there is none (a log from before manifests, or new).
Result<std::optional<Manifest>> LoadManifest(Env* env, const std::filesystem::path& dir);
// Writes DIR/manifest.json atomically and durably.
Status SaveManifest(Env* env, const std::filesystem::path& dir, const Manifest& manifest);

// The "NAME.sha256" companion in sha256sum format: "<64 hex>  NAME\n".
std::string ChecksumFileContents(std::string_view sha256_hex, std::string_view file_name);

}  // namespace auditlog::internal
