// SeedWriter: our re-creation of the seed's writer design, the baseline auditlog-bench
// compares the Logger against. It is NOT part of the library.
//
// The seed design: producers send each event into a bounded channel (here a mutex + condvar
// queue of 1000 slots; a full queue blocks the sender). One writer thread takes events one
// at a time and, per event, serializes it, SHA-256 hash-chains it (OpenSSL, through the same
// EncodeEvent/FrameRecord code the library uses, so lines are identical in shape and size)
// and write(2)s it. It fsyncs by the flush policy, checked only after each write:
//   Immediate  every event;
//   Batched    when events_since_sync >= size or whole seconds since the last fsync >= interval;
//   Hybrid     a critical event (critical_immediate), otherwise as Batched.
// There is no group commit and no timer: a batch is only fsync'ed when a later event arrives.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "auditlog/events.h"

namespace bench {

struct SeedPolicy {
  enum Kind { kImmediate, kBatched, kHybrid };
  Kind kind = kImmediate;
  std::size_t size = 1000;           // Batched size / Hybrid batch_size
  std::chrono::seconds interval{1};  // whole seconds, as the seed compared them
  bool critical_immediate = true;
};

class SeedWriter {
 public:
  static constexpr std::size_t kQueueSlots = 1000;

  // Creates `dir` and a segment file in it and starts the writer thread. nullptr (and
  // `*error`) on failure.
  static std::unique_ptr<SeedWriter> Open(const std::filesystem::path& dir, SeedPolicy policy,
                                          std::string service_id, std::string* error);
  ~SeedWriter();
  SeedWriter(const SeedWriter&) = delete;
  SeedWriter& operator=(const SeedWriter&) = delete;

  // Queues `event` (blocking while the queue is full) and returns its seq.
  std::uint64_t Send(auditlog::Event event);
  // Blocks until every seq <= `seq` is fsync'ed.
  void WaitDurable(std::uint64_t seq);
  // Drains the queue, fsyncs, joins the writer. Idempotent.
  void Close();

  std::uint64_t fsyncs() const { return fsyncs_; }
  std::uint64_t events_written() const { return events_written_; }
  std::uint64_t bytes_written() const { return bytes_written_; }
  std::uint64_t encode_errors() const { return encode_errors_; }
  const std::string& io_error() const { return io_error_; }

 private:
  SeedWriter(int fd, SeedPolicy policy, std::string service_id);
  void Run();
  void SyncAndPublish(std::uint64_t seq);

  struct Item {
    std::uint64_t seq;
    auditlog::Event event;
  };

  const int fd_;
  const SeedPolicy policy_;
  const std::string service_id_;

  std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::deque<Item> queue_;
  std::uint64_t next_seq_ = 1;
  bool closing_ = false;

  std::mutex durable_mu_;
  std::condition_variable durable_cv_;
  std::uint64_t durable_seq_ = 0;

  // Written by the writer thread only; read after Close().
  std::uint64_t fsyncs_ = 0, events_written_ = 0, bytes_written_ = 0, encode_errors_ = 0;
  std::string io_error_;

  std::thread thread_;
  bool closed_ = false;
};

}  // namespace bench
