// TileStore: the hashes of the log's Merkle tree in DIR/tree/, laid out as C2SP tlog-tiles
// (docs/FORMAT.md §12.8): tile(L, N) holds up to 256 hashes of tree height 8L, the roots of
// the complete subtrees of 256^L leaves with indexes N*256 .. N*256+255. Level-0 tiles hold
// the leaf hashes. The writer appends one leaf hash per record line; proofs read the tiles
// back through the MerkleHashSource interface.
//
// Trust: every file under DIR/tree is hostile input. Open() checks the sizes and the shape of
// the whole store (contiguous tiles, every level's count matching level 0) before it reads a
// byte; every later read checks the file's size again. The tiles are derivable from the log,
// which stays the truth: after a crash the writer cuts the store back with TruncateTo() (or
// opens it with Mode::kRepair) and re-appends what the log holds beyond it.
//
// Thread-safety: not thread-safe; one owner at a time (the writer thread, or one reader).
// Files go through the Env seam only.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "auditlog/env.h"
#include "seal/merkle.h"

namespace auditlog::internal {

inline constexpr std::size_t kTileWidth = 256;
inline constexpr std::size_t kTileBytes = kTileWidth * 32;

// "tile/<L>/<N>" relative to DIR/tree, N in tlog-tiles form: 1234067 -> x001/x234/067.
std::string TileRelativePath(int level, std::uint64_t index);

class TileStore : public MerkleHashSource {
 public:
  enum class Mode {
    kStrict,    // any inconsistency is kCorruption naming the file (readers, verify)
    kRepair,    // the writer after a crash: cut the store back to its longest consistent
                // prefix (torn last tiles, higher levels ahead of or behind level 0)
    kSnapshot,  // a reader beside a live writer: the same longest consistent prefix, but
                // nothing on disk is changed and every write is kFailedPrecondition
  };

  // Opens the store of the log directory `log_dir` (the tree need not exist yet; nothing is
  // created until the first Flush). `env` must outlive the store.
  static Result<std::unique_ptr<TileStore>> Open(Env* env, const std::filesystem::path& log_dir,
                                                 Mode mode = Mode::kStrict);
  ~TileStore() override;
  TileStore(const TileStore&) = delete;
  TileStore& operator=(const TileStore&) = delete;

  // Leaves in the store (appended, flushed or not).
  std::uint64_t size() const { return levels_.empty() ? 0 : levels_[0].count; }
  // The first leaf whose level-0 tile is kept (a multiple of 256; 0 unless pruned).
  std::uint64_t min_index() const { return min_index_; }
  // The compact range of all leaves, kept up to date by Append: Frontier().Root() is MTH.
  const MerkleFrontier& Frontier() const { return frontier_; }

  // Adds the next leaf hash (buffered in memory; completed tiles also produce their entry
  // one level up). Fails only when the store failed before (a write error is sticky).
  Status Append(const MerkleHash& leaf_hash);
  // Writes every buffered hash to its tile file (no fsync).
  Status Flush();
  // Flush, then fsyncs every tile file written and every directory changed since the last
  // Sync. After a failure the store refuses further writes.
  Status Sync();
  // Cuts the store back to its first `size` leaves (every level follows). Flushes first.
  // REQUIRES min_index() <= size <= this->size() (else kInvalidArgument).
  Status TruncateTo(std::uint64_t size);
  // Retention: records the new minimum index (durably, in tree/min_index) and then removes
  // the level-0 tiles wholly below `leaf_index`. Higher levels stay. No-op when nothing is
  // below. REQUIRES leaf_index <= size().
  Status PruneBelow(std::uint64_t leaf_index);

  // MerkleHashSource: the subtree from its stored level 8*(height/8), hashing up at most 255
  // entries. kNotFound when it needs a pruned level-0 tile; kInvalidArgument beyond size().
  // Writes buffered hashes first (as Flush) so that it reads only files.
  Result<MerkleHash> CompleteSubtree(int height, std::uint64_t index) override;

  // Tile files read from disk so far (for benchmarks: cold vs cached).
  std::uint64_t tile_reads() const { return tile_reads_; }

 private:
  struct Level {
    std::uint64_t count = 0;             // entries at this level
    std::vector<MerkleHash> tail;        // the entries of the last, incomplete tile
    std::string pending;                 // bytes not yet written, ending at entry `count`
    std::unique_ptr<WritableFile> file;  // the open tile file, if any
    std::uint64_t file_tile = 0;         // which tile `file` is
  };
  struct CachedTile {
    int level = -1;
    std::uint64_t index = 0;
    std::vector<MerkleHash> hashes;
  };

  TileStore(Env* env, std::filesystem::path log_dir);

  std::filesystem::path TilePath(int level, std::uint64_t index) const;
  Status Failed() const;
  Status Scan(Mode mode, std::vector<std::uint64_t>* counts, std::vector<bool>* torn);
  Status ReadMinIndex();
  Status CutToPrefix(Mode mode, std::vector<std::uint64_t>* counts, const std::vector<bool>& torn);
  Status LoadState(const std::vector<std::uint64_t>& counts);
  void AppendEntry(std::size_t level, const MerkleHash& h);
  Status FlushLevel(std::size_t level);
  Status WriteRun(std::size_t level, std::uint64_t tile, std::uint64_t first, std::string_view b);
  Status OpenTileForAppend(std::size_t level, std::uint64_t tile, std::uint64_t first);
  Status CloseTile(std::size_t level);
  Status CutLevel(std::size_t level, std::uint64_t old_count, std::uint64_t new_count, bool torn);
  Result<std::vector<MerkleHash>> ReadTile(int level, std::uint64_t index, std::size_t entries);
  Result<const std::vector<MerkleHash>*> Tile(int level, std::uint64_t index);
  void DropCached(int level);
  Status CreateParents(const std::filesystem::path& file);

  Env* env_;
  std::filesystem::path log_dir_;
  std::filesystem::path tree_dir_;
  std::uint64_t min_index_ = 0;
  std::vector<Level> levels_;
  MerkleFrontier frontier_;
  bool snapshot_ = false;
  bool has_pending_ = false;
  Status failed_;
  std::set<std::filesystem::path> unsynced_files_;  // written and closed since the last Sync
  std::set<std::filesystem::path> unsynced_dirs_;   // entries added or removed since then
  std::vector<CachedTile> cache_;
  std::size_t cache_next_ = 0;
  std::uint64_t tile_reads_ = 0;
};

}  // namespace auditlog::internal
