// Sealing's tile store, checkpoints and proofs, through the library: the writer keeps
// DIR/tree in step with the log across restarts, tampering and lost tiles; it signs
// checkpoints that verify and chain; inclusion and consistency proofs verify, and a tampered
// proof, record or checkpoint does not.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "auditlog/logger.h"
#include "auditlog/seal.h"
#include "auditlog/verify.h"
#include "seal/checkpoint.h"
#include "seal/checkpoint_log.h"
#include "seal/merkle.h"
#include "seal/tile_store.h"
#include "support/engine_util.h"
#include "support/test_util.h"

namespace auditlog {
namespace {

namespace fs = std::filesystem;
using internal::InMemoryMerkleTree;
using internal::MerkleHash;
using internal::MerkleLeafHash;
using testing::NumberedEvent;
using testing::ScratchDir;

// Every record line of the log, in order (an independent read of the segment files).
std::vector<std::string> AllLines(const fs::path& dir) {
  std::vector<std::string> lines;
  for (const fs::path& segment : testing::SegmentFiles(dir)) {
    for (std::string& line : testing::ReadLines(segment)) lines.push_back(std::move(line));
  }
  return lines;
}

InMemoryMerkleTree TreeOf(const std::vector<std::string>& lines) {
  InMemoryMerkleTree tree;
  for (const std::string& line : lines) tree.Append(MerkleLeafHash(line));
  return tree;
}

class SealProofTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SealInitOptions options;
    options.interval = std::chrono::milliseconds(100);  // restarts wait for the next epoch
    auto init = InitSealing(dir_.path(), options);
    ASSERT_OK(init.status());
    init_ = *init;
  }
  Config MakeConfig() {
    Config config;
    config.service_id = "svc";
    config.mode = LocalMode{dir_.path()};
    return config;
  }
  void LogAndClose(int from, int count) {
    ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(MakeConfig()));
    for (int i = 0; i < count; ++i) ASSERT_OK(logger->Emit(NumberedEvent(0, from + i)).status());
    ASSERT_OK(logger->Shutdown());
  }
  // The tile store holds exactly the log's leaves.
  void ExpectTilesMatchLog() {
    const std::vector<std::string> lines = AllLines(dir_.path());
    ASSERT_OK_AND_ASSIGN(auto tiles, internal::TileStore::Open(Env::Default(), dir_.path()));
    ASSERT_EQ(tiles->size(), lines.size());
    EXPECT_EQ(tiles->Frontier().Root(), TreeOf(lines).Root());
  }
  void ExpectVerifies() {
    VerifyOptions options;
    options.seal_key = init_.verification_key;
    ASSERT_OK_AND_ASSIGN(VerifyReport report, Verify(dir_.path(), options));
    EXPECT_TRUE(report.intact()) << (report.findings.empty() ? "" : report.findings[0].reason);
    EXPECT_TRUE(report.seal.clean_end);
  }
  internal::Ed25519VerifierKey CheckpointKey() {
    auto key = internal::Ed25519VerifierKey::Parse(init_.checkpoint_key);
    EXPECT_OK(key.status());
    return *key;
  }

  ScratchDir dir_;
  SealInitResult init_;
};

TEST_F(SealProofTest, TilesFollowTheLogAcrossRestarts) {
  LogAndClose(1, 700);
  ExpectTilesMatchLog();
  LogAndClose(701, 300);
  ExpectTilesMatchLog();
  ExpectVerifies();
}

