// A real crash test: a child process emits events and reports what was acknowledged as
// durable; the parent kills it with SIGKILL at a random moment after its first
// acknowledgement (so a slow start on a busy machine cannot make a round test nothing),
// reopens the log (which
// recovers any torn tail) and checks that every acknowledged seq is present and that the log
// verifies. Repeated 200 times per mode on one growing log.
//
// The child is this same executable, re-executed with AUDITLOG_CRASH_CHILD set; a static
// initializer runs the child's loop before GoogleTest's main() ever starts.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include "auditlog/auditlog.h"
#include "test_util.h"

namespace auditlog {
namespace {

namespace fs = std::filesystem;
constexpr int kAckFd = 3;  // the child's end of the acknowledgement pipe

// Child: emit forever; write each acknowledged-durable seq (8 bytes) to kAckFd.
[[noreturn]] void RunChild(const char* spec) {
  const std::string s(spec);  // "<mode>:<dir>"
  const std::string mode = s.substr(0, s.find(':'));
  Config config;
  config.service_id = "crashy";
  config.mode = LocalMode{s.substr(s.find(':') + 1)};
  if (mode == "immediate") {
    config.flush_mode = Immediate{};
  } else {
    config.flush_mode = Hybrid{.batch_size = 50,
                               .batch_interval = std::chrono::milliseconds(5),
                               .critical_immediate = true};
  }
  config.overflow = OverflowPolicy::kBlock;
  auto logger = Logger::Open(config);
  if (!logger.ok()) {
    std::fprintf(stderr, "child: open: %s\n", logger.status().ToString().c_str());
    _exit(3);
  }
  std::uint64_t last_acked = 0;
  // Tell the parent the log is open (seq 0 acknowledges nothing), so its random delay
  // measures time spent emitting, not starting up.
  if (write(kAckFd, &last_acked, sizeof last_acked) != sizeof last_acked) _exit(6);
  for (std::uint64_t i = 0;; ++i) {
    Event e = (i % 10 == 0) ? Event(AuthFailure{.attempted_user = "m\x1b[2J",
                                                .reason = "bad",
                                                .ip = "203.0.113.5",
                                                .path = "/login",
                                                .service_id = "crashy"})
                            : Event(TaskCompleted{.task_id = "task", .worker_id = "w"});
    std::uint64_t acked = 0;
    if (mode == "immediate") {
      auto seq = (*logger)->Emit(std::move(e));
      if (!seq.ok()) _exit(4);
      if (!(*logger)->WaitDurable(*seq, std::chrono::seconds(10)).ok()) _exit(5);
      acked = *seq;
    } else {
      if (!(*logger)->Emit(std::move(e)).ok()) _exit(4);
      acked = (*logger)->GetStats().durable_seq;
    }
    // A service does other work between events; this also keeps each round's log small.
    if (i % 16 == 15) std::this_thread::sleep_for(std::chrono::microseconds(100));
    if (acked > last_acked) {
      last_acked = acked;
      if (write(kAckFd, &acked, sizeof acked) != sizeof acked) _exit(6);
    }
  }
}

[[maybe_unused]] const bool kChildStarted = [] {
  if (const char* spec = std::getenv("AUDITLOG_CRASH_CHILD")) RunChild(spec);
  return false;
}();

struct CrashOutcome {
  std::uint64_t max_acked = 0;
};

// Starts the child, waits for its first acknowledgement of a durable event, lets it run
// for `run_for` more, kills it, and returns the highest acked seq.
CrashOutcome CrashOnce(const std::string& mode, const fs::path& dir,
                       std::chrono::microseconds run_for) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    if (fds[0] != kAckFd) close(fds[0]);  // (if it is fd 3, dup2 replaces it)
    dup2(fds[1], kAckFd);
    const std::string spec = mode + ":" + dir.string();
    setenv("AUDITLOG_CRASH_CHILD", spec.c_str(), 1);
    execl("/proc/self/exe", "crash_test_child", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  std::uint64_t ready = 1;
  EXPECT_EQ(read(fds[0], &ready, sizeof ready), static_cast<ssize_t>(sizeof ready));
  EXPECT_EQ(ready, 0u);
  CrashOutcome out;
  std::uint64_t seq = 0;
  // The readiness signal the kill is timed from: the first acknowledged seq. (If the child
  // dies instead, read() returns 0 and the status check below reports it.)
  while (out.max_acked == 0 && read(fds[0], &seq, sizeof seq) == sizeof seq) out.max_acked = seq;
  std::this_thread::sleep_for(run_for);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status)) << "child exited on its own with " << WEXITSTATUS(status);
  while (read(fds[0], &seq, sizeof seq) == sizeof seq) out.max_acked = std::max(out.max_acked, seq);
  close(fds[0]);
  return out;
}

class CrashTest : public ::testing::TestWithParam<std::string> {};

int CountQuarantineFiles(const fs::path& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    n += e.path().filename().string().find(".torn-") != std::string::npos;
  }
  return n;
}

TEST_P(CrashTest, KilledWriterLosesNothingAcknowledgedAndTheLogVerifies) {
  std::mt19937 rng(42);
  int torn_tails = 0;
  std::uint64_t rounds_with_acks = 0;
  // 8 logs of 25 kills each (3 in sanitizer builds, where a kill round takes ten times as
  // long and is about durability, not about races): long enough histories (many segments
  // and restarts) while keeping each round's full verification cheap.
  const int logs = testing::kSanitizedBuild ? 3 : 8;
  for (int log = 0; log < logs; ++log) {
    testing::ScratchDir dir;
    int torn_in_this_log = 0;
    for (int kill_no = 0; kill_no < 25; ++kill_no) {
      const int round = log * 25 + kill_no;
      const auto run_for = std::chrono::microseconds(rng() % 10000);
      const CrashOutcome crash = CrashOnce(GetParam(), dir.path(), run_for);
      rounds_with_acks += crash.max_acked > 0;

      auto before = Verify(dir.path());
      ASSERT_OK(before.status());
      ASSERT_FALSE(before->tampered())
          << "round " << round << ": " << before->findings.front().reason;
      if (before->torn_tail()) {
        ++torn_tails;
        ++torn_in_this_log;
      }

      // Reopening recovers (quarantines a torn tail) and continues the chain.
      Config config;
      config.service_id = "crashy";
      config.mode = LocalMode{dir.path()};
      {
        ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(config));
        ASSERT_OK(logger->Shutdown());
      }
      ASSERT_OK_AND_ASSIGN(VerifyReport after, Verify(dir.path()));
      ASSERT_TRUE(after.intact()) << "round " << round << ": " << after.findings.front().file << ":"
                                  << after.findings.front().line << " "
                                  << after.findings.front().reason;
      // Seqs are contiguous from 1 (Verify checks it) up to last_seq, so every acknowledged
      // seq is in the log.
      ASSERT_GE(after.last_seq.value_or(0), crash.max_acked) << "round " << round;
      // Every torn tail was kept, in a quarantine file of its own.
      ASSERT_EQ(CountQuarantineFiles(dir.path()), torn_in_this_log) << "round " << round;
    }
  }
  std::printf("[%s] %d kills, %d torn tails quarantined, %llu rounds with acknowledgements\n",
              GetParam().c_str(), logs * 25, torn_tails,
              static_cast<unsigned long long>(rounds_with_acks));
  // Every kill came after an acknowledgement: the child really was emitting when killed.
  EXPECT_EQ(rounds_with_acks, static_cast<std::uint64_t>(logs) * 25);
}

INSTANTIATE_TEST_SUITE_P(Modes, CrashTest, ::testing::Values("immediate", "hybrid"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace auditlog
