// Durability under faults: a simulated power loss (FaultEnv::DropUnsyncedData) keeps every
// event acknowledged as durable, in every flush mode; a failed fsync makes the logger fail
// for good (sticky); a failed or short write is retried without losing or duplicating
// anything.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "auditlog/auditlog.h"
#include "engine_util.h"
#include "fault_env.h"
#include "test_util.h"

namespace auditlog {
namespace {

using std::chrono::milliseconds;
using testing::FaultEnv;
using testing::NumberedEvent;
using testing::ReadRecords;
using testing::ScratchDir;

struct ModeCase {
  const char* name;
  FlushMode mode;
};

class PowerLossTest : public ::testing::TestWithParam<ModeCase> {};

// Emits a mix of Emit and EmitDurable (and, for Hybrid, critical events), cuts the power at
// an arbitrary moment, and checks that what survives is a verifiable prefix of the log that
// holds every acknowledged event.
TEST_P(PowerLossTest, EveryAcknowledgedEventSurvives) {
  for (int round = 0; round < 4; ++round) {
    ScratchDir dir;
    FaultEnv fault;
    std::atomic<int> errors{0};
    Config config;
    config.service_id = "svc";
    config.mode = LocalMode{dir.path()};
    config.flush_mode = GetParam().mode;
    config.env = &fault;
    config.on_error = [&](const Status&) { ++errors; };
    ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(config));

    std::uint64_t acked = 0;  // highest seq whose EmitDurable / WaitDurable returned OK
    std::uint64_t emitted = 0;
    const int events = 60 + 20 * round;
    for (int i = 0; i < events; ++i) {
      if (i % 9 == 4) {
        ASSERT_OK(logger->EmitDurable(NumberedEvent(0, i)));
        acked = ++emitted;
      } else {
        ASSERT_OK_AND_ASSIGN(std::uint64_t seq, logger->Emit(NumberedEvent(0, i, i % 13 == 0)));
        emitted = seq;
        if (i % 17 == 0 && logger->WaitDurable(seq, milliseconds(0)).ok()) acked = seq;
      }
    }
    // The power goes out: from now on nothing reaches the disk.
    fault.SetActive(false);
    const std::uint64_t watermark = logger->GetStats().durable_seq;
    EXPECT_GE(watermark, acked);
    ASSERT_OK(fault.DropUnsyncedData());
    logger.reset();  // its last writes and fsyncs fail; that is the point
    fault.SetActive(true);

    ASSERT_OK_AND_ASSIGN(VerifyReport report, Verify(dir.path()));
    EXPECT_TRUE(report.intact()) << report.findings[0].reason;
    const auto records = ReadRecords(dir.path());
    ASSERT_GE(records.size(), watermark) << GetParam().name << " round " << round;
    ASSERT_LE(records.size(), emitted);
    for (std::size_t k = 0; k < records.size(); ++k) {
      EXPECT_EQ(records[k].seq, k + 1);
      EXPECT_EQ(records[k].n, static_cast<std::int64_t>(k));
    }

    // The log reopens after the "reboot" and its chain continues.
    config.env = nullptr;
    config.on_error = nullptr;
    ASSERT_OK_AND_ASSIGN(auto reopened, Logger::Open(config));
    ASSERT_OK_AND_ASSIGN(std::uint64_t next, reopened->Emit(NumberedEvent(1, 0)));
    EXPECT_EQ(next, records.size() + 1);
    ASSERT_OK(reopened->Shutdown());
    ASSERT_OK_AND_ASSIGN(VerifyReport after, Verify(dir.path()));
    EXPECT_TRUE(after.intact());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Modes, PowerLossTest,
    ::testing::Values(ModeCase{"immediate", Immediate{}},
                      ModeCase{"batched", Batched{.size = 8, .interval = milliseconds(2)}},
                      ModeCase{"batched_large",
                               Batched{.size = 100000, .interval = std::chrono::hours(1)}},
                      ModeCase{"hybrid", Hybrid{.batch_size = 8,
                                                .batch_interval = milliseconds(2),
                                                .critical_immediate = true}}),
    [](const auto& info) { return std::string(info.param.name); });

// The test above would pass vacuously if DropUnsyncedData dropped nothing: here events that
// were only written are lost, and the durable ones are not.
TEST(PowerLossSanityTest, UnsyncedEventsAreReallyLost) {
  ScratchDir dir;
  FaultEnv fault;
  Config config;
  config.service_id = "svc";
  config.mode = LocalMode{dir.path()};
  config.flush_mode = Batched{.size = 100000, .interval = std::chrono::hours(1)};
  config.env = &fault;
  ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(config));
  for (int i = 0; i < 5; ++i) ASSERT_OK(logger->Emit(NumberedEvent(0, i)).status());
  ASSERT_OK(logger->Flush());
  for (int i = 5; i < 10; ++i) ASSERT_OK(logger->Emit(NumberedEvent(0, i)).status());
  // Wait until the five are written (handed to the kernel), but not fsync'ed.
  for (int spin = 0; logger->GetStats().events_written < 10 && spin < 20000; ++spin) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  ASSERT_EQ(logger->GetStats().events_written, 10u);
  EXPECT_EQ(ReadRecords(dir.path()).size(), 10u);  // a process crash now would lose nothing
  fault.SetActive(false);
  ASSERT_OK(fault.DropUnsyncedData());
  logger.reset();
  EXPECT_EQ(ReadRecords(dir.path()).size(), 5u);  // a power loss loses the unsynced five
}

class FailureTest : public ::testing::Test {
 protected:
  Config MakeConfig(FlushMode mode = Immediate{}) {
    Config config;
    config.service_id = "svc";
    config.mode = LocalMode{dir_.path()};
    config.flush_mode = mode;
    config.env = &fault_;
    config.on_error = [this](const Status& s) {
      ++on_error_calls_;
      std::lock_guard<std::mutex> lock(mu_);
      last_error_ = s;
    };
    return config;
  }
  ScratchDir dir_;
  FaultEnv fault_;
  std::atomic<int> on_error_calls_{0};
  std::mutex mu_;
  Status last_error_;
};

TEST_F(FailureTest, FailedFsyncIsStickyAndReportedOnce) {
  ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(MakeConfig()));
  ASSERT_OK(logger->EmitDurable(NumberedEvent(0, 0)));
  fault_.FailSync(1, Status::IOError("fsync: Input/output error"));
  const Status s = logger->EmitDurable(NumberedEvent(0, 1));
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_NE(s.message().find("fsync"), std::string::npos) << s.message();
  // The durable watermark stays at what really was fsync'ed.
  EXPECT_EQ(logger->GetStats().durable_seq, 1u);
  EXPECT_EQ(logger->WaitDurable(2, milliseconds(0)).code(), StatusCode::kIOError);
  EXPECT_EQ(logger->Flush().code(), StatusCode::kIOError);
  // New events are refused, naming the cause; no retry of the fsync ever happens.
  auto r = logger->Emit(NumberedEvent(0, 2));
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("fsync"), std::string::npos) << r.status().message();
  const Stats stats = logger->GetStats();
  EXPECT_TRUE(stats.failed);
  EXPECT_NE(stats.failure.find("fsync"), std::string::npos);
  EXPECT_EQ(stats.rejected_failed, 1u);
  EXPECT_NE(logger->MetricsText().find("auditlog_failed 1\n"), std::string::npos);
  EXPECT_EQ(logger->Shutdown().code(), StatusCode::kIOError);
  EXPECT_EQ(on_error_calls_.load(), 1);
  EXPECT_EQ(last_error_.code(), StatusCode::kIOError);
  // What was acknowledged is intact.
  ASSERT_OK_AND_ASSIGN(VerifyReport report, Verify(dir_.path()));
  EXPECT_FALSE(report.tampered());
  EXPECT_GE(report.last_seq.value_or(0), 1u);
}

