// Parallel parse-and-hash for Verify; see verify_pipeline.h.
//
// The calling thread reads each segment in chunks, cuts them at the last '\n' into blocks
// of complete lines and queues them; workers parse and hash whole blocks; the calling
// thread then takes the blocks back in the order it queued them and feeds each line's
// outcome to the sink. Everything order-dependent (the chain, seq, duplicates) therefore
// happens on one thread, in log order, exactly as in a sequential run.
#include "read/verify_pipeline.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <memory>
#include <thread>

#include "auditlog/limits.h"
#include "read/verify_blocks.h"
#include "storage/zstd_file.h"

namespace auditlog::internal {

namespace {

constexpr std::size_t kChunkBytes = 4 << 20;
// Below this much data, threads cost more than they save.
constexpr std::uint64_t kParallelMinBytes = 8 << 20;
// At most this many lines per block: a chunk of very short lines (a file of newlines) would
// otherwise need an Examined entry (~250 bytes) for every byte of the chunk.
constexpr std::size_t kMaxBlockLines = 16 << 10;

// Everything that reaches the sink, in log order.
struct Item {
  enum Kind { kBegin, kAnchor, kBlock, kProblem } kind;
  const SegmentFile* segment = nullptr;
  std::unique_ptr<Block> block;
  FindingKind finding = FindingKind::kBadSegment;
  std::uint64_t line_no = 0, offset = 0;
  std::string text;  // kAnchor: the line; kProblem: the reason
};

class Pipeline {
 public:
  Pipeline(Env* env, const std::vector<SegmentFile>& segments, const PipelineOptions& options,
           VerifySink* sink)
      : env_(env), segments_(segments), options_(options), sink_(sink) {}
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  Status Run() {
    start_time_ = std::chrono::steady_clock::now();
    // Snapshot every segment's length first: records appended during the run are not read.
    sizes_.resize(segments_.size());
    for (std::size_t i = 0; i < segments_.size(); ++i) sizes_[i] = SnapshotSize(segments_[i]);
    std::size_t first = 0;
    AUDITLOG_RETURN_IF_ERROR(PlanRange(&first));
    for (std::size_t i = first; i < segments_.size(); ++i) {
      total_bytes_ += sizes_[i].value_or(0);
    }
    unsigned threads = std::min(options_.threads, kMaxVerifyThreads);
    if (threads == 0) threads = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
    if (total_bytes_ < kParallelMinBytes) threads = 1;
    if (threads > 1) {
      pool_ = std::make_unique<Pool>(threads);
      threads = static_cast<unsigned>(pool_->size());
      if (threads == 0) pool_.reset();  // verify on this thread alone
    }
    max_in_flight_ = threads > 1 ? 2 * threads + 1 : 1;

    for (std::size_t i = first; i < segments_.size() && !stop_; ++i) ReadSegment(i);
    while (!items_.empty()) Consume();
    return Status::Ok();
  }

 private:
  // A plain segment that is gone may have been archived since it was listed (retention
  // writes NAME.zst, then removes NAME): `*s` then names the archive, which holds the same
  // bytes, so a healthy log being archived is never reported.
  bool FollowToArchive(SegmentFile* s) {
    if (s->archived) return false;
    std::filesystem::path archive = s->path;
    archive += std::string(kArchiveSuffix);
    if (!env_->FileExists(archive)) return false;
    s->path = std::move(archive);
    s->archived = true;
    return true;
  }

  std::optional<std::uint64_t> SnapshotSize(SegmentFile& s) {
    if (!s.archived) {
      auto size = env_->GetFileSize(s.path);
      if (size.ok()) return *size;
      if (size.status().code() != StatusCode::kNotFound || !FollowToArchive(&s)) {
        return std::nullopt;
      }
    }
    auto file = OpenCompressedFile(env_, s.path);
    if (!file.ok()) return std::nullopt;
    auto size = (*file)->Size();
    return size.ok() ? std::optional<std::uint64_t>(*size) : std::nullopt;
  }

