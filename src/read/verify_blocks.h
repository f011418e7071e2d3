// The parallel half of Verify's pipeline: blocks of complete lines, parsed and hashed
// (Examine) by a fixed pool of worker threads. See verify_pipeline.h for the whole.
// Thread-safety: a Block belongs to one thread at a time (the pool hands it over under its
// mutex); Pool's methods are called from the pipeline's thread.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "auditlog/status.h"
#include "format/record_format.h"
#include "read/line_reader.h"
#include "seal/merkle.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace auditlog::internal {

// The reason of the finding for a line over kMaxRecordBytes.
std::string OverlongReason();

// What verify needs from one parsed line, owned so that the parser can move on. The line
// and its "event" value are positions in Block::data; audit_id and service_id (values the
// parser may have unescaped) are copied to Block::strings.
struct Examined {
  std::uint64_t offset = 0;
  std::uint64_t line_no = 0;
  std::uint32_t begin = 0;  // position of the line in Block::data
  std::uint32_t size = 0;
  Status status;
  std::uint64_t seq = 0;
  std::int64_t ts_micros = 0;
  bool critical = false;
  bool hash_matches = false;
  char timestamp[27];
  // Copied while the line is in this worker's cache: the consuming thread reads Examined
  // entries in order (which the hardware prefetches), not the scattered line bytes.
  char prev_hash[64];
  char hash[64];
  std::uint32_t event_begin = 0;  // the raw "event" value, as a position in Block::data
  std::uint32_t event_size = 0;
  std::uint32_t audit_id_begin = 0, audit_id_size = 0;  // in Block::strings
  std::uint32_t service_id_begin = 0, service_id_size = 0;
  std::uint32_t event_type_begin = 0, event_type_size = 0;
  MerkleHash leaf{};  // the line's Merkle leaf hash, when Block::leaf_hashes
};

// Blocks are recycled (Pipeline::free_blocks_): their buffers keep their capacity, so that a
// long log is read without allocating (and page-faulting in) fresh memory for every chunk.
struct Block {
  const SegmentFile* segment = nullptr;
  std::string data;               // complete lines, each ending in '\n'
  std::uint64_t data_offset = 0;  // file offset of data[0]
  std::uint64_t first_line_no = 0;
  std::size_t skip_bytes = 0;  // leading bytes that precede the range
  std::size_t end_bytes = 0;   // bytes of data that are part of the range
  std::vector<Examined> lines;
  std::string strings;       // audit_id and service_id of the lines
  bool leaf_hashes = false;  // also hash every line as a Merkle leaf (sealed logs)
  bool done = false;         // guarded by Pool::mu_ (a member of another class: not annotatable)
};

// '\n' bytes in `s` (memchr is vectorized; a plain loop at -O2 is not).
std::uint64_t CountNewlines(std::string_view s);

// Parses and hashes the lines of `b` in [skip_bytes, end_bytes) into b->lines; a line over
// kMaxRecordBytes is malformed without being parsed.
void Examine(RecordParser* parser, Block* b);

// A fixed set of workers examining queued blocks.
class Pool {
 public:
  // Starts up to `threads` workers: fewer when the system has no more threads to give.
  explicit Pool(unsigned threads);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  std::size_t size() const { return workers_.size(); }
  void Submit(Block* b) AUDITLOG_EXCLUDES(mu_);
  // Waits until a worker has examined `b`.
  void Wait(Block* b) AUDITLOG_EXCLUDES(mu_);

 private:
  void Work() AUDITLOG_EXCLUDES(mu_);

  Mutex mu_;
  CondVar work_cv_, done_cv_;  // waits release mu_
  std::deque<Block*> queue_ AUDITLOG_GUARDED_BY(mu_);
  bool stop_ AUDITLOG_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;  // set in the constructor, joined in the destructor
};

}  // namespace auditlog::internal
