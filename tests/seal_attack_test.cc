// The attacks of issue 10 on a sealed log, each against a real log written by the real
// Logger on a fake clock (epochs of 100 ms pass when the test advances the clock; the writer
// is waited for with Flush, never by sleeping). The attacker has write access to the whole
// directory: every edit below re-chains the records after it and fixes manifest.json, so
// that only the seals can catch it; each must fail Verify with the verification key, with
// the finding kind named. The honest log passes with a clean end.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "auditlog/auditlog.h"
#include "auditlog/seal.h"
#include "seal/key_chain.h"
#include "seal/seal_record.h"
#include "seal/seal_state.h"
#include "seal/verification_key.h"
#include "seal_util.h"
#include "test_util.h"

namespace auditlog {
namespace {

namespace fs = std::filesystem;
using testing::FakeClockEnv;
using testing::HasFinding;
using testing::SealedLog;

class SealAttackTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(log_.WriteHonest(/*epochs=*/4, /*per_epoch=*/3)); }

  fs::path dir() const { return scratch_.path() / "log"; }
  std::vector<std::string> Lines() { return testing::ReadLines(testing::OnlySegment(dir())); }
  // Writes `lines` as the log's only segment and makes manifest.json match.
  void Store(const std::vector<std::string>& lines) {
    testing::WriteLines(testing::OnlySegment(dir()), lines);
    ASSERT_OK(testing::FixManifest(dir()));
  }
  VerifyReport VerifyKey(const std::string& key) {
    auto r = testing::VerifyWithKey(dir(), key, &clock_);
    EXPECT_OK(r.status());
    return r.ok() ? *r : VerifyReport{};
  }
  // Verify with the real key must say tampered, with a finding of `kind`; and the same
  // directory verified without the seals' help (no key) must not fail for a plain-chain or
  // manifest reason: the attack is consistent everywhere but in the seals.
  void ExpectCaught(FindingKind kind) {
    const VerifyReport r = VerifyKey(log_.key());
    EXPECT_TRUE(r.tampered()) << testing::DescribeFindings(r);
    EXPECT_TRUE(HasFinding(r, kind)) << "expected " << FindingKindName(kind) << ", got:\n"
                                     << testing::DescribeFindings(r);
    ExpectOnlySealFindings(r);
  }
  static void ExpectOnlySealFindings(const VerifyReport& r) {
    for (const Finding& f : r.findings) {
      EXPECT_GE(static_cast<int>(f.kind), static_cast<int>(FindingKind::kSealBroken))
          << "the attack left a non-seal trace: " << FindingKindName(f.kind) << ": " << f.reason;
    }
  }

  testing::ScratchDir scratch_;
  FakeClockEnv clock_;
  SealedLog log_{dir(), &clock_};
};

TEST_F(SealAttackTest, HonestLogVerifiesWithACleanEnd) {
  const VerifyReport r = VerifyKey(log_.key());
  EXPECT_TRUE(r.intact()) << testing::DescribeFindings(r);
  EXPECT_TRUE(r.seal.sealed);
  EXPECT_TRUE(r.seal.tags_checked);
  EXPECT_TRUE(r.seal.clean_end);
  EXPECT_FALSE(r.seal.unclean_end());
  EXPECT_GE(r.seal.seals, 5u);  // resume, data seals, shutdown
  EXPECT_EQ(r.seal.sealed_through + 1, r.last_seq.value_or(0));
  EXPECT_EQ(r.seal.unclean_restarts, 0u);
  // The tools below change nothing by themselves: re-chained and re-manifested, the honest
  // log still verifies (so every finding below comes from the attack).
  Store(testing::Rechain(Lines()));
  const VerifyReport again = VerifyKey(log_.key());
  EXPECT_TRUE(again.intact()) << testing::DescribeFindings(again);
}