  // Lines of segment i up to its snapshot length.
  Result<std::uint64_t> CountLinesOf(std::size_t i) {
    if (!sizes_[i]) return std::uint64_t{0};
    AUDITLOG_ASSIGN_OR_RETURN(std::unique_ptr<ReadableFile> file, OpenSegment(env_, segments_[i]));
    std::uint64_t lines = 0, offset = 0;
    std::string chunk;
    while (offset < *sizes_[i]) {
      const auto want =
          static_cast<std::size_t>(std::min<std::uint64_t>(kChunkBytes, *sizes_[i] - offset));
      AUDITLOG_RETURN_IF_ERROR(file->Read(offset, want, &chunk));
      if (chunk.empty()) break;
      lines += CountNewlines(chunk);
      offset += chunk.size();
    }
    return lines;
  }

  // Decides the first segment to read and where the range starts.
  Status PlanRange(std::size_t* first) {
    const VerifyRange& range = options_.range;
    in_range_ = !range.last_n && !range.since_micros;
    if (range.last_n) {
      std::size_t s = segments_.size();
      std::uint64_t have = 0;
      while (s > 0 && have < *range.last_n) {
        --s;
        auto n = CountLinesOf(s);
        if (!n.ok()) return n.status();
        have += *n;
      }
      if (have <= *range.last_n) {  // the whole log
        in_range_ = true;
        *first = 0;
        return Status::Ok();
      }
      start_segment_ = s;
      start_line_ = have - *range.last_n + 1;
      *first = s;
      return Status::Ok();
    }
    if (range.since_micros) {
      // Segment i holds only records before `since` when segment i+1 already starts
      // before it (records are stamped in seq order). Keep the last such segment: its last
      // line may be the anchor.
      std::size_t i = 0;
      while (i + 1 < segments_.size()) {
        auto line = PeekFirstLine(env_, segments_[i + 1]);
        if (!line.ok() || !line->has_value()) break;
        auto ts = ExtractTimestampMicros(**line);
        if (!ts || *ts >= *range.since_micros) break;
        ++i;
      }
      *first = i;
    }
    return Status::Ok();
  }

  bool IsRangeStart(std::size_t seg, std::uint64_t line_no, std::string_view line) const {
    if (options_.range.last_n) {
      return seg > start_segment_ || (seg == start_segment_ && line_no >= start_line_);
    }
    const auto ts = ExtractTimestampMicros(line);
    return ts && *ts >= *options_.range.since_micros;
  }

  bool IsPastRange(std::string_view line) const {
    if (!options_.range.until_micros) return false;
    const auto ts = ExtractTimestampMicros(line);
    return ts && *ts > *options_.range.until_micros;
  }

  void Push(Item item) {
    items_.push_back(std::move(item));
    while (items_.size() > max_in_flight_) Consume();
  }

  std::unique_ptr<Block> NewBlock(const SegmentFile* segment) {
    std::unique_ptr<Block> b;
    if (free_blocks_.empty()) {
      b = std::make_unique<Block>();
    } else {
      b = std::move(free_blocks_.back());
      free_blocks_.pop_back();
    }
    b->segment = segment;
    b->skip_bytes = 0;
    b->done = false;
    b->leaf_hashes = options_.leaf_hashes;
    return b;
  }

  void Recycle(std::unique_ptr<Block> b) { free_blocks_.push_back(std::move(b)); }

