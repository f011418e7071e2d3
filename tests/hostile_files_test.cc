// Issue 8, cases 5, 8 and 9: what an attacker with write access to the log directory can do
// with file types (FIFOs, directories, symlinks named like the log's files), with the lock
// (rm LOCK) and with a full disk during rotation.
//
// Every call that could hang runs in a child process under a watchdog (HangLimit()): a hang
// is a test failure naming the call, never a CI timeout.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "auditlog/auditlog.h"
#include "child_process.h"
#include "cli_runner.h"
#include "engine_util.h"
#include "fault_env.h"
#include "log_builder.h"
#include "test_util.h"

namespace auditlog {
namespace {

namespace fs = std::filesystem;
using testing::FaultEnv;
using testing::LogBuilder;
using testing::NumberedEvent;
using testing::ReadRecords;
using testing::RunCli;
using testing::ScratchDir;
using testing::SegmentFiles;
using testing::TestTime;

const std::string kCli = AUDITLOG_CLI_PATH;

using testing::HangLimit;

// Runs `fn` under the watchdog of testing::RunInChild: what `fn` returned, "HUNG", or
// "CRASHED <what happened>".
std::string InChild(const std::function<std::string()>& fn) {
  const testing::ChildRun run = testing::RunInChild(fn, HangLimit());
  if (run.end == testing::ChildRun::End::kHung) return "HUNG";
  if (!run.returned()) return "CRASHED " + run.Failure();
  return run.text;
}

std::string DescribeFindings(const VerifyReport& r) {
  std::string s = "findings=" + std::to_string(r.findings.size());
  for (const Finding& f : r.findings) {
    s += "\n  " + std::string(FindingKindName(f.kind)) + " " + f.file + ": " + f.reason;
  }
  return s;
}

// The library calls an attacker can point at a hostile file, each in a child.
std::string ChildVerify(const fs::path& dir) {
  return InChild([&] {
    auto r = Verify(dir);
    if (!r.ok()) return "verify error: " + r.status().ToString();
    return "verify ok " + DescribeFindings(*r);
  });
}

std::string ChildQuery(const fs::path& dir) {
  return InChild([&] {
    auto cursor = QueryCursor::Open(dir, Query{});
    if (!cursor.ok()) return "query error: " + cursor.status().ToString();
    Record record;
    std::string s = "query:";
    for (int i = 0; i < 1000; ++i) {  // every segment error is returned once, then it goes on
      auto more = (*cursor)->Next(&record);
      if (!more.ok()) {
        s += " error(" + more.status().ToString() + ")";
        continue;
      }
      if (!*more) return s + " end";
      s += " " + std::to_string(record.seq);
    }
    return s + " (no end)";
  });
}

std::string ChildLoggerOpen(const fs::path& dir) {
  return InChild([&] {
    Config config;
    config.service_id = "queen";
    config.mode = LocalMode{dir};
    config.min_free_bytes = 0;
    auto logger = Logger::Open(config);
    if (!logger.ok()) return "open error: " + logger.status().ToString();
    Status s = (*logger)->EmitDurable(NumberedEvent(0, 1));
    Status shut = (*logger)->Shutdown();
    return "open ok emit=" + s.ToString() + " shutdown=" + shut.ToString();
  });
}

void Mkfifo(const fs::path& p) {
  ASSERT_EQ(::mkfifo(p.c_str(), 0600), 0) << p << ": " << std::strerror(errno);
}

// ---- case 5: FIFOs, directories and symlinks named like the log's files ------------------

enum class Hostile {
  kFifoSegment,         // a closed segment replaced by a FIFO
  kFifoNewestSegment,   // the newest segment replaced by a FIFO
  kFifoArchive,         // a closed segment "archived" into a FIFO NAME.audit.zst
  kFifoManifest,        // manifest.json
  kFifoChecksum,        // NAME.sha256
  kFifoQuarantine,      // NAME.torn-N that a log_recovered record names
  kFifoQuarantineToBe,  // NAME.torn-N at the name recovery is about to use
  kFifoLock,            // LOCK
  kFifoManifestTmp,     // manifest.json.tmp
  kDirectorySegment,    // a directory named like a segment
  kSymlinkSegment,      // a symlink to a faithful copy of the segment, outside the log
  kSocketSegment,       // a unix socket named like a segment
};

struct HostileCase {
  Hostile kind;
  const char* name;
  bool verify_finds;  // Verify must report a finding naming the file
  bool open_refused;  // Logger::Open must fail, naming the file and its type
  const char* type;   // the type the error names ("FIFO", ...), when open_refused
};

void PrintTo(const HostileCase& c, std::ostream* os) { *os << c.name; }

class HostileFileTest : public ::testing::TestWithParam<HostileCase> {
 protected:
  fs::path Dir() const { return dir_.path() / "log"; }