// Writers opened and closed several times within one epoch (the fake clock does not move):
// their resume and shutdown seals share the epoch instead of sealing ahead of the clock (or
// waiting for the next epoch), and the log still ends cleanly.
TEST_F(SealAttackTest, RestartsWithinOneEpochShareItAndEndCleanly) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(log_.Open());
    ASSERT_OK(log_.Emit(2));
    ASSERT_OK(log_.Shutdown());
  }
  const VerifyReport r = VerifyKey(log_.key());
  EXPECT_TRUE(r.intact()) << testing::DescribeFindings(r);
  EXPECT_TRUE(r.seal.clean_end);
  EXPECT_EQ(r.seal.unclean_restarts, 0u);
}

// ---- editing, inserting, deleting, reordering a sealed record (re-chained after it)

TEST_F(SealAttackTest, EditedSealedRecordFailsItsSealsMerkleRoot) {
  auto lines = Lines();
  const std::size_t at = 2;  // seq 3, covered by the first data seal
  ASSERT_FALSE(testing::IsSealLine(lines[at]));
  const std::size_t p = lines[at].find("\"task-1\"");
  ASSERT_NE(p, std::string::npos);
  lines[at].replace(p, 8, "\"task-X\"");
  Store(testing::Rechain(lines));
  ExpectCaught(FindingKind::kSealBroken);
}

TEST_F(SealAttackTest, InsertedRecordFailsTheSealsCoverage) {
  auto lines = Lines();
  std::string extra = lines[3];
  extra.replace(extra.find("\"task-2\""), 8, "\"task-9\"");
  lines.insert(lines.begin() + 4, extra);
  Store(testing::Rechain(lines));
  ExpectCaught(FindingKind::kSealBroken);
}

TEST_F(SealAttackTest, DeletedRecordFailsTheSealsCoverage) {
  auto lines = Lines();
  lines.erase(lines.begin() + 3);
  Store(testing::Rechain(lines));
  ExpectCaught(FindingKind::kSealBroken);
}

TEST_F(SealAttackTest, ReorderedRecordsFailTheSealsMerkleRoot) {
  auto lines = Lines();
  std::swap(lines[2], lines[3]);  // same timestamp: no bad_segment
  Store(testing::Rechain(lines));
  ExpectCaught(FindingKind::kSealBroken);
}

TEST_F(SealAttackTest, EditedRecordWithTheSealsFieldsRecomputedFailsTheTag) {
  // The attacker edits a record and rewrites every seal's coverage, chain and root to match
  // (ForgeSealedLines, same epochs): only the tags, made without the old keys, are wrong.
  auto lines = Lines();
  std::vector<std::string> records;
  for (const auto& l : lines) {
    if (!testing::IsSealLine(l)) records.push_back(l);
  }
  records[1].replace(records[1].find("\"task-1\""), 8, "\"task-X\"");
  internal::SecretKey guess;
  guess.data()[0] = 7;
  testing::ForgePlan plan{.log_id = log_.log_id(),
                          .records_per_seal = 4,
                          .epoch_of = [](std::size_t i) { return i; },
                          .ts_of = [](std::size_t, std::int64_t ts) { return ts; },
                          .mac_key_of = [&](std::size_t) { return guess; }};
  ASSERT_OK_AND_ASSIGN(auto forged, testing::ForgeSealedLines(records, plan));
  Store(forged);
  ExpectCaught(FindingKind::kSealTagMismatch);
}

// ---- a full rewrite of the directory

TEST_F(SealAttackTest, FullRewriteWithTheAttackersOwnKeyFailsTheTags) {
  // A consistent log, manifest and fresh seal state, made by the real library with a key
  // of the attacker's own, copied over the victim's directory.
  FakeClockEnv attacker_clock;
  SealedLog attacker(scratch_.path() / "attacker", &attacker_clock);
  ASSERT_OK(attacker.WriteHonest(4, 3));
  testing::ReplaceDirectory(attacker.dir(), dir());
  ASSERT_OK_AND_ASSIGN(VerifyReport own,
                       testing::VerifyWithKey(dir(), attacker.key(), &attacker_clock));
  EXPECT_TRUE(own.intact()) << testing::DescribeFindings(own);  // consistent everywhere
  ExpectCaught(FindingKind::kSealTagMismatch);
}

