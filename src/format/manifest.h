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
#include "format/log_dir.h"  // kManifestFileName, kLockFileName, segment names

namespace auditlog::internal {

// manifest.json is read only up to this size (an entry takes 700-900 bytes, so this holds
// about 18,000 segments or more: 50 years of daily rotation); a larger file is kCorruption,
// unread.
inline constexpr std::uint64_t kMaxManifestBytes = 16 << 20;
// Before the JSON document is built: at most this nesting depth (the format needs 4) and
// about this many JSON values (a real entry has 18), so that no manifest within the size
// limit costs more than a bounded amount of memory.
inline constexpr int kMaxManifestDepth = 8;
inline constexpr std::size_t kMaxManifestValues = 1'000'000;

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
  // Parses manifest JSON and validates it (ValidateManifest). Never throws: any problem is
  // kCorruption naming the member, and for a segment entry its position and name, e.g.
  // `manifest: segments[2] (0000000003-2026-11-27.audit): "last_seq" is not an unsigned
  // integer (it is a string)`. Checked: the text (valid JSON, no duplicate member names,
  // nesting and value count within the limits above); "format" == "auditlog-manifest";
  // "version" the integer 1; every member's type: integers are JSON unsigned integers that
  // fit in 64 bits (no sign, fraction or exponent), timestamps null or the record form
  // (§3), hashes 64 lowercase hex digits, "state" one of the four names, "archive" an
  // object present exactly on archived entries. Unknown members are ignored.
  static Result<Manifest> Parse(std::string_view json);
};

// The rules every manifest obeys, checked by Parse and before every save; kCorruption
// naming the entry otherwise. service_id matches [A-Za-z0-9._-]{1,64}; each entry's name is
// a valid segment name (log_dir.h: no '/', "..", absolute path, …) and its index is the
// name's index (so 1..kMaxSegmentIndex); indexes strictly increase (entries are in log
// order, names unique); an entry with records has 1 <= first_seq <= last_seq, 64-hex
// first/last hash and records <= last_seq - first_seq + 1, one without has all of these
// zero or empty; seq ranges strictly increase from entry to entry; closed and archived
// entries have a 64-hex sha256; an archived entry's archive name is exactly NAME.zst with a
// 64-hex archive sha256; deleted entries form a prefix of the list; only the last entry may
// be active, and none when clean_shutdown is true.
Status ValidateManifest(const Manifest& manifest);

// Loads DIR/manifest.json; nullopt when there is none (a log from before manifests, or new).
// A file over kMaxManifestBytes is kCorruption without being read.
Result<std::optional<Manifest>> LoadManifest(Env* env, const std::filesystem::path& dir);
// Writes DIR/manifest.json atomically and durably, after checking ValidateManifest (so the
// writer never saves what Parse would reject).
Status SaveManifest(Env* env, const std::filesystem::path& dir, const Manifest& manifest);

// The "NAME.sha256" companion in sha256sum format: "<64 hex>  NAME\n".
std::string ChecksumFileContents(std::string_view sha256_hex, std::string_view file_name);

}  // namespace auditlog::internal