  // Two closed segments of three records each (and, for the quarantine cases, a recovered
  // torn tail). Returns the file the attack replaces.
  fs::path BuildLog() {
    {
      auto log = LogBuilder::Open(Dir());
      EXPECT_TRUE(log.ok());
      for (int i = 0; i < 3; ++i) EXPECT_TRUE((*log)->Add(NumberedEvent(0, i), TestTime(i)).ok());
      EXPECT_TRUE((*log)->Rotate().ok());
      for (int i = 3; i < 6; ++i) EXPECT_TRUE((*log)->Add(NumberedEvent(0, i), TestTime(i)).ok());
      EXPECT_TRUE((*log)->Close().ok());
    }
    const std::vector<fs::path> segments = SegmentFiles(Dir());
    EXPECT_EQ(segments.size(), 2u);
    return segments.front();
  }

  // Appends a torn tail to the newest segment; returns the quarantine file recovery uses.
  fs::path AddTornTail() {
    const fs::path newest = SegmentFiles(Dir()).back();
    const auto offset = fs::file_size(newest);
    std::ofstream(newest, std::ios::app) << "{\"v\":1,\"seq\":7,\"ts\":\"2026-11";
    return newest.string() + ".torn-" + std::to_string(offset);
  }

  // Sets up GetParam()'s attack; returns the hostile file's name.
  std::string Attack() {
    const fs::path first = BuildLog();
    const fs::path outside = dir_.path() / "copy.audit";
    switch (GetParam().kind) {
      case Hostile::kFifoSegment:
        fs::remove(first);
        Mkfifo(first);
        return first.filename();
      case Hostile::kFifoNewestSegment: {
        const fs::path newest = SegmentFiles(Dir()).back();
        fs::remove(newest);
        Mkfifo(newest);
        return newest.filename();
      }
      case Hostile::kFifoArchive:
        fs::remove(first);
        Mkfifo(first.string() + ".zst");
        return first.filename().string() + ".zst";
      case Hostile::kFifoManifest:
        fs::remove(Dir() / "manifest.json");
        Mkfifo(Dir() / "manifest.json");
        return "manifest.json";
      case Hostile::kFifoChecksum:
        fs::remove(first.string() + ".sha256");
        Mkfifo(first.string() + ".sha256");
        return first.filename().string() + ".sha256";
      case Hostile::kFifoQuarantine: {
        const fs::path q = AddTornTail();
        {
          auto log = LogBuilder::Open(Dir());  // recovers: writes q and log_recovered
          EXPECT_TRUE(log.ok()) << log.status().ToString();
          if (log.ok()) {
            EXPECT_TRUE((*log)->Close().ok());
          }
        }
        EXPECT_TRUE(fs::exists(q));
        fs::remove(q);
        Mkfifo(q);
        return q.filename();
      }
      case Hostile::kFifoQuarantineToBe: {
        const fs::path q = AddTornTail();
        Mkfifo(q);
        return q.filename();
      }
      case Hostile::kFifoLock:
        fs::remove(Dir() / "LOCK");
        Mkfifo(Dir() / "LOCK");
        return "LOCK";
      case Hostile::kFifoManifestTmp:
        Mkfifo(Dir() / "manifest.json.tmp");
        return "manifest.json.tmp";
      case Hostile::kDirectorySegment:
        fs::remove(first);
        fs::create_directory(first);
        return first.filename();
      case Hostile::kSymlinkSegment:
        fs::copy_file(first, outside);
        fs::remove(first);
        fs::create_symlink(outside, first);
        return first.filename();
      case Hostile::kSocketSegment: {
        fs::remove(first);
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        const std::string p = first.string();
        if (p.size() >= sizeof addr.sun_path) {
          ::close(fd);
          ADD_FAILURE() << "socket path too long: " << p;
          return first.filename();
        }
        std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
        EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0)
            << std::strerror(errno);
        ::close(fd);  // the socket file stays
        return first.filename();
      }
    }
    return "";
  }

