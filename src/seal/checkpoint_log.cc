// Checkpoint log (checkpoint_log.h).
#include "seal/checkpoint_log.h"

#include <algorithm>

#include "seal/base64.h"
#include "seal/seal_state.h"

namespace auditlog::internal {
namespace {

namespace fs = std::filesystem;

std::string Num(std::uint64_t n) { return std::to_string(n); }

// Reads the whole file in bounded chunks, calling on_line(line_no, line) for each complete
// line; a torn last line is left out. *complete_bytes: the bytes of complete lines.
Status ForEachLine(Env* env, const fs::path& path,
                   const std::function<Status(std::uint64_t, std::string_view)>& on_line,
                   std::uint64_t* complete_bytes) {
  AUDITLOG_ASSIGN_OR_RETURN(auto file, env->NewReadableFile(path));
  AUDITLOG_ASSIGN_OR_RETURN(std::uint64_t size, file->Size());
  std::string buf, chunk;
  std::uint64_t offset = 0, line_no = 0, done = 0;
  while (offset < size) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(size - offset, 1 << 16));
    AUDITLOG_RETURN_IF_ERROR(file->Read(offset, n, &chunk));
    if (chunk.empty()) break;
    offset += chunk.size();
    buf += chunk;
    std::size_t start = 0;
    for (std::size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1) {
      ++line_no;
      AUDITLOG_RETURN_IF_ERROR(on_line(line_no, std::string_view(buf).substr(start, nl - start)));
      done += nl - start + 1;
    }
    buf.erase(0, start);
    if (buf.size() > kMaxCheckpointLogLineBytes) {
      return Status::Corruption(path.string() + " line " + Num(line_no + 1) + " is over " +
                                Num(kMaxCheckpointLogLineBytes) + " bytes");
    }
  }
  if (complete_bytes != nullptr) *complete_bytes = done;
  return Status::Ok();
}

Result<std::string> DecodeLine(const fs::path& path, std::uint64_t line_no, std::string_view line) {
  if (line.size() > kMaxCheckpointLogLineBytes) {
    return Status::Corruption(path.string() + " line " + Num(line_no) + " is too long");
  }
  auto note = Base64Decode(line, path.string() + " line " + Num(line_no));
  if (!note.ok()) return Status::Corruption(note.status().message());
  return note;
}

}  // namespace

fs::path CheckpointLogPath(const fs::path& dir) {
  return dir / kSealDirName / kCheckpointLogFileName;
}

Result<std::unique_ptr<CheckpointWriter>> CheckpointWriter::Open(Env* env, const fs::path& dir,
                                                                 std::string_view log_id) {
  AUDITLOG_ASSIGN_OR_RETURN(
      Ed25519SigningKey key,
      Ed25519SigningKey::LoadFile(env, dir / kSealDirName / kCheckpointKeyFileName));
  std::unique_ptr<CheckpointWriter> w(
      new CheckpointWriter(env, CheckpointLogPath(dir), std::move(key), CheckpointOrigin(log_id)));
  if (!env->FileExists(w->path_)) return w;
  std::string last;
  AUDITLOG_RETURN_IF_ERROR(ForEachLine(
      env, w->path_,
      [&](std::uint64_t, std::string_view line) {
        last.assign(line);
        return Status::Ok();
      },
      &w->file_size_));
  AUDITLOG_ASSIGN_OR_RETURN(std::uint64_t size, env->GetFileSize(w->path_));
  if (size != w->file_size_) {  // a torn append: cut it off before appending after it
    AUDITLOG_ASSIGN_OR_RETURN(auto f, env->NewWritableFile(w->path_, OpenMode::kAppendExisting));
    AUDITLOG_RETURN_IF_ERROR(f->Truncate(w->file_size_));
    AUDITLOG_RETURN_IF_ERROR(f->Sync());
    AUDITLOG_RETURN_IF_ERROR(f->Close());
  }
  if (!last.empty()) {
    AUDITLOG_ASSIGN_OR_RETURN(std::string note, DecodeLine(w->path_, 0, last));
    AUDITLOG_ASSIGN_OR_RETURN(Checkpoint c, OpenCheckpoint(note, w->key_.verifier(), w->origin_));
    w->last_tree_size_ = c.tree_size;
  }
  return w;
}

bool CheckpointWriter::Due(std::uint64_t tree_size, std::int64_t mono_micros, bool force) const {
  if (tree_size == 0 || tree_size == last_tree_size_) return false;
  if (force || !last_mono_) return true;
  return mono_micros - *last_mono_ >= kCheckpointIntervalMicros || mono_micros < *last_mono_;
}