TEST_F(SealAttackTest, FullRewriteWithTheVictimsLogIdFailsOnlyTheTags) {
  auto lines = Lines();
  std::vector<std::string> records;
  for (const auto& l : lines) {
    if (!testing::IsSealLine(l)) records.push_back(l);
  }
  internal::SecretKey guess;
  guess.data()[5] = 1;
  // The schedule is no secret (the seals' times show it): each seal is stamped in its epoch.
  ASSERT_OK_AND_ASSIGN(internal::VerificationKey key, internal::ParseVerificationKey(log_.key()));
  const internal::SealSchedule schedule = key.schedule;
  testing::ForgePlan plan{
      .log_id = log_.log_id(),
      .records_per_seal = 3,
      .epoch_of = [](std::size_t i) { return i; },
      .ts_of = [=](std::size_t i,
                   std::int64_t ts) { return std::max(ts, schedule.EpochStartMs(i) * 1000); },
      .mac_key_of = [&](std::size_t) { return guess; }};
  ASSERT_OK_AND_ASSIGN(auto forged, testing::ForgeSealedLines(records, plan));
  Store(forged);
  const VerifyReport r = VerifyKey(log_.key());
  EXPECT_TRUE(r.tampered());
  for (const Finding& f : r.findings) {
    EXPECT_EQ(f.kind, FindingKind::kSealTagMismatch) << testing::DescribeFindings(r);
  }
  // Without the key the forgery is structurally perfect: only the key catches it.
  ASSERT_OK_AND_ASSIGN(VerifyReport no_key, Verify(dir(), {.env = &clock_}));
  EXPECT_FALSE(no_key.tampered()) << testing::DescribeFindings(no_key);
  EXPECT_FALSE(no_key.seal.tags_checked);
}

// ---- cutting the log back to an earlier seal and logging on

// Index of the `n`th seal line (0: the first) in `lines`.
std::size_t NthSeal(const std::vector<std::string>& lines, std::size_t n) {
  return testing::SealLineIndexes(lines).at(n);
}

TEST_F(SealAttackTest, CutBackAndLoggingOnWithTheRealWriterIsAnIncident) {
  auto lines = Lines();
  lines.resize(NthSeal(lines, 2) + 1);  // up to the second data seal
  Store(lines);
  ASSERT_OK(log_.Open());
  ASSERT_OK(log_.Emit(3));
  ASSERT_OK(log_.AdvanceEpoch());
  ASSERT_OK(log_.Shutdown());
  ExpectCaught(FindingKind::kSealIncident);
}

// A log that ran on for more than the longest seal gap (a minute of epochs) after its
// second data seal: the state's key is then past every epoch a successor of that seal may
// have.
class SealLongLogTest : public SealAttackTest {
 protected:
  void SetUp() override {}
  void WriteLongLog() {
    ASSERT_OK(log_.Init());
    ASSERT_OK(log_.Open());
    for (int e = 0; e < 3; ++e) {
      ASSERT_OK(log_.Emit(2));
      ASSERT_OK(log_.AdvanceEpoch());
    }
    for (int i = 0; i < 3; ++i) ASSERT_OK(log_.AdvanceBy(std::chrono::seconds(61)));
    ASSERT_OK(log_.Emit(2));
    ASSERT_OK(log_.AdvanceEpoch());
    ASSERT_OK(log_.Shutdown());
  }
  // Cuts the log back to its `n`th seal (and fixes the manifest).
  void CutBackToSeal(std::size_t n) {
    auto lines = Lines();
    lines.resize(NthSeal(lines, n) + 1);
    Store(lines);
  }
};

