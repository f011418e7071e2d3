// FaultEnv; see fault_env.h.
#include "fault_env.h"

#include <algorithm>
#include <vector>

namespace auditlog::testing {

namespace fs = std::filesystem;

namespace {
bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

// A WritableFile that reports every operation to its FaultEnv.
class FaultEnv::File final : public WritableFile {
 public:
  File(FaultEnv* env, std::shared_ptr<FileState> state, std::unique_ptr<WritableFile> target)
      : env_(env), state_(std::move(state)), target_(std::move(target)) {}

  Status Append(std::string_view data) override {
    return env_->Append(state_, target_.get(), data);
  }
  Status Sync() override { return env_->Sync(state_, target_.get()); }
  Status Truncate(std::uint64_t size) override {
    return env_->Truncate(state_, target_.get(), size);
  }
  Status Close() override { return target_->Close(); }
  std::uint64_t Size() const override { return target_->Size(); }
  Result<bool> StillLinked() const override { return target_->StillLinked(); }

 private:
  FaultEnv* env_;
  std::shared_ptr<FileState> state_;
  std::unique_ptr<WritableFile> target_;
};

FaultEnv::FaultEnv(Env* target) : EnvWrapper(target) {}
FaultEnv::~FaultEnv() = default;

Status FaultEnv::Inactive() {
  return Status::IOError("FaultEnv: file system inactive (simulated crash)");
}

std::optional<FaultEnv::Fault> FaultEnv::TakeFault(Fault* fault) {
  if (fault->times <= 0) return std::nullopt;
  if (fault->skip > 0) {
    --fault->skip;
    return std::nullopt;
  }
  --fault->times;
  return *fault;
}

// ---- Env ---------------------------------------------------------------------------------

Result<std::unique_ptr<WritableFile>> FaultEnv::NewWritableFile(const fs::path& path,
                                                                OpenMode mode) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!active_) return Inactive();
  if (mode == OpenMode::kCreateExclusive && EndsWith(path.filename().string(), create_suffix_)) {
    if (auto f = TakeFault(&create_fault_)) return f->error;
  }
  AUDITLOG_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file,
                            target()->NewWritableFile(path, mode));
  std::shared_ptr<FileState>& state = files_[Normal(path)];
  if (mode == OpenMode::kCreateExclusive) {
    ++creates_;
    state = std::make_shared<FileState>();
    state->created = true;
    state->entry_durable = false;
  } else if (state == nullptr) {
    state = std::make_shared<FileState>();
    state->size = state->synced = file->Size();  // what existed before counts as durable
  }
  state->name = path.filename().string();
  return std::unique_ptr<WritableFile>(std::make_unique<File>(this, state, std::move(file)));
}

Status FaultEnv::RenameFile(const fs::path& from, const fs::path& to) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!active_) return Inactive();
  if (auto f = TakeFault(&rename_fault_)) return f->error;
  const bool replaced = target()->FileExists(to);
  AUDITLOG_RETURN_IF_ERROR(target()->RenameFile(from, to));
  ++renames_;
  auto it = files_.find(Normal(from));
  std::shared_ptr<FileState> state;
  if (it != files_.end()) {
    state = it->second;
    files_.erase(it);
  } else {
    state = std::make_shared<FileState>();
    auto size = target()->GetFileSize(to);
    state->size = state->synced = size.ok() ? *size : 0;
  }
  if (state->renamed_from.empty()) {
    state->renamed_from = Normal(from);
    state->entry_durable_before_rename = state->entry_durable;
  }
  state->replaced_on_rename = state->replaced_on_rename || replaced;
  state->entry_durable = false;
  state->name = to.filename().string();
  files_[Normal(to)] = state;
  return Status::Ok();
}

Status FaultEnv::RemoveFile(const fs::path& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!active_) return Inactive();
  AUDITLOG_RETURN_IF_ERROR(target()->RemoveFile(path));
  files_.erase(Normal(path));
  return Status::Ok();
}

Status FaultEnv::SyncDir(const fs::path& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!active_) return Inactive();
  if (auto f = TakeFault(&sync_dir_fault_)) return f->error;
  AUDITLOG_RETURN_IF_ERROR(target()->SyncDir(dir));
  ++sync_dirs_;
  const fs::path d = Normal(dir);
  for (auto& [path, state] : files_) {
    if (Normal(path.parent_path()) == d || path.parent_path() == d) {
      state->entry_durable = true;
      state->renamed_from.clear();
      state->replaced_on_rename = false;
    }
  }
  return Status::Ok();
}

// ---- files -------------------------------------------------------------------------------

Status FaultEnv::Append(const std::shared_ptr<FileState>& state, WritableFile* target,
                        std::string_view data) {
  std::unique_lock<std::mutex> lock(mu_);
  if (hold_appends_) {
    ++held_appends_;
    gate_cv_.notify_all();
    gate_cv_.wait(lock, [&] { return !hold_appends_; });
    --held_appends_;
  }
  ++appends_;
  if (!active_) return Inactive();
  std::optional<Fault> fault;
  if (EndsWith(state->name, named_append_suffix_)) fault = TakeFault(&named_append_fault_);
  if (!fault) fault = TakeFault(&append_fault_);
  if (auto f = fault) {
    if (f->short_write_bytes > 0 && !data.empty()) {
      const std::size_t n = std::min(f->short_write_bytes, data.size() - 1);
      if (target->Append(data.substr(0, n)).ok()) state->size += n;
    }
    return f->error;
  }
  AUDITLOG_RETURN_IF_ERROR(target->Append(data));
  state->size += data.size();
  return Status::Ok();
}

