// The storage lifecycle as the running Logger drives it: rotation on the writer's own clock,
// a deleted active segment, retention at open and rotation, suspension on a full disk; and
// faults (failed fsync, directory fsync or rename, then power loss) at every step of
// rotation and manifest replacement, each followed by a reopen and a verification.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "auditlog/auditlog.h"
#include "engine_util.h"
#include "fake_clock.h"
#include "fault_env.h"
#include "storage/record_writer.h"
#include "test_util.h"

namespace auditlog {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using testing::ReadRecords;
using testing::ScratchDir;
using testing::SegmentFiles;

// 2026-11-27T23:59:58Z
constexpr std::int64_t kJustBeforeMidnight = 1795823998LL * 1000000;

Event Task(int i) {
  return TaskCompleted{.task_id = "task-" + std::to_string(i), .worker_id = "w"};
}

// Polls `pred` for up to 5 s of real time.
template <typename Pred>
bool Eventually(Pred pred) {
  for (int i = 0; i < 500; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return pred();
}

std::string Describe(const VerifyReport& r) {
  std::string s;
  for (const Finding& f : r.findings) {
    s += std::string(FindingKindName(f.kind)) + " " + f.file + ":" + std::to_string(f.line) + " " +
         f.reason + "\n";
  }
  return s;
}

int CountType(const std::vector<testing::LogRecord>& records, const std::string& type) {
  int n = 0;
  for (const auto& r : records) n += r.event_type == type;
  return n;
}

class LifecycleTest : public ::testing::Test {
 protected:
  Config MakeConfig(Env* env) {
    Config config;
    config.service_id = "svc";
    config.mode = LocalMode{dir_.path()};
    config.flush_mode = Immediate{};
    config.env = env;
    return config;
  }
  ScratchDir dir_;
};

TEST_F(LifecycleTest, IdleWriterRotatesAtMidnightByItsOwnClock) {
  testing::FakeClockEnv clock(Env::Default(), kJustBeforeMidnight);
  ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(MakeConfig(&clock)));
  ASSERT_OK(logger->EmitDurable(Task(1)));
  ASSERT_EQ(SegmentFiles(dir_.path()).size(), 1u);
  // Midnight passes with no further event: the writer moves to the new day's file anyway,
  // closing (and checksumming) yesterday's.
  clock.Advance(std::chrono::seconds(3));
  ASSERT_TRUE(Eventually([&] { return SegmentFiles(dir_.path()).size() == 2; }));
  const auto segments = SegmentFiles(dir_.path());
  EXPECT_NE(segments[1].filename().string().find("2026-11-28"), std::string::npos);
  EXPECT_TRUE(fs::exists(segments[0].string() + ".sha256"));
  ASSERT_OK(logger->EmitDurable(Task(2)));
  ASSERT_OK(logger->Shutdown());
  ASSERT_OK_AND_ASSIGN(VerifyReport r, Verify(dir_.path()));
  EXPECT_TRUE(r.intact()) << Describe(r);
  EXPECT_EQ(r.records, 2u);
}

TEST_F(LifecycleTest, DeletedActiveSegmentIsRecordedAsAnIntegrityViolation) {
  ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(MakeConfig(nullptr)));
  ASSERT_OK(logger->EmitDurable(Task(1)));
  const fs::path victim = SegmentFiles(dir_.path()).back();
  fs::remove(victim);
  // The writer notices before its next write (or on its timer) and continues elsewhere.
  ASSERT_OK(logger->EmitDurable(Task(2)));
  ASSERT_OK(logger->Shutdown());
  const auto records = ReadRecords(dir_.path());
  ASSERT_EQ(CountType(records, "integrity_violation"), 1);
  for (const auto& r : records) {
    if (r.event_type != "integrity_violation") continue;
    EXPECT_TRUE(r.critical);
    EXPECT_NE(r.event_json.find(victim.filename().string()), std::string::npos);
    EXPECT_NE(r.event_json.find("\"actual_hash\":\"deleted\""), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(victim));
  // The deletion itself remains visible to an auditor.
  ASSERT_OK_AND_ASSIGN(VerifyReport v, Verify(dir_.path()));
  EXPECT_TRUE(v.tampered());
  bool missing = false;
  for (const Finding& f : v.findings) missing |= f.kind == FindingKind::kSegmentMissing;
  EXPECT_TRUE(missing) << Describe(v);
}

TEST_F(LifecycleTest, RetentionRunsWhenTheLoggerOpensAndRecordsWhatItDid) {
  testing::FakeClockEnv clock;
  for (int run = 0; run < 2; ++run) {
    ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(MakeConfig(&clock)));
    ASSERT_OK(logger->EmitDurable(Task(run)));
    ASSERT_OK(logger->Shutdown());
  }
  clock.Advance(std::chrono::hours(24 * 100));
  Config config = MakeConfig(&clock);
  config.retention = RetentionPolicy{
      .min_retention_days = 2555, .archive_after_days = 90, .delete_after_days = 2555};
  {
    ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(config));
    ASSERT_OK(logger->Flush());
    ASSERT_OK(logger->Shutdown());
  }
  const auto records = ReadRecords(dir_.path());
  EXPECT_EQ(CountType(records, "segment_archived"), 2);
  int archives = 0;
  for (const auto& e : fs::directory_iterator(dir_.path())) {
    archives += e.path().extension() == ".zst";
  }
  EXPECT_EQ(archives, 2);
  ASSERT_OK_AND_ASSIGN(VerifyReport v, Verify(dir_.path()));
  EXPECT_TRUE(v.intact()) << Describe(v);
  EXPECT_EQ(v.records, 4u);
}

