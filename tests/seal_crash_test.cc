// Sealing under crashes, power loss, and through the command line: a writer killed with
// SIGKILL mid-logging, and a power loss that drops every unsynced byte (FaultEnv), leave a
// sealed log that verifies with the key as an unclean end (never tampering); after a restart
// and a clean shutdown it verifies intact, the restarts counted. Then `auditlog verify
// --key-file FILE` and `--key-file -` exit 0 (intact, clean end), 1 (tampered) and 4
// (unclean end) and print the "sealed: seq 1..N" line.
//
// The crash child is this same executable, re-executed with AUDITLOG_SEAL_CRASH_CHILD set;
// a static initializer runs its loop before GoogleTest's main() starts. It seals by the real
// clock (100 ms epochs), so its kill comes after it has really sealed; every check is of
// the state reached, never of timing.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <regex>
#include <string>
#include <thread>

#include "auditlog/auditlog.h"
#include "auditlog/seal.h"
#include "cli_runner.h"
#include "fault_env.h"
#include "seal_util.h"
#include "test_util.h"

namespace auditlog {
namespace {

namespace fs = std::filesystem;
using testing::FakeClockEnv;
using testing::HasFinding;
constexpr int kAckFd = 3;

// Child: emit forever on the real clock; write each newly durable seq (8 bytes) to kAckFd.
[[noreturn]] void RunChild(const char* dir) {
  Config config;
  config.service_id = "crashy";
  config.mode = LocalMode{dir};
  config.flush_mode = Hybrid{
      .batch_size = 20, .batch_interval = std::chrono::milliseconds(5), .critical_immediate = true};
  config.overflow = OverflowPolicy::kBlock;
  auto logger = Logger::Open(config);
  if (!logger.ok()) _exit(3);
  std::uint64_t last_acked = 0;
  if (write(kAckFd, &last_acked, sizeof last_acked) != sizeof last_acked) _exit(6);
  for (std::uint64_t i = 0;; ++i) {
    if (!(*logger)->Emit(TaskCompleted{.task_id = "task", .worker_id = "w"}).ok()) _exit(4);
    const std::uint64_t acked = (*logger)->GetStats().durable_seq;
    if (i % 8 == 7) std::this_thread::sleep_for(std::chrono::microseconds(200));
    if (acked > last_acked) {
      last_acked = acked;
      if (write(kAckFd, &acked, sizeof acked) != sizeof acked) _exit(6);
    }
  }
}

[[maybe_unused]] const bool kChildStarted = [] {
  if (const char* dir = std::getenv("AUDITLOG_SEAL_CRASH_CHILD")) RunChild(dir);
  return false;
}();

// Starts the child, waits until it has made `min_acked` seqs durable, lets it run `run_for`
// more and kills it. Returns the highest acknowledged seq.
std::uint64_t CrashOnce(const fs::path& dir, std::uint64_t min_acked,
                        std::chrono::microseconds run_for) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    if (fds[0] != kAckFd) close(fds[0]);
    dup2(fds[1], kAckFd);
    setenv("AUDITLOG_SEAL_CRASH_CHILD", dir.c_str(), 1);
    execl("/proc/self/exe", "seal_crash_test_child", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  std::uint64_t seq = 0, max_acked = 0;
  while (max_acked < min_acked && read(fds[0], &seq, sizeof seq) == sizeof seq) {
    max_acked = std::max(max_acked, seq);
  }
  std::this_thread::sleep_for(run_for);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status)) << "child exited on its own with " << WEXITSTATUS(status);
  while (read(fds[0], &seq, sizeof seq) == sizeof seq) max_acked = std::max(max_acked, seq);
  close(fds[0]);
  return max_acked;
}

// Verify with the key, as seen ten minutes from now (so a crashed log is no longer "live").
VerifyReport VerifyLater(const fs::path& dir, const std::string& key) {
  FakeClockEnv later(Env::Default(), Env::Default()->NowMicros() + 600'000'000);
  auto r = testing::VerifyWithKey(dir, key, &later);
  EXPECT_OK(r.status());
  return r.ok() ? *r : VerifyReport{};
}

