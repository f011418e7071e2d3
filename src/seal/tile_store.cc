// The tlog-tiles store of the Merkle tree's hashes; see tile_store.h and docs/FORMAT.md §12.8.
#include "seal/tile_store.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <utility>

namespace auditlog::internal {

namespace fs = std::filesystem;

namespace {

constexpr int kMaxLevels = 9;  // 256^8 = 2^64: level 8 can never hold an entry
constexpr std::size_t kCacheTiles = 64;
constexpr char kMinIndexFile[] = "min_index";

std::string Num(std::uint64_t v) { return std::to_string(v); }

std::string Hashes(std::uint64_t n) { return Num(n) + (n == 1 ? " hash" : " hashes"); }

// `s`, a problem with what is at a path, as the store's corruption.
Status AsCorruption(const Status& s) { return Status::Corruption("tile store: " + s.message()); }

}  // namespace

std::string TileRelativePath(int level, std::uint64_t index) {
  // C2SP tlog-tiles: groups of three digits, every group but the last prefixed with 'x'.
  char group[8];
  std::snprintf(group, sizeof group, "%03u", static_cast<unsigned>(index % 1000));
  std::string n = group;
  for (index /= 1000; index > 0; index /= 1000) {
    std::snprintf(group, sizeof group, "x%03u/", static_cast<unsigned>(index % 1000));
    n.insert(0, group);
  }
  return "tile/" + std::to_string(level) + "/" + n;
}

TileStore::TileStore(Env* env, fs::path log_dir)
    : env_(env), log_dir_(std::move(log_dir)), tree_dir_(log_dir_ / "tree") {
  levels_.resize(1);
}

TileStore::~TileStore() {
  for (Level& lv : levels_) {
    // Closing a file we only appended to; a failure loses nothing Flush did not already hand
    // to the kernel.
    if (lv.file != nullptr) lv.file->Close().IgnoreError();
  }
}

fs::path TileStore::TilePath(int level, std::uint64_t index) const {
  return tree_dir_ / TileRelativePath(level, index);
}

Status TileStore::Failed() const {
  if (snapshot_) return Status::FailedPrecondition("tile store opened as a read-only snapshot");
  if (failed_.ok()) return failed_;
  return Status::FailedPrecondition("tile store failed earlier: " + failed_.message());
}

Result<std::unique_ptr<TileStore>> TileStore::Open(Env* env, const fs::path& log_dir, Mode mode) {
  std::unique_ptr<TileStore> store(new TileStore(env, log_dir));
  store->snapshot_ = mode == Mode::kSnapshot;
  if (!env->FileExists(store->tree_dir_)) return store;
  AUDITLOG_RETURN_IF_ERROR(store->ReadMinIndex());
  std::vector<std::uint64_t> counts;
  std::vector<bool> torn;
  AUDITLOG_RETURN_IF_ERROR(store->Scan(mode, &counts, &torn));
  const std::uint64_t n = counts[0];
  if (mode == Mode::kStrict) {
    for (std::size_t level = 1; level < counts.size(); ++level) {
      const std::uint64_t want = n >> (8 * level);
      if (counts[level] != want) {
        const std::uint64_t tile = counts[level] == 0 ? 0 : (counts[level] - 1) / kTileWidth;
        return Status::Corruption(
            "tile store: " + store->TilePath(static_cast<int>(level), tile).string() + ": level " +
            Num(level) + " holds " + Hashes(counts[level]) + " but the " + Num(n) +
            " leaves of level 0 make " + Hashes(want));
      }
    }
  } else {
    AUDITLOG_RETURN_IF_ERROR(store->CutToPrefix(mode, &counts, torn));
  }
  AUDITLOG_RETURN_IF_ERROR(store->LoadState(counts));
  return store;
}

Status TileStore::CutToPrefix(Mode mode, std::vector<std::uint64_t>* counts,
                              const std::vector<bool>& torn) {
  // The longest prefix every level agrees with: no level L may lag behind it.
  std::uint64_t n = (*counts)[0];
  for (std::size_t level = 1; level < counts->size(); ++level) {
    const int shift = static_cast<int>(8 * level);
    if ((*counts)[level] < (~std::uint64_t{0} >> shift)) {
      n = std::min(n, (((*counts)[level] + 1) << shift) - 1);
    }
  }
  if (n < min_index_) {
    return Status::Corruption("tile store: the consistent prefix of " + Num(n) +
                              " leaves lies below the minimum index " + Num(min_index_) +
                              " (its level-0 tiles were pruned)");
  }
  for (std::size_t level = 0; level < counts->size(); ++level) {
    const std::uint64_t want = n >> (8 * level);
    if (mode == Mode::kRepair && (want != (*counts)[level] || torn[level])) {
      AUDITLOG_RETURN_IF_ERROR(CutLevel(level, (*counts)[level], want, torn[level]));
    }
    (*counts)[level] = want;
  }
  return Status::Ok();
}

Status TileStore::ReadMinIndex() {
  const fs::path path = tree_dir_ / kMinIndexFile;
  if (!env_->FileExists(path)) return Status::Ok();
  auto file = env_->NewReadableFile(path);
  if (!file.ok()) return AsCorruption(file.status());
  auto size = (*file)->Size();
  if (!size.ok()) return AsCorruption(size.status());
  std::string text;
  if (*size > 21) return Status::Corruption("tile store: " + path.string() + " is too long");
  AUDITLOG_RETURN_IF_ERROR((*file)->Read(0, static_cast<std::size_t>(*size), &text));
  // One decimal number without leading zeros, a multiple of 256, then '\n'.
  std::uint64_t v = 0;
  bool ok = text.size() >= 2 && text.back() == '\n' && (text[0] != '0' || text.size() == 2);
  for (std::size_t i = 0; ok && i + 1 < text.size(); ++i) {
    const char c = text[i];
    if (c < '0' || c > '9' || v > (~std::uint64_t{0} - 9) / 10) {
      ok = false;
    } else {
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
  }
  if (!ok || v % kTileWidth != 0) {
    return Status::Corruption("tile store: " + path.string() +
                              " is not a decimal multiple of 256 and a newline");
  }
  min_index_ = v;
  return Status::Ok();
}

Status TileStore::Scan(Mode mode, std::vector<std::uint64_t>* counts, std::vector<bool>* torn) {
  for (int level = 0; level < kMaxLevels; ++level) {
    std::uint64_t count = level == 0 ? min_index_ : 0;
    std::uint64_t tile = count / kTileWidth;
    bool torn_here = false;
    // Every tile is full up to the first one missing or partial, which ends the level.
    for (;; ++tile) {
      const fs::path path = TilePath(level, tile);
      auto size = env_->GetFileSize(path);
      if (!size.ok()) {
        if (size.status().code() == StatusCode::kNotFound) break;
        return AsCorruption(size.status());
      }
      if (*size > kTileBytes) {
        return Status::Corruption("tile store: " + path.string() + " holds " + Num(*size) +
                                  " bytes; a tile holds at most " + Num(kTileBytes));
      }
      if (*size % 32 != 0) {
        if (mode == Mode::kStrict) {
          return Status::Corruption("tile store: " + path.string() + " holds " + Num(*size) +
                                    " bytes, not a whole number of 32-byte hashes");
        }
        torn_here = true;
      }
      count += *size / 32;
      if (*size != kTileBytes) break;
    }
    // (A live writer may have filled a partial tile and begun the next since the snapshot
    // read its size: growth, not a gap.)
    const fs::path after = TilePath(level, tile + 1);
    const bool was_partial = count % kTileWidth != 0 || torn_here;
    if (!(snapshot_ && was_partial) && env_->FileExists(after)) {
      return Status::Corruption("tile store: " + after.string() + " exists but tile " + Num(tile) +
                                " of level " + Num(level) +
                                " is missing or partial (a gap in the level)");
    }
    counts->push_back(count);
    torn->push_back(torn_here);
    if (level > 0 && count == 0) return Status::Ok();
  }
  return Status::Corruption("tile store: " + TilePath(kMaxLevels - 1, 0).string() +
                            ": a level no tree of 2^64 leaves reaches");
}

Status TileStore::LoadState(const std::vector<std::uint64_t>& counts) {
  std::size_t used = 1;
  for (std::size_t level = 0; level < counts.size(); ++level) {
    if (counts[level] > 0) used = level + 1;
  }
  for (std::size_t level = 0; level < levels_.size(); ++level) {
    AUDITLOG_RETURN_IF_ERROR(CloseTile(level));
  }
  levels_.clear();
  levels_.resize(used);
  cache_.clear();
  for (std::size_t level = 0; level < used; ++level) {
    levels_[level].count = counts[level];
    const std::size_t in_tail = counts[level] % kTileWidth;
    if (in_tail != 0) {
      AUDITLOG_ASSIGN_OR_RETURN(levels_[level].tail, ReadTile(static_cast<int>(level),
                                                              counts[level] / kTileWidth, in_tail));
    }
  }
  // The maximal complete subtrees all lie in the levels' tails (in memory).
  const std::uint64_t n = counts[0];
  std::vector<MerkleHash> subtrees;
  std::uint64_t at = 0;
  for (int h = 63; h >= 0; --h) {
    if (!((n >> h) & 1)) continue;
    AUDITLOG_ASSIGN_OR_RETURN(MerkleHash s, CompleteSubtree(h, at >> h));
    subtrees.push_back(s);
    at += std::uint64_t{1} << h;
  }
  AUDITLOG_ASSIGN_OR_RETURN(frontier_, MerkleFrontier::FromSubtrees(n, std::move(subtrees)));
  return Status::Ok();
}

// ---- Writing -------------------------------------------------------------------------------

Status TileStore::Append(const MerkleHash& leaf_hash) {
  AUDITLOG_RETURN_IF_ERROR(Failed());
  // The frontier's merges produce every complete subtree the leaf completes; those of height
  // 8L are the level-L entries, so no tile is hashed twice.
  frontier_.Append(leaf_hash, [this](int height, const MerkleHash& h) {
    if (height % 8 == 0) AppendEntry(static_cast<std::size_t>(height / 8), h);
  });
  return Status::Ok();
}

void TileStore::AppendEntry(std::size_t level, const MerkleHash& h) {
  if (levels_.size() == level) levels_.emplace_back();
  Level& lv = levels_[level];
  lv.tail.push_back(h);
  lv.pending.append(reinterpret_cast<const char*>(h.data()), h.size());
  ++lv.count;
  has_pending_ = true;
  if (lv.tail.size() == kTileWidth) lv.tail.clear();  // its root comes as the next level's entry
}

Status TileStore::Flush() {
  AUDITLOG_RETURN_IF_ERROR(Failed());
  if (!has_pending_) return Status::Ok();
  for (std::size_t level = 0; level < levels_.size(); ++level) {
    Status s = FlushLevel(level);
    if (!s.ok()) {
      failed_ = s;
      return s;
    }
  }
  has_pending_ = false;
  return Status::Ok();
}

Status TileStore::FlushLevel(std::size_t level) {
  Level& lv = levels_[level];
  const std::string_view bytes = lv.pending;
  std::uint64_t entry = lv.count - bytes.size() / 32;
  for (std::size_t done = 0; done < bytes.size();) {
    const std::uint64_t within = entry % kTileWidth;
    const std::size_t take = std::min<std::size_t>((kTileWidth - within) * 32, bytes.size() - done);
    AUDITLOG_RETURN_IF_ERROR(WriteRun(level, entry / kTileWidth, within, bytes.substr(done, take)));
    done += take;
    entry += take / 32;
  }
  lv.pending.clear();
  return Status::Ok();
}

Status TileStore::WriteRun(std::size_t level, std::uint64_t tile, std::uint64_t first,
                           std::string_view b) {
  Level& lv = levels_[level];
  if (lv.file == nullptr || lv.file_tile != tile) {
    AUDITLOG_RETURN_IF_ERROR(CloseTile(level));
    AUDITLOG_RETURN_IF_ERROR(OpenTileForAppend(level, tile, first));
  }
  if (lv.file->Size() != first * 32) {
    return Status::Corruption("tile store: " + TilePath(static_cast<int>(level), tile).string() +
                              " holds " + Num(lv.file->Size()) + " bytes, expected " +
                              Num(first * 32) + " (changed behind the writer's back)");
  }
  AUDITLOG_RETURN_IF_ERROR(lv.file->Append(b));
  if (first * 32 + b.size() == kTileBytes) return CloseTile(level);  // the tile is complete
  return Status::Ok();
}

Status TileStore::OpenTileForAppend(std::size_t level, std::uint64_t tile, std::uint64_t first) {
  const fs::path path = TilePath(static_cast<int>(level), tile);
  Level& lv = levels_[level];
  if (first == 0 && !env_->FileExists(path)) {
    AUDITLOG_RETURN_IF_ERROR(CreateParents(path));
    AUDITLOG_ASSIGN_OR_RETURN(lv.file, env_->NewWritableFile(path, OpenMode::kCreateExclusive));
    unsynced_dirs_.insert(path.parent_path());
  } else {
    // A tile of zero bytes (created, then a crash) is appended to like any partial tile.
    AUDITLOG_ASSIGN_OR_RETURN(lv.file, env_->NewWritableFile(path, OpenMode::kAppendExisting));
  }
  lv.file_tile = tile;
  return Status::Ok();
}

Status TileStore::CloseTile(std::size_t level) {
  Level& lv = levels_[level];
  if (lv.file == nullptr) return Status::Ok();
  unsynced_files_.insert(TilePath(static_cast<int>(level), lv.file_tile));
  Status s = lv.file->Close();
  lv.file.reset();
  return s;
}

Status TileStore::CreateParents(const fs::path& file) {
  const fs::path dir = file.parent_path();
  std::vector<fs::path> missing;
  for (fs::path p = dir; p != log_dir_ && p.has_relative_path() && !env_->FileExists(p);
       p = p.parent_path()) {
    missing.push_back(p);
  }
  AUDITLOG_RETURN_IF_ERROR(env_->CreateDir(dir));
  for (const fs::path& p : missing) unsynced_dirs_.insert(p.parent_path());
  return Status::Ok();
}

Status TileStore::Sync() {
  AUDITLOG_RETURN_IF_ERROR(Flush());
  Status s;
  for (Level& lv : levels_) {
    if (s.ok() && lv.file != nullptr) s = lv.file->Sync();
  }
  for (auto it = unsynced_files_.begin(); s.ok() && it != unsynced_files_.end();) {
    auto file = env_->NewWritableFile(*it, OpenMode::kAppendExisting);
    if (file.ok()) {
      s = (*file)->Sync();
      if (s.ok()) s = (*file)->Close();
    } else if (file.status().code() != StatusCode::kNotFound) {  // gone: truncated or pruned
      s = file.status();
    }
    if (s.ok()) it = unsynced_files_.erase(it);
  }
  for (auto it = unsynced_dirs_.begin(); s.ok() && it != unsynced_dirs_.end();) {
    s = env_->SyncDir(*it);
    if (s.ok()) it = unsynced_dirs_.erase(it);
  }
  if (!s.ok()) failed_ = s;
  return s;
}

// ---- Cutting back --------------------------------------------------------------------------

Status TileStore::CutLevel(std::size_t level, std::uint64_t old_count, std::uint64_t new_count,
                           bool torn) {
  const int l = static_cast<int>(level);
  if (level < levels_.size()) AUDITLOG_RETURN_IF_ERROR(CloseTile(level));
  // Whole tiles at or after new_count go; the tile holding new_count is cut to size.
  const std::uint64_t first_gone = (new_count + kTileWidth - 1) / kTileWidth;
  const std::uint64_t end = (old_count + kTileWidth - 1) / kTileWidth + (torn ? 1 : 0);
  for (std::uint64_t tile = first_gone; tile < end; ++tile) {
    const fs::path path = TilePath(l, tile);
    Status s = env_->RemoveFile(path);
    if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
    unsynced_dirs_.insert(path.parent_path());
  }
  const std::uint64_t keep = new_count % kTileWidth;
  if (keep != 0 && (new_count != old_count || torn)) {
    const fs::path path = TilePath(l, new_count / kTileWidth);
    AUDITLOG_ASSIGN_OR_RETURN(auto file, env_->NewWritableFile(path, OpenMode::kAppendExisting));
    AUDITLOG_RETURN_IF_ERROR(file->Truncate(keep * 32));
    AUDITLOG_RETURN_IF_ERROR(file->Close());
    unsynced_files_.insert(path);
  }
  DropCached(l);
  return Status::Ok();
}

Status TileStore::TruncateTo(std::uint64_t size) {
  AUDITLOG_RETURN_IF_ERROR(Failed());
  if (size < min_index_ || size > this->size()) {
    return Status::InvalidArgument("cannot cut the tile store of " + Num(this->size()) +
                                   " leaves (minimum index " + Num(min_index_) + ") to " +
                                   Num(size));
  }
  AUDITLOG_RETURN_IF_ERROR(Flush());
  std::vector<std::uint64_t> counts;
  Status s;
  for (std::size_t level = 0; level < levels_.size(); ++level) {
    counts.push_back(size >> (8 * level));
    if (s.ok() && counts.back() != levels_[level].count) {
      s = CutLevel(level, levels_[level].count, counts.back(), false);
    }
  }
  if (s.ok()) s = LoadState(counts);
  if (!s.ok()) failed_ = s;
  return s;
}

Status TileStore::PruneBelow(std::uint64_t leaf_index) {
  AUDITLOG_RETURN_IF_ERROR(Failed());
  if (leaf_index > size()) {
    return Status::InvalidArgument("cannot prune below leaf " + Num(leaf_index) +
                                   ": the tile store holds " + Num(size()) + " leaves");
  }
  const std::uint64_t new_min = leaf_index / kTileWidth * kTileWidth;
  if (new_min <= min_index_) return Status::Ok();
  AUDITLOG_RETURN_IF_ERROR(Flush());
  // The minimum index is durable before any tile goes, so that a crash in between leaves only
  // tiles below it, which Open ignores.
  Status s = CreateParents(tree_dir_ / kMinIndexFile);
  if (s.ok()) s = WriteFileAtomically(env_, tree_dir_ / kMinIndexFile, Num(new_min) + "\n");
  for (std::uint64_t tile = min_index_ / kTileWidth; s.ok() && tile < new_min / kTileWidth;
       ++tile) {
    const fs::path path = TilePath(0, tile);
    s = env_->RemoveFile(path);
    if (s.code() == StatusCode::kNotFound) s = Status::Ok();
    unsynced_dirs_.insert(path.parent_path());
    unsynced_files_.erase(path);
  }
  if (!s.ok()) {
    failed_ = s;
    return s;
  }
  min_index_ = new_min;
  DropCached(0);
  return Status::Ok();
}

// ---- Reading -------------------------------------------------------------------------------

Result<std::vector<MerkleHash>> TileStore::ReadTile(int level, std::uint64_t index,
                                                    std::size_t entries) {
  const fs::path path = TilePath(level, index);
  auto file = env_->NewReadableFile(path);
  if (!file.ok()) return AsCorruption(file.status());
  auto size = (*file)->Size();
  if (!size.ok()) return AsCorruption(size.status());
  // A snapshot's last tile may have grown since (a live writer appends to it).
  if (*size < entries * 32 || (*size != entries * 32 && !snapshot_)) {
    return Status::Corruption("tile store: " + path.string() + " holds " + Num(*size) +
                              " bytes, expected " + Num(entries * 32));
  }
  std::string bytes;
  AUDITLOG_RETURN_IF_ERROR((*file)->Read(0, entries * 32, &bytes));
  if (bytes.size() != entries * 32) {
    return Status::Corruption("tile store: " + path.string() + " shrank while being read");
  }
  ++tile_reads_;
  std::vector<MerkleHash> hashes(entries);
  for (std::size_t i = 0; i < entries; ++i) std::memcpy(hashes[i].data(), &bytes[i * 32], 32);
  return hashes;
}

Result<const std::vector<MerkleHash>*> TileStore::Tile(int level, std::uint64_t index) {
  const Level& lv = levels_[static_cast<std::size_t>(level)];
  if (index == lv.count / kTileWidth) return &lv.tail;
  for (const CachedTile& c : cache_) {
    if (c.level == level && c.index == index) return &c.hashes;
  }
  AUDITLOG_ASSIGN_OR_RETURN(std::vector<MerkleHash> hashes, ReadTile(level, index, kTileWidth));
  if (cache_.size() < kCacheTiles) {
    cache_.push_back({level, index, std::move(hashes)});
    return &cache_.back().hashes;
  }
  CachedTile& slot = cache_[cache_next_];
  cache_next_ = (cache_next_ + 1) % kCacheTiles;
  slot = {level, index, std::move(hashes)};
  return &slot.hashes;
}

void TileStore::DropCached(int level) {
  std::erase_if(cache_, [level](const CachedTile& c) { return c.level == level; });
  cache_next_ = 0;
}

Result<MerkleHash> TileStore::CompleteSubtree(int height, std::uint64_t index) {
  if (height < 0 || height > 63 || index >= (size() >> height)) {
    return Status::InvalidArgument("subtree of height " + Num(height) + " at index " + Num(index) +
                                   " is not in the tile store's tree of " + Num(size()) +
                                   " leaves");
  }
  const std::uint64_t first_leaf = index << height;
  const int level = height / 8;
  if (level == 0 && first_leaf < min_index_) {
    return Status::NotFound("leaf " + Num(first_leaf) + "'s tile was pruned by retention (the " +
                            "minimum index is " + Num(min_index_) + ")");
  }
  if (has_pending_) AUDITLOG_RETURN_IF_ERROR(Flush());
  const std::size_t width = std::size_t{1} << (height % 8);
  const std::uint64_t first = index << (height % 8);  // entry at `level`
  AUDITLOG_ASSIGN_OR_RETURN(const std::vector<MerkleHash>* tile, Tile(level, first / kTileWidth));
  const std::size_t offset = first % kTileWidth;
  if (tile->size() < offset + width) {
    return Status::Corruption("tile store: " + TilePath(level, first / kTileWidth).string() +
                              " lacks entries the tree size promises");
  }
  return MerklePerfectRoot(std::span<const MerkleHash>(tile->data() + offset, width));
}

}  // namespace auditlog::internal
