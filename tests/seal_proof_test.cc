// Sealing's tile store, checkpoints and proofs, through the library: the writer keeps
// DIR/tree in step with the log across restarts, tampering and lost tiles; it signs
// checkpoints that verify and chain; inclusion and consistency proofs verify, and a tampered
// proof, record or checkpoint does not.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "auditlog/logger.h"
#include "auditlog/retention.h"
#include "auditlog/seal.h"
#include "auditlog/verify.h"
#include "seal/checkpoint.h"
#include "seal/checkpoint_log.h"
#include "seal/merkle.h"
#include "seal/proof.h"
#include "seal/tile_store.h"
#include "support/child_process.h"
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

TEST_F(SealProofTest, AKilledWritersTilesAreRepairedByTheNextWriter) {
  LogAndClose(1, 300);
  const Config config = MakeConfig();
  testing::ChildRun run = testing::RunInChild([config]() -> std::string {
    auto logger = Logger::Open(config);
    if (!logger.ok()) return logger.status().ToString();
    for (int i = 0; i < 2000; ++i)
      (*logger)->Emit(NumberedEvent(0, 301 + i)).status().IgnoreError();
    (*logger)->EmitDurable(NumberedEvent(0, 9999)).IgnoreError();
    std::raise(SIGKILL);
    return "not killed";
  });
  ASSERT_EQ(run.end, testing::ChildRun::End::kCrashed) << run.text << run.problem;
  LogAndClose(5000, 10);
  ExpectTilesMatchLog();
  ExpectVerifies();
}

