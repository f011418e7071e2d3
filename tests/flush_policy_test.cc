// Flush decisions: FlushPolicy on its own (plain numbers), then the writer engine driven by
// a fake clock and a counting file system, for Immediate, Batched and Hybrid.
#include "engine/flush_policy.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "auditlog/auditlog.h"
#include "engine/logger_test_peer.h"
#include "engine_util.h"
#include "fake_clock.h"
#include "fault_env.h"
#include "test_util.h"

namespace auditlog {
namespace {

using internal::FlushPolicy;
using internal::LoggerTestPeer;
using std::chrono::milliseconds;
using testing::FakeClockEnv;
using testing::FaultEnv;
using testing::NumberedEvent;
using testing::ScratchDir;

constexpr std::int64_t kSecond = 1000000;

FlushPolicy::Unsynced U(std::uint64_t events, std::int64_t oldest, bool critical = false) {
  return {events, oldest, critical};
}

// ---- the pure decision -----------------------------------------------------------------

TEST(FlushPolicyTest, NothingUnsyncedNeverSyncs) {
  for (const FlushMode& mode : {FlushMode(Immediate{}), FlushMode(Batched{10, milliseconds(5)}),
                                FlushMode(Hybrid{10, milliseconds(5), true})}) {
    FlushPolicy p(mode);
    EXPECT_FALSE(p.ShouldSync(U(0, 0), 100 * kSecond));
    EXPECT_EQ(p.Deadline(U(0, 0)), FlushPolicy::kNever);
  }
}

TEST(FlushPolicyTest, ImmediateSyncsWheneverAnythingIsUnsynced) {
  FlushPolicy p(Immediate{});
  EXPECT_TRUE(p.ShouldSync(U(1, 5 * kSecond), 5 * kSecond));
  EXPECT_LE(p.Deadline(U(1, 5 * kSecond)), 5 * kSecond);
  EXPECT_EQ(p.batch_size(), 0u);
}

TEST(FlushPolicyTest, BatchedSyncsAtSizeOrWhenTheOldestReachesTheInterval) {
  FlushPolicy p(Batched{.size = 10, .interval = std::chrono::seconds(1)});
  const std::int64_t t0 = 50 * kSecond;
  EXPECT_FALSE(p.ShouldSync(U(9, t0), t0));
  EXPECT_TRUE(p.ShouldSync(U(10, t0), t0));
  EXPECT_TRUE(p.ShouldSync(U(11, t0), t0));
  EXPECT_FALSE(p.ShouldSync(U(1, t0), t0 + kSecond - 1));
  EXPECT_TRUE(p.ShouldSync(U(1, t0), t0 + kSecond));
  EXPECT_EQ(p.Deadline(U(1, t0)), t0 + kSecond);
  // Critical events get no special treatment in Batched.
  EXPECT_FALSE(p.ShouldSync(U(1, t0, /*critical=*/true), t0));
}

TEST(FlushPolicyTest, HybridSyncsACriticalEventAtOnce) {
  FlushPolicy p(Hybrid{
      .batch_size = 100, .batch_interval = std::chrono::seconds(1), .critical_immediate = true});
  const std::int64_t t0 = 7 * kSecond;
  EXPECT_FALSE(p.ShouldSync(U(5, t0), t0));
  EXPECT_TRUE(p.ShouldSync(U(5, t0, true), t0));
  EXPECT_LE(p.Deadline(U(5, t0, true)), t0);
  EXPECT_TRUE(p.ShouldSync(U(100, t0), t0));
  EXPECT_TRUE(p.ShouldSync(U(1, t0), t0 + kSecond));
}

TEST(FlushPolicyTest, HybridWithoutCriticalImmediateIsBatched) {
  FlushPolicy p(Hybrid{
      .batch_size = 100, .batch_interval = std::chrono::seconds(1), .critical_immediate = false});
  EXPECT_FALSE(p.ShouldSync(U(5, 0, true), 10));
  EXPECT_EQ(p.Deadline(U(5, 0, true)), kSecond);
}

TEST(FlushPolicyTest, HugeIntervalsDoNotOverflow) {
  FlushPolicy p(Batched{.size = 10, .interval = milliseconds::max()});
  EXPECT_EQ(p.Deadline(U(1, 123)), FlushPolicy::kNever);
  EXPECT_FALSE(p.ShouldSync(U(1, 123), FlushPolicy::kNever - 1));
}

TEST(FlushPolicyTest, BadParametersAreRejectedAtOpen) {
  EXPECT_EQ(internal::ValidateFlushMode(Batched{.size = 0}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(internal::ValidateFlushMode(Hybrid{.batch_size = 0}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(internal::ValidateFlushMode(Batched{.size = 1, .interval = milliseconds(-1)}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_OK(internal::ValidateFlushMode(Batched{.size = 1, .interval = milliseconds(0)}));
  ScratchDir dir;
  Config config;
  config.service_id = "svc";
  config.mode = LocalMode{dir.path()};
  config.flush_mode = Batched{.size = 0};
  auto logger = Logger::Open(config);
  EXPECT_EQ(logger.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(logger.status().message().find("Batched.size"), std::string::npos);
}

// ---- the engine under a fake clock -------------------------------------------------------

// A logger over FakeClockEnv (time stands still unless the test advances it) and FaultEnv
// (counts fsyncs and can hold writes). `Settle()` returns once the writer has taken every
// decision due at the current fake time.
class EngineFlushTest : public ::testing::Test {
 protected:
  void Open(FlushMode mode) {
    Config config;
    config.service_id = "svc";
    config.mode = LocalMode{dir_.path()};
    config.flush_mode = mode;
    config.env = &fault_;
    ASSERT_OK_AND_ASSIGN(logger_, Logger::Open(config));
    Settle();
    fault_.ResetCounters();
  }
  void Settle() { ASSERT_TRUE(LoggerTestPeer::WaitWriterIdle(*logger_, std::chrono::seconds(20))); }
  std::uint64_t Emit(bool critical = false) {
    auto seq = logger_->Emit(NumberedEvent(0, n_++, critical));
    EXPECT_OK(seq.status());
    return seq.ok() ? *seq : 0;
  }
  std::uint64_t Durable() { return logger_->GetStats().durable_seq; }
  std::uint64_t Fsyncs() { return logger_->GetStats().fsyncs; }
  void Advance(milliseconds d) { clock_.Advance(d); }

  // Everything the file holds is fsync'ed (per FaultEnv's own bookkeeping).
  bool SegmentFullySynced() {
    const auto segments = testing::SegmentFiles(dir_.path());
    if (segments.empty()) return false;
    auto info = fault_.GetFileInfo(std::filesystem::canonical(segments.back()));
    return info && info->size > 0 && info->synced == info->size;
  }

  ScratchDir dir_;
  FakeClockEnv clock_;
  FaultEnv fault_{&clock_};
  std::unique_ptr<Logger> logger_;
  std::int64_t n_ = 0;
};

TEST_F(EngineFlushTest, ImmediateFsyncsEachBatchBeforeTakingTheNext) {
  Open(Immediate{});
  const std::uint64_t first = Emit();
  Settle();
  EXPECT_EQ(Durable(), first);
  EXPECT_EQ(fault_.sync_count(), 1);
  EXPECT_TRUE(SegmentFullySynced());

  // Hold the writer inside its write of one event while four more queue up: they form the
  // next batch, written once and fsync'ed once (group commit).
  fault_.HoldAppends();
  const std::uint64_t held = Emit();
  ASSERT_TRUE(fault_.WaitForHeldAppend(std::chrono::seconds(20)));
  std::uint64_t last = 0;
  for (int i = 0; i < 4; ++i) last = Emit();
  EXPECT_LT(Durable(), held);
  fault_.ReleaseAppends();
  Settle();
  EXPECT_EQ(Durable(), last);
  EXPECT_EQ(fault_.append_count(), 3);
  EXPECT_EQ(fault_.sync_count(), 3);
  EXPECT_EQ(logger_->GetStats().events_since_sync, 0u);
  EXPECT_TRUE(SegmentFullySynced());
}

TEST_F(EngineFlushTest, BatchedIntervalFiresWithNoFurtherEvent) {
  Open(Batched{.size = 10, .interval = std::chrono::seconds(1)});
  const std::uint64_t durable_before = Durable();
  Emit();
  Emit();
  const std::uint64_t last = Emit();
  Settle();
  // Written promptly, not yet fsync'ed.
  EXPECT_EQ(logger_->GetStats().events_written, 3u);
  EXPECT_EQ(logger_->GetStats().events_since_sync, 3u);
  EXPECT_EQ(Durable(), durable_before);
  EXPECT_EQ(fault_.sync_count(), 0);

  Advance(milliseconds(999));
  Settle();
  EXPECT_EQ(fault_.sync_count(), 0);
  EXPECT_EQ(Durable(), durable_before);

  Advance(milliseconds(1));  // the oldest is now exactly 1 s old
  Settle();
  EXPECT_EQ(fault_.sync_count(), 1);
  EXPECT_EQ(Durable(), last);
  EXPECT_EQ(logger_->GetStats().events_since_sync, 0u);
  EXPECT_TRUE(SegmentFullySynced());
}

TEST_F(EngineFlushTest, BatchedIntervalCountsFromTheOldestUnsyncedEvent) {
  Open(Batched{.size = 10, .interval = std::chrono::seconds(1)});
  Emit();
  Settle();
  Advance(milliseconds(600));
  const std::uint64_t last = Emit();
  Settle();
  EXPECT_EQ(fault_.sync_count(), 0);
  Advance(milliseconds(400));  // 1 s after the first, 0.4 s after the second
  Settle();
  EXPECT_EQ(fault_.sync_count(), 1);
  EXPECT_EQ(Durable(), last);
  // The timer starts again with the next event, not at the last fsync.
  Advance(milliseconds(5000));
  const std::uint64_t next = Emit();
  Settle();
  Advance(milliseconds(999));
  Settle();
  EXPECT_EQ(fault_.sync_count(), 1);
  Advance(milliseconds(1));
  Settle();
  EXPECT_EQ(fault_.sync_count(), 2);
  EXPECT_EQ(Durable(), next);
}

TEST_F(EngineFlushTest, BatchedSizeTriggersAnFsync) {
  Open(Batched{.size = 10, .interval = std::chrono::hours(1)});
  for (int i = 0; i < 9; ++i) Emit();
  Settle();
  EXPECT_EQ(fault_.sync_count(), 0);
  EXPECT_EQ(logger_->GetStats().events_since_sync, 9u);
  const std::uint64_t tenth = Emit();
  Settle();
  EXPECT_EQ(fault_.sync_count(), 1);
  EXPECT_EQ(Durable(), tenth);
}

TEST_F(EngineFlushTest, HybridCriticalEventMakesEveryEarlierEventDurable) {
  Open(Hybrid{
      .batch_size = 100, .batch_interval = std::chrono::hours(1), .critical_immediate = true});
  const std::uint64_t durable_before = Durable();
  for (int i = 0; i < 5; ++i) Emit();
  Settle();
  EXPECT_EQ(fault_.sync_count(), 0);
  EXPECT_EQ(Durable(), durable_before);

  // No clock movement at all: the critical event does not wait behind routine batching.
  const std::uint64_t critical = Emit(/*critical=*/true);
  Settle();
  EXPECT_EQ(fault_.sync_count(), 1);
  EXPECT_EQ(Durable(), critical);
  EXPECT_TRUE(SegmentFullySynced());

  // Routine events after it go back to batching.
  for (int i = 0; i < 3; ++i) Emit();
  Settle();
  EXPECT_EQ(fault_.sync_count(), 1);
  EXPECT_EQ(Durable(), critical);
  EXPECT_EQ(logger_->GetStats().critical_events, 1u);
}

TEST_F(EngineFlushTest, HybridCriticalEventInsideABatchSyncsThatBatch) {
  Open(Hybrid{
      .batch_size = 100, .batch_interval = std::chrono::hours(1), .critical_immediate = true});
  fault_.HoldAppends();
  Emit();
  ASSERT_TRUE(fault_.WaitForHeldAppend(std::chrono::seconds(20)));
  Emit();
  const std::uint64_t critical = Emit(true);
  const std::uint64_t after = Emit();
  fault_.ReleaseAppends();
  Settle();
  // Batch 1 (routine) is not fsync'ed on its own; batch 2 holds the critical event, so the
  // writer fsyncs it before it moves on, covering the routine events around it.
  EXPECT_EQ(fault_.append_count(), 2);
  EXPECT_EQ(fault_.sync_count(), 1);
  EXPECT_GE(Durable(), critical);
  EXPECT_EQ(Durable(), after);
}

TEST_F(EngineFlushTest, HybridWithoutCriticalImmediateBatchesCriticalEventsToo) {
  Open(Hybrid{
      .batch_size = 100, .batch_interval = std::chrono::seconds(1), .critical_immediate = false});
  const std::uint64_t critical = Emit(true);
  Settle();
  EXPECT_EQ(fault_.sync_count(), 0);
  Advance(std::chrono::seconds(1));
  Settle();
  EXPECT_EQ(fault_.sync_count(), 1);
  EXPECT_EQ(Durable(), critical);
}

TEST_F(EngineFlushTest, EmitDurableAndFlushForceAnFsyncInBatchedMode) {
  Open(Batched{.size = 1000, .interval = std::chrono::hours(1)});
  Emit();
  ASSERT_OK(logger_->EmitDurable(NumberedEvent(0, 99)));
  EXPECT_EQ(fault_.sync_count(), 1);
  EXPECT_EQ(Durable(), logger_->GetStats().events_emitted);
  const std::uint64_t last = Emit();
  ASSERT_OK(logger_->Flush());
  EXPECT_EQ(fault_.sync_count(), 2);
  EXPECT_EQ(Durable(), last);
  // Nothing new: Flush does not fsync again.
  ASSERT_OK(logger_->Flush());
  EXPECT_EQ(fault_.sync_count(), 2);
}

TEST_F(EngineFlushTest, WaitDurableDoesNotHurryTheWriter) {
  Open(Batched{.size = 1000, .interval = std::chrono::seconds(1)});
  const std::uint64_t seq = Emit();
  EXPECT_EQ(logger_->WaitDurable(seq, milliseconds(30)).code(), StatusCode::kTimeout);
  EXPECT_EQ(fault_.sync_count(), 0);
  Advance(std::chrono::seconds(1));
  Settle();
  EXPECT_OK(logger_->WaitDurable(seq, milliseconds(0)));
}

// With the real clock: a lone event in Batched mode becomes durable after the interval,
// without any further event and without anyone forcing it (the seed's FL-4 bug).
TEST(EngineRealClockTest, LoneBatchedEventBecomesDurableAfterTheInterval) {
  ScratchDir dir;
  Config config;
  config.service_id = "svc";
  config.mode = LocalMode{dir.path()};
  config.flush_mode = Batched{.size = 1000, .interval = milliseconds(50)};
  ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(config));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_OK_AND_ASSIGN(std::uint64_t seq, logger->Emit(NumberedEvent(0, 0)));
  ASSERT_OK(logger->WaitDurable(seq, std::chrono::seconds(30)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(50));
  EXPECT_EQ(logger->GetStats().fsyncs, 1u);
}

}  // namespace
}  // namespace auditlog
