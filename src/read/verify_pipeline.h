// The reading side of Verify: walks a log's segments (all of them, or the range an auditor
// asked for), cuts them into blocks of complete lines, parses and hashes the blocks on worker
// threads, and hands every line's outcome to a sink in log order on the calling thread, so
// the chain check stays sequential while SHA-256 runs on every core.
// Thread-safety: RunVerifyPipeline may be called concurrently; the sink is only ever called
// from the calling thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auditlog/env.h"
#include "auditlog/status.h"
#include "auditlog/verify.h"
#include "format/record_format.h"
#include "read/line_reader.h"

namespace auditlog::internal {

// Which records to verify. At most one of last_n and since/until is set.
struct VerifyRange {
  std::optional<std::uint64_t> last_n;
  std::optional<std::int64_t> since_micros, until_micros;
  bool ranged() const { return last_n || since_micros || until_micros; }
};

class VerifySink {
 public:
  virtual ~VerifySink() = default;
  // A segment is about to be verified.
  virtual void BeginSegment(const SegmentFile& segment) = 0;
  // Ranged modes: the complete line just before the range (its hash anchors the range's
  // first prev_hash). Called at most once, before the first Line(); not called when the
  // range starts at the log's first line.
  virtual void AnchorLine(const SegmentFile& segment, std::uint64_t line_no, std::uint64_t offset,
                          std::string_view line) = 0;
  // A complete line of the range, in log order: `parsed` is the outcome of
  // RecordParser::Parse (with the hash computed); `record` is valid when it is OK and only
  // during the call. Of its views, sanitized_json is not filled in.
  virtual void Line(const SegmentFile& segment, std::uint64_t line_no, std::uint64_t offset,
                    std::size_t size, const Status& parsed, const RecordView& record) = 0;
  // A segment that cannot be opened or read, or that ends in an incomplete line.
  virtual void SegmentProblem(FindingKind kind, const SegmentFile& segment, std::uint64_t line_no,
                              std::uint64_t offset, std::string reason) = 0;
  virtual void Progress(const VerifyProgress& progress) { (void)progress; }
  // Full runs only (no range): every byte of each segment as it is read, in file order,
  // complete lines and a trailing incomplete line alike. Then, once per segment read (also
  // one that could not be opened or read), SegmentBytesEnd: `status` OK when every byte
  // up to `end_offset` (the snapshot length) was passed, with `file` still open there, so
  // that bytes appended since the snapshot can be read too; otherwise `file` is null.
  virtual void SegmentBytes(const SegmentFile& segment, std::string_view bytes) {
    (void)segment;
    (void)bytes;
  }
  virtual void SegmentBytesEnd(const SegmentFile& segment, const ReadableFile* file,
                               std::uint64_t end_offset, const Status& status) {
    (void)segment;
    (void)file;
    (void)end_offset;
    (void)status;
  }
};

struct PipelineOptions {
  VerifyRange range;
  // Worker threads; 0: one per core (at most 8). Small logs are verified on the calling
  // thread whatever this says.
  unsigned threads = 0;
  bool report_progress = false;
  // Hash every line as a Merkle leaf too (RecordView::leaf_hash), on the worker threads.
  bool leaf_hashes = false;
};

// Verifies `segments` (from ListLogSegments) through `sink`. Each segment's length is
// snapshotted when the pipeline starts, so records appended meanwhile are not read.
// Errors only for failures that make the whole run impossible; per-segment trouble goes to
// the sink.
Status RunVerifyPipeline(Env* env, const std::vector<SegmentFile>& segments,
                         const PipelineOptions& options, VerifySink* sink);

}  // namespace auditlog::internal