// Free space below min_free_bytes: nothing is written, Emit fails closed, and when space
// returns the writer resumes by itself and records the suspension.
class LowSpaceEnv : public EnvWrapper {
 public:
  LowSpaceEnv() : EnvWrapper(Env::Default()) {}
  Result<std::uint64_t> FreeBytes(const fs::path&) override { return free_.load(); }
  std::atomic<std::uint64_t> free_{1ull << 40};
};

TEST_F(LifecycleTest, FullDiskSuspendsWritesFailsClosedAndRecordsTheResumption) {
  LowSpaceEnv env;
  Config config = MakeConfig(&env);
  config.flush_mode = Hybrid{};
  config.min_free_bytes = 10 << 20;
  ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(config));
  ASSERT_OK(logger->EmitDurable(Task(0)));
  const auto size_before = fs::file_size(SegmentFiles(dir_.path()).back());
  env.free_ = 1 << 20;                        // 1 MiB left
  ASSERT_OK(logger->Emit(Task(1)).status());  // accepted before the writer noticed
  ASSERT_TRUE(Eventually([&] { return logger->GetStats().writes_failing; }));
  auto refused = logger->Emit(Task(2));
  EXPECT_EQ(refused.status().code(), StatusCode::kDiskSpaceLow);
  EXPECT_EQ(fs::file_size(SegmentFiles(dir_.path()).back()), size_before);  // nothing started
  env.free_ = 1ull << 40;                                                   // space is back
  ASSERT_TRUE(Eventually([&] { return !logger->GetStats().writes_failing; }));
  ASSERT_OK(logger->EmitDurable(Task(3)));
  ASSERT_OK(logger->Shutdown());
  const auto records = ReadRecords(dir_.path());
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[1].n, -1);  // Task(1), kept queued and written after the suspension
  EXPECT_NE(records[1].event_json.find("task-1"), std::string::npos);
  EXPECT_EQ(records[2].event_type, "log_writes_resumed");
  EXPECT_TRUE(records[2].critical);
  EXPECT_NE(records[2].event_json.find("\"refused_emits\":1"), std::string::npos)
      << records[2].event_json;
  EXPECT_NE(records[3].event_json.find("task-3"), std::string::npos);
}