  // Reads segment i in blocks of complete lines. A plain file is read by offset straight into
  // the block's buffer, each read starting at the first line not yet complete (the
  // incomplete line at the end of a chunk is read again with the next one, which costs far
  // less than copying every chunk). An archive decompresses forward only, so there the
  // incomplete line is carried over instead. A line with no '\n' within kMaxRecordBytes is
  // never held: it is reported and skipped (SkipOverlong), so memory stays bounded.
  void ReadSegment(std::size_t i) {
    SegmentFile& seg = segments_[i];
    if (in_range_) Push(Item{Item::kBegin, &seg});
    // Full runs pass every byte read to the sink too (the manifest's whole-file checksums).
    const bool pass_bytes = !options_.range.ranged();
    if (!sizes_[i]) {
      if (in_range_) {
        Push(Item{Item::kProblem, &seg, nullptr, FindingKind::kBadSegment, 0, 0,
                  "cannot read the segment's size"});
      }
      if (pass_bytes) sink_->SegmentBytesEnd(seg, nullptr, 0, Status::IOError("no size"));
      return;
    }
    auto opened = OpenSegment(env_, seg);
    if (!opened.ok() && opened.status().code() == StatusCode::kNotFound && FollowToArchive(&seg)) {
      opened = OpenSegment(env_, seg);
    }
    if (!opened.ok()) {
      if (in_range_) {
        Push(Item{Item::kProblem, &seg, nullptr, FindingKind::kBadSegment, 0, 0,
                  opened.status().message()});
      }
      if (pass_bytes) sink_->SegmentBytesEnd(seg, nullptr, 0, opened.status());
      return;
    }
    std::unique_ptr<ReadableFile> file = std::move(opened).value();
    SegmentState st;
    st.size = *sizes_[i];
    st.pass_bytes = pass_bytes;
    Status status;
    while (!stop_ && status.ok()) {
      status = seg.archived ? ReadArchiveBlock(i, *file, &st) : ReadPlainBlock(i, *file, &st);
      if (st.done) break;
    }
    FinishSegment(i, file.get(), st, status);
  }

  // Where the reading of one segment is.
  struct SegmentState {
    std::uint64_t size = 0;          // the snapshot length
    bool pass_bytes = false;         // SegmentBytes gets every byte
    std::string carry;               // the bytes after the last complete line read so far
    std::uint64_t carry_offset = 0;  // their file offset
    std::uint64_t line_no = 1;       // number of the next line
    std::uint64_t read_to = 0;       // archives: the next byte to read
    bool done = false;
  };

  // One block of a plain file (or the end of it).
  Status ReadPlainBlock(std::size_t i, const ReadableFile& file, SegmentState* st) {
    const SegmentFile& seg = segments_[i];
    if (st->carry_offset >= st->size) {
      st->done = true;
      return Status::Ok();
    }
    std::unique_ptr<Block> block = NewBlock(&seg);
    std::string& data = block->data;
    const auto want =
        static_cast<std::size_t>(std::min<std::uint64_t>(kChunkBytes, st->size - st->carry_offset));
    Status status = file.Read(st->carry_offset, want, &data);
    if (!status.ok()) {
      Recycle(std::move(block));
      return status;
    }
    const std::size_t last_nl = data.rfind('\n');
    if (last_nl == std::string::npos) {
      const bool more = data.size() == want && st->carry_offset + data.size() < st->size;
      if (more) {  // no '\n' in kChunkBytes > kMaxRecordBytes: an overlong line
        if (st->pass_bytes) sink_->SegmentBytes(seg, data);
        std::uint64_t pos = st->carry_offset + data.size();
        std::string rest;
        status = SkipOverlong(i, file, st, &pos, &rest);
        st->carry_offset = pos;
      } else {
        st->carry.swap(data);  // the end of the snapshot (or the file shrank below it)
        st->done = true;
      }
      Recycle(std::move(block));
      return status;
    }
    data.resize(last_nl + 1);
    SubmitData(i, std::move(block), st);
    return Status::Ok();
  }

