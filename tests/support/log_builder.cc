#include "log_builder.h"

#include "format/event_codec.h"

namespace auditlog::testing {

Result<std::unique_ptr<LogBuilder>> LogBuilder::Open(const std::filesystem::path& dir,
                                                     const std::string& service_id) {
  internal::RecordWriter::Options options;
  options.env = Env::Default();
  options.dir = dir;
  options.service_id = service_id;
  AUDITLOG_ASSIGN_OR_RETURN(std::unique_ptr<internal::RecordWriter> writer,
                            internal::RecordWriter::Open(options));
  return std::unique_ptr<LogBuilder>(new LogBuilder(std::move(writer)));
}

LogBuilder::~LogBuilder() {
  // Tests that care call Close() and check it.
  writer_->Close().IgnoreError();
}

Result<std::uint64_t> LogBuilder::Add(const Event& event, std::int64_t ts_micros) {
  internal::EncodedEvent encoded;
  AUDITLOG_RETURN_IF_ERROR(internal::EncodeEvent(event, {}, &encoded));
  return AddEncoded(encoded, ts_micros);
}

Result<std::uint64_t> LogBuilder::Add(const SystemEvent& event, std::int64_t ts_micros) {
  const internal::LibraryEvent library_event =
      std::visit([](const auto& e) -> internal::LibraryEvent { return e; }, event);
  internal::EncodedEvent encoded;
  AUDITLOG_RETURN_IF_ERROR(internal::EncodeEvent(library_event, {}, &encoded));
  return AddEncoded(encoded, ts_micros);
}

Result<std::uint64_t> LogBuilder::AddEncoded(const internal::EncodedEvent& encoded,
                                             std::int64_t ts_micros) {
  const std::uint64_t seq = writer_->next_seq();
  batch_.clear();
  writer_->Frame(ts_micros, encoded, &batch_);
  AUDITLOG_RETURN_IF_ERROR(writer_->Write(batch_));
  return seq;
}

Result<std::uint64_t> LogBuilder::AddRawEvent(std::string_view event_json, std::int64_t ts_micros,
                                              bool critical) {
  internal::EncodedEvent encoded;
  encoded.body = "\"event\":" + std::string(event_json);
  encoded.critical = critical;
  return AddEncoded(encoded, ts_micros);
}

Status LogBuilder::Rotate() { return writer_->Rotate(); }
Status LogBuilder::Close() { return writer_->Close(); }

std::int64_t TestTime(std::int64_t seconds) {
  return 1795737600LL * 1000000 + seconds * 1000000;  // 2026-11-27T00:00:00Z
}

}  // namespace auditlog::testing