TEST_F(SealProofTest, EveryRecordIsProvenAndTamperingFails) {
  LogAndClose(1, 40);
  const std::vector<std::string> lines = AllLines(dir_.path());
  const std::uint64_t covered = lines.size() - 1;  // all but the shutdown seal
  for (std::uint64_t seq = 1; seq <= covered; ++seq) {
    ASSERT_OK_AND_ASSIGN(std::string json, ProveRecord(dir_.path(), seq));
    ASSERT_OK_AND_ASSIGN(ProvenRecord proven, VerifyProof(json, init_.checkpoint_key));
    EXPECT_EQ(proven.seq, seq);
    EXPECT_EQ(proven.tree_size, covered);
    EXPECT_EQ(proven.record, lines[seq - 1]);
  }
  EXPECT_EQ(ProveRecord(dir_.path(), covered + 1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ProveRecord(dir_.path(), 0).status().code(), StatusCode::kInvalidArgument);

  ASSERT_OK_AND_ASSIGN(std::string json, ProveRecord(dir_.path(), 7));
  ASSERT_OK_AND_ASSIGN(internal::InclusionProofDoc doc, internal::ParseInclusionProof(json));
  EXPECT_EQ(internal::FormatInclusionProof(doc), json);
  const auto key = CheckpointKey();
  auto fails = [&](internal::InclusionProofDoc d) {
    return !internal::VerifyInclusionProofDoc(d, key).ok();
  };
  {
    auto d = doc;
    d.inclusion_path[0][3] ^= 1;
    EXPECT_TRUE(fails(d));
  }
  {
    auto d = doc;
    d.inclusion_path.pop_back();
    EXPECT_TRUE(fails(d));
  }
  {
    auto d = doc;  // another record, claimed at seq 7
    d.record = lines[7];
    EXPECT_TRUE(fails(d));
  }
  {
    auto d = doc;  // one byte of the record changed
    d.record[d.record.find("svc")] = 'S';
    EXPECT_TRUE(fails(d));
  }
  {
    auto d = doc;  // the checkpoint's tree size changed: its signature no longer holds
    const std::size_t at = d.checkpoint.find('\n') + 1;
    d.checkpoint[at] = d.checkpoint[at] == '9' ? '8' : '9';
    EXPECT_TRUE(fails(d));
  }
  {
    auto d = doc;
    d.leaf_index = 7;
    d.seq = 8;
    EXPECT_TRUE(fails(d));
  }
  // Another log's checkpoint key.
  ScratchDir other;
  ASSERT_OK_AND_ASSIGN(SealInitResult other_init, InitSealing(other.path()));
  EXPECT_EQ(VerifyProof(json, other_init.checkpoint_key).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(VerifyProof(json, "not a key").status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(VerifyProof("{}", init_.checkpoint_key).ok());
  EXPECT_FALSE(VerifyProof("[1,2", init_.checkpoint_key).ok());
}

TEST_F(SealProofTest, SuccessiveCheckpointsAreConsistent) {
  LogAndClose(1, 30);
  ASSERT_OK_AND_ASSIGN(std::string old_note, LatestCheckpoint(dir_.path()));
  LogAndClose(31, 500);
  ASSERT_OK_AND_ASSIGN(std::string new_note, LatestCheckpoint(dir_.path()));
  const auto key = CheckpointKey();
  ASSERT_OK_AND_ASSIGN(auto old_c, internal::OpenCheckpoint(old_note, key, key.name()));
  ASSERT_OK_AND_ASSIGN(auto new_c, internal::OpenCheckpoint(new_note, key, key.name()));
  ASSERT_OK_AND_ASSIGN(std::string proof, ProveConsistency(dir_.path(), old_c.tree_size, 0));
  EXPECT_OK(CheckConsistency(old_note, new_note, proof, init_.checkpoint_key));
  EXPECT_OK(CheckConsistencyWithLog(dir_.path(), old_note, new_note, init_.checkpoint_key));
  EXPECT_OK(CheckConsistencyWithLog(dir_.path(), new_note, new_note, init_.checkpoint_key));
  // Swapped: NEW does not extend OLD.
  EXPECT_EQ(CheckConsistency(new_note, old_note, proof, init_.checkpoint_key).code(),
            StatusCode::kCorruption);
  EXPECT_EQ(CheckConsistencyWithLog(dir_.path(), new_note, old_note, init_.checkpoint_key).code(),
            StatusCode::kCorruption);
  // A proof with a changed hash, or for other sizes.
  ASSERT_OK_AND_ASSIGN(auto doc, internal::ParseConsistencyProof(proof));
  ASSERT_FALSE(doc.consistency_path.empty());
  auto bad = doc;
  bad.consistency_path.back()[0] ^= 1;
  EXPECT_FALSE(internal::VerifyCheckpointConsistency(old_note, new_note, bad, key).ok());
  bad = doc;
  bad.old_size += 1;
  EXPECT_FALSE(internal::VerifyCheckpointConsistency(old_note, new_note, bad, key).ok());
  // A forged NEW checkpoint (signed by another key) fails before its proof is looked at.
  ASSERT_OK_AND_ASSIGN(auto forger, internal::Ed25519SigningKey::Generate(key.name()));
  ASSERT_OK_AND_ASSIGN(std::string forged, internal::SignCheckpoint(new_c, forger));
  EXPECT_EQ(CheckConsistency(old_note, forged, proof, init_.checkpoint_key).code(),
            StatusCode::kCorruption);
}

TEST_F(SealProofTest, ALogWhoseFirstSegmentsRetentionDeletedStillSealsAndProves) {
  Config config = MakeConfig();
  config.rotation.size_limit_bytes = 4096;
  {
    ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(config));
    // Durable one by one: each is its own write, so that size rotation can follow it.
    for (int i = 1; i <= 200; ++i) ASSERT_OK(logger->EmitDurable(NumberedEvent(0, i)));
    ASSERT_OK(logger->Shutdown());
  }
  const std::size_t before = testing::SegmentFiles(dir_.path()).size();
  ASSERT_GT(before, 4u);
  RetentionPolicy policy{
      .min_retention_days = 1, .archive_after_days = 1000, .delete_after_days = 1};
  RetentionOptions options;
  options.now = std::chrono::system_clock::now() + std::chrono::hours(24 * 30);
  ASSERT_OK_AND_ASSIGN(std::size_t steps, ApplyRetention(dir_.path(), policy, options));
  ASSERT_GT(steps, 0u);
  ASSERT_LT(testing::SegmentFiles(dir_.path()).size(), before);
  {
    ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(config));
    for (int i = 401; i <= 450; ++i) ASSERT_OK(logger->Emit(NumberedEvent(0, i)).status());
    ASSERT_OK(logger->Shutdown());
  }
  // No incident: the writer found what it needed in the tiles and the kept segments.
  for (const std::string& line : AllLines(dir_.path())) {
    EXPECT_EQ(line.find("integrity_violation"), std::string::npos) << line;
  }
  // Records of a deleted segment stay provable.
  ASSERT_OK_AND_ASSIGN(auto tiles, internal::TileStore::Open(Env::Default(), dir_.path()));
  ASSERT_OK_AND_ASSIGN(std::string note, LatestCheckpoint(dir_.path()));
  ASSERT_OK_AND_ASSIGN(auto c,
                       internal::OpenCheckpoint(note, CheckpointKey(), CheckpointKey().name()));
  EXPECT_EQ(tiles->size(), c.tree_size + 1);  // and the shutdown seal
  ASSERT_OK_AND_ASSIGN(auto path, internal::InclusionProof(*tiles, 0, c.tree_size));
  ASSERT_OK_AND_ASSIGN(auto leaf, tiles->CompleteSubtree(0, 0));
  EXPECT_OK(internal::VerifyInclusion(leaf, 0, c.tree_size, path, c.root));
}

}  // namespace
}  // namespace auditlog
