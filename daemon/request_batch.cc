#include "request_batch.h"

#include <utility>
#include <variant>

namespace auditlogd {

using auditlog::Status;

auditlog::Result<std::uint64_t> RequestBatch::Emit(const Request& request, const Connection& conn) {
  auto event =
      decoder_.Decode(request.event_json, request.critical ? auditlog::Criticality::kCritical
                                                           : auditlog::Criticality::kRoutine);
  if (!event.ok()) return event.status();
  // A built-in type's criticality is part of its definition: a request that states the
  // opposite is refused rather than silently overruled.
  if (request.critical_given && !std::holds_alternative<auditlog::CustomEvent>(*event) &&
      request.critical != auditlog::IsCritical(*event)) {
    const bool type_critical = auditlog::IsCritical(*event);
    return Status::InvalidArgument(
        std::string("critical: ") + (request.critical ? "true" : "false") + " contradicts " +
        std::string(auditlog::EventTypeName(*event)) + ", a built-in type that is always " +
        (type_critical ? "critical" : "routine") + " (critical applies to custom events)");
  }
  return logger_->Emit(std::move(*event), conn.emit_options());
}

void RequestBatch::Handle(Connection* conn, std::string_view line) {
  requests.fetch_add(1, std::memory_order_relaxed);
  const Request request = parser_.Parse(line);
  if (!request.status.ok()) {
    Answer(conn, request.id, 0, false, request.status);
    return;
  }
  auto seq = Emit(request, *conn);
  if (!seq.ok()) {
    Answer(conn, request.id, 0, false, seq.status());
    return;
  }
  if (request.durable) flush_needed_ = true;
  Answer(conn, request.id, *seq, request.durable, Status::Ok());
}

void RequestBatch::RespondError(Connection* conn, const Status& error) {
  Answer(conn, "null", 0, false, error);
}

void RequestBatch::Answer(Connection* conn, std::string_view id, std::uint64_t seq, bool durable,
                          const Status& error) {
  if (!error.ok()) error_responses.fetch_add(1, std::memory_order_relaxed);
  if (durable) conn->holding = true;
  if (conn->holding) {
    held_.push_back(Held{conn, std::string(id), seq, durable, error});
  } else if (error.ok()) {
    AppendSuccess(id, seq, /*durable=*/false, &conn->output());
  } else {
    AppendError(id, error, &conn->output());
  }
}

bool RequestBatch::Commit() {
  Status flushed;
  const bool flush = flush_needed_;
  if (flush) flushed = logger_->Flush();
  flush_needed_ = false;
  for (Held& h : held_) {
    h.conn->holding = false;
    if (!h.error.ok()) {
      AppendError(h.id, h.error, &h.conn->output());
    } else if (!h.durable) {
      AppendSuccess(h.id, h.seq, false, &h.conn->output());
    } else if (flushed.ok()) {
      AppendSuccess(h.id, h.seq, true, &h.conn->output());
    } else {
      error_responses.fetch_add(1, std::memory_order_relaxed);
      AppendError(
          h.id,
          Status(flushed.code(), "seq " + std::to_string(h.seq) +
                                     " was queued but is not durable: " + flushed.message()),
          &h.conn->output());
    }
  }
  held_.clear();
  return flush;
}

}  // namespace auditlogd
