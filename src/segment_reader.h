// SegmentReader: reads a segment file line by line, in bounded memory, up to a length fixed
// when it was opened (so a file being appended to concurrently reads as a consistent
// snapshot). Not thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "auditlog/env.h"
#include "auditlog/status.h"

namespace auditlog::internal {

class SegmentReader {
 public:
  // Opens `path` and snapshots its current size.
  static Result<std::unique_ptr<SegmentReader>> Open(Env* env, const std::filesystem::path& path);

  // Reads the next line. Returns true with `*line` (without '\n') and `*offset` (its first
  // byte in the file) set; false at the end. At the end, torn_tail() tells whether bytes
  // after the last '\n' were left (an incomplete line) and where they start.
  // The view stays valid until the next call.
  Result<bool> Next(std::string_view* line, std::uint64_t* offset);

  bool torn_tail() const { return torn_bytes_ > 0; }
  std::uint64_t torn_offset() const { return torn_offset_; }
  std::uint64_t torn_bytes() const { return torn_bytes_; }
  std::uint64_t size() const { return size_; }

 private:
  SegmentReader(std::unique_ptr<ReadableFile> file, std::uint64_t size)
      : file_(std::move(file)), size_(size) {}

  static constexpr std::size_t kChunk = 1 << 20;

  std::unique_ptr<ReadableFile> file_;
  std::uint64_t size_;          // snapshot length
  std::uint64_t buf_offset_ = 0;  // file offset of buf_[0]
  std::uint64_t read_to_ = 0;   // file offset up to which bytes have been read into buf_
  std::string buf_;
  std::size_t pos_ = 0;         // next unread byte in buf_
  std::string chunk_;
  std::uint64_t torn_offset_ = 0;
  std::uint64_t torn_bytes_ = 0;
};

}  // namespace auditlog::internal
