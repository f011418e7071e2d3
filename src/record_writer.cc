// The synchronous record writer; see record_writer.h.
#include "record_writer.h"

#include <algorithm>
#include <vector>

#include "record_format.h"

namespace auditlog::internal {

namespace fs = std::filesystem;

namespace {

// Segment files of `dir` as (index, name), in log order.
Result<std::vector<std::pair<std::uint64_t, std::string>>> ListSegments(Env* env,
                                                                        const fs::path& dir) {
  AUDITLOG_ASSIGN_OR_RETURN(std::vector<std::string> names, env->GetChildren(dir));
  std::vector<std::pair<std::uint64_t, std::string>> segments;
  for (std::string& name : names) {
    if (auto index = ParseSegmentFileName(name)) segments.emplace_back(*index, std::move(name));
  }
  std::sort(segments.begin(), segments.end());
  return segments;
}

}  // namespace

Result<ChainState> ReadChainState(Env* env, const fs::path& dir) {
  ChainState state;
  AUDITLOG_ASSIGN_OR_RETURN(auto segments, ListSegments(env, dir));
  if (segments.empty()) return state;
  state.last_segment_index = segments.back().first;
  // The newest non-empty segment holds the last record.
  for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
    const fs::path path = dir / it->second;
    AUDITLOG_ASSIGN_OR_RETURN(std::string data, ReadFileToString(env, path));
    if (data.empty()) continue;
    if (data.back() != '\n') {
      const std::size_t cut = data.rfind('\n');
      const std::size_t offset = cut == std::string::npos ? 0 : cut + 1;
      return Status::FailedPrecondition(path.string() + ": incomplete last line (torn tail) at byte " +
                                        std::to_string(offset) + "; recovery is required");
    }
    const std::size_t start = data.rfind('\n', data.size() - 2);
    const std::string_view line =
        std::string_view(data).substr(start == std::string::npos ? 0 : start + 1);
    RecordParser parser;
    RecordView record;
    const std::string_view body = line.substr(0, line.size() - 1);
    Status s = parser.Parse(body, &record);
    if (!s.ok()) return Status::Corruption(path.string() + ": last record: " + s.message());
    if (!record.hash_matches) {
      return Status::Corruption(path.string() + ": last record's hash does not match its contents");
    }
    state.next_seq = record.seq + 1;
    state.last_hash.assign(record.hash);
    return state;
  }
  return state;
}

Result<std::unique_ptr<RecordWriter>> RecordWriter::Open(const Options& options) {
  AUDITLOG_RETURN_IF_ERROR(options.env->CreateDir(options.dir));
  std::unique_ptr<RecordWriter> w(new RecordWriter(options));
  AUDITLOG_ASSIGN_OR_RETURN(w->chain_, ReadChainState(options.env, options.dir));
  AUDITLOG_RETURN_IF_ERROR(w->StartSegment());
  return w;
}

RecordWriter::~RecordWriter() {
  // The owner calls Close() and reports its status; here we only release the descriptor.
  if (file_) file_->Close().IgnoreError();
}

Status RecordWriter::StartSegment() {
  const std::uint64_t index = chain_.last_segment_index + 1;
  const fs::path path =
      options_.dir / SegmentFileName(index, options_.env->NowMicros());
  AUDITLOG_ASSIGN_OR_RETURN(file_, options_.env->NewWritableFile(path, OpenMode::kCreateExclusive));
  chain_.last_segment_index = index;
  segment_path_ = path;
  dir_sync_pending_ = true;
  return Status::Ok();
}

void RecordWriter::Frame(std::int64_t ts_micros, const EncodedEvent& event, std::string* batch) {
  char hash[64];
  FrameRecord(chain_.next_seq, ts_micros, options_.service_id, event.critical, event.body,
              chain_.last_hash, batch, hash);
  chain_.last_hash.assign(hash, 64);
  ++chain_.next_seq;
}

Status RecordWriter::Write(std::string_view batch) {
  if (!sticky_.ok()) return sticky_;
  if (!file_) return Status::FailedPrecondition("record writer is closed");
  const std::uint64_t before = file_->Size();
  Status s = file_->Append(batch);
  if (s.ok()) return s;
  // Invariant: a segment never holds a partial record followed by good ones.
  if (file_->Size() != before) {
    Status cut = file_->Truncate(before);
    if (!cut.ok()) {
      sticky_ = Status::IOError(s.message() + "; then could not cut the partial record: " +
                                cut.message());
      return sticky_;
    }
  }
  return s;
}

Status RecordWriter::Sync() {
  if (!sticky_.ok()) return sticky_;
  if (!file_) return Status::FailedPrecondition("record writer is closed");
  Status s = file_->Sync();
  if (!s.ok()) {
    // After a failed fsync the page cache may have dropped our dirty pages; nothing written
    // since the last good sync can be called durable, and retrying would lie (fsyncgate).
    sticky_ = Status(s.code(), s.message() +
                                  " (fsync failed: data since the last successful fsync may "
                                  "be lost; stop the service, check the disk, then reopen "
                                  "the log to recover)");
    return sticky_;
  }
  if (dir_sync_pending_) {
    s = options_.env->SyncDir(options_.dir);
    if (!s.ok()) {
      sticky_ = s;
      return s;
    }
    dir_sync_pending_ = false;
  }
  return Status::Ok();
}

Status RecordWriter::Rotate() {
  AUDITLOG_RETURN_IF_ERROR(Sync());
  AUDITLOG_RETURN_IF_ERROR(file_->Close());
  file_.reset();
  return StartSegment();
}

Status RecordWriter::Close() {
  if (!file_) return sticky_;
  Status s = Sync();
  Status c = file_->Close();
  file_.reset();
  return s.ok() ? c : s;
}

std::uint64_t RecordWriter::segment_bytes() const { return file_ ? file_->Size() : 0; }

}  // namespace auditlog::internal
