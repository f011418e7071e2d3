// Blocks, Examine and the worker pool of Verify's pipeline; see verify_blocks.h.
#include "read/verify_blocks.h"

#include <cstring>

#include "auditlog/limits.h"
#include "util/thread_start.h"

namespace auditlog::internal {

std::string OverlongReason() {
  return "line longer than " + std::to_string(kMaxRecordBytes) + " bytes (the record size limit)";
}

// '\n' bytes in `s` (memchr is vectorized; a plain loop at -O2 is not).
std::uint64_t CountNewlines(std::string_view s) {
  std::uint64_t n = 0;
  const char* p = s.data();
  const char* end = p + s.size();
  while (p < end) {
    const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
    if (nl == nullptr) break;
    ++n;
    p = static_cast<const char*>(nl) + 1;
  }
  return n;
}

void Examine(RecordParser* parser, Block* b) {
  std::size_t pos = b->skip_bytes;
  std::uint64_t line_no = b->first_line_no;
  b->lines.clear();
  b->strings.clear();
  const char* data = b->data.data();
  while (pos < b->end_bytes) {
    const auto* nl = static_cast<const char*>(std::memchr(data + pos, '\n', b->end_bytes - pos));
    const std::size_t end = static_cast<std::size_t>(nl - data);
    const std::string_view line(data + pos, end - pos);
    Examined& e = b->lines.emplace_back();
    e.offset = b->data_offset + pos;
    e.line_no = line_no++;
    e.begin = static_cast<std::uint32_t>(pos);
    e.size = static_cast<std::uint32_t>(line.size());
    RecordView r;
    e.status = line.size() > kMaxRecordBytes ? Status::Corruption(OverlongReason())
                                             : parser->Parse(line, &r);
    if (b->leaf_hashes) e.leaf = MerkleLeafHash(line);
    if (e.status.ok()) {
      e.seq = r.seq;
      e.ts_micros = r.ts_micros;
      e.critical = r.critical;
      e.hash_matches = r.hash_matches;
      std::memcpy(e.timestamp, r.timestamp.data(), sizeof e.timestamp);  // validated: 27 chars
      std::memcpy(e.prev_hash, r.prev_hash.data(), sizeof e.prev_hash);  // validated: 64 hex
      std::memcpy(e.hash, r.hash.data(), sizeof e.hash);                 // validated: 64 hex
      e.audit_id_begin = static_cast<std::uint32_t>(b->strings.size());
      e.audit_id_size = static_cast<std::uint32_t>(r.audit_id.size());
      b->strings.append(r.audit_id);
      e.service_id_begin = static_cast<std::uint32_t>(b->strings.size());
      e.service_id_size = static_cast<std::uint32_t>(r.service_id.size());
      b->strings.append(r.service_id);
      e.event_type_begin = static_cast<std::uint32_t>(b->strings.size());
      e.event_type_size = static_cast<std::uint32_t>(r.event_type.size());
      b->strings.append(r.event_type);
      e.event_begin = static_cast<std::uint32_t>(r.event_json.data() - data);
      e.event_size = static_cast<std::uint32_t>(r.event_json.size());
    }
    pos = end + 1;
  }
}

Pool::Pool(unsigned threads) {
  for (unsigned i = 0; i < threads; ++i) {
    auto worker = TryStartThread([this] { Work(); });
    if (!worker) break;
    workers_.push_back(std::move(*worker));
  }
}

Pool::~Pool() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  work_cv_.NotifyAll();
  for (auto& w : workers_) w.join();
}

void Pool::Submit(Block* b) {
  {
    MutexLock lock(&mu_);
    queue_.push_back(b);
  }
  work_cv_.NotifyOne();
}

void Pool::Wait(Block* b) {
  MutexLock lock(&mu_);
  done_cv_.Wait(&mu_, [b] { return b->done; });
}

void Pool::Work() {
  RecordParser parser;
  for (;;) {
    Block* b = nullptr;
    {
      MutexLock lock(&mu_);
      work_cv_.Wait(&mu_, [this]() AUDITLOG_REQUIRES(mu_) { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      b = queue_.front();
      queue_.pop_front();
    }
    Examine(&parser, b);
    {
      MutexLock lock(&mu_);
      b->done = true;
    }
    done_cv_.NotifyAll();
  }
}

}  // namespace auditlog::internal