TEST_F(SealLongLogTest, CutBackWithTheStateMadeToMatchIsAGap) {
  WriteLongLog();
  CutBackToSeal(1);
  // The attacker rewrites the state's record of the last durable seal to the cut log's
  // (the slots are checksummed, not keyed): the writer sees nothing wrong.
  ASSERT_OK(testing::MatchStateToLog(dir(), &clock_));
  ASSERT_OK(log_.Open());
  ASSERT_OK(log_.Emit(3));
  ASSERT_OK(log_.AdvanceEpoch());
  ASSERT_OK(log_.Shutdown());
  const VerifyReport r = VerifyKey(log_.key());
  EXPECT_FALSE(HasFinding(r, FindingKind::kSealIncident)) << testing::DescribeFindings(r);
  ExpectCaught(FindingKind::kSealGap);
}

TEST_F(SealLongLogTest, CutBackAndStoppingIsAGapWhenTheStateKeyMovedOn) {
  // The state's key went on evolving for over a minute of epochs after the seal the log is
  // cut back to: no rewrite of the state can take it back.
  WriteLongLog();
  CutBackToSeal(2);
  ASSERT_OK(testing::MatchStateToLog(dir(), &clock_));
  clock_.Advance(std::chrono::minutes(10));
  ExpectCaught(FindingKind::kSealGap);
}

TEST_F(SealAttackTest, CutBackAndStoppingWithTheStateUntouchedIsAGap) {
  auto lines = Lines();
  lines.resize(NthSeal(lines, 2) + 1);
  Store(lines);
  clock_.Advance(std::chrono::minutes(10));
  ExpectCaught(FindingKind::kSealGap);  // the state's last durable seal is not in the log
}

// The clean close saved the state naming its shutdown seal (in the epoch of the last data
// seal's successor, where the key did not move): dropping just that seal shows.
TEST_F(SealAttackTest, CutOffShutdownSealWithTheStateUntouchedIsAGap) {
  auto lines = Lines();
  ASSERT_NE(lines.back().find("\"kind\":\"shutdown\""), std::string::npos);
  lines.pop_back();
  Store(lines);
  clock_.Advance(std::chrono::minutes(10));
  ExpectCaught(FindingKind::kSealGap);
}

TEST_F(SealAttackTest, CutBackAndStoppingWithTheStateMatchedIsAnUncleanEndNeverIntact) {
  // Within a minute of epochs of the last seal kept, with the state made to match, only an
  // external anchor can prove the truncation: exit 4, never 0.
  const auto all = Lines();
  for (const std::size_t keep_after_seal : {0, 1}) {
    SCOPED_TRACE(keep_after_seal);
    auto lines = all;
    lines.resize(NthSeal(lines, 2) + 1 + keep_after_seal);
    Store(lines);
    ASSERT_OK(testing::MatchStateToLog(dir(), &clock_));
    clock_.Advance(std::chrono::minutes(10));
    const VerifyReport r = VerifyKey(log_.key());
    EXPECT_FALSE(r.tampered()) << testing::DescribeFindings(r);
    EXPECT_FALSE(r.seal.clean_end);
    EXPECT_EQ(r.seal.unsealed_records, keep_after_seal);
    EXPECT_TRUE(r.seal.unclean_end());
  }
}

TEST_F(SealAttackTest, CutBackToAnEarlierShutdownSealIsNoCleanEnd) {
  // A second writer logs for two seconds and shuts down; the log is cut back to the first
  // writer's shutdown seal and the state made to match. Within a minute of epochs there is
  // no proof of the cut, but the state's key is past that shutdown seal: never a clean end.
  ASSERT_OK(log_.Open());
  ASSERT_OK(log_.Emit(3));
  ASSERT_OK(log_.AdvanceBy(std::chrono::seconds(2)));
  ASSERT_OK(log_.AdvanceEpoch());
  ASSERT_OK(log_.Shutdown());
  // The second writer's segment goes (the first one ends in the first shutdown seal).
  const auto segments = testing::SegmentFiles(dir());
  ASSERT_EQ(segments.size(), 2u);
  fs::remove(segments[1]);
  fs::remove(segments[1].string() + ".sha256");
  ASSERT_OK(testing::FixManifest(dir()));
  ASSERT_OK(testing::MatchStateToLog(dir(), &clock_));
  clock_.Advance(std::chrono::minutes(10));
  const VerifyReport r = VerifyKey(log_.key());
  EXPECT_FALSE(r.tampered()) << testing::DescribeFindings(r);
  EXPECT_TRUE(testing::IsSealLine(Lines().back()));
  EXPECT_FALSE(r.seal.clean_end);
  EXPECT_TRUE(r.seal.unclean_end());
}

