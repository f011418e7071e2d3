// Line-by-line segment reading; see segment_reader.h.
#include "segment_reader.h"

#include <cstring>

namespace auditlog::internal {

Result<std::unique_ptr<SegmentReader>> SegmentReader::Open(Env* env,
                                                           const std::filesystem::path& path) {
  AUDITLOG_ASSIGN_OR_RETURN(std::unique_ptr<ReadableFile> file, env->NewReadableFile(path));
  AUDITLOG_ASSIGN_OR_RETURN(std::uint64_t size, file->Size());
  return std::unique_ptr<SegmentReader>(new SegmentReader(std::move(file), size));
}

Result<bool> SegmentReader::Next(std::string_view* line, std::uint64_t* offset) {
  for (;;) {
    const char* start = buf_.data() + pos_;
    const std::size_t avail = buf_.size() - pos_;
    const void* nl = avail ? std::memchr(start, '\n', avail) : nullptr;
    if (nl != nullptr) {
      const std::size_t len = static_cast<const char*>(nl) - start;
      *line = std::string_view(start, len);
      *offset = buf_offset_ + pos_;
      pos_ += len + 1;
      return true;
    }
    if (read_to_ >= size_) {
      torn_offset_ = buf_offset_ + pos_;
      torn_bytes_ = avail;
      return false;
    }
    // Keep the unfinished line, drop what was consumed, read the next chunk after it.
    buf_.erase(0, pos_);
    buf_offset_ += pos_;
    pos_ = 0;
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, size_ - read_to_));
    AUDITLOG_RETURN_IF_ERROR(file_->Read(read_to_, want, &chunk_));
    if (chunk_.empty()) {  // the file shrank below the snapshot: treat the rest as absent
      size_ = read_to_;
      continue;
    }
    read_to_ += chunk_.size();
    buf_ += chunk_;
  }
}

}  // namespace auditlog::internal
