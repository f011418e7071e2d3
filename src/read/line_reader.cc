// Log-level reading; see line_reader.h.
#include "read/line_reader.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>

#include "auditlog/limits.h"
#include "format/log_dir.h"
#include "format/record_format.h"
#include "storage/zstd_file.h"

namespace auditlog::internal {

namespace fs = std::filesystem;

Result<std::vector<SegmentFile>> ListLogSegments(Env* env, const fs::path& dir) {
  AUDITLOG_ASSIGN_OR_RETURN(std::vector<ListedSegment> listed, ListSegmentNames(env, dir));
  std::vector<SegmentFile> out;
  out.reserve(listed.size());
  for (ListedSegment& l : listed) {
    SegmentFile s;
    s.index = l.index;
    // Both NAME and NAME.zst: the plain file is authoritative until archival removes it.
    s.archived = !l.plain;
    s.path = dir / (l.plain ? l.name : ArchiveFileName(l.name));
    s.name = std::move(l.name);
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::unique_ptr<ReadableFile>> OpenSegment(Env* env, const SegmentFile& segment) {
  if (segment.archived) return OpenCompressedFile(env, segment.path);
  return env->NewReadableFile(segment.path);
}

std::optional<std::int64_t> ExtractTimestampMicros(std::string_view line) {
  // The first `,"timestamp":"` is the member: the only string before it (audit_id) cannot
  // contain an unescaped quote.
  static constexpr std::string_view kKey = ",\"timestamp\":\"";
  const std::size_t at = line.substr(0, 512).find(kKey);
  if (at == std::string_view::npos) return std::nullopt;
  const std::size_t start = at + kKey.size();
  if (start + 28 > line.size() || line[start + 27] != '"') return std::nullopt;
  return ParseRecordTimestamp(line.substr(start, 27));
}

namespace {

// The first complete line of `file` (looked for within kPeekWindowBytes).
Result<std::optional<std::string>> FirstLine(const ReadableFile& file) {
  std::string data;
  AUDITLOG_RETURN_IF_ERROR(file.Read(0, 8 << 10, &data));
  std::size_t nl = data.find('\n');
  if (nl == std::string::npos && data.size() == (8 << 10)) {  // a long first line
    AUDITLOG_RETURN_IF_ERROR(file.Read(0, kPeekWindowBytes, &data));
    nl = data.find('\n');
  }
  if (nl == std::string::npos) return std::optional<std::string>();
  data.resize(nl);
  return std::optional<std::string>(std::move(data));
}

// The start (at most 600 bytes; ExtractTimestampMicros looks in the first 512) of the last complete
// line of the first `size` bytes of `file`, looked for within kPeekWindowBytes of the end.
// An archive is read in one window: going back in it restarts decompression.
Result<std::optional<std::string>> LastLineStart(const ReadableFile& file, std::uint64_t size,
                                                 bool archived) {
  std::string data;
  for (std::uint64_t window = archived ? kPeekWindowBytes : 64 << 10;; window *= 4) {
    window = std::min<std::uint64_t>({window, size, kPeekWindowBytes});
    const std::uint64_t from = size - window;
    AUDITLOG_RETURN_IF_ERROR(file.Read(from, static_cast<std::size_t>(window), &data));
    const std::size_t end = data.rfind('\n');  // the end of the last complete line
    if (end == std::string::npos) {
      if (from == 0 || window == kPeekWindowBytes) return std::optional<std::string>();
      continue;
    }
    const std::size_t before = end == 0 ? std::string::npos : data.rfind('\n', end - 1);
    if (before != std::string::npos || from == 0) {
      const std::size_t start = before == std::string::npos ? 0 : before + 1;
      return std::optional<std::string>(
          data.substr(start, std::min<std::size_t>(end - start, 600)));
    }
    if (window == kPeekWindowBytes) return std::optional<std::string>();
  }
}

}  // namespace

Result<std::optional<std::string>> PeekFirstLine(Env* env, const SegmentFile& segment) {
  AUDITLOG_ASSIGN_OR_RETURN(std::unique_ptr<ReadableFile> file, OpenSegment(env, segment));
  return FirstLine(*file);
}

Result<std::optional<SegmentTimeRange>> PeekTimeRange(Env* env, const SegmentFile& segment) {
  AUDITLOG_ASSIGN_OR_RETURN(std::unique_ptr<ReadableFile> file, OpenSegment(env, segment));
  AUDITLOG_ASSIGN_OR_RETURN(const std::uint64_t size, file->Size());
  AUDITLOG_ASSIGN_OR_RETURN(std::optional<std::string> first, FirstLine(*file));
  if (!first) return std::optional<SegmentTimeRange>();
  const std::optional<std::int64_t> first_ts = ExtractTimestampMicros(*first);
  if (!first_ts) return std::optional<SegmentTimeRange>();
  AUDITLOG_ASSIGN_OR_RETURN(std::optional<std::string> last,
                            LastLineStart(*file, size, segment.archived));
  if (!last) return std::optional<SegmentTimeRange>();
  const std::optional<std::int64_t> last_ts = ExtractTimestampMicros(*last);
  if (!last_ts || *last_ts < *first_ts) return std::optional<SegmentTimeRange>();
  return std::optional<SegmentTimeRange>(SegmentTimeRange{*first_ts, *last_ts});
}

Result<std::uint64_t> CountLines(Env* env, const SegmentFile& segment) {
  AUDITLOG_ASSIGN_OR_RETURN(std::unique_ptr<ReadableFile> file, OpenSegment(env, segment));
  AUDITLOG_ASSIGN_OR_RETURN(std::uint64_t size, file->Size());
  std::uint64_t lines = 0, offset = 0;
  std::string chunk;
  while (offset < size) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(4 << 20, size - offset));
    AUDITLOG_RETURN_IF_ERROR(file->Read(offset, want, &chunk));
    if (chunk.empty()) break;
    lines += static_cast<std::uint64_t>(std::count(chunk.begin(), chunk.end(), '\n'));
    offset += chunk.size();
  }
  return lines;
}

// ---------------------------------------------------------------------------------------

Result<std::unique_ptr<LineReader>> LineReader::Open(Env* env, const SegmentFile& segment,
                                                     std::uint64_t offset) {
  AUDITLOG_ASSIGN_OR_RETURN(std::unique_ptr<ReadableFile> file, OpenSegment(env, segment));
  AUDITLOG_ASSIGN_OR_RETURN(std::uint64_t size, file->Size());
  offset = std::min(offset, size);
  return std::unique_ptr<LineReader>(new LineReader(std::move(file), size, offset));
}

Result<bool> LineReader::Next(std::string_view* line, std::uint64_t* offset) {
  overlong_ = false;
  for (;;) {
    const std::size_t avail = buf_.size() - scan_;
    const void* nl = avail ? std::memchr(buf_.data() + scan_, '\n', avail) : nullptr;
    if (nl != nullptr) {
      const auto end = static_cast<std::size_t>(static_cast<const char*>(nl) - buf_.data());
      *offset = skipping_ ? skip_start_ : buf_offset_ + pos_;
      overlong_ = skipping_ || end - pos_ > kMaxRecordBytes;
      *line = overlong_ ? std::string_view() : std::string_view(buf_.data() + pos_, end - pos_);
      skipping_ = false;
      pos_ = scan_ = end + 1;
      end_of_lines_ = buf_offset_ + pos_;
      return true;
    }
    scan_ = buf_.size();
    if (!skipping_ && scan_ - pos_ > kMaxRecordBytes) {  // no record is this long
      skipping_ = true;
      skip_start_ = buf_offset_ + pos_;
    }
    if (skipping_) pos_ = scan_;  // drop the overlong line's bytes as they come
    if (read_to_ >= size_) {
      if (!skipping_) return false;
      // An overlong line runs to the end: report it (it cannot be a torn record either).
      *offset = skip_start_;
      *line = std::string_view();
      overlong_ = true;
      skipping_ = false;
      end_of_lines_ = read_to_;
      return true;
    }
    // Keep the unfinished line, drop what was consumed, append the next chunk.
    buf_.erase(0, pos_);
    buf_offset_ += pos_;
    scan_ -= pos_;
    pos_ = 0;
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, size_ - read_to_));
    AUDITLOG_RETURN_IF_ERROR(file_->Read(read_to_, want, &chunk_));
    if (chunk_.empty()) {  // the file shrank below the snapshot: the rest is absent
      size_ = read_to_;
      continue;
    }
    read_to_ += chunk_.size();
    buf_ += chunk_;
  }
}

}  // namespace auditlog::internal