TEST_F(SealAttackTest, DeletedNewestSegmentAndLoggingOnIsAnIncident) {
  FakeClockEnv clock;
  SealedLog rotated(scratch_.path() / "rotated", &clock);
  rotated.set_rotation_bytes(3000);
  ASSERT_OK(rotated.WriteHonest(4, 3));
  auto segments = testing::SegmentFiles(rotated.dir());
  ASSERT_GE(segments.size(), 3u);
  fs::remove(segments.back());
  fs::remove(segments.back().string() + ".sha256");
  ASSERT_OK(testing::FixManifest(rotated.dir()));
  ASSERT_OK(rotated.Open());
  ASSERT_OK(rotated.Emit(3));
  ASSERT_OK(rotated.AdvanceEpoch());
  ASSERT_OK(rotated.Shutdown());
  ASSERT_OK_AND_ASSIGN(VerifyReport r,
                       testing::VerifyWithKey(rotated.dir(), rotated.key(), &clock));
  EXPECT_TRUE(r.tampered()) << testing::DescribeFindings(r);
  EXPECT_TRUE(HasFinding(r, FindingKind::kSealIncident)) << testing::DescribeFindings(r);
  ExpectOnlySealFindings(r);
}

// ---- the seal state replaced

TEST_F(SealAttackTest, FreshSealStateCopiedOverIsAnIncident) {
  FakeClockEnv other_clock;
  const fs::path other = scratch_.path() / "other";
  ASSERT_OK(InitSealing(other, {.env = &other_clock, .interval = testing::kSealInterval}).status());
  fs::remove_all(dir() / "seal");
  fs::copy(other / "seal", dir() / "seal", fs::copy_options::recursive);
  ASSERT_OK(log_.Open());
  ASSERT_OK(log_.Emit(3));
  ASSERT_OK(log_.AdvanceEpoch());
  ASSERT_OK(log_.Shutdown());
  ExpectCaught(FindingKind::kSealIncident);
  const VerifyReport r = VerifyKey(log_.key());
  EXPECT_TRUE(HasFinding(r, FindingKind::kSealTagMismatch)) << testing::DescribeFindings(r);
}

// ---- re-sealing old records with the current key (CVE-2023-31439)

class SealResealTest : public SealAttackTest {
 protected:
  // Strips every seal and re-seals the records with keys derived from the real state file.
  void Reseal(bool honest_epochs) {
    std::vector<std::string> records;
    for (const auto& l : Lines()) {
      if (!testing::IsSealLine(l)) records.push_back(l);
    }
    ASSERT_OK_AND_ASSIGN(internal::SealState state, internal::ReadSealState(&clock_, dir()));
    const internal::SealSchedule schedule = state.schedule;
    const std::uint64_t base = state.epoch;
    auto chain = internal::ForwardKeyChain::FromState(state.epoch, schedule.epochs_per_day(),
                                                      state.epoch_key, state.next_day_key);
    auto epoch_of = [=](std::size_t i) { return honest_epochs ? base + i : i; };
    testing::ForgePlan plan{
        .log_id = schedule.log_id,
        // Honest epochs are later than every record: one seal at the end (more seals would
        // put records stamped earlier after a seal, a bad_segment).
        .records_per_seal = honest_epochs ? records.size() : 4,
        .epoch_of = epoch_of,
        .ts_of =
            [=](std::size_t i, std::int64_t ts) {
              return std::max(ts, schedule.EpochStartMs(epoch_of(i)) * 1000);
            },
        .mac_key_of =
            [=](std::size_t i) mutable {
              chain.SeekForward(base + i);  // the earliest key the state still holds on
              return chain.MacKey();
            }};
    ASSERT_OK_AND_ASSIGN(auto forged, testing::ForgeSealedLines(records, plan));
    Store(forged);
    clock_.Advance(std::chrono::seconds(10));  // the forged epochs are not in the future
  }
};

