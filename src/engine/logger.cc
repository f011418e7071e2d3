// Logger: the façade of the writer engine (issue "Writer engine"). It validates and encodes
// events on the caller's thread and wires the parts, each with one job:
//   EventRing         the queue: admission, seq and timestamp, slots (event_ring.h)
//   DurableWatermark  what is durable, sync requests and their waiters (durable_watermark.h)
//   WriterThread      frames, writes and fsyncs what is queued (writer_thread.h), with
//                     StorageFailures (retry, disk-full suspension, the failed state) and
//                     StorageUpkeep (rotation, active-segment check, retention)
// Lock order: shutdown_mu, then EventRing's mutex, then DurableWatermark's. Only Shutdown
// (shutdown_mu around the others, one at a time) and GetStats (ring, then watermark, for one
// consistent snapshot) hold two; the writer thread never holds any while it calls out. No
// I/O ever happens under the ring's or the watermark's lock. docs/DEVELOPING.md "Locks".
#include "auditlog/logger.h"

#include <atomic>
#include <memory>
#include <string>

#include "engine/config_check.h"
#include "engine/deadline.h"
#include "engine/durable_watermark.h"
#include "engine/event_ring.h"
#include "engine/flush_policy.h"
#include "engine/logger_test_peer.h"
#include "engine/metrics.h"
#include "engine/record_clock.h"
#include "engine/writer_thread.h"
#include "format/event_codec.h"
#include "storage/record_writer.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace auditlog {
namespace {

// The per-thread encoding buffer is released when it grew beyond this.
constexpr std::size_t kMaxRetainedEncodeBytes = 64 * 1024;

internal::EventRing::Options RingOptions(const Config& c) {
  return {.user_slots = c.queue_capacity_events,
          .capacity_bytes = c.queue_capacity_bytes,
          .overflow = c.overflow,
          .block_timeout = c.block_timeout,
          .encode_options = {.max_field_bytes = c.max_field_bytes}};
}

Status ShutDownError() {
  return Status::FailedPrecondition(
      "Emit after Shutdown(): the logger is shut down and records nothing more");
}

}  // namespace

struct [[gnu::visibility("hidden")]] Logger::Impl {
  explicit Impl(const Config& c)
      : config(c),
        env(c.env != nullptr ? c.env : Env::Default()),
        disabled(std::holds_alternative<DisabledMode>(c.mode)),
        policy(c.flush_mode),
        encode_options{.max_field_bytes = c.max_field_bytes},
        ring(env, RingOptions(c)),
        watermark(env) {}

  // LocalMode: opens the log and starts the writer thread.
  Status Start();
  // Encodes a caller's event (and the origin of `options`) into `out`; counts a refusal.
  Status Encode(const Event& event, const EmitOptions& options, internal::EncodedEvent* out);

  // ---- immutable after Open ----
  const Config config;
  Env* const env;
  const bool disabled;
  const internal::FlushPolicy policy;
  const internal::EncodeOptions encode_options;
  // ---- any thread, lock-free ----
  std::atomic<bool> disabled_shut_down{false};  // DisabledMode only
  std::atomic<std::uint64_t> rejected_invalid{0};
  // ---- the parts; each locks itself ----
  internal::EventRing ring;
  internal::DurableWatermark watermark;
  std::unique_ptr<internal::WriterThread> writer;  // null in DisabledMode
  // ---- Shutdown ----
  internal::Mutex shutdown_mu;
  bool shut_down AUDITLOG_GUARDED_BY(shutdown_mu) = false;
  Status shutdown_status AUDITLOG_GUARDED_BY(shutdown_mu);
};

