// The seed-style writer; see seed_baseline.h.
#include "seed_baseline.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "format/event_codec.h"
#include "format/record_format.h"

namespace bench {

std::unique_ptr<SeedWriter> SeedWriter::Open(const std::filesystem::path& dir, SeedPolicy policy,
                                             std::string service_id, std::string* error) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    *error = "create " + dir.string() + ": " + ec.message();
    return nullptr;
  }
  const std::filesystem::path path = dir / "seed.audit";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = "open " + path.string() + ": " + std::strerror(errno);
    return nullptr;
  }
  std::unique_ptr<SeedWriter> w(new SeedWriter(fd, policy, std::move(service_id)));
  w->thread_ = std::thread([p = w.get()] { p->Run(); });
  return w;
}

SeedWriter::SeedWriter(int fd, SeedPolicy policy, std::string service_id)
    : fd_(fd), policy_(policy), service_id_(std::move(service_id)) {}

SeedWriter::~SeedWriter() {
  Close();
  ::close(fd_);
}

std::uint64_t SeedWriter::Send(auditlog::Event event) {
  std::unique_lock<std::mutex> lock(mu_);
  not_full_.wait(lock, [&] { return queue_.size() < kQueueSlots; });
  const std::uint64_t seq = next_seq_++;
  queue_.push_back(Item{seq, std::move(event)});
  lock.unlock();
  not_empty_.notify_one();
  return seq;
}

void SeedWriter::WaitDurable(std::uint64_t seq) {
  std::unique_lock<std::mutex> lock(durable_mu_);
  durable_cv_.wait(lock, [&] { return durable_seq_ >= seq; });
}

void SeedWriter::Close() {
  if (closed_) return;
  closed_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  not_empty_.notify_all();
  thread_.join();
}

void SeedWriter::SyncAndPublish(std::uint64_t seq) {
  if (::fsync(fd_) != 0 && io_error_.empty())
    io_error_ = std::string("fsync: ") + std::strerror(errno);
  ++fsyncs_;
  {
    std::lock_guard<std::mutex> lock(durable_mu_);
    durable_seq_ = seq;
  }
  durable_cv_.notify_all();
}

void SeedWriter::Run() {
  auditlog::internal::EncodeOptions options;
  auditlog::internal::EncodedEvent encoded;
  std::string line;
  std::string prev_hash(auditlog::internal::kGenesisHash);
  char hash[64];
  std::uint64_t events_since_sync = 0, last_seq = 0, synced_seq = 0;
  auto last_sync = std::chrono::steady_clock::now();
  for (;;) {
    std::unique_lock<std::mutex> lock(mu_);
    not_empty_.wait(lock, [&] { return !queue_.empty() || closing_; });
    if (queue_.empty()) break;  // closing and drained
    Item item = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    not_full_.notify_one();

    // Serialize + SHA-256 + write, one event at a time.
    if (!auditlog::internal::EncodeEvent(item.event, options, &encoded).ok()) {
      ++encode_errors_;
      encoded.body = "\"event\":{\"event_type\":\"invalid\"}";
    }
    const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    line.clear();
    auditlog::internal::FrameRecord(item.seq, now_us, service_id_, encoded.critical, encoded.body,
                                    prev_hash, &line, hash);
    prev_hash.assign(hash, 64);
    std::size_t off = 0;
    while (off < line.size()) {
      const ssize_t n = ::write(fd_, line.data() + off, line.size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (io_error_.empty()) io_error_ = std::string("write: ") + std::strerror(errno);
        break;
      }
      off += static_cast<std::size_t>(n);
    }
    ++events_written_;
    bytes_written_ += line.size();
    ++events_since_sync;
    last_seq = item.seq;

    // The seed's flush check, only after a write.
    bool sync = false;
    if (policy_.kind == SeedPolicy::kImmediate) {
      sync = true;
    } else {
      if (policy_.kind == SeedPolicy::kHybrid && policy_.critical_immediate && encoded.critical) {
        sync = true;
      }
      const auto whole_seconds = std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::steady_clock::now() - last_sync);
      if (events_since_sync >= policy_.size || whole_seconds >= policy_.interval) sync = true;
    }
    if (sync) {
      SyncAndPublish(item.seq);
      synced_seq = item.seq;
      events_since_sync = 0;
      last_sync = std::chrono::steady_clock::now();
    }
  }
  if (last_seq != synced_seq) SyncAndPublish(last_seq);
}

}  // namespace bench