Status FaultEnv::Sync(const std::shared_ptr<FileState>& state, WritableFile* target) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!active_) return Inactive();
  if (auto f = TakeFault(&sync_fault_)) return f->error;
  AUDITLOG_RETURN_IF_ERROR(target->Sync());
  ++syncs_;
  state->synced = state->size;
  return Status::Ok();
}

Status FaultEnv::Truncate(const std::shared_ptr<FileState>& state, WritableFile* target,
                          std::uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!active_) return Inactive();
  AUDITLOG_RETURN_IF_ERROR(target->Truncate(size));
  state->size = size;
  state->synced = std::min(state->synced, size);
  return Status::Ok();
}

// ---- power loss --------------------------------------------------------------------------

Status FaultEnv::DropUnsyncedData() {
  std::lock_guard<std::mutex> lock(mu_);
  // Undo renames whose directory was not fsync'ed (first, so that truncation below applies
  // to the name the file goes back to).
  std::vector<std::pair<fs::path, std::shared_ptr<FileState>>> undone;
  for (auto it = files_.begin(); it != files_.end();) {
    FileState& s = *it->second;
    if (!s.entry_durable && !s.renamed_from.empty() && !s.replaced_on_rename) {
      AUDITLOG_RETURN_IF_ERROR(target()->RenameFile(it->first, s.renamed_from));
      undone.emplace_back(s.renamed_from, it->second);
      s.renamed_from.clear();
      s.entry_durable = s.entry_durable_before_rename;
      it = files_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [path, state] : undone) files_[path] = state;

  for (auto it = files_.begin(); it != files_.end();) {
    FileState& s = *it->second;
    if (s.created && !s.entry_durable) {
      if (target()->FileExists(it->first))
        AUDITLOG_RETURN_IF_ERROR(target()->RemoveFile(it->first));
      it = files_.erase(it);
      continue;
    }
    if (s.size > s.synced && target()->FileExists(it->first)) {
      AUDITLOG_ASSIGN_OR_RETURN(auto file,
                                target()->NewWritableFile(it->first, OpenMode::kAppendExisting));
      AUDITLOG_RETURN_IF_ERROR(file->Truncate(s.synced));
      AUDITLOG_RETURN_IF_ERROR(file->Close());
      s.size = s.synced;
    }
    ++it;
  }
  return Status::Ok();
}

// ---- control -----------------------------------------------------------------------------

void FaultEnv::FailAppend(int nth, Status error, std::size_t short_write_bytes, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  append_fault_ = Fault{nth - 1, times, std::move(error), short_write_bytes};
}
void FaultEnv::FailSync(int nth, Status error, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  sync_fault_ = Fault{nth - 1, times, std::move(error), 0};
}
void FaultEnv::FailSyncDir(int nth, Status error, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  sync_dir_fault_ = Fault{nth - 1, times, std::move(error), 0};
}
void FaultEnv::FailRename(int nth, Status error, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  rename_fault_ = Fault{nth - 1, times, std::move(error), 0};
}
void FaultEnv::FailAppendTo(std::string name_suffix, int nth, Status error, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  named_append_suffix_ = std::move(name_suffix);
  named_append_fault_ = Fault{nth - 1, times, std::move(error), 0};
}
void FaultEnv::FailCreate(std::string name_suffix, int nth, Status error, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  create_suffix_ = std::move(name_suffix);
  create_fault_ = Fault{nth - 1, times, std::move(error), 0};
}
void FaultEnv::SetActive(bool active) {
  std::lock_guard<std::mutex> lock(mu_);
  active_ = active;
}

void FaultEnv::HoldAppends() {
  std::lock_guard<std::mutex> lock(mu_);
  hold_appends_ = true;
}
void FaultEnv::ReleaseAppends() {
  std::lock_guard<std::mutex> lock(mu_);
  hold_appends_ = false;
  gate_cv_.notify_all();
}
bool FaultEnv::WaitForHeldAppend(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return gate_cv_.wait_for(lock, timeout, [&] { return held_appends_ > 0; });
}

std::optional<FaultEnv::FileInfo> FaultEnv::GetFileInfo(const fs::path& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(Normal(path));
  if (it == files_.end()) return std::nullopt;
  return FileInfo{it->second->size, it->second->synced, it->second->entry_durable};
}

int FaultEnv::append_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return appends_;
}
int FaultEnv::sync_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return syncs_;
}
int FaultEnv::sync_dir_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sync_dirs_;
}
int FaultEnv::rename_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return renames_;
}
int FaultEnv::create_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return creates_;
}
void FaultEnv::ResetCounters() {
  std::lock_guard<std::mutex> lock(mu_);
  appends_ = syncs_ = sync_dirs_ = renames_ = creates_ = 0;
}

}  // namespace auditlog::testing