Status Logger::Impl::Start() {
  internal::RecordWriter::Options options;
  options.env = env;
  options.dir = std::get<LocalMode>(config.mode).dir;
  options.service_id = config.service_id;
  options.rotation = config.rotation;
  options.min_free_bytes = config.min_free_bytes;
  options.max_field_bytes = config.max_field_bytes;
  AUDITLOG_ASSIGN_OR_RETURN(auto records, internal::RecordWriter::Open(options));
  // A sealed log (DIR/seal exists) seals by itself: nothing in Config asks for it.
  AUDITLOG_ASSIGN_OR_RETURN(
      internal::Sealer::Opened sealing,
      internal::Sealer::Open(env, options.dir, records->next_seq(), env->NowMicros()));
  // Records of earlier processes are already in the files; Open has checked the chain. A
  // new process clamps only to the records of its own segment (a log_recovered record framed
  // at Open).
  ring.Start(records->next_seq(), records->segment_last_ts_micros());
  watermark.Start(records->next_seq() - 1);
  // The log's last record is later than the clock now: the clock stepped back (now, or
  // forward in an earlier process). Put it on the record before anything else.
  const std::int64_t open_now = env->NowMicros();
  const std::int64_t last_ts = records->last_ts_micros();
  if (last_ts > open_now + internal::kMaxClockClampMicros) {
    ring.EnqueueSystemEvent(
            ClockStepped{.direction = "backward",
                         .from = internal::TimeOf(last_ts),
                         .to = internal::TimeOf(open_now),
                         .step_micros = static_cast<std::uint64_t>(last_ts - open_now),
                         .detected = "at_open"})
        .status()
        .IgnoreError();  // reserve slots: fits
  }
  // What the seal state says about the directory, then the writer's first seal ("resume"):
  // it covers what earlier processes left unsealed, with the oldest key the state holds.
  for (const internal::LibraryEvent& e : sealing.incidents) {
    ring.EnqueueSystemEvent(e).status().IgnoreError();  // reserve slots: fits
  }
  if (sealing.sealer) {
    auto seq = ring.EnqueueSealMarker();
    if (seq.ok()) sealing.sealer->MarkerQueued(internal::SealKind::kResume, *seq, env->NowMicros());
  }
  writer = std::make_unique<internal::WriterThread>(config, env, policy, std::move(records), &ring,
                                                    &watermark, std::move(sealing.sealer));
  writer->Start();
  return Status::Ok();
}

Status Logger::Impl::Encode(const Event& event, const EmitOptions& options,
                            internal::EncodedEvent* out) {
  Status s;
  if (!options.origin) {
    s = internal::EncodeEvent(event, encode_options, out);
  } else {
    // The origin member comes after the body: the event gets that much less room, so that
    // the framed record still fits kMaxRecordBytes.
    internal::EncodeOptions with_origin = encode_options;
    with_origin.max_body_bytes = with_origin.max_body_bytes > internal::kMaxOriginBytes
                                     ? with_origin.max_body_bytes - internal::kMaxOriginBytes
                                     : 0;
    s = internal::EncodeEvent(event, with_origin, out);
    const Origin& o = *options.origin;
    if (s.ok()) internal::AppendOrigin(o.uid, o.gid, o.pid, o.exe, &out->body);
  }
  if (!s.ok()) rejected_invalid.fetch_add(1, std::memory_order_relaxed);
  return s;
}

Logger::Logger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Logger::~Logger() {
  // Errors were reported through Config::on_error when they happened.
  Shutdown().IgnoreError();
}

Result<std::unique_ptr<Logger>> Logger::Open(const Config& config) {
  AUDITLOG_RETURN_IF_ERROR(internal::ValidateConfig(config));
  auto impl = std::make_unique<Impl>(config);
  if (!impl->disabled) AUDITLOG_RETURN_IF_ERROR(impl->Start());
  return std::unique_ptr<Logger>(new Logger(std::move(impl)));
}

Result<std::uint64_t> Logger::Emit(Event event) { return Emit(std::move(event), EmitOptions{}); }

