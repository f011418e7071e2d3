// Env: the thin file-system and clock interface that every byte auditlog reads or writes
// goes through (modelled on LevelDB's Env). Tests wrap it to inject short writes, ENOSPC,
// EIO, fsync failures and power loss. All Env implementations are safe for concurrent use
// from multiple threads; a single file object is not (one owner at a time).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auditlog/export.h"
#include "auditlog/status.h"

namespace auditlog {

// An append-only file. No user-space buffering: Append() hands every byte to the kernel
// before it returns, so a process crash never loses what Append() accepted; only Sync()
// makes it survive a power loss.
class AUDITLOG_EXPORT WritableFile {
 public:
  virtual ~WritableFile() = default;

  // Writes all of `data` at the end of the file. On error, a prefix of `data` may already
  // be in the file (a short write); Size() tells how much, and Truncate() can cut it off.
  virtual Status Append(std::string_view data) = 0;
  // fsync(2)s the file's data and metadata. After a failure the file's state is unknown:
  // callers must not retry and must not call the data durable.
  virtual Status Sync() = 0;
  // Shrinks the file to `size` bytes (used to remove a partial record after a failed write).
  virtual Status Truncate(std::uint64_t size) = 0;
  virtual Status Close() = 0;
  // Bytes in the file, as far as this handle knows (including any partial write).
  virtual std::uint64_t Size() const = 0;
  // True when the path this file was opened with still names this very file (same device and
  // inode). False when the file was deleted or replaced behind our back.
  virtual Result<bool> StillLinked() const = 0;
};

// A file read by offset. Reads past the end return fewer bytes (zero at or after the end).
class AUDITLOG_EXPORT ReadableFile {
 public:
  virtual ~ReadableFile() = default;
  // Reads up to `n` bytes at `offset` into `*out` (replacing its contents).
  virtual Status Read(std::uint64_t offset, std::size_t n, std::string* out) const = 0;
  virtual Result<std::uint64_t> Size() const = 0;
};

// Held while a process owns a log directory; releasing it (destruction) unlocks.
class AUDITLOG_EXPORT FileLock {
 public:
  virtual ~FileLock() = default;
};

enum class OpenMode {
  kCreateExclusive,  // O_CREAT|O_EXCL: fails if anything (file or symlink) is at the path
  kAppendExisting,   // the file must exist and must not be a symlink
};

class AUDITLOG_EXPORT Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX implementation. Never deleted.
  static Env* Default();

  // File types: every byte of a log directory may be hostile, so the opens below never
  // follow a symlink (O_NOFOLLOW), never wait on a FIFO (O_NONBLOCK, cleared after the
  // check) and accept only a regular file (fstat). Anything else at the path (FIFO, socket,
  // device, directory, symlink) is kFailedPrecondition "PATH is a FIFO, not a regular
  // file; ..." naming the file and its type, returned at once.

  // Opens `path` for appending, mode 0600 (see "File types").
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::filesystem::path& path,
                                                                OpenMode mode) = 0;
  // Opens `path` for reading (see "File types").
  virtual Result<std::unique_ptr<ReadableFile>> NewReadableFile(
      const std::filesystem::path& path) = 0;

  // Names (not paths) of the entries of `dir`, excluding "." and "..", in no particular order.
  virtual Result<std::vector<std::string>> GetChildren(const std::filesystem::path& dir) = 0;
  // True when anything (of any type, a dangling symlink included) is at `path` (lstat).
  virtual bool FileExists(const std::filesystem::path& path) = 0;
  // Size of the regular file at `path`, not following a symlink; kFailedPrecondition when
  // something else is there (see "File types").
  virtual Result<std::uint64_t> GetFileSize(const std::filesystem::path& path) = 0;

  // Creates `dir` (and missing parents) with mode 0700; OK if it already is a directory.
  virtual Status CreateDir(const std::filesystem::path& dir) = 0;
  virtual Status RenameFile(const std::filesystem::path& from, const std::filesystem::path& to) = 0;
  virtual Status RemoveFile(const std::filesystem::path& path) = 0;
  // fsync(2)s a directory, making creations, renames and removals in it durable.
  virtual Status SyncDir(const std::filesystem::path& dir) = 0;

  // Takes the exclusive lock of the directory holding `path` (the LOCK file): an flock on
  // the directory itself, which deleting, renaming or replacing `path` cannot take away,
  // and one on `path` (created if needed; as writers before the directory lock did), where
  // the holder's pid is written for humans. Fails with kFailedPrecondition naming the
  // holder's pid (as read from `path`, digits only) when another open file description
  // holds either (another process, or another Logger here), or when `path` is not a
  // regular file (see "File types").
  virtual Result<std::unique_ptr<FileLock>> LockFile(const std::filesystem::path& path) = 0;

  // Bytes available to an unprivileged writer on the file system holding `dir`.
  virtual Result<std::uint64_t> FreeBytes(const std::filesystem::path& dir) = 0;

  // Wall-clock time, microseconds since the Unix epoch (UTC). Record timestamps come from here.
  virtual std::int64_t NowMicros() = 0;

  // Monotonic time in microseconds from an arbitrary origin; never goes backwards. The writer
  // measures flush intervals with it. The default reads std::chrono::steady_clock.
  virtual std::int64_t MonotonicMicros();
};

// Forwards every call to a target Env, so that a test double overrides only what it needs.
class AUDITLOG_EXPORT EnvWrapper : public Env {
 public:
  // `target` must outlive this wrapper.
  explicit EnvWrapper(Env* target) : target_(target) {}
  Env* target() const { return target_; }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::filesystem::path& path,
                                                        OpenMode mode) override {
    return target_->NewWritableFile(path, mode);
  }
  Result<std::unique_ptr<ReadableFile>> NewReadableFile(
      const std::filesystem::path& path) override {
    return target_->NewReadableFile(path);
  }
  Result<std::vector<std::string>> GetChildren(const std::filesystem::path& dir) override {
    return target_->GetChildren(dir);
  }
  bool FileExists(const std::filesystem::path& path) override { return target_->FileExists(path); }
  Result<std::uint64_t> GetFileSize(const std::filesystem::path& path) override {
    return target_->GetFileSize(path);
  }
  Status CreateDir(const std::filesystem::path& dir) override { return target_->CreateDir(dir); }
  Status RenameFile(const std::filesystem::path& from, const std::filesystem::path& to) override {
    return target_->RenameFile(from, to);
  }
  Status RemoveFile(const std::filesystem::path& path) override {
    return target_->RemoveFile(path);
  }
  Status SyncDir(const std::filesystem::path& dir) override { return target_->SyncDir(dir); }
  Result<std::unique_ptr<FileLock>> LockFile(const std::filesystem::path& path) override {
    return target_->LockFile(path);
  }
  Result<std::uint64_t> FreeBytes(const std::filesystem::path& dir) override {
    return target_->FreeBytes(dir);
  }
  std::int64_t NowMicros() override { return target_->NowMicros(); }
  std::int64_t MonotonicMicros() override { return target_->MonotonicMicros(); }

 private:
  Env* target_;
};

// Reads a whole file through `env`.
AUDITLOG_EXPORT Result<std::string> ReadFileToString(Env* env, const std::filesystem::path& path);

// Writes `contents` to `path` atomically: a temporary file in the same directory, fsync,
// rename over `path`, fsync the directory. Readers see the old or the new contents, never a mix.
AUDITLOG_EXPORT Status WriteFileAtomically(Env* env, const std::filesystem::path& path,
                                           std::string_view contents);

}  // namespace auditlog
