// Tests of src/seal/tile_store: the tlog-tiles layout, reopening, partial tiles, proofs over a
// 70,000-leaf store (three levels), cutting back, pruning, and hostile stores.
#include "seal/tile_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "fault_env.h"
#include "test_util.h"

namespace auditlog::internal {
namespace {

namespace fs = std::filesystem;
using ::auditlog::testing::ScratchDir;

MerkleHash LeafHash(std::uint64_t i) { return MerkleLeafHash("record " + std::to_string(i)); }

class TileStoreTest : public ::testing::Test {
 protected:
  Env* env() { return Env::Default(); }
  fs::path tile(const std::string& rel) { return dir_.path() / "tree" / rel; }

  std::unique_ptr<TileStore> Open(TileStore::Mode mode = TileStore::Mode::kStrict) {
    auto s = TileStore::Open(env(), dir_.path(), mode);
    EXPECT_OK(s.status());
    return s.ok() ? std::move(s).value() : nullptr;
  }
  Status OpenStatus(TileStore::Mode mode = TileStore::Mode::kStrict) {
    return TileStore::Open(env(), dir_.path(), mode).status();
  }
  // A store of `n` leaves, flushed, and the same tree in memory.
  void Build(std::uint64_t n) {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    for (std::uint64_t i = 0; i < n; ++i) {
      ASSERT_OK(store->Append(LeafHash(i)));
      memory_.Append(LeafHash(i));
    }
    ASSERT_OK(store->Flush());
  }
  void ExpectCorruptionNaming(const fs::path& p, TileStore::Mode mode = TileStore::Mode::kStrict,
                              int line = __builtin_LINE()) {
    SCOPED_TRACE("called from line " + std::to_string(line));
    Status s = OpenStatus(mode);
    EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
    EXPECT_NE(s.message().find(p.string()), std::string::npos) << s.ToString();
  }
  MerkleHash MemoryRoot(std::uint64_t n) { return RangeRoot(memory_, 0, n).value(); }

  ScratchDir dir_;
  InMemoryMerkleTree memory_;
};

TEST(TilePathTest, EncodesIndexInThreeDigitGroups) {
  EXPECT_EQ(TileRelativePath(0, 0), "tile/0/000");
  EXPECT_EQ(TileRelativePath(0, 7), "tile/0/007");
  EXPECT_EQ(TileRelativePath(1, 999), "tile/1/999");
  EXPECT_EQ(TileRelativePath(2, 1000), "tile/2/x001/000");
  EXPECT_EQ(TileRelativePath(0, 1234067), "tile/0/x001/x234/067");
  EXPECT_EQ(TileRelativePath(3, 18446744073709551615ull),
            "tile/3/x018/x446/x744/x073/x709/x551/615");
}

TEST_F(TileStoreTest, EmptyStoreCreatesNothing) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->size(), 0u);
  EXPECT_EQ(store->Frontier().Root(), MerkleEmptyRoot());
  ASSERT_OK(store->Flush());
  EXPECT_FALSE(fs::exists(dir_.path() / "tree"));
}

TEST_F(TileStoreTest, AppendReopenAndLayout) {
  Build(1000);
  EXPECT_EQ(fs::file_size(tile("tile/0/000")), 8192u);
  EXPECT_EQ(fs::file_size(tile("tile/0/002")), 8192u);
  EXPECT_EQ(fs::file_size(tile("tile/0/003")), (1000u - 768) * 32);
  EXPECT_EQ(fs::file_size(tile("tile/1/000")), 3u * 32);
  EXPECT_FALSE(fs::exists(tile("tile/2/000")));
  // Level-1 entry j is the root of level-0 tile j.
  const std::string t1 = testing::ReadFile(tile("tile/1/000"));
  ASSERT_OK_AND_ASSIGN(MerkleHash sub, memory_.CompleteSubtree(8, 1));
  EXPECT_EQ(t1.substr(32, 32), std::string(sub.begin(), sub.end()));
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->size(), 1000u);
  EXPECT_EQ(store->Frontier().Root(), memory_.Root());
}

TEST_F(TileStoreTest, FlushedWithoutSyncSurvivesAndUnflushedIsLost) {
  {
    auto store = Open();
    for (std::uint64_t i = 0; i < 300; ++i) ASSERT_OK(store->Append(LeafHash(i)));
    ASSERT_OK(store->Flush());
    for (std::uint64_t i = 300; i < 310; ++i) ASSERT_OK(store->Append(LeafHash(i)));
  }
  for (std::uint64_t i = 0; i < 300; ++i) memory_.Append(LeafHash(i));
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->size(), 300u);
  EXPECT_EQ(store->Frontier().Root(), memory_.Root());
}