  // One block of an archive (or the end of it).
  Status ReadArchiveBlock(std::size_t i, const ReadableFile& file, SegmentState* st) {
    const SegmentFile& seg = segments_[i];
    if (st->read_to >= st->size) {
      st->done = true;
      return Status::Ok();
    }
    const auto want =
        static_cast<std::size_t>(std::min<std::uint64_t>(kChunkBytes, st->size - st->read_to));
    Status status = file.Read(st->read_to, want, &chunk_);
    if (!status.ok() || chunk_.empty()) {  // empty: shrank below the snapshot
      st->done = true;
      return status;
    }
    st->read_to += chunk_.size();
    const std::size_t last_nl = chunk_.rfind('\n');
    if (last_nl == std::string::npos) {
      st->carry += chunk_;
      if (st->carry.size() <= kMaxRecordBytes) return Status::Ok();
      // An overlong line: hand its bytes on, drop them, go on after its '\n'.
      if (st->pass_bytes) sink_->SegmentBytes(seg, st->carry);
      std::uint64_t pos = st->read_to;
      status = SkipOverlong(i, file, st, &pos, &st->carry);
      st->carry_offset = pos;
      st->read_to = pos + st->carry.size();
      const std::size_t nl = st->carry.rfind('\n');  // complete lines read past the '\n'
      if (status.ok() && nl != std::string::npos && !stop_) {
        std::unique_ptr<Block> block = NewBlock(&seg);
        block->data.assign(st->carry, 0, nl + 1);
        st->carry.erase(0, nl + 1);
        SubmitData(i, std::move(block), st);
      }
      return status;
    }
    std::unique_ptr<Block> block = NewBlock(&seg);
    block->data.assign(st->carry);
    block->data.append(chunk_, 0, last_nl + 1);
    st->carry.assign(chunk_, last_nl + 1);
    SubmitData(i, std::move(block), st);
    return Status::Ok();
  }

  // Drops the overlong line that starts at st->carry_offset (line st->line_no), reading on
  // from `*pos` to just past its '\n' (or the end of the snapshot), and reports it. The bytes
  // up to the '\n' go to SegmentBytes; those read past it are left in `*rest` (the next
  // line's start, for archives) and `*pos` is set just past the '\n'.
  Status SkipOverlong(std::size_t i, const ReadableFile& file, SegmentState* st, std::uint64_t* pos,
                      std::string* rest) {
    const SegmentFile& seg = segments_[i];
    const std::uint64_t line_start = st->carry_offset;
    rest->clear();
    Status status;
    while (*pos < st->size) {
      const auto want =
          static_cast<std::size_t>(std::min<std::uint64_t>(kChunkBytes, st->size - *pos));
      status = file.Read(*pos, want, &chunk_);
      if (!status.ok() || chunk_.empty()) break;
      const void* nl = std::memchr(chunk_.data(), '\n', chunk_.size());
      const std::size_t take =
          nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - chunk_.data()) + 1
             : chunk_.size();
      if (st->pass_bytes) sink_->SegmentBytes(seg, std::string_view(chunk_).substr(0, take));
      *pos += take;
      if (nl) {
        rest->assign(chunk_, take);
        break;
      }
    }
    if (in_range_) {
      Push(Item{Item::kProblem, &seg, nullptr, FindingKind::kMalformedRecord, st->line_no,
                line_start, OverlongReason() + ": skipped to the next line"});
    } else {  // before a range: the range's anchor (the line before it) is unreadable
      have_anchor_ = true;
      anchor_.clear();
      anchor_segment_ = &seg;
      anchor_line_no_ = st->line_no;
      anchor_offset_ = line_start;
    }
    ++st->line_no;
    return status;
  }

  // Queues a block of complete lines; cut into blocks of at most kMaxBlockLines lines.
  void SubmitData(std::size_t i, std::unique_ptr<Block> block, SegmentState* st) {
    block->data_offset = st->carry_offset;
    block->first_line_no = st->line_no;
    st->carry_offset += block->data.size();
    st->line_no += CountNewlines(block->data);
    if (st->pass_bytes) sink_->SegmentBytes(segments_[i], block->data);
    const std::string& d = block->data;
    std::size_t begin = 0;  // the first piece not yet queued
    for (;;) {
      std::size_t end = begin, lines = 0;
      while (lines < kMaxBlockLines && end < d.size()) {
        end = static_cast<std::size_t>(
                  static_cast<const char*>(std::memchr(d.data() + end, '\n', d.size() - end)) -
                  d.data()) +
              1;
        ++lines;
      }
      if (end >= d.size() || stop_) break;
      std::unique_ptr<Block> piece = NewBlock(block->segment);
      piece->data.assign(d, begin, end - begin);
      piece->data_offset = block->data_offset + begin;
      piece->first_line_no = block->first_line_no;
      block->first_line_no += lines;
      Submit(i, std::move(piece));
      begin = end;
    }
    if (stop_) {
      Recycle(std::move(block));
      return;
    }
    if (begin > 0) {
      block->data.erase(0, begin);
      block->data_offset += begin;
    }
    Submit(i, std::move(block));
  }