  ScratchDir dir_;
};

TEST_P(HostileFileTest, EveryReaderAndTheWriterReturnAndNameTheFile) {
  const HostileCase& c = GetParam();
  const std::string name = Attack();
  ASSERT_FALSE(HasFatalFailure());
  const std::string dir = Dir().string();

  const std::string verify = ChildVerify(Dir());
  EXPECT_EQ(verify.rfind("verify ok", 0), 0u) << verify;
  if (c.verify_finds) {
    EXPECT_NE(verify.find(name), std::string::npos) << verify;
    EXPECT_EQ(verify.find("findings=0"), std::string::npos) << verify;
  }
  const std::string query = ChildQuery(Dir());
  EXPECT_NE(query, "HUNG");
  EXPECT_EQ(query.rfind("CRASHED", 0), std::string::npos) << query;

  // The commands (each with RunCli's own 60 s kill: exit_code -1 is a hang or a crash).
  const std::vector<std::vector<std::string>> commands = {
      {"verify", dir, "--no-progress"},
      {"verify", dir, "--json", "--no-progress"},
      {"query", dir},
      {"tail", dir, "-n", "5"},
      {"stats", dir},
      {"export", dir, "--customer", "cust-1"},
      {"retention", dir}};
  for (const auto& args : commands) {
    const auto r = RunCli(kCli, args, HangLimit());
    EXPECT_NE(r.exit_code, -1) << args[0] << " hung or crashed; stderr: " << r.err;
    if (c.verify_finds && args[0] == "verify") {
      EXPECT_NE(r.exit_code, 0) << args[0] << ": " << r.out << r.err;
    }
  }

  const std::string open = ChildLoggerOpen(Dir());
  EXPECT_NE(open, "HUNG");
  EXPECT_EQ(open.rfind("CRASHED", 0), std::string::npos) << open;
  if (c.open_refused) {
    EXPECT_EQ(open.rfind("open error: failed_precondition", 0), 0u) << open;
    EXPECT_NE(open.find(name), std::string::npos) << open;
    EXPECT_NE(open.find(c.type), std::string::npos) << open;
  } else if (c.kind == Hostile::kFifoManifestTmp) {
    EXPECT_EQ(open.rfind("open ok emit=ok shutdown=ok", 0), 0u) << open;
  }
  const auto apply = RunCli(kCli, {"retention", dir, "--apply"}, HangLimit());
  EXPECT_NE(apply.exit_code, -1) << "retention --apply hung or crashed; stderr: " << apply.err;
}

INSTANTIATE_TEST_SUITE_P(
    Case5, HostileFileTest,
    ::testing::Values(
        HostileCase{Hostile::kFifoSegment, "FifoSegment", true, false, ""},
        HostileCase{Hostile::kFifoNewestSegment, "FifoNewestSegment", true, true, "a FIFO"},
        HostileCase{Hostile::kFifoArchive, "FifoArchive", true, false, ""},
        HostileCase{Hostile::kFifoManifest, "FifoManifest", true, true, "a FIFO"},
        HostileCase{Hostile::kFifoChecksum, "FifoChecksum", true, false, ""},
        HostileCase{Hostile::kFifoQuarantine, "FifoQuarantine", true, false, ""},
        HostileCase{Hostile::kFifoQuarantineToBe, "FifoQuarantineToBe", false, true, "a FIFO"},
        HostileCase{Hostile::kFifoLock, "FifoLock", false, true, "a FIFO"},
        HostileCase{Hostile::kFifoManifestTmp, "FifoManifestTmp", false, false, ""},
        HostileCase{Hostile::kDirectorySegment, "DirectorySegment", true, false, ""},
        HostileCase{Hostile::kSymlinkSegment, "SymlinkSegment", true, false, ""},
        HostileCase{Hostile::kSocketSegment, "SocketSegment", true, false, ""}),
    [](const auto& info) { return std::string(info.param.name); });

// The Env contract itself: each open refuses a non-regular file at once, naming its type.
TEST(HostileFileEnvTest, OpensRefuseEveryNonRegularFileWithoutBlocking) {
  ScratchDir dir;
  const fs::path fifo = dir.path() / "fifo", sub = dir.path() / "sub", link = dir.path() / "link",
                 target = dir.path() / "target";
  Mkfifo(fifo);
  fs::create_directory(sub);
  testing::WriteFile(target, "x\n");
  fs::create_symlink(target, link);
  const std::string out = InChild([&] {
    Env* env = Env::Default();
    std::string s;
    for (const fs::path& p : {fifo, sub, link}) {
      s += p.filename().string() + ":";
      s += " r=" + env->NewReadableFile(p).status().ToString();
      s += " a=" + env->NewWritableFile(p, OpenMode::kAppendExisting).status().ToString();
      s += " c=" + env->NewWritableFile(p, OpenMode::kCreateExclusive).status().ToString();
      s += " size=" + env->GetFileSize(p).status().ToString();
      s += " read=" + ReadFileToString(env, p).status().ToString() + "\n";
    }
    s += "regular: r=" + env->NewReadableFile(target).status().ToString();
    return s;
  });
  ASSERT_NE(out, "HUNG");
  for (const char* want : {"fifo: r=failed_precondition", "is a FIFO, not a regular file",
                           "is a directory, not a regular file",
                           "is a symbolic link, not a regular file", "regular: r=ok"}) {
    EXPECT_NE(out.find(want), std::string::npos) << want << " in\n" << out;
  }
  // Nothing but FAILED_PRECONDITION for the three hostile paths.
  for (const char* code : {"=ok", "io_error"}) {
    EXPECT_EQ(out.substr(0, out.find("regular:")).find(code), std::string::npos) << out;
  }
}

// ---- case 8: rm LOCK must not let a second writer in --------------------------------------

class LockTest : public ::testing::Test {
 protected:
  Config MakeConfig() const {
    Config config;
    config.service_id = "queen";
    config.mode = LocalMode{dir_.path()};
    config.min_free_bytes = 0;
    config.flush_mode = Immediate{};
    return config;
  }
  ScratchDir dir_;
};

TEST_F(LockTest, DeletingReplacingOrRenamingLockLetsNoSecondWriterIn) {
  ASSERT_OK_AND_ASSIGN(auto first, Logger::Open(MakeConfig()));
  ASSERT_OK(first->EmitDurable(NumberedEvent(0, 1)));
  const fs::path lock = dir_.path() / "LOCK";
  ASSERT_TRUE(fs::exists(lock));

  fs::remove(lock);  // rm LOCK
  auto second = Logger::Open(MakeConfig());
  ASSERT_FALSE(second.ok()) << "a second writer got in after rm LOCK";
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition) << second.status().ToString();
  EXPECT_NE(second.status().message().find("locked by process"), std::string::npos)
      << second.status().ToString();