TEST_F(TileStoreTest, PartialTilesGrowByAppends) {
  for (std::uint64_t round = 0; round < 5; ++round) {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_EQ(store->size(), round * 77);
    for (std::uint64_t i = round * 77; i < (round + 1) * 77; ++i) {
      ASSERT_OK(store->Append(LeafHash(i)));
      memory_.Append(LeafHash(i));
    }
    ASSERT_OK(store->Flush());
    EXPECT_EQ(store->Frontier().Root(), memory_.Root());
  }
  EXPECT_EQ(fs::file_size(tile("tile/0/000")), 8192u);
  EXPECT_EQ(fs::file_size(tile("tile/0/001")), (385u - 256) * 32);
  auto store = Open();
  ASSERT_OK_AND_ASSIGN(auto path, InclusionProof(*store, 300, 385));
  EXPECT_OK(VerifyInclusion(LeafHash(300), 300, 385, path, memory_.Root()));
}

TEST_F(TileStoreTest, SeventyThousandLeavesProveAgainstMemory) {
  constexpr std::uint64_t kN = 70000;  // > 256^2: level-2 tiles exist
  Build(kN);
  EXPECT_EQ(fs::file_size(tile("tile/2/000")), 32u);
  EXPECT_EQ(fs::file_size(tile("tile/1/001")), (kN / 256 - 256) * 32);
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_EQ(store->size(), kN);
  ASSERT_EQ(store->Frontier().Root(), memory_.Root());

  const auto start = std::chrono::steady_clock::now();
  ASSERT_OK_AND_ASSIGN(auto cold, InclusionProof(*store, 12345, kN));
  const auto proved = std::chrono::steady_clock::now();
  ASSERT_OK(VerifyInclusion(LeafHash(12345), 12345, kN, cold, memory_.Root()));
  const auto verified = std::chrono::steady_clock::now();
  std::printf(
      "70000-leaf store: cold inclusion proof %lld us (%llu tile reads), verify %lld us\n",
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::microseconds>(proved - start).count()),
      static_cast<unsigned long long>(store->tile_reads()),
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::microseconds>(verified - proved).count()));

  const std::uint64_t sizes[] = {1, 255, 256, 257, 4097, 65535, 65536, 65537, 69999, kN};
  for (std::uint64_t n : sizes) {
    const MerkleHash root = MemoryRoot(n);
    ASSERT_OK_AND_ASSIGN(MerkleHash got, RangeRoot(*store, 0, n));
    ASSERT_EQ(got, root) << n;
    for (std::uint64_t m = 0; m < n; m += (n / 7) + 1) {
      ASSERT_OK_AND_ASSIGN(auto path, InclusionProof(*store, m, n));
      ASSERT_OK_AND_ASSIGN(auto want, InclusionProof(memory_, m, n));
      ASSERT_EQ(path, want) << m << " in " << n;
      ASSERT_OK(VerifyInclusion(LeafHash(m), m, n, path, root));
    }
    for (std::uint64_t old : sizes) {
      if (old > n) continue;
      ASSERT_OK_AND_ASSIGN(auto proof, ConsistencyProof(*store, old, n));
      ASSERT_OK(VerifyConsistency(old, MemoryRoot(old), n, root, proof)) << old << "->" << n;
    }
  }
  EXPECT_EQ(InclusionProof(*store, 5, kN + 1).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(TileStoreTest, TruncateThenReappendGivesTheSameRoots) {
  constexpr std::uint64_t kN = 66000;
  Build(kN);
  for (std::uint64_t cut : std::vector<std::uint64_t>{65900, 65536, 65535, 4097, 256, 1, 0}) {
    {
      auto store = Open();
      ASSERT_NE(store, nullptr);
      ASSERT_OK(store->TruncateTo(cut));
      ASSERT_EQ(store->size(), cut);
      ASSERT_EQ(store->Frontier().Root(), MemoryRoot(cut)) << cut;
      ASSERT_OK(store->Flush());
    }
    if (cut < 65536) {
      EXPECT_FALSE(fs::exists(tile("tile/2/000")));
    }
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_EQ(store->size(), cut);
    ASSERT_EQ(store->Frontier().Root(), MemoryRoot(cut)) << cut;
    const std::uint64_t upto = cut < 65536 ? std::min<std::uint64_t>(cut + 3000, kN) : kN;
    for (std::uint64_t i = cut; i < upto; ++i) ASSERT_OK(store->Append(LeafHash(i)));
    ASSERT_EQ(store->Frontier().Root(), MemoryRoot(upto)) << cut;
    ASSERT_OK(store->Flush());
    if (upto != kN) {
      for (std::uint64_t i = upto; i < kN; ++i) ASSERT_OK(store->Append(LeafHash(i)));
      ASSERT_OK(store->Flush());
    }
  }
  auto store = Open();
  ASSERT_EQ(store->size(), kN);
  EXPECT_EQ(store->Frontier().Root(), memory_.Root());
  EXPECT_EQ(store->TruncateTo(kN + 1).code(), StatusCode::kInvalidArgument);
}

TEST_F(TileStoreTest, PruneKeepsProofsOfKeptLeavesAndAlignedSizes) {
  constexpr std::uint64_t kN = 70000;
  Build(kN);
  {
    auto store = Open();
    ASSERT_OK(store->PruneBelow(40000));
    EXPECT_EQ(store->min_index(), 39936u);
    ASSERT_OK(store->Sync());
  }
  EXPECT_FALSE(fs::exists(tile("tile/0/000")));
  EXPECT_FALSE(fs::exists(tile("tile/0/155")));
  EXPECT_TRUE(fs::exists(tile("tile/0/156")));
  EXPECT_EQ(testing::ReadFile(dir_.path() / "tree" / "min_index"), "39936\n");
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->min_index(), 39936u);
  ASSERT_EQ(store->Frontier().Root(), memory_.Root());
  for (std::uint64_t m : std::vector<std::uint64_t>{39936, 40000, 55555, 69999}) {
    for (std::uint64_t n : std::vector<std::uint64_t>{m + 1, 65536, 65537, kN}) {
      if (n <= m) continue;
      ASSERT_OK_AND_ASSIGN(auto path, InclusionProof(*store, m, n));
      ASSERT_OK(VerifyInclusion(LeafHash(m), m, n, path, MemoryRoot(n))) << m << " in " << n;
    }
  }
  auto pruned = InclusionProof(*store, 100, kN);
  EXPECT_EQ(pruned.status().code(), StatusCode::kNotFound);
  EXPECT_NE(pruned.status().message().find("pruned by retention"), std::string::npos);
  // Sizes that are multiples of 256 or above the minimum index stay provable.
  for (std::uint64_t old : std::vector<std::uint64_t>{256, 2560, 39936, 40000, 65536}) {
    for (std::uint64_t n : std::vector<std::uint64_t>{40001, 65536, kN}) {
      if (old > n) continue;
      ASSERT_OK_AND_ASSIGN(auto proof, ConsistencyProof(*store, old, n));
      ASSERT_OK(VerifyConsistency(old, MemoryRoot(old), n, MemoryRoot(n), proof));
    }
  }
  EXPECT_EQ(ConsistencyProof(*store, 1000, kN).status().code(), StatusCode::kNotFound);
  // Appending and cutting back above the minimum index still work; below it does not.
  for (std::uint64_t i = kN; i < kN + 500; ++i) {
    ASSERT_OK(store->Append(LeafHash(i)));
    memory_.Append(LeafHash(i));
  }
  EXPECT_EQ(store->Frontier().Root(), memory_.Root());
  EXPECT_EQ(store->TruncateTo(1000).code(), StatusCode::kInvalidArgument);
  ASSERT_OK(store->TruncateTo(40000));
  EXPECT_EQ(store->Frontier().Root(), MemoryRoot(40000));
  EXPECT_OK(store->PruneBelow(100));  // already below the minimum: nothing to do
  EXPECT_EQ(store->PruneBelow(40001).code(), StatusCode::kInvalidArgument);
}

