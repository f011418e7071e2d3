// The POSIX Env: the only file in the library that calls open/write/fsync/rename.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include "auditlog/env.h"

namespace auditlog {
namespace {

namespace fs = std::filesystem;

// The single place where errno becomes a Status.
Status PosixError(const std::string& context, int err) {
  std::string msg = context + ": " + std::strerror(err);
  if (err == ENOENT) return Status::NotFound(std::move(msg));
  if (err == ENOSPC || err == EDQUOT) return Status::DiskSpaceLow(std::move(msg));
  return Status::IOError(std::move(msg));
}

// What is at `st`, for error messages: "a FIFO", "a directory", ...
const char* FileTypeName(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

// The one error for "the library needs a regular file at `path` and something else is there".
Status NotRegular(const fs::path& path, mode_t mode) {
  return Status::FailedPrecondition(path.string() + " is " + FileTypeName(mode) +
                                    ", not a regular file; refusing to use it");
}

// An open(2) of `path` failed with `err`. When the cause is what is at the path (a symlink
// under O_NOFOLLOW, a FIFO without reader under O_NONBLOCK, a directory), says so.
Status OpenError(const std::string& context, const fs::path& path, int err) {
  struct stat st;
  if (err != ENOENT && ::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    return NotRegular(path, st.st_mode);
  }
  return PosixError(context + " " + path.string(), err);
}

// Opens `path` with `flags` | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, so that neither
// a FIFO (which would block the open until a peer appears) nor a symlink steers us, then
// requires a regular file (fstat) and clears O_NONBLOCK again. An lstat first keeps us from
// opening a device at all in the common case; the fstat catches a swap in between. On
// success `*st` describes the file.
Result<int> OpenRegular(const std::string& context, const fs::path& path, int flags, mode_t perm,
                        struct stat* st) {
  if (::lstat(path.c_str(), st) == 0 && !S_ISREG(st->st_mode)) return NotRegular(path, st->st_mode);
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, perm);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return OpenError(context, path, errno);
  Status s;
  if (::fstat(fd, st) != 0) {
    s = PosixError("fstat " + path.string(), errno);
  } else if (!S_ISREG(st->st_mode)) {
    s = NotRegular(path, st->st_mode);
  } else {
    const int fl = ::fcntl(fd, F_GETFL);
    if (fl < 0 || ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
      s = PosixError("fcntl " + path.string(), errno);
    }
  }
  if (!s.ok()) {
    ::close(fd);
    return s;
  }
  return fd;
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(fs::path path, int fd, std::uint64_t size, dev_t dev, ino_t ino)
      : path_(std::move(path)), fd_(fd), size_(size), dev_(dev), ino_(ino) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);  // an unclosed file was already reported by its owner
  }

  Status Append(std::string_view data) override {
    if (fd_ < 0) return Status::FailedPrecondition("append to closed file " + path_.string());
    while (!data.empty()) {
      const ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return PosixError("write " + path_.string(), errno);
      }
      size_ += static_cast<std::uint64_t>(n);
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return Status::Ok();
  }

  Status Sync() override {
    if (fd_ < 0) return Status::FailedPrecondition("sync of closed file " + path_.string());
    if (::fsync(fd_) != 0) return PosixError("fsync " + path_.string(), errno);
    return Status::Ok();
  }

  Status Truncate(std::uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      return PosixError("ftruncate " + path_.string(), errno);
    }
    size_ = size;
    return Status::Ok();
  }

  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return PosixError("close " + path_.string(), errno);
    return Status::Ok();
  }

  std::uint64_t Size() const override { return size_; }

  Result<bool> StillLinked() const override {
    struct stat st;
    if (::lstat(path_.c_str(), &st) != 0) {
      if (errno == ENOENT) return false;
      return PosixError("lstat " + path_.string(), errno);
    }
    return st.st_dev == dev_ && st.st_ino == ino_;
  }

 private:
  fs::path path_;
  int fd_;
  std::uint64_t size_;
  dev_t dev_;
  ino_t ino_;
};

