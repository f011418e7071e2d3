// The test double itself: FaultEnv must model a power loss and inject faults faithfully,
// or the durability tests built on it prove nothing.
#include "fault_env.h"

#include <gtest/gtest.h>

#include <thread>

#include "test_util.h"

namespace auditlog::testing {
namespace {

namespace fs = std::filesystem;

class FaultEnvTest : public ::testing::Test {
 protected:
  std::unique_ptr<WritableFile> Create(const fs::path& path) {
    auto f = env_.NewWritableFile(path, OpenMode::kCreateExclusive);
    EXPECT_OK(f.status());
    return f.ok() ? std::move(f).value() : nullptr;
  }
  ScratchDir dir_;
  FaultEnv env_;
};

TEST_F(FaultEnvTest, PowerLossCutsFilesBackToTheirLastSync) {
  const fs::path path = dir_.path() / "a";
  auto f = Create(path);
  ASSERT_OK(f->Append("hello "));
  ASSERT_OK(f->Sync());
  ASSERT_OK(env_.SyncDir(dir_.path()));
  ASSERT_OK(f->Append("world"));
  EXPECT_EQ(ReadFile(path), "hello world");
  ASSERT_OK(env_.DropUnsyncedData());
  EXPECT_EQ(ReadFile(path), "hello ");
  EXPECT_EQ(env_.sync_count(), 1);
  EXPECT_EQ(env_.append_count(), 2);
}

TEST_F(FaultEnvTest, PowerLossDeletesFilesWhoseDirectoryWasNeverSynced) {
  auto f = Create(dir_.path() / "new");
  ASSERT_OK(f->Append("data"));
  ASSERT_OK(f->Sync());  // the data, but not the directory entry
  ASSERT_OK(env_.DropUnsyncedData());
  EXPECT_FALSE(fs::exists(dir_.path() / "new"));
}

TEST_F(FaultEnvTest, PowerLossUndoesRenamesWithoutADirectorySync) {
  auto f = Create(dir_.path() / "tmp");
  ASSERT_OK(f->Append("x"));
  ASSERT_OK(f->Sync());
  ASSERT_OK(env_.SyncDir(dir_.path()));
  ASSERT_OK(env_.RenameFile(dir_.path() / "tmp", dir_.path() / "final"));
  ASSERT_OK(env_.DropUnsyncedData());
  EXPECT_TRUE(fs::exists(dir_.path() / "tmp"));
  EXPECT_FALSE(fs::exists(dir_.path() / "final"));

  ASSERT_OK(env_.RenameFile(dir_.path() / "tmp", dir_.path() / "final"));
  ASSERT_OK(env_.SyncDir(dir_.path()));
  ASSERT_OK(env_.DropUnsyncedData());
  EXPECT_EQ(ReadFile(dir_.path() / "final"), "x");
}

TEST_F(FaultEnvTest, FilesThatExistedBeforeCountAsDurable) {
  WriteFile(dir_.path() / "old", "before");
  auto f = env_.NewWritableFile(dir_.path() / "old", OpenMode::kAppendExisting);
  ASSERT_OK(f.status());
  ASSERT_OK((*f)->Append("+after"));
  ASSERT_OK(env_.DropUnsyncedData());
  EXPECT_EQ(ReadFile(dir_.path() / "old"), "before");
}

TEST_F(FaultEnvTest, FailsTheNthAppendAsAShortWrite) {
  auto f = Create(dir_.path() / "a");
  env_.FailAppend(2, Status::DiskSpaceLow("ENOSPC"), /*short_write_bytes=*/3);
  ASSERT_OK(f->Append("one"));
  const Status s = f->Append("twotwo");
  EXPECT_EQ(s.code(), StatusCode::kDiskSpaceLow);
  EXPECT_EQ(f->Size(), 6u);  // "one" + "two"
  EXPECT_EQ(ReadFile(dir_.path() / "a"), "onetwo");
  ASSERT_OK(f->Append("three"));  // only one failure was asked for
}

TEST_F(FaultEnvTest, FailsTheNthSyncAndNothingBecomesDurable) {
  auto f = Create(dir_.path() / "a");
  ASSERT_OK(env_.SyncDir(dir_.path()));
  env_.FailSync(1, Status::IOError("EIO"));
  ASSERT_OK(f->Append("data"));
  EXPECT_EQ(f->Sync().code(), StatusCode::kIOError);
  EXPECT_EQ(env_.GetFileInfo(dir_.path() / "a")->synced, 0u);
  ASSERT_OK(f->Sync());
  EXPECT_EQ(env_.GetFileInfo(dir_.path() / "a")->synced, 4u);
}

TEST_F(FaultEnvTest, FailsRenamesAndEverythingWhenInactive) {
  auto f = Create(dir_.path() / "a");
  env_.FailRename(1, Status::IOError("EXDEV"));
  EXPECT_EQ(env_.RenameFile(dir_.path() / "a", dir_.path() / "b").code(), StatusCode::kIOError);
  EXPECT_TRUE(fs::exists(dir_.path() / "a"));
  env_.SetActive(false);
  EXPECT_FALSE(f->Append("x").ok());
  EXPECT_FALSE(f->Sync().ok());
  EXPECT_FALSE(env_.SyncDir(dir_.path()).ok());
  EXPECT_FALSE(env_.NewWritableFile(dir_.path() / "c", OpenMode::kCreateExclusive).ok());
  EXPECT_EQ(ReadFile(dir_.path() / "a"), "");
  env_.SetActive(true);
  ASSERT_OK(f->Append("x"));
}

TEST_F(FaultEnvTest, HeldAppendsWaitForRelease) {
  auto f = Create(dir_.path() / "a");
  env_.HoldAppends();
  std::thread writer([&] { EXPECT_OK(f->Append("x")); });
  ASSERT_TRUE(env_.WaitForHeldAppend(std::chrono::seconds(20)));
  EXPECT_EQ(ReadFile(dir_.path() / "a"), "");
  env_.ReleaseAppends();
  writer.join();
  EXPECT_EQ(ReadFile(dir_.path() / "a"), "x");
}

}  // namespace
}  // namespace auditlog::testing
