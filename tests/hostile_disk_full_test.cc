// Issue 8, case 9: a full disk at any step of a rotation (NAME.sha256.tmp, the new segment,
// manifest.json.tmp, their renames) suspends the writer like a full disk at a segment write:
// Emit refuses with kDiskSpaceLow, and when space returns the writer resumes by itself,
// finishes the rotation where it stopped and records log_writes_resumed. Once with FaultEnv
// at each step, once on a real 1 MiB tmpfs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "auditlog/auditlog.h"
#include "engine_util.h"
#include "fault_env.h"
#include "test_util.h"

namespace auditlog {
namespace {

namespace fs = std::filesystem;
using testing::FaultEnv;
using testing::NumberedEvent;
using testing::ReadRecords;
using testing::ScratchDir;

// Waits for a state the writer reaches by itself; the bound only turns a bug into a failure.
template <typename F>
bool Eventually(F f) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return f();
}

std::string Describe(const VerifyReport& r) {
  std::string s;
  for (const Finding& f : r.findings) {
    s += std::string(FindingKindName(f.kind)) + " " + f.file + ": " + f.reason + "\n";
  }
  return s;
}

Config RotatingConfig(const fs::path& dir, Env* env) {
  Config config;
  config.service_id = "queen";
  config.mode = LocalMode{dir};
  config.env = env;
  config.min_free_bytes = 0;  // the file system's own ENOSPC is what is tested
  config.flush_mode = Immediate{};
  // Every write after the first record starts a new segment.
  config.rotation = RotationPolicy::SizeLimit(1);
  return config;
}

// Runs the suspend/resume scenario: `fill` makes the next rotation hit a full disk, `free`
// gives the space back. Checks what Emit says meanwhile, what the log holds afterwards and
// that it verifies.
void ExpectRotationSurvivesFullDisk(const fs::path& dir, Env* env,
                                    const std::function<void()>& fill,
                                    const std::function<void()>& free) {
  ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(RotatingConfig(dir, env)));
  ASSERT_OK(logger->EmitDurable(NumberedEvent(0, 1)));
  const std::size_t segments_before = testing::SegmentFiles(dir).size();
  fill();
  // Accepted before the writer knew; the rotation its write needs fails on the full disk.
  ASSERT_OK(logger->Emit(NumberedEvent(0, 2)).status());
  ASSERT_TRUE(Eventually([&] { return logger->GetStats().writes_failing; }))
      << "the writer never reported the full disk";
  auto refused = logger->Emit(NumberedEvent(0, 3));
  EXPECT_EQ(refused.status().code(), StatusCode::kDiskSpaceLow) << refused.status().ToString();
  free();
  ASSERT_TRUE(Eventually([&] { return !logger->GetStats().writes_failing; }))
      << "the writer did not resume when space returned";
  ASSERT_OK(logger->EmitDurable(NumberedEvent(0, 4)));
  ASSERT_OK(logger->Shutdown());

  const auto records = ReadRecords(dir);
  std::vector<std::string> seen;
  for (const auto& r : records) {
    seen.push_back(r.event_type == "test_event" ? std::to_string(r.n) : r.event_type);
  }
  const std::vector<std::string> want = {"1", "2", "log_writes_resumed", "4"};
  EXPECT_EQ(seen, want);
  for (const auto& r : records) {
    if (r.event_type == "log_writes_resumed") {
      EXPECT_TRUE(r.critical);
      EXPECT_NE(r.event_json.find("\"refused_emits\":1"), std::string::npos) << r.event_json;
    }
  }
  EXPECT_GT(testing::SegmentFiles(dir).size(), segments_before);
  ASSERT_OK_AND_ASSIGN(VerifyReport report, Verify(dir));
  EXPECT_TRUE(report.intact()) << Describe(report);
  EXPECT_EQ(report.records, 4u);
  // No temporary file is left behind.
  for (const auto& e : fs::directory_iterator(dir)) {
    EXPECT_NE(e.path().extension(), ".tmp") << e.path();
  }
}

