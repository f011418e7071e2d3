// What Sealer::Open learns from the log: the Merkle tree over its records (kept in the tile
// store when there is one, reading only the records the store lacks, found from the end of
// the log) and its last seal. Internal to the Sealer; see sealer.h.
//
// Thread-safety: none needed (runs in Sealer::Open only).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "auditlog/env.h"
#include "auditlog/status.h"
#include "seal/merkle.h"
#include "seal/seal_record.h"
#include "seal/tile_store.h"

namespace auditlog::internal {

struct LogScan {
  MerkleFrontier tree;         // when scanned without a tile store (else the store holds the tree)
  std::uint64_t last_seq = 0;  // of the log's last record (0: empty)
  bool first_known = false;    // the log's first record was read
  std::uint64_t first_seq = 0;
  std::int64_t first_ts_micros = 0;
  std::optional<SealRecord> last_seal;
  std::uint64_t last_seal_seq = 0;
  std::int64_t last_seal_ts = 0;
  std::uint64_t records_read = 0;  // lines hashed (for tests: the store saved the rest)
  std::string problem;             // why the log cannot be sealed from here (empty: it can)
};

// The whole log into an in-memory frontier (no tile store, or one that cannot be trusted).
Result<LogScan> ScanWholeLog(Env* env, const std::filesystem::path& dir);

// Brings `tiles` in step with the log of `records` records: cuts it back to what it may
// keep (at most the records, and no further than the last seal's tree size, whose root it
// must then match), then appends the leaf hashes of the records beyond it. Sets
// *tiles_unusable when the store must be dropped (an error writing it, or a root that does
// not match: the caller falls back to ScanWholeLog).
Result<LogScan> ScanLogIntoTiles(Env* env, const std::filesystem::path& dir, std::uint64_t records,
                                 TileStore* tiles, bool* tiles_unusable);

}  // namespace auditlog::internal