TEST_F(SealResealTest, ResealedWithTheCurrentKeysEpochsIsAGap) {
  Reseal(/*honest_epochs=*/true);
  ExpectCaught(FindingKind::kSealGap);
}

TEST_F(SealResealTest, ResealedWithTheCurrentKeyClaimingOldEpochsFailsTheTags) {
  Reseal(/*honest_epochs=*/false);
  ExpectCaught(FindingKind::kSealTagMismatch);
}

// ---- the verification key

TEST_F(SealAttackTest, WrongVerificationKeyFailsEveryTag) {
  ASSERT_OK_AND_ASSIGN(internal::VerificationKey key, internal::ParseVerificationKey(log_.key()));
  key.secret.data()[0] ^= 1;  // same schedule and log_id, another secret
  const VerifyReport r = VerifyKey(internal::FormatVerificationKey(key));
  EXPECT_TRUE(r.tampered());
  EXPECT_TRUE(HasFinding(r, FindingKind::kSealTagMismatch)) << testing::DescribeFindings(r);
  // Another log's key: its log_id does not match either.
  FakeClockEnv other_clock;
  ASSERT_OK_AND_ASSIGN(auto other,
                       InitSealing(scratch_.path() / "other",
                                   {.env = &other_clock, .interval = testing::kSealInterval}));
  const VerifyReport r2 = VerifyKey(other.verification_key);
  EXPECT_TRUE(HasFinding(r2, FindingKind::kSealTagMismatch)) << testing::DescribeFindings(r2);
  EXPECT_TRUE(HasFinding(r2, FindingKind::kSealBroken)) << testing::DescribeFindings(r2);
}

// ---- hostile seal records and seal directories

TEST_F(SealAttackTest, MalformedSealRecordIsBroken) {
  auto lines = Lines();
  std::string& seal = lines[NthSeal(lines, 1)];
  const std::size_t p = seal.find("\"kind\":\"data\"");
  ASSERT_NE(p, std::string::npos);
  seal.replace(p, 13, "\"kind\":\"bulk\"");
  Store(testing::Rechain(lines));
  ExpectCaught(FindingKind::kSealBroken);
}

TEST_F(SealAttackTest, SealWithAFarFutureEpochIsAGapAndNoLongSeek) {
  auto lines = Lines();
  std::string& seal = lines[NthSeal(lines, 2)];
  const std::size_t p = seal.find("\"epoch\":");
  ASSERT_NE(p, std::string::npos);
  seal.replace(p, seal.find(',', p) - p, "\"epoch\":1099511627775");  // just under 2^40
  Store(testing::Rechain(lines));
  ExpectCaught(FindingKind::kSealGap);
}

TEST_F(SealAttackTest, SealRecordsWithoutTheSealDirectoryAreBroken) {
  fs::remove_all(dir() / "seal");
  ExpectCaught(FindingKind::kSealBroken);
  ASSERT_OK_AND_ASSIGN(VerifyReport no_key, Verify(dir(), {.env = &clock_}));
  EXPECT_TRUE(HasFinding(no_key, FindingKind::kSealBroken)) << testing::DescribeFindings(no_key);
}

TEST_F(SealAttackTest, VerifyWithoutAKeySaysTheTagsWereNotChecked) {
  ASSERT_OK_AND_ASSIGN(VerifyReport r, Verify(dir(), {.env = &clock_}));
  EXPECT_TRUE(r.intact()) << testing::DescribeFindings(r);
  EXPECT_TRUE(r.seal.sealed);
  EXPECT_FALSE(r.seal.tags_checked);
  EXPECT_TRUE(r.seal.clean_end);
  EXPECT_EQ(r.seal.interval_ms, 100u);  // from the state file
}

}  // namespace
}  // namespace auditlog