// ---- FaultEnv: ENOSPC at each step of the rotation ----------------------------------------

enum class Step {
  kChecksumWrite,
  kChecksumRename,
  kSegmentCreate,
  kManifestWrite,
  kManifestRename
};
struct StepCase {
  Step step;
  const char* name;
};
void PrintTo(const StepCase& c, std::ostream* os) { *os << c.name; }

class RotationDiskFullTest : public ::testing::TestWithParam<StepCase> {};

TEST_P(RotationDiskFullTest, SuspendsAndResumesWhenSpaceReturns) {
  ScratchDir dir;
  FaultEnv env;
  const Status full = Status::DiskSpaceLow("injected ENOSPC");
  constexpr int kForever = 1 << 30;
  auto fill = [&] {
    switch (GetParam().step) {
      case Step::kChecksumWrite:
        env.FailAppendTo(".sha256.tmp", 1, full, kForever);
        break;
      case Step::kChecksumRename:  // the first rename of a rotation is NAME.sha256's
        env.FailRename(1, full, kForever);
        break;
      case Step::kSegmentCreate:
        env.FailCreate(".audit", 1, full, kForever);
        break;
      case Step::kManifestWrite:
        env.FailAppendTo("manifest.json.tmp", 1, full, kForever);
        break;
      case Step::kManifestRename:  // the second: manifest.json's
        env.FailRename(2, full, kForever);
        break;
    }
  };
  auto free = [&] {
    env.FailAppendTo("", 1, Status::Ok(), 0);
    env.FailRename(1, Status::Ok(), 0);
    env.FailCreate("", 1, Status::Ok(), 0);
  };
  ExpectRotationSurvivesFullDisk(dir.path(), &env, fill, free);
}

INSTANTIATE_TEST_SUITE_P(Case9, RotationDiskFullTest,
                         ::testing::Values(StepCase{Step::kChecksumWrite, "ChecksumWrite"},
                                           StepCase{Step::kChecksumRename, "ChecksumRename"},
                                           StepCase{Step::kSegmentCreate, "SegmentCreate"},
                                           StepCase{Step::kManifestWrite, "ManifestWrite"},
                                           StepCase{Step::kManifestRename, "ManifestRename"}),
                         [](const auto& info) { return std::string(info.param.name); });

// ---- a real full file system -------------------------------------------------------------

class TmpfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mnt_ = scratch_.path() / "mnt";
    fs::create_directory(mnt_);
    if (::mount("tmpfs", mnt_.c_str(), "tmpfs", 0, "size=1m,mode=0700") != 0) {
      const int err = errno;
      if (err == EPERM) GTEST_SKIP() << "mounting a tmpfs is not permitted here (EPERM)";
      FAIL() << "mount tmpfs: " << std::strerror(err);
    }
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) {
      EXPECT_EQ(::umount2(mnt_.c_str(), MNT_DETACH), 0) << std::strerror(errno);
    }
  }

  // Writes into `path` until the file system refuses: ENOSPC for every new byte.
  static void FillUp(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    const std::string block(4096, 'x');
    for (std::size_t n = block.size(); n > 0; n /= 2) {
      while (::write(fd, block.data(), n) == static_cast<ssize_t>(n)) {
      }
    }
    ::fsync(fd);
    ::close(fd);
  }

  ScratchDir scratch_;
  fs::path mnt_;
  bool mounted_ = false;
};

TEST_F(TmpfsTest, RotationOnAFullFileSystemSuspendsAndResumes) {
  const fs::path dir = mnt_ / "log";
  const fs::path filler = mnt_ / "filler";
  ExpectRotationSurvivesFullDisk(
      dir, Env::Default(), [&] { FillUp(filler); }, [&] { fs::remove(filler); });
}

}  // namespace
}  // namespace auditlog