TEST_F(SealProofTest, LostOrTamperedTilesAreRebuiltFromTheLog) {
  LogAndClose(1, 600);
  // A flipped leaf hash in the first tile: the root no longer matches the last seal.
  const fs::path tile = dir_.path() / "tree" / "tile" / "0" / "000";
  std::string bytes = testing::ReadFile(tile);
  ASSERT_EQ(bytes.size(), internal::kTileBytes);
  bytes[5] ^= 1;
  testing::WriteFile(tile, bytes);
  LogAndClose(601, 10);
  ExpectTilesMatchLog();
  fs::remove_all(dir_.path() / "tree");
  LogAndClose(611, 10);
  ExpectTilesMatchLog();
  // A store cut back (as a crash before its fsync leaves it) is completed from the log.
  {
    ASSERT_OK_AND_ASSIGN(auto tiles, internal::TileStore::Open(Env::Default(), dir_.path()));
    ASSERT_OK(tiles->TruncateTo(300));
    ASSERT_OK(tiles->Sync());
  }
  LogAndClose(621, 10);
  ExpectTilesMatchLog();
  ExpectVerifies();
}

TEST_F(SealProofTest, CheckpointsAreSignedAtShutdownAndChain) {
  LogAndClose(1, 50);
  LogAndClose(51, 50);
  ASSERT_OK_AND_ASSIGN(auto notes, internal::ReadCheckpointNotes(Env::Default(), dir_.path()));
  ASSERT_EQ(notes.size(), 2u);
  const auto key = CheckpointKey();
  const std::vector<std::string> lines = AllLines(dir_.path());
  InMemoryMerkleTree all = TreeOf(lines);
  auto root_at = [&](std::uint64_t size) -> std::optional<MerkleHash> {
    if (size > lines.size()) return std::nullopt;
    return internal::RangeRoot(all, 0, size).value();
  };
  const std::string origin = internal::CheckpointOrigin(init_.log_id);
  ASSERT_OK_AND_ASSIGN(auto check, internal::CheckCheckpointLog(Env::Default(), dir_.path(), key,
                                                                origin, root_at, nullptr));
  EXPECT_TRUE(check.problems.empty()) << check.problems[0];
  EXPECT_EQ(check.checkpoints, 2u);
  ASSERT_TRUE(check.latest.has_value());
  // The shutdown checkpoint covers everything before the shutdown seal.
  EXPECT_EQ(check.latest->tree_size, lines.size() - 1);
  ASSERT_OK_AND_ASSIGN(std::string latest,
                       internal::ReadLatestCheckpointNote(Env::Default(), dir_.path()));
  EXPECT_EQ(latest, notes.back());

  // Without the recomputed roots, consistency comes from the tiles.
  ASSERT_OK_AND_ASSIGN(auto tiles, internal::TileStore::Open(Env::Default(), dir_.path()));
  auto none = [](std::uint64_t) -> std::optional<MerkleHash> { return std::nullopt; };
  ASSERT_OK_AND_ASSIGN(check, internal::CheckCheckpointLog(Env::Default(), dir_.path(), key, origin,
                                                           none, tiles.get()));
  EXPECT_TRUE(check.problems.empty()) << check.problems[0];

  // A root that is not the log's is found.
  auto wrong = [&](std::uint64_t size) -> std::optional<MerkleHash> {
    MerkleHash h = *root_at(size);
    h[0] ^= 1;
    return h;
  };
  ASSERT_OK_AND_ASSIGN(check, internal::CheckCheckpointLog(Env::Default(), dir_.path(), key, origin,
                                                           wrong, nullptr));
  EXPECT_EQ(check.problems.size(), 2u);
  // A swapped pair of lines: sizes no longer grow.
  const fs::path log = internal::CheckpointLogPath(dir_.path());
  auto log_lines = testing::ReadLines(log);
  ASSERT_EQ(log_lines.size(), 2u);
  testing::WriteLines(log, {log_lines[1], log_lines[0]});
  ASSERT_OK_AND_ASSIGN(check, internal::CheckCheckpointLog(Env::Default(), dir_.path(), key, origin,
                                                           root_at, nullptr));
  ASSERT_EQ(check.problems.size(), 1u);
  EXPECT_NE(check.problems[0].find("does not grow"), std::string::npos) << check.problems[0];
}

}  // namespace
}  // namespace auditlog