  void FinishSegment(std::size_t i, const ReadableFile* file, const SegmentState& st,
                     const Status& status) {
    const SegmentFile& seg = segments_[i];
    if (!status.ok()) {
      if (in_range_) {
        Push(Item{Item::kProblem, &seg, nullptr, FindingKind::kBadSegment, st.line_no,
                  st.carry_offset, status.message()});
      }
      if (st.pass_bytes) sink_->SegmentBytesEnd(seg, nullptr, 0, status);
      return;
    }
    if (st.pass_bytes) {
      if (!st.carry.empty()) sink_->SegmentBytes(seg, st.carry);
      sink_->SegmentBytesEnd(seg, file, st.carry_offset + st.carry.size(), Status::Ok());
    }
    if (st.carry.empty() || !in_range_ || stop_) return;
    if (st.carry.size() > kMaxRecordBytes) {  // too long for a torn record
      Push(Item{Item::kProblem, &seg, nullptr, FindingKind::kMalformedRecord, st.line_no,
                st.carry_offset, OverlongReason() + ", at the end of the segment"});
      return;
    }
    const bool newest = i + 1 == segments_.size();
    Push(Item{Item::kProblem, &seg, nullptr,
              newest ? FindingKind::kTornTail : FindingKind::kBadSegment, st.line_no,
              st.carry_offset,
              std::to_string(st.carry.size()) + " bytes after the last complete line" +
                  (newest ? " (an interrupted write, e.g. a crash)"
                          : " in a segment that is not the newest")});
  }

  // Finds where the range starts and ends inside `block`, then queues it.
  void Submit(std::size_t seg, std::unique_ptr<Block> block) {
    block->end_bytes = block->data.size();
    std::size_t pos = 0;
    std::uint64_t line_no = block->first_line_no;
    if (!in_range_) {
      while (pos < block->data.size()) {
        const std::size_t nl = block->data.find('\n', pos);
        const std::string_view line(block->data.data() + pos, nl - pos);
        if (IsRangeStart(seg, line_no, line)) {
          in_range_ = true;
          if (have_anchor_) {
            Push(Item{Item::kAnchor, anchor_segment_, nullptr, FindingKind::kBadSegment,
                      anchor_line_no_, anchor_offset_, std::move(anchor_)});
          }
          Push(Item{Item::kBegin, block->segment});
          break;
        }
        have_anchor_ = true;
        anchor_.assign(line);
        anchor_segment_ = block->segment;
        anchor_line_no_ = line_no;
        anchor_offset_ = block->data_offset + pos;
        pos = nl + 1;
        ++line_no;
      }
      if (!in_range_) {
        pre_range_bytes_ += block->data.size();
        Recycle(std::move(block));
        return;
      }
      block->skip_bytes = pos;
      block->first_line_no = line_no;
      pre_range_bytes_ += pos;
    }
    if (options_.range.until_micros) {
      std::size_t p = block->skip_bytes;
      while (p < block->data.size()) {
        const std::size_t nl = block->data.find('\n', p);
        if (IsPastRange(std::string_view(block->data.data() + p, nl - p))) {
          block->end_bytes = p;
          stop_ = true;
          break;
        }
        p = nl + 1;
      }
    }
    Block* raw = block.get();
    Item item{Item::kBlock, block->segment};
    item.block = std::move(block);
    if (pool_) {
      pool_->Submit(raw);
    } else {
      Examine(&parser_, raw);
      raw->done = true;
    }
    Push(std::move(item));
  }

