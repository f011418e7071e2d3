// RecordWriter: the synchronous core that appends hash-chained records to segment files.
// It frames, writes and fsyncs as separate steps so that the writer engine (logger.cc)
// decides when each happens. Not thread-safe: one writer thread owns it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "auditlog/env.h"
#include "auditlog/status.h"
#include "event_codec.h"

namespace auditlog::internal {

// Where the chain stands: the next seq to write and the hash of the last record written.
struct ChainState {
  std::uint64_t next_seq = 1;
  std::string last_hash = std::string(64, '0');
  std::uint64_t last_segment_index = 0;  // 0: no segment yet
};

// Reads the segments in `dir` and returns where the chain stands after the last complete
// record. A log whose last segment ends in an incomplete line is reported as
// kFailedPrecondition (torn tail) so that nothing is silently dropped.
Result<ChainState> ReadChainState(Env* env, const std::filesystem::path& dir);

class RecordWriter {
 public:
  struct Options {
    Env* env = nullptr;  // must outlive the writer
    std::filesystem::path dir;
    std::string service_id;  // REQUIRES: validated [A-Za-z0-9._-]{1,64}
  };

  // Creates `dir` (0700) if needed, resumes the chain from the existing segments and starts
  // a new segment file (every process writes into segments of its own; the chain continues
  // across them). The new segment's directory entry is made durable by the first Sync().
  static Result<std::unique_ptr<RecordWriter>> Open(const Options& options);

  ~RecordWriter();
  RecordWriter(const RecordWriter&) = delete;
  RecordWriter& operator=(const RecordWriter&) = delete;

  std::uint64_t next_seq() const { return chain_.next_seq; }
  const std::string& last_hash() const { return chain_.last_hash; }

  // Appends the framed line for `event` (seq = next_seq()) to `*batch` and advances the
  // chain. Nothing is written yet.
  void Frame(std::int64_t ts_micros, const EncodedEvent& event, std::string* batch);

  // Appends framed lines to the current segment. On failure the segment is cut back to its
  // previous size, so it never holds a partial record, and the same batch may be written
  // again later. If even the cut fails the writer becomes unusable (sticky error).
  Status Write(std::string_view batch);

  // Makes everything written durable: fsyncs the segment, and the directory when the segment
  // is new. A failed fsync is sticky: the writer refuses all later calls.
  Status Sync();

  // Closes the current segment (after a Sync) and starts the next one.
  Status Rotate();

  // Syncs and closes. Idempotent.
  Status Close();

  const std::filesystem::path& segment_path() const { return segment_path_; }
  std::uint64_t segment_bytes() const;
  std::uint64_t segment_index() const { return chain_.last_segment_index; }

 private:
  explicit RecordWriter(const Options& options) : options_(options) {}
  Status StartSegment();

  Options options_;
  ChainState chain_;
  std::unique_ptr<WritableFile> file_;
  std::filesystem::path segment_path_;
  bool dir_sync_pending_ = false;
  Status sticky_;  // first unrecoverable error; every later call returns it
};

}  // namespace auditlog::internal
