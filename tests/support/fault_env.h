// FaultEnv: an EnvWrapper for error and crash tests (after LevelDB's fault_injection_test and
// RocksDB's FaultInjectionTestFS). It
//   - remembers, for every file written through it, how many bytes were fsync'ed and whether
//     its directory entry was, so that DropUnsyncedData() can simulate a power loss;
//   - counts Append, Sync, SyncDir, Rename and file creation calls;
//   - fails chosen calls: the Nth Append (optionally as a short write), Sync, SyncDir or
//     Rename from now, or every call after SetActive(false);
//   - can hold Appends at a gate, so a test can keep the writer busy deterministically.
// Thread-safe. Files that existed before they were opened through it count as durable.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "auditlog/env.h"
#include "auditlog/status.h"

namespace auditlog::testing {

class FaultEnv : public EnvWrapper {
 public:
  // `target` must outlive this Env.
  explicit FaultEnv(Env* target = Env::Default());
  ~FaultEnv() override;

  // ---- power loss ------------------------------------------------------------------------
  // Makes the file system look as after a power loss: every file written through this Env is
  // cut back to its last fsync'ed length; a file created through it whose directory was not
  // fsync'ed since is deleted; a rename not followed by an fsync of its directory is undone
  // (unless it replaced a file, whose old contents are gone). Nothing may write through this
  // Env meanwhile: stop the writer first (SetActive(false) does that for a running logger).
  Status DropUnsyncedData();

  // ---- counters (since construction or ResetCounters) --------------------------------------
  int append_count() const;
  int sync_count() const;      // WritableFile::Sync calls that succeeded
  int sync_dir_count() const;  // SyncDir calls that succeeded
  int rename_count() const;
  int create_count() const;  // NewWritableFile with kCreateExclusive that succeeded
  void ResetCounters();

  // ---- faults ----------------------------------------------------------------------------
  // The `nth` Append from now (1: the next one) fails with `error`, and so do the `times - 1`
  // after it. With `short_write_bytes` > 0 the failing Append first writes that many bytes
  // of its data (at most all but one), as a short write before ENOSPC does.
  void FailAppend(int nth, Status error, std::size_t short_write_bytes = 0, int times = 1);
  // The `nth` WritableFile::Sync from now fails with `error` (nothing becomes durable).
  void FailSync(int nth, Status error, int times = 1);
  void FailSyncDir(int nth, Status error, int times = 1);
  void FailRename(int nth, Status error, int times = 1);
  // Like FailAppend, counting only Appends to files whose name ends with `name_suffix`
  // (e.g. ".sha256.tmp", "manifest.json.tmp"): the `nth` of those from now fails, and so do
  // the `times - 1` after it. Independent of FailAppend.
  void FailAppendTo(std::string name_suffix, int nth, Status error, int times = 1);
  // The `nth` NewWritableFile(kCreateExclusive) from now of a file whose name ends with
  // `name_suffix` fails with `error` and creates nothing (as O_CREAT under ENOSPC).
  void FailCreate(std::string name_suffix, int nth, Status error, int times = 1);
  // While inactive every Append, Sync, Truncate, SyncDir, Rename, Remove and file creation
  // fails with kIOError and changes nothing: the moment of a simulated crash.
  void SetActive(bool active);

  // ---- gate ------------------------------------------------------------------------------
  // While held, every Append waits (before doing anything) until ReleaseAppends().
  void HoldAppends();
  void ReleaseAppends();
  // Waits until some Append waits at the gate. False on timeout.
  bool WaitForHeldAppend(std::chrono::milliseconds timeout);

  // What this Env knows about `path`: bytes written and bytes fsync'ed. nullopt when the
  // file was never opened for writing through it.
  struct FileInfo {
    std::uint64_t size = 0;
    std::uint64_t synced = 0;
    bool entry_durable = true;
  };
  std::optional<FileInfo> GetFileInfo(const std::filesystem::path& path) const;

  // ---- Env -------------------------------------------------------------------------------
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::filesystem::path& path,
                                                        OpenMode mode) override;
  Status RenameFile(const std::filesystem::path& from, const std::filesystem::path& to) override;
  Status RemoveFile(const std::filesystem::path& path) override;
  Status SyncDir(const std::filesystem::path& dir) override;

 private:
  class File;
  struct FileState {
    std::uint64_t size = 0;
    std::uint64_t synced = 0;
    bool created = false;       // created through this Env
    bool entry_durable = true;  // its directory was fsync'ed since it was created / renamed
    std::filesystem::path renamed_from;  // an undurable rename to undo on power loss
    bool entry_durable_before_rename = true;
    bool replaced_on_rename = false;
    std::string name;  // the file name it has now (for FailAppendTo)
  };
  struct Fault {
    int skip = 0;   // calls to let through first
    int times = 0;  // then calls to fail
    Status error;
    std::size_t short_write_bytes = 0;
  };

  // Returns the error to inject for this call, if any. REQUIRES: mu_ held.
  static std::optional<Fault> TakeFault(Fault* fault);
  static Status Inactive();
  static std::filesystem::path Normal(const std::filesystem::path& p) {
    return p.lexically_normal();
  }

  // Called by File.
  Status Append(const std::shared_ptr<FileState>& state, WritableFile* target,
                std::string_view data);
  Status Sync(const std::shared_ptr<FileState>& state, WritableFile* target);
  Status Truncate(const std::shared_ptr<FileState>& state, WritableFile* target,
                  std::uint64_t size);

  mutable std::mutex mu_;
  std::condition_variable gate_cv_;
  std::map<std::filesystem::path, std::shared_ptr<FileState>> files_;
  bool active_ = true;
  bool hold_appends_ = false;
  int held_appends_ = 0;
  Fault append_fault_, sync_fault_, sync_dir_fault_, rename_fault_;
  Fault named_append_fault_, create_fault_;
  std::string named_append_suffix_, create_suffix_;
  int appends_ = 0, syncs_ = 0, sync_dirs_ = 0, renames_ = 0, creates_ = 0;
};

}  // namespace auditlog::testing