  void Consume() {
    Item item = std::move(items_.front());
    items_.pop_front();
    switch (item.kind) {
      case Item::kBegin:
        sink_->BeginSegment(*item.segment);
        break;
      case Item::kAnchor:
        sink_->AnchorLine(*item.segment, item.line_no, item.offset, item.text);
        break;
      case Item::kProblem:
        sink_->SegmentProblem(item.finding, *item.segment, item.line_no, item.offset,
                              std::move(item.text));
        break;
      case Item::kBlock: {
        Block* b = item.block.get();
        if (pool_) pool_->Wait(b);
        const char* data = b->data.data();
        const char* strings = b->strings.data();
        for (const Examined& e : b->lines) {
          RecordView r;
          if (e.status.ok()) {
            r.seq = e.seq;
            r.audit_id = std::string_view(strings + e.audit_id_begin, e.audit_id_size);
            r.timestamp = std::string_view(e.timestamp, sizeof e.timestamp);
            r.ts_micros = e.ts_micros;
            r.service_id = std::string_view(strings + e.service_id_begin, e.service_id_size);
            r.critical = e.critical;
            r.prev_hash = std::string_view(e.prev_hash, sizeof e.prev_hash);
            r.hash = std::string_view(e.hash, sizeof e.hash);
            r.event_type = std::string_view(strings + e.event_type_begin, e.event_type_size);
            r.hash_matches = e.hash_matches;
            r.event_json = std::string_view(data + e.event_begin, e.event_size);
          }
          if (b->leaf_hashes) r.leaf_hash = &e.leaf;
          sink_->Line(*b->segment, e.line_no, e.offset, e.size, e.status, r);
        }
        done_bytes_ += b->data.size();
        MaybeReportProgress(b->lines.size());
        Recycle(std::move(item.block));
        break;
      }
    }
  }

  void MaybeReportProgress(std::size_t lines) {
    lines_done_ += lines;
    if (!options_.report_progress) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_progress_ < std::chrono::milliseconds(100)) return;
    last_progress_ = now;
    VerifyProgress p;
    p.bytes_done = done_bytes_ + pre_range_bytes_;
    p.bytes_total = total_bytes_;
    p.records_done = lines_done_;
    p.elapsed_seconds = std::chrono::duration<double>(now - start_time_).count();
    sink_->Progress(p);
  }

  Env* env_;
  std::vector<SegmentFile> segments_;  // a copy: a segment archived meanwhile is followed
  PipelineOptions options_;
  VerifySink* sink_;
  std::vector<std::optional<std::uint64_t>> sizes_;
  std::unique_ptr<Pool> pool_;
  RecordParser parser_;  // for the single-threaded path
  std::deque<Item> items_;
  std::size_t max_in_flight_ = 1;
  std::vector<std::unique_ptr<Block>> free_blocks_;
  std::string chunk_;  // archives: the last chunk read

  bool in_range_ = true;
  bool stop_ = false;  // the range ended (--until)
  std::size_t start_segment_ = 0;
  std::uint64_t start_line_ = 1;
  bool have_anchor_ = false;
  std::string anchor_;
  const SegmentFile* anchor_segment_ = nullptr;
  std::uint64_t anchor_line_no_ = 0, anchor_offset_ = 0;

  std::chrono::steady_clock::time_point start_time_, last_progress_;
  std::uint64_t total_bytes_ = 0, done_bytes_ = 0, pre_range_bytes_ = 0;
  std::uint64_t lines_done_ = 0;
};

}  // namespace

Status RunVerifyPipeline(Env* env, const std::vector<SegmentFile>& segments,
                         const PipelineOptions& options, VerifySink* sink) {
  Pipeline pipeline(env, segments, options, sink);
  return pipeline.Run();
}

}  // namespace auditlog::internal