TEST(SealCrashTest, KilledWriterLeavesAnUncleanEndAndRestartsVerifyIntact) {
  testing::ScratchDir scratch;
  const fs::path dir = scratch.path() / "log";
  ASSERT_OK_AND_ASSIGN(auto init, InitSealing(dir, {.interval = testing::kSealInterval}));
  std::mt19937 rng(7);
  const int kills = testing::kSanitizedBuild ? 2 : 3;
  std::uint64_t max_acked = 0;
  for (int round = 0; round < kills; ++round) {
    // Past a few epochs of logging (durable records beyond the last round's), then a random
    // moment within one or two more: the kill comes with seals made and records unsealed.
    max_acked = CrashOnce(dir, max_acked + 1, std::chrono::milliseconds(100 + rng() % 150));
    const VerifyReport before = VerifyLater(dir, init.verification_key);
    ASSERT_FALSE(before.tampered()) << "round " << round << "\n"
                                    << testing::DescribeFindings(before);
    EXPECT_TRUE(before.seal.unclean_end()) << "round " << round;
    EXPECT_FALSE(before.seal.clean_end);
    EXPECT_GE(before.last_seq.value_or(0), max_acked);
  }
  Config config;
  config.service_id = "crashy";
  config.mode = LocalMode{dir};
  {
    ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(config));
    ASSERT_OK(logger->Emit(TaskCompleted{.task_id = "after", .worker_id = "w"}).status());
    ASSERT_OK(logger->Shutdown());
  }
  const VerifyReport after = VerifyLater(dir, init.verification_key);
  EXPECT_TRUE(after.intact()) << testing::DescribeFindings(after);
  EXPECT_TRUE(after.seal.clean_end);
  EXPECT_FALSE(after.seal.unclean_end());
  EXPECT_EQ(after.seal.unclean_restarts, static_cast<std::uint64_t>(kills));
  EXPECT_GE(after.last_seq.value_or(0), max_acked);
}

TEST(SealPowerLossTest, LostUnsyncedTailIsAnUncleanEndAndARestartVerifiesIntact) {
  testing::ScratchDir scratch;
  const fs::path dir = scratch.path() / "log";
  FakeClockEnv clock;
  testing::FaultEnv fault(&clock);
  testing::SealedLog log(dir, &clock);
  log.set_env(&fault);
  log.set_flush_mode(Batched{.size = 100000, .interval = std::chrono::hours(1)});
  ASSERT_OK(log.Init());
  ASSERT_OK(log.Open());
  for (int e = 0; e < 3; ++e) {
    ASSERT_OK(log.Emit(3));
    ASSERT_OK(log.AdvanceEpoch());
  }
  // Records and a seal marker that reach the kernel but no fsync.
  const std::uint64_t durable = log.logger()->GetStats().durable_seq;
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(log.logger()->Emit(TaskCompleted{.task_id = "lost", .worker_id = "w"}).status());
  }
  clock.Advance(testing::kSealInterval);
  ASSERT_OK_AND_ASSIGN(const std::uint64_t emitted,
                       log.logger()->Emit(TaskCompleted{.task_id = "lost", .worker_id = "w"}));
  // The power goes out.
  fault.SetActive(false);
  ASSERT_OK(fault.DropUnsyncedData());
  (void)log.Shutdown();  // fails: nothing reaches the disk any more
  fault.SetActive(true);

  clock.Advance(std::chrono::minutes(10));
  ASSERT_OK_AND_ASSIGN(VerifyReport before, testing::VerifyWithKey(dir, log.key(), &clock));
  EXPECT_FALSE(before.tampered()) << testing::DescribeFindings(before);
  EXPECT_TRUE(before.seal.unclean_end());
  EXPECT_GE(before.last_seq.value_or(0), durable);
  EXPECT_LT(before.last_seq.value_or(0), emitted);  // the power loss really took records

  ASSERT_OK(log.Open());
  ASSERT_OK(log.Emit(3));
  ASSERT_OK(log.AdvanceEpoch());
  ASSERT_OK(log.Shutdown());
  ASSERT_OK_AND_ASSIGN(VerifyReport after, testing::VerifyWithKey(dir, log.key(), &clock));
  EXPECT_TRUE(after.intact()) << testing::DescribeFindings(after);
  EXPECT_TRUE(after.seal.clean_end);
  EXPECT_EQ(after.seal.unclean_restarts, 1u);
}

// ---- the command line

class SealCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string(AUDITLOG_CLI_PATH).empty()) GTEST_SKIP() << "CLI not built";
    ASSERT_OK(log_.WriteHonest(3, 3));
    key_file_ = scratch_.path() / "key";
    testing::WriteFile(key_file_, log_.key() + "\n");
  }
  testing::CliResult VerifyCli(const std::string& key_file_arg) {
    return testing::RunCli(AUDITLOG_CLI_PATH,
                           {"verify", log_.dir().string(), "--key-file", key_file_arg});
  }
  // `--key-file -`, the key on standard input.
  testing::CliResult VerifyCliStdin(const fs::path& key_source) {
    return testing::RunCli(
        "/bin/sh", {"-c", "exec \"$0\" verify \"$1\" --key-file - < \"$2\"", AUDITLOG_CLI_PATH,
                    log_.dir().string(), key_source.string()});
  }
  static bool SaysSealedThrough(const std::string& out, std::uint64_t n) {
    return std::regex_search(out, std::regex("sealed: +seq 1\\.\\." + std::to_string(n) + ","));
  }
  std::uint64_t LastSeq() {
    return testing::SeqOfLine(testing::ReadLines(testing::OnlySegment(log_.dir())).back());
  }

  testing::ScratchDir scratch_;
  FakeClockEnv clock_;  // the log is from January 2026: for the CLI's clock, long ended
  testing::SealedLog log_{scratch_.path() / "log", &clock_};
  fs::path key_file_;
};

TEST_F(SealCliTest, HonestLogExitsZeroWithTheKeyFromAFileOrStdin) {
  const std::uint64_t last = LastSeq();
  for (const testing::CliResult& r : {VerifyCli(key_file_.string()), VerifyCliStdin(key_file_)}) {
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(SaysSealedThrough(r.out, last - 1)) << r.out;
    EXPECT_NE(r.out.find("every tag checked"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("clean shutdown seal"), std::string::npos) << r.out;
  }
  const auto no_key = testing::RunCli(AUDITLOG_CLI_PATH, {"verify", log_.dir().string()});
  EXPECT_EQ(no_key.exit_code, 0) << no_key.out << no_key.err;
  EXPECT_NE(no_key.out.find("tags NOT checked"), std::string::npos) << no_key.out;
}

TEST_F(SealCliTest, WrongKeyAndEditedRecordExitOne) {
  FakeClockEnv other_clock;
  ASSERT_OK_AND_ASSIGN(auto other,
                       InitSealing(scratch_.path() / "other",
                                   {.env = &other_clock, .interval = testing::kSealInterval}));
  const fs::path wrong = scratch_.path() / "wrong";
  testing::WriteFile(wrong, other.verification_key);
  EXPECT_EQ(VerifyCli(wrong.string()).exit_code, 1);
  EXPECT_EQ(VerifyCliStdin(wrong).exit_code, 1);

  auto lines = testing::ReadLines(testing::OnlySegment(log_.dir()));
  lines[2].replace(lines[2].find("\"task-1\""), 8, "\"task-X\"");
  testing::WriteLines(testing::OnlySegment(log_.dir()), testing::Rechain(lines));
  ASSERT_OK(testing::FixManifest(log_.dir()));
  const auto r = VerifyCli(key_file_.string());
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("seal_broken"), std::string::npos) << r.out;
}

TEST_F(SealCliTest, CutBackAndStoppedExitsOneOrFourNeverZero) {
  auto lines = testing::ReadLines(testing::OnlySegment(log_.dir()));
  const auto seals = testing::SealLineIndexes(lines);
  ASSERT_GE(seals.size(), 3u);
  // Back to the first data seal: the later data seals (one of which the state names as its
  // last durable seal) and the shutdown seal are gone.
  lines.resize(seals[1] + 1);
  testing::WriteLines(testing::OnlySegment(log_.dir()), lines);
  ASSERT_OK(testing::FixManifest(log_.dir()));
  // The seal state still names the shutdown seal: the cut is proven.
  const auto naive = VerifyCli(key_file_.string());
  EXPECT_EQ(naive.exit_code, 1) << naive.out << naive.err;
  // With the state made to match, only an external anchor could prove it: exit 4.
  ASSERT_OK(testing::MatchStateToLog(log_.dir(), &clock_));
  const auto r = VerifyCli(key_file_.string());
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_TRUE(SaysSealedThrough(r.out, lines.size() - 1)) << r.out;
  EXPECT_NE(r.out.find("UNCLEAN END"), std::string::npos) << r.out;
  EXPECT_EQ(VerifyCliStdin(key_file_).exit_code, 4);
}

TEST_F(SealCliTest, MalformedOrMissingKeyIsAUsageErrorNotAVerdict) {
  const fs::path bad = scratch_.path() / "bad";
  testing::WriteFile(bad, "alsk1:not-a-key");
  const auto r = VerifyCli(bad.string());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.exit_code, 1);
  EXPECT_NE(r.exit_code, 4);
  EXPECT_EQ(r.err.find("not-a-key"), std::string::npos) << r.err;  // the key is never quoted
  const auto missing = VerifyCli((scratch_.path() / "nothing").string());
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.exit_code, 1);
}

}  // namespace
}  // namespace auditlog