TEST_F(FailureTest, ShortWriteIsCutOffAndRetried) {
  ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(MakeConfig(Hybrid{})));
  ASSERT_OK(logger->EmitDurable(NumberedEvent(0, 0)));
  // The next two writes fail after writing part of their data (ENOSPC-like), then the disk
  // recovers.
  fault_.FailAppend(1, Status::IOError("write: No space left on device"),
                    /*short_write_bytes=*/17, /*times=*/2);
  for (int i = 1; i <= 20; ++i) ASSERT_OK(logger->Emit(NumberedEvent(0, i)).status());
  // Flush reports the failing writes while they last; the events stay queued.
  Status flushed;
  for (int attempt = 0; attempt < 2000; ++attempt) {
    flushed = logger->Flush();
    if (flushed.ok()) break;
    EXPECT_EQ(flushed.code(), StatusCode::kIOError);
    std::this_thread::sleep_for(milliseconds(1));
  }
  ASSERT_OK(flushed);
  EXPECT_EQ(logger->GetStats().write_errors, 2u);
  EXPECT_FALSE(logger->GetStats().writes_failing);
  ASSERT_OK(logger->Shutdown());
  EXPECT_EQ(on_error_calls_.load(), 0);
  ASSERT_OK_AND_ASSIGN(VerifyReport report, Verify(dir_.path()));
  EXPECT_TRUE(report.intact());
  const auto records = ReadRecords(dir_.path());
  ASSERT_EQ(records.size(), 21u);
  for (int i = 0; i <= 20; ++i) EXPECT_EQ(records[i].n, i);
}