class PosixReadableFile final : public ReadableFile {
 public:
  PosixReadableFile(fs::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixReadableFile() override { ::close(fd_); }

  Status Read(std::uint64_t offset, std::size_t n, std::string* out) const override {
    out->resize(n);
    std::size_t got = 0;
    while (got < n) {
      const ssize_t r = ::pread(fd_, out->data() + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0) {
        if (errno == EINTR) continue;
        return PosixError("read " + path_.string(), errno);
      }
      if (r == 0) break;
      got += static_cast<std::size_t>(r);
    }
    out->resize(got);
    return Status::Ok();
  }

  Result<std::uint64_t> Size() const override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return PosixError("fstat " + path_.string(), errno);
    return static_cast<std::uint64_t>(st.st_size);
  }

 private:
  fs::path path_;
  int fd_;
};

// Holds two flocks: on the log directory itself (the lock that counts: a directory cannot be
// deleted or swapped while it holds files, so `rm LOCK` cannot let a second writer in) and
// on LOCK (what writers before the directory lock took, so an older writer is still kept
// out, and where the holder's pid is written for humans).
class PosixFileLock final : public FileLock {
 public:
  PosixFileLock(int dir_fd, int file_fd) : dir_fd_(dir_fd), file_fd_(file_fd) {}
  ~PosixFileLock() override {
    ::flock(file_fd_, LOCK_UN);
    ::close(file_fd_);
    ::flock(dir_fd_, LOCK_UN);
    ::close(dir_fd_);
  }

 private:
  int dir_fd_;
  int file_fd_;
};

// The pid a lock holder wrote into `path`, for the error message: digits only, else
// "unknown" (the file is attacker-writable; its bytes never reach a message raw).
std::string LockHolder(const fs::path& path) {
  struct stat st;
  auto fd = OpenRegular("open", path, O_RDONLY, 0, &st);
  if (!fd.ok()) return "unknown";
  char buf[24] = {};
  const ssize_t n = ::pread(*fd, buf, sizeof buf - 1, 0);
  ::close(*fd);
  std::string holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
  while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
  if (holder.empty() || holder.find_first_not_of("0123456789") != std::string::npos) {
    return "unknown";
  }
  return holder;
}

