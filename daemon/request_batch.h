// The requests of one event-loop iteration, and their group commit: each request line is
// parsed, decoded and emitted at once (so its seq is taken in arrival order); a durable one
// is answered only after the one Logger::Flush() that Commit() makes for all of them.
//
// Response order per connection is request order: a connection's responses go straight to
// its output until one of them waits for the group commit; from then on, all of its later
// responses of the iteration wait too, and Commit() appends them in order.
//
// Thread-safety: used by the event-loop thread only; the counters may be read from any
// thread. Lifetime: the Connections passed to Handle()/Respond() must live until Commit().
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "auditlog/event_json.h"
#include "auditlog/logger.h"
#include "connection.h"
#include "protocol.h"

namespace auditlogd {

class RequestBatch {
 public:
  explicit RequestBatch(auditlog::Logger* logger) : logger_(logger) {}

  // Handles one request line of `conn` (without its '\n').
  void Handle(Connection* conn, std::string_view line);
  // Answers `conn` with an error that belongs to no parsed request (a line too long, a line
  // not finished in time), after its earlier responses.
  void RespondError(Connection* conn, const auditlog::Status& error);
  // Makes the durable requests handled since the last Commit() durable with one Flush(),
  // then appends every held response. Returns whether a Flush() was made.
  bool Commit();

  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> error_responses{0};

 private:
  struct Held {
    Connection* conn;
    std::string id;
    std::uint64_t seq = 0;
    bool durable = false;    // a success that waits for the Flush
    auditlog::Status error;  // when not a success
  };
  // The response of `conn`'s request `id`: emitted with `seq`, or refused with `error`.
  void Answer(Connection* conn, std::string_view id, std::uint64_t seq, bool durable,
              const auditlog::Status& error);
  // Decodes and emits the parsed request; returns its seq or the reason it was refused.
  auditlog::Result<std::uint64_t> Emit(const Request& request, const Connection& conn);

  auditlog::Logger* logger_;
  RequestParser parser_;
  auditlog::EventJsonDecoder decoder_;
  std::vector<Held> held_;
  bool flush_needed_ = false;
};

}  // namespace auditlogd