TEST_F(FailureTest, EmitFailsFastWhileWritesFailForLackOfSpace) {
  ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(MakeConfig(Hybrid{})));
  fault_.FailAppend(1, Status::DiskSpaceLow("write: No space left on device"), 0,
                    /*times=*/1000000);
  ASSERT_OK(logger->Emit(NumberedEvent(0, 0)).status());
  for (int spin = 0; !logger->GetStats().writes_failing && spin < 20000; ++spin) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  ASSERT_TRUE(logger->GetStats().writes_failing);
  auto r = logger->Emit(NumberedEvent(0, 1));
  EXPECT_EQ(r.status().code(), StatusCode::kDiskSpaceLow);
  EXPECT_EQ(logger->GetStats().rejected_disk_low, 1u);
  EXPECT_EQ(logger->Flush().code(), StatusCode::kDiskSpaceLow);
  fault_.FailAppend(1, Status::Ok(), 0, /*times=*/0);  // space is back
  Status flushed;
  for (int attempt = 0; attempt < 5000; ++attempt) {
    if ((flushed = logger->Flush()).ok()) break;
    std::this_thread::sleep_for(milliseconds(1));
  }
  ASSERT_OK(flushed);
  // The writer recorded its resumption (seq 2) before the next event.
  ASSERT_OK_AND_ASSIGN(std::uint64_t seq, logger->Emit(NumberedEvent(0, 2)));
  EXPECT_EQ(seq, 3u);
  ASSERT_OK(logger->Shutdown());
  const auto records = ReadRecords(dir_.path());
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].n, 0);
  EXPECT_EQ(records[1].event_type, "log_writes_resumed");
  EXPECT_TRUE(records[1].critical);
  EXPECT_NE(records[1].event_json.find("\"reason\":\"disk_space_low\""), std::string::npos)
      << records[1].event_json;
  EXPECT_NE(records[1].event_json.find("\"refused_emits\":1}"), std::string::npos)
      << records[1].event_json;
  EXPECT_EQ(records[2].n, 2);
}

TEST_F(FailureTest, ShutdownGivesUpOnWritesThatKeepFailingAndSaysSo) {
  ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(MakeConfig(Hybrid{})));
  fault_.FailAppend(1, Status::IOError("write: Input/output error"), 0, /*times=*/1000000);
  ASSERT_OK(logger->Emit(NumberedEvent(0, 0)).status());
  ASSERT_OK(logger->Emit(NumberedEvent(0, 1)).status());
  const Status s = logger->Shutdown();
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_NE(s.message().find("could not be written"), std::string::npos) << s.message();
  EXPECT_EQ(on_error_calls_.load(), 1);
  EXPECT_EQ(logger->Shutdown(), s);
}

}  // namespace
}  // namespace auditlog