Status Locked(const fs::path& path) {
  return Status::FailedPrecondition("log directory is locked by process " + LockHolder(path) +
                                    " (lock file " + path.string() + ")");
}

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const fs::path& path,
                                                        OpenMode mode) override {
    int flags = O_WRONLY | O_APPEND;
    if (mode == OpenMode::kCreateExclusive) flags |= O_CREAT | O_EXCL;
    struct stat st;
    AUDITLOG_ASSIGN_OR_RETURN(const int fd, OpenRegular("open", path, flags, 0600, &st));
    return std::unique_ptr<WritableFile>(std::make_unique<PosixWritableFile>(
        path, fd, static_cast<std::uint64_t>(st.st_size), st.st_dev, st.st_ino));
  }

  Result<std::unique_ptr<ReadableFile>> NewReadableFile(const fs::path& path) override {
    struct stat st;
    AUDITLOG_ASSIGN_OR_RETURN(const int fd, OpenRegular("open", path, O_RDONLY, 0, &st));
    return std::unique_ptr<ReadableFile>(std::make_unique<PosixReadableFile>(path, fd));
  }

  Result<std::vector<std::string>> GetChildren(const fs::path& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return PosixError("opendir " + dir.string(), errno);
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(d)) {
      const std::string_view name(e->d_name);
      if (name != "." && name != "..") names.emplace_back(name);
    }
    ::closedir(d);
    return names;
  }

  bool FileExists(const fs::path& path) override {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
  }

  Result<std::uint64_t> GetFileSize(const fs::path& path) override {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return PosixError("lstat " + path.string(), errno);
    if (!S_ISREG(st.st_mode)) return NotRegular(path, st.st_mode);
    return static_cast<std::uint64_t>(st.st_size);
  }

  Status CreateDir(const fs::path& dir) override {
    if (dir.empty()) return Status::InvalidArgument("empty directory path");
    struct stat st;
    if (::stat(dir.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode))
        return Status::FailedPrecondition(dir.string() + " is not a directory");
      return Status::Ok();
    }
    const fs::path parent = dir.parent_path();
    if (!parent.empty() && parent != dir) AUDITLOG_RETURN_IF_ERROR(CreateDir(parent));
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return PosixError("mkdir " + dir.string(), errno);
    }
    return Status::Ok();
  }

  Status RenameFile(const fs::path& from, const fs::path& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return PosixError("rename " + from.string() + " to " + to.string(), errno);
    }
    return Status::Ok();
  }

  Status RemoveFile(const fs::path& path) override {
    if (::unlink(path.c_str()) != 0) return PosixError("unlink " + path.string(), errno);
    return Status::Ok();
  }

  Status SyncDir(const fs::path& dir) override {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return PosixError("open directory " + dir.string(), errno);
    Status s;
    if (::fsync(fd) != 0) s = PosixError("fsync directory " + dir.string(), errno);
    ::close(fd);
    return s;
  }

  Result<std::unique_ptr<FileLock>> LockFile(const fs::path& path) override {
    const fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) return PosixError("open directory " + dir.string(), errno);
    if (::flock(dir_fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      ::close(dir_fd);
      if (err == EWOULDBLOCK) return Locked(path);
      return PosixError("flock " + dir.string(), err);
    }
    // We hold the directory: now the pid file. Whatever an attacker put at LOCK, it is
    // neither followed (symlink) nor waited on (FIFO): anything but a regular file is refused.
    struct stat st;
    auto fd = OpenRegular("open lock file", path, O_RDWR | O_CREAT, 0600, &st);
    if (!fd.ok()) {
      ::close(dir_fd);
      return fd.status();
    }
    Status s;
    if (::flock(*fd, LOCK_EX | LOCK_NB) != 0) {
      s = errno == EWOULDBLOCK ? Locked(path) : PosixError("flock " + path.string(), errno);
    } else {
      const std::string pid = std::to_string(::getpid()) + "\n";
      if (::ftruncate(*fd, 0) != 0 || ::pwrite(*fd, pid.data(), pid.size(), 0) < 0) {
        s = PosixError("write lock file " + path.string(), errno);
      }
    }
    if (!s.ok()) {
      ::close(*fd);
      ::close(dir_fd);
      return s;
    }
    return std::unique_ptr<FileLock>(std::make_unique<PosixFileLock>(dir_fd, *fd));
  }

  Result<std::uint64_t> FreeBytes(const fs::path& dir) override {
    struct statvfs sv;
    if (::statvfs(dir.c_str(), &sv) != 0) return PosixError("statvfs " + dir.string(), errno);
    return static_cast<std::uint64_t>(sv.f_bavail) * sv.f_frsize;
  }

  std::int64_t NowMicros() override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace

std::int64_t Env::MonotonicMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv();  // never deleted: other statics may still use it
  return env;
}

Result<std::string> ReadFileToString(Env* env, const fs::path& path) {
  AUDITLOG_ASSIGN_OR_RETURN(std::unique_ptr<ReadableFile> file, env->NewReadableFile(path));
  AUDITLOG_ASSIGN_OR_RETURN(std::uint64_t size, file->Size());
  std::string data;
  AUDITLOG_RETURN_IF_ERROR(file->Read(0, static_cast<std::size_t>(size), &data));
  return data;
}

Status WriteFileAtomically(Env* env, const fs::path& path, std::string_view contents) {
  fs::path tmp = path;
  tmp += ".tmp";
  if (env->FileExists(tmp)) AUDITLOG_RETURN_IF_ERROR(env->RemoveFile(tmp));
  AUDITLOG_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file,
                            env->NewWritableFile(tmp, OpenMode::kCreateExclusive));
  Status s = file->Append(contents);
  if (s.ok()) s = file->Sync();
  const Status close = file->Close();
  if (s.ok()) s = close;
  if (!s.ok()) {
    env->RemoveFile(tmp).IgnoreError();  // best effort; the old file is still intact
    return s;
  }
  AUDITLOG_RETURN_IF_ERROR(env->RenameFile(tmp, path));
  return env->SyncDir(path.parent_path().empty() ? fs::path(".") : path.parent_path());
}

}  // namespace auditlog