// ---- Hostile stores --------------------------------------------------------------------------

TEST_F(TileStoreTest, TornTileIsCorruptionOrRepaired) {
  Build(1000);
  testing::WriteFile(tile("tile/0/003"), testing::ReadFile(tile("tile/0/003")) + "abcde");
  ExpectCorruptionNaming(tile("tile/0/003"));
  auto store = Open(TileStore::Mode::kRepair);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->size(), 1000u);
  EXPECT_EQ(store->Frontier().Root(), memory_.Root());
  store.reset();
  EXPECT_NE(Open(), nullptr);
}

TEST_F(TileStoreTest, OversizedTileIsCorruption) {
  Build(1000);
  testing::WriteFile(tile("tile/0/001"), std::string(8192 + 32, 'x'));
  ExpectCorruptionNaming(tile("tile/0/001"));
  ExpectCorruptionNaming(tile("tile/0/001"), TileStore::Mode::kRepair);
}

TEST_F(TileStoreTest, GapInLevelZeroIsCorruption) {
  Build(1000);
  fs::remove(tile("tile/0/001"));
  ExpectCorruptionNaming(tile("tile/0/002"));
  ExpectCorruptionNaming(tile("tile/0/002"), TileStore::Mode::kRepair);
}

TEST_F(TileStoreTest, SymlinkOrDirectoryAsTileIsCorruption) {
  Build(1000);
  fs::rename(tile("tile/0/002"), dir_.path() / "elsewhere");
  fs::create_symlink(dir_.path() / "elsewhere", tile("tile/0/002"));
  ExpectCorruptionNaming(tile("tile/0/002"));
  fs::remove(tile("tile/0/002"));
  fs::create_directory(tile("tile/0/002"));
  ExpectCorruptionNaming(tile("tile/0/002"));
}