Status CheckpointWriter::Append(std::uint64_t tree_size, const MerkleHash& root,
                                std::int64_t mono_micros) {
  AUDITLOG_ASSIGN_OR_RETURN(std::string note,
                            SignCheckpoint(Checkpoint{origin_, tree_size, root, {}}, key_));
  const std::string line = Base64Encode(note) + "\n";
  const bool create = !env_->FileExists(path_);
  AUDITLOG_ASSIGN_OR_RETURN(
      auto f, env_->NewWritableFile(
                  path_, create ? OpenMode::kCreateExclusive : OpenMode::kAppendExisting));
  if (f->Size() != file_size_) {
    return Status::Corruption(path_.string() + " changed size behind the writer's back");
  }
  Status s = f->Append(line);
  if (s.ok()) s = f->Sync();
  Status c = f->Close();
  if (s.ok()) s = c;
  if (s.ok() && create) s = env_->SyncDir(path_.parent_path());
  if (!s.ok()) {
    // Cut a partial line off so that the next append starts a line.
    auto t = env_->NewWritableFile(path_, OpenMode::kAppendExisting);
    if (t.ok()) (*t)->Truncate(file_size_).IgnoreError();
    return s;
  }
  file_size_ += line.size();
  last_tree_size_ = tree_size;
  last_mono_ = mono_micros;
  return Status::Ok();
}

Result<std::vector<std::string>> ReadCheckpointNotes(Env* env, const fs::path& dir) {
  const fs::path path = CheckpointLogPath(dir);
  std::vector<std::string> notes;
  AUDITLOG_RETURN_IF_ERROR(ForEachLine(
      env, path,
      [&](std::uint64_t line_no, std::string_view line) -> Status {
        AUDITLOG_ASSIGN_OR_RETURN(std::string note, DecodeLine(path, line_no, line));
        notes.push_back(std::move(note));
        return Status::Ok();
      },
      nullptr));
  return notes;
}

Result<std::string> ReadLatestCheckpointNote(Env* env, const fs::path& dir) {
  const fs::path path = CheckpointLogPath(dir);
  AUDITLOG_ASSIGN_OR_RETURN(auto file, env->NewReadableFile(path));
  AUDITLOG_ASSIGN_OR_RETURN(std::uint64_t size, file->Size());
  const std::uint64_t take = std::min<std::uint64_t>(size, 2 * kMaxCheckpointLogLineBytes + 2);
  std::string tail;
  AUDITLOG_RETURN_IF_ERROR(file->Read(size - take, static_cast<std::size_t>(take), &tail));
  const std::size_t end = tail.rfind('\n');  // a torn last line is not a checkpoint
  if (end == std::string::npos) return Status::NotFound(path.string() + " holds no checkpoint");
  const std::size_t begin = end == 0 ? std::string::npos : tail.rfind('\n', end - 1);
  if (begin == std::string::npos && take < size) {
    return Status::Corruption(path.string() + ": its last line is too long");
  }
  const std::size_t first = begin == std::string::npos ? 0 : begin + 1;
  return DecodeLine(path, 0, std::string_view(tail).substr(first, end - first));
}

Result<CheckpointLogCheck> CheckCheckpointLog(
    Env* env, const fs::path& dir, const Ed25519VerifierKey& key, std::string_view origin,
    const std::function<std::optional<MerkleHash>(std::uint64_t)>& root_at,
    MerkleHashSource* tiles) {
  CheckpointLogCheck out;
  const fs::path path = CheckpointLogPath(dir);
  if (!env->FileExists(path)) return out;
  std::optional<Checkpoint> prev;
  Status s = ForEachLine(
      env, path,
      [&](std::uint64_t line_no, std::string_view line) -> Status {
        const std::string where = path.string() + " line " + Num(line_no);
        ++out.checkpoints;
        auto note = DecodeLine(path, line_no, line);
        if (!note.ok()) {
          out.problems.push_back(note.status().message());
          return Status::Ok();
        }
        auto c = OpenCheckpoint(*note, key, origin);
        if (!c.ok()) {
          out.problems.push_back(where + ": " + c.status().message());
          return Status::Ok();
        }
        if (prev && c->tree_size <= prev->tree_size) {
          out.problems.push_back(where + ": tree size " + Num(c->tree_size) +
                                 " does not grow past the previous checkpoint's " +
                                 Num(prev->tree_size));
        }
        const std::optional<MerkleHash> root = root_at(c->tree_size);
        if (root && *root != c->root) {
          out.problems.push_back(where + ": root of tree size " + Num(c->tree_size) +
                                 " is not the root of the log's records 1.." + Num(c->tree_size));
        } else if (!root && prev && prev->tree_size < c->tree_size) {
          Status consistent = Status::NotFound("no tiles");
          if (tiles != nullptr) {
            auto proof = ConsistencyProof(*tiles, prev->tree_size, c->tree_size);
            consistent = proof.ok() ? VerifyConsistency(prev->tree_size, prev->root, c->tree_size,
                                                        c->root, *proof)
                                    : proof.status();
          }
          if (!consistent.ok()) {
            out.problems.push_back(where + ": not shown consistent with the previous checkpoint: " +
                                   consistent.message());
          }
        }
        prev = std::move(*c);
        return Status::Ok();
      },
      nullptr);
  if (!s.ok()) {
    if (s.code() == StatusCode::kIOError) return s;
    out.problems.push_back(s.message());
  }
  out.latest = std::move(prev);
  return out;
}

}  // namespace auditlog::internal