  testing::WriteFile(lock, "424242\n");  // a fresh, unlocked LOCK
  auto third = Logger::Open(MakeConfig());
  ASSERT_FALSE(third.ok()) << "a second writer got in after LOCK was replaced";
  EXPECT_EQ(third.status().code(), StatusCode::kFailedPrecondition);

  fs::rename(lock, dir_.path() / "LOCK.old");  // mv LOCK away
  auto fourth = Logger::Open(MakeConfig());
  ASSERT_FALSE(fourth.ok()) << "a second writer got in after LOCK was renamed";
  EXPECT_EQ(fourth.status().code(), StatusCode::kFailedPrecondition);

  // The first writer is unaffected; the chain did not fork.
  ASSERT_OK(first->EmitDurable(NumberedEvent(0, 2)));
  ASSERT_OK(first->Shutdown());
  ASSERT_OK_AND_ASSIGN(VerifyReport report, Verify(dir_.path()));
  EXPECT_TRUE(report.intact()) << DescribeFindings(report);
  EXPECT_EQ(report.records, 2u);

  // Once the holder is gone the directory is free again.
  ASSERT_OK_AND_ASSIGN(auto again, Logger::Open(MakeConfig()));
  ASSERT_OK(again->Shutdown());
}

TEST_F(LockTest, AnotherProcessIsRefusedAfterRmLock) {
  {  // a closed segment, for retention to archive
    ASSERT_OK_AND_ASSIGN(auto earlier, Logger::Open(MakeConfig()));
    ASSERT_OK(earlier->EmitDurable(NumberedEvent(0, 0)));
    ASSERT_OK(earlier->Shutdown());
  }
  ASSERT_OK_AND_ASSIGN(auto first, Logger::Open(MakeConfig()));
  ASSERT_OK(first->EmitDurable(NumberedEvent(0, 1)));
  fs::remove(dir_.path() / "LOCK");
  // `retention --apply` with work to do takes the writer's lock, in its own process.
  const auto r =
      RunCli(kCli, {"retention", dir_.path().string(), "--apply", "--archive-after-days", "0"},
             HangLimit());
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("log directory is locked by process"), std::string::npos) << r.err;
  ASSERT_OK(first->EmitDurable(NumberedEvent(0, 2)));
  ASSERT_OK(first->Shutdown());
  ASSERT_OK_AND_ASSIGN(VerifyReport report, Verify(dir_.path()));
  EXPECT_TRUE(report.intact()) << DescribeFindings(report);
  EXPECT_EQ(report.records, 3u);
}

TEST_F(LockTest, TheHoldersPidInAnErrorIsDigitsOnly) {
  ASSERT_OK_AND_ASSIGN(auto first, Logger::Open(MakeConfig()));
  testing::WriteFile(dir_.path() / "LOCK", "\x1b]0;pwned\x07\n");  // hostile pid file
  auto second = Logger::Open(MakeConfig());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("locked by process unknown"), std::string::npos)
      << second.status().ToString();
  EXPECT_EQ(second.status().message().find('\x1b'), std::string::npos);
  ASSERT_OK(first->Shutdown());
}

}  // namespace
}  // namespace auditlog