Result<std::uint64_t> Logger::Emit(Event event, const EmitOptions& options) {
  Impl& d = *impl_;
  if (d.disabled) {
    if (d.disabled_shut_down.load(std::memory_order_relaxed)) return ShutDownError();
    return std::uint64_t{0};
  }
  thread_local internal::EncodedEvent encoded;
  AUDITLOG_RETURN_IF_ERROR(d.Encode(event, options, &encoded));
  Result<std::uint64_t> seq = d.ring.Push(&encoded, /*system=*/false);
  if (encoded.body.capacity() > kMaxRetainedEncodeBytes) std::string().swap(encoded.body);
  return seq;
}

Status Logger::EmitDurable(Event event, std::uint64_t* seq_out) {
  return EmitDurable(std::move(event), EmitOptions{}, seq_out);
}

Status Logger::EmitDurable(Event event, const EmitOptions& options, std::uint64_t* seq_out) {
  Impl& d = *impl_;
  if (d.disabled) {
    if (d.disabled_shut_down.load(std::memory_order_relaxed)) return ShutDownError();
    if (seq_out != nullptr) *seq_out = 0;  // as Emit's result in DisabledMode
    return Status::Ok();
  }
  thread_local internal::EncodedEvent encoded;
  AUDITLOG_RETURN_IF_ERROR(d.Encode(event, options, &encoded));
  d.watermark.EnterDurableEmit();
  Result<std::uint64_t> seq = d.ring.Push(&encoded, /*system=*/false);
  if (seq.ok() && seq_out != nullptr) *seq_out = *seq;
  Status s = seq.ok() ? d.watermark.SyncAndAwait(*seq, &d.ring, nullptr) : seq.status();
  d.watermark.LeaveDurableEmit();
  return s;
}

Status Logger::WaitDurable(std::uint64_t seq, std::chrono::milliseconds timeout) {
  Impl& d = *impl_;
  if (d.disabled) return Status::Ok();
  const internal::SteadyTime deadline = internal::DeadlineAfter(timeout);
  const std::uint64_t last = d.ring.LastSeq();
  if (seq > last) {
    return Status::InvalidArgument("WaitDurable: seq " + std::to_string(seq) +
                                   " was not handed out yet (last: " + std::to_string(last) + ")");
  }
  return d.watermark.AwaitDurable(seq, &deadline);
}

Status Logger::Flush() {
  Impl& d = *impl_;
  if (d.disabled) return Status::Ok();
  const std::uint64_t target = d.ring.LastSeq();
  return d.watermark.SyncAndAwait(target, &d.ring, nullptr);
}

Status Logger::Shutdown() {
  Impl& d = *impl_;
  if (d.disabled) {
    d.disabled_shut_down.store(true, std::memory_order_relaxed);
    return Status::Ok();
  }
  if (d.writer->IsCurrentThread()) {
    return Status::FailedPrecondition(
        "Shutdown() called on the writer thread (from Config::on_error); call it elsewhere");
  }
  internal::MutexLock guard(&d.shutdown_mu);
  if (!d.shut_down) {
    d.ring.Close();  // the writer drains what is queued, fsyncs, closes and exits
    d.writer->Join();
    d.shutdown_status = d.watermark.final_status();
    d.shut_down = true;
  }
  return d.shutdown_status;
}

Stats Logger::GetStats() const {
  const Impl& d = *impl_;
  Stats s;
  s.flush_batch_size = d.policy.batch_size();
  s.flush_interval_micros = d.policy.interval_micros();
  s.rejected_invalid = d.rejected_invalid.load(std::memory_order_relaxed);
  // Both parts at one moment (the lock order: ring, then watermark).
  internal::MutexLock ring_lock(&d.ring.mutex());
  internal::MutexLock watermark_lock(&d.watermark.mutex());
  d.ring.FillStatsLocked(&s);
  d.watermark.FillStatsLocked(&s);
  return s;
}

std::string Logger::MetricsText() const { return internal::RenderMetricsText(GetStats()); }

bool internal::LoggerTestPeer::WaitWriterIdle(Logger& logger, std::chrono::milliseconds timeout) {
  Logger::Impl& d = *logger.impl_;
  if (d.disabled) return false;
  return d.ring.WaitWriterIdle(timeout);
}

}  // namespace auditlog