TEST_F(TileStoreTest, InconsistentHigherLevelIsCorruptionOrRepaired) {
  Build(1000);
  // Level 1 one entry ahead of level 0.
  testing::WriteFile(tile("tile/1/000"),
                     testing::ReadFile(tile("tile/1/000")) + std::string(32, '\7'));
  ExpectCorruptionNaming(tile("tile/1/000"));
  {
    auto store = Open(TileStore::Mode::kRepair);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->size(), 1000u);
    EXPECT_EQ(store->Frontier().Root(), memory_.Root());
  }
  // Level 1 behind: the store is cut back to what level 1 covers.
  testing::WriteFile(tile("tile/1/000"), testing::ReadFile(tile("tile/1/000")).substr(0, 64));
  ExpectCorruptionNaming(tile("tile/1/000"));
  auto store = Open(TileStore::Mode::kRepair);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->size(), 767u);
  EXPECT_EQ(store->Frontier().Root(), MemoryRoot(767));
  // A stray higher level above a short tree.
  store.reset();
  fs::create_directories(tile("tile/2"));
  testing::WriteFile(tile("tile/2/000"), std::string(32, 'z'));
  ExpectCorruptionNaming(tile("tile/2/000"));
}

TEST_F(TileStoreTest, BadMinIndexIsCorruption) {
  Build(1000);
  const fs::path min = dir_.path() / "tree" / "min_index";
  for (const char* bad :
       {"", "12", "256", "0256\n", "-256\n", "99999999999999999999999\n", "512\n\n", "1024\n"}) {
    testing::WriteFile(min, bad);
    Status s = OpenStatus();
    EXPECT_EQ(s.code(), StatusCode::kCorruption) << bad << ": " << s.ToString();
  }
  testing::WriteFile(min, "512\n");  // valid: tiles 0 and 1 are ignored
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->min_index(), 512u);
  EXPECT_EQ(store->Frontier().Root(), memory_.Root());
}

TEST_F(TileStoreTest, TreeThatIsAFileOrSymlinkedMinIndexIsCorruption) {
  testing::WriteFile(dir_.path() / "tree", "not a directory");
  EXPECT_EQ(OpenStatus().code(), StatusCode::kCorruption);
  fs::remove(dir_.path() / "tree");
  Build(300);
  testing::WriteFile(dir_.path() / "target", "256\n");
  fs::create_symlink(dir_.path() / "target", dir_.path() / "tree" / "min_index");
  ExpectCorruptionNaming(dir_.path() / "tree" / "min_index");
  fs::remove(dir_.path() / "tree" / "min_index");
  fs::create_directory(dir_.path() / "tree" / "min_index");
  ExpectCorruptionNaming(dir_.path() / "tree" / "min_index");
}

TEST_F(TileStoreTest, TileChangedAfterOpenIsCorruptionOnRead) {
  Build(1000);
  auto store = Open();
  ASSERT_NE(store, nullptr);
  testing::WriteFile(tile("tile/0/001"), std::string(100 * 32, 'q'));
  auto r = InclusionProof(*store, 300, 1000);
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_NE(r.status().message().find(tile("tile/0/001").string()), std::string::npos);
  // Tampered contents of the right size give a proof that does not verify.
  testing::WriteFile(tile("tile/0/002"), std::string(8192, 'q'));
  ASSERT_OK_AND_ASSIGN(auto path, InclusionProof(*store, 600, 1000));
  EXPECT_FALSE(VerifyInclusion(LeafHash(600), 600, 1000, path, memory_.Root()).ok());
}

