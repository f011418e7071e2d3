// Interim Logger: synchronous, one mutex, writes and fsyncs inline. It keeps the public API
// working while the background writer engine (issue "Writer engine") is built to replace it.
#include "auditlog/logger.h"

#include <mutex>

#include "event_codec.h"
#include "record_writer.h"

namespace auditlog {

struct Logger::Impl {
  Config config;
  Env* env = nullptr;
  std::unique_ptr<internal::RecordWriter> writer;
  internal::EncodeOptions encode_options;
  std::mutex mu;
  Stats stats;
  std::string batch;
  bool shut_down = false;
};

Logger::Logger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Logger::~Logger() { Shutdown().IgnoreError(); }

Result<std::unique_ptr<Logger>> Logger::Open(const Config& config) {
  AUDITLOG_RETURN_IF_ERROR(ValidateServiceId(config.service_id));
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->env = config.env ? config.env : Env::Default();
  impl->encode_options.max_field_bytes = config.max_field_bytes;
  if (const auto* local = std::get_if<LocalMode>(&config.mode)) {
    if (local->dir.empty()) return Status::InvalidArgument("mode.dir: empty log directory");
    AUDITLOG_ASSIGN_OR_RETURN(impl->writer,
                              internal::RecordWriter::Open({impl->env, local->dir, config.service_id}));
  }
  return std::unique_ptr<Logger>(new Logger(std::move(impl)));
}

Result<std::uint64_t> Logger::Emit(Event event) {
  Impl& d = *impl_;
  if (!d.writer) return std::uint64_t{0};
  internal::EncodedEvent encoded;
  Status s = internal::EncodeEvent(event, d.encode_options, &encoded);
  std::lock_guard<std::mutex> lock(d.mu);
  if (!s.ok()) {
    ++d.stats.rejected_invalid;
    return s;
  }
  if (d.shut_down) return Status::FailedPrecondition("Emit after Shutdown");
  const std::uint64_t seq = d.writer->next_seq();
  d.batch.clear();
  d.writer->Frame(d.env->NowMicros(), encoded, &d.batch);
  AUDITLOG_RETURN_IF_ERROR(d.writer->Write(d.batch));
  ++d.stats.events_emitted;
  ++d.stats.events_written;
  if (encoded.critical) ++d.stats.critical_events;
  d.stats.neutralized_fields += encoded.altered_fields;
  if (std::holds_alternative<Immediate>(d.config.flush_mode) || encoded.critical) {
    AUDITLOG_RETURN_IF_ERROR(d.writer->Sync());
    ++d.stats.fsyncs;
    d.stats.durable_seq = seq;
  }
  return seq;
}

Status Logger::EmitDurable(Event event) {
  AUDITLOG_ASSIGN_OR_RETURN(std::uint64_t seq, Emit(std::move(event)));
  (void)seq;
  return Flush();
}

Status Logger::WaitDurable(std::uint64_t, std::chrono::milliseconds) { return Flush(); }

Status Logger::Flush() {
  Impl& d = *impl_;
  if (!d.writer) return Status::Ok();
  std::lock_guard<std::mutex> lock(d.mu);
  if (d.shut_down) return Status::Ok();
  AUDITLOG_RETURN_IF_ERROR(d.writer->Sync());
  ++d.stats.fsyncs;
  d.stats.durable_seq = d.writer->next_seq() - 1;
  return Status::Ok();
}

Status Logger::Shutdown() {
  Impl& d = *impl_;
  if (!d.writer) return Status::Ok();
  std::lock_guard<std::mutex> lock(d.mu);
  if (d.shut_down) return Status::Ok();
  d.shut_down = true;
  return d.writer->Close();
}

Stats Logger::GetStats() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->stats;
}

std::string Logger::MetricsText() const { return {}; }

}  // namespace auditlog