// ---- faults and power loss at every step of rotation and manifest replacement ------------

enum class Fault { kSync, kSyncDir, kRename };

struct FaultCase {
  Fault fault;
  int nth;
};
void PrintTo(const FaultCase& c, std::ostream* os) {
  *os << (c.fault == Fault::kSync      ? "Sync"
          : c.fault == Fault::kSyncDir ? "SyncDir"
                                       : "Rename")
      << " #" << c.nth << " fails";
}

class RotationFaultTest : public ::testing::TestWithParam<FaultCase> {};

TEST_P(RotationFaultTest, PowerLossAfterAFailedStepLosesNothingSyncedAndVerifies) {
  ScratchDir dir;
  testing::FaultEnv fault;
  internal::RecordWriter::Options options;
  options.env = &fault;
  options.dir = dir.path();
  options.service_id = "svc";
  std::uint64_t synced_last_seq = 0;
  {
    ASSERT_OK_AND_ASSIGN(auto w, internal::RecordWriter::Open(options));
    std::string batch;
    for (int i = 0; i < 3; ++i) {
      internal::EncodedEvent e;
      ASSERT_OK(internal::EncodeEvent(Task(i), {}, &e));
      w->Frame(fault.NowMicros(), e, &batch);
    }
    ASSERT_OK(w->Write(batch));
    ASSERT_OK(w->Sync());
    synced_last_seq = w->next_seq() - 1;
    const Status injected = Status::IOError("injected failure");
    switch (GetParam().fault) {
      case Fault::kSync:
        fault.FailSync(GetParam().nth, injected);
        break;
      case Fault::kSyncDir:
        fault.FailSyncDir(GetParam().nth, injected);
        break;
      case Fault::kRename:
        fault.FailRename(GetParam().nth, injected);
        break;
    }
    // Rotation: fsync, close, checksum file (temp, fsync, rename, dir fsync), new segment,
    // dir fsync, manifest (temp, fsync, rename, dir fsync). One of those steps fails.
    w->Rotate().IgnoreError();  // the outcome depends on the step; both are fine here
    batch.clear();
    internal::EncodedEvent e;
    ASSERT_OK(internal::EncodeEvent(Task(9), {}, &e));
    w->Frame(fault.NowMicros(), e, &batch);
    if (w->Write(batch).ok()) w->Sync().IgnoreError();
    // The power goes out.
    fault.SetActive(false);
  }
  ASSERT_OK(fault.DropUnsyncedData());
  fault.SetActive(true);

  // Reopening recovers; the log verifies; every record that was synced is still there.
  {
    internal::RecordWriter::Options plain = options;
    plain.env = Env::Default();
    ASSERT_OK_AND_ASSIGN(auto w, internal::RecordWriter::Open(plain));
    EXPECT_GT(w->next_seq(), synced_last_seq);
    ASSERT_OK(w->Close());
  }
  ASSERT_OK_AND_ASSIGN(VerifyReport r, Verify(dir.path()));
  EXPECT_TRUE(r.intact()) << Describe(r);
  EXPECT_GE(r.last_seq.value_or(0), synced_last_seq);
}

std::vector<FaultCase> AllFaultCases() {
  std::vector<FaultCase> cases;
  for (int nth = 1; nth <= 4; ++nth) {
    cases.push_back({Fault::kSync, nth});
    cases.push_back({Fault::kSyncDir, nth});
    cases.push_back({Fault::kRename, nth});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(EveryStep, RotationFaultTest, ::testing::ValuesIn(AllFaultCases()),
                         [](const auto& info) {
                           const char* kind = info.param.fault == Fault::kSync      ? "Sync"
                                              : info.param.fault == Fault::kSyncDir ? "SyncDir"
                                                                                    : "Rename";
                           return std::string(kind) + std::to_string(info.param.nth);
                         });

}  // namespace
}  // namespace auditlog