// A reader beside a live writer sees the longest consistent prefix and changes nothing.
TEST_F(TileStoreTest, SnapshotReadsConsistentPrefixWithoutWriting) {
  Build(1000);
  const std::string level1 = testing::ReadFile(tile("tile/1/000"));
  testing::WriteFile(tile("tile/1/000"), level1.substr(0, 64));  // level 1 not yet written
  testing::WriteFile(tile("tile/0/003"), testing::ReadFile(tile("tile/0/003")) + "abc");  // torn
  {
    ASSERT_OK_AND_ASSIGN(auto snap,
                         TileStore::Open(env(), dir_.path(), TileStore::Mode::kSnapshot));
    EXPECT_EQ(snap->size(), 767u);
    EXPECT_EQ(snap->Frontier().Root(), MemoryRoot(767));
    ASSERT_OK_AND_ASSIGN(auto path, InclusionProof(*snap, 700, 767));
    EXPECT_OK(VerifyInclusion(LeafHash(700), 700, 767, path, MemoryRoot(767)));
    EXPECT_EQ(snap->Append(LeafHash(0)).code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(snap->Sync().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(snap->TruncateTo(0).code(), StatusCode::kFailedPrecondition);
  }
  EXPECT_EQ(fs::file_size(tile("tile/0/003")), (1000u - 768) * 32 + 3);
  EXPECT_EQ(fs::file_size(tile("tile/1/000")), 64u);
  testing::WriteFile(tile("tile/1/000"), level1);
  ASSERT_OK_AND_ASSIGN(auto snap, TileStore::Open(env(), dir_.path(), TileStore::Mode::kSnapshot));
  EXPECT_EQ(snap->size(), 1000u);
  EXPECT_EQ(snap->Frontier().Root(), memory_.Root());
}

TEST_F(TileStoreTest, ZeroByteTileIsAnEmptyPartialTile) {
  Build(256);
  testing::WriteFile(tile("tile/0/001"), "");
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->size(), 256u);
  for (std::uint64_t i = 256; i < 266; ++i) {
    ASSERT_OK(store->Append(LeafHash(i)));
    memory_.Append(LeafHash(i));
  }
  ASSERT_OK(store->Flush());
  store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->size(), 266u);
  EXPECT_EQ(store->Frontier().Root(), memory_.Root());
}

// After a power loss the synced prefix survives and a repair open gives a consistent store
// the writer can extend from the log.
TEST_F(TileStoreTest, PowerLossThenRepairKeepsTheSyncedPrefix) {
  testing::FaultEnv fault;
  {
    ASSERT_OK_AND_ASSIGN(auto store, TileStore::Open(&fault, dir_.path()));
    for (std::uint64_t i = 0; i < 70000; ++i) {
      ASSERT_OK(store->Append(LeafHash(i)));
      memory_.Append(LeafHash(i));
      if (i == 65999) {
        ASSERT_OK(store->Sync());
      }
    }
    ASSERT_OK(store->Flush());
  }
  ASSERT_OK(fault.DropUnsyncedData());
  ASSERT_OK_AND_ASSIGN(auto store, TileStore::Open(env(), dir_.path(), TileStore::Mode::kRepair));
  ASSERT_GE(store->size(), 66000u);
  ASSERT_LE(store->size(), 70000u);
  EXPECT_EQ(store->Frontier().Root(), MemoryRoot(store->size()));
  for (std::uint64_t i = store->size(); i < 70000; ++i) ASSERT_OK(store->Append(LeafHash(i)));
  EXPECT_EQ(store->Frontier().Root(), memory_.Root());
  ASSERT_OK(store->Flush());
  store.reset();
  auto strict = Open();
  ASSERT_NE(strict, nullptr);
  EXPECT_EQ(strict->Frontier().Root(), memory_.Root());
}

TEST_F(TileStoreTest, WriteFailureIsSticky) {
  testing::FaultEnv fault;
  ASSERT_OK_AND_ASSIGN(auto store, TileStore::Open(&fault, dir_.path()));
  for (std::uint64_t i = 0; i < 10; ++i) ASSERT_OK(store->Append(LeafHash(i)));
  fault.FailAppend(1, Status::IOError("injected"));
  EXPECT_EQ(store->Flush().code(), StatusCode::kIOError);
  EXPECT_EQ(store->Append(LeafHash(10)).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->Sync().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace auditlog::internal
