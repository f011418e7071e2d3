// The auditlogd wire protocol (docs/PROTOCOL.md): newline-delimited JSON requests
// {"event":{...},"durable":false,"id":ANY,"critical":false} and their one-line responses.
// This module only parses and formats; it does no I/O and knows nothing of connections.
//
// Thread-safety: a RequestParser is used by one thread at a time (it keeps simdjson's
// buffers between calls); the Format* functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "auditlog/limits.h"
#include "auditlog/status.h"

namespace auditlogd {

// The longest request line, without its '\n': the longest event text the library accepts
// (kMaxEventJsonBytes) plus room for the other members and the id. A longer line is answered
// with an error and the connection is closed (the rest of the line cannot be resynchronized
// cheaply, and a client that sends one is broken or hostile).
inline constexpr std::size_t kMaxRequestLineBytes = auditlog::kMaxEventJsonBytes + (64 << 10);
// The deepest the "id" value may nest (an object or array is one level).
inline constexpr std::size_t kMaxIdNestingDepth = 16;

// One request line, parsed. The views point into the text given to Parse() and live as
// long as it does (and until the next Parse()).
struct Request {
  // The JSON text of the request's "id", to echo verbatim; "null" when it had none or when
  // the line could not be read as JSON far enough to find it.
  std::string id = "null";
  // Non-OK: the request is refused with this status (event, durable and critical are unset).
  auditlog::Status status{};
  std::string_view event_json{};  // the JSON text of the "event" object, for EventJsonDecoder
  bool durable = false;
  bool critical = false;
  bool critical_given = false;  // the request had a "critical" member
};

class RequestParser {
 public:
  RequestParser();
  ~RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Parses one line (without its '\n'; a trailing '\r' is JSON whitespace and accepted).
  // Never fails in another way than through Request::status (kInvalidArgument naming the
  // problem: "request: not valid JSON (...)", "request: \"origin\" is not a request member
  // ...", "durable: must be a boolean", "event: missing", ...). The event's own content is
  // not looked at beyond its being an object: EventJsonDecoder does that.
  Request Parse(std::string_view line);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// {"id":ID,"seq":N,"durable":true|false}
void AppendSuccess(std::string_view id, std::uint64_t seq, bool durable, std::string* out);
// {"id":ID,"error":{"code":"invalid_argument","message":"..."}}; the message is escaped
// into valid JSON whatever its bytes (invalid UTF-8 and control characters become \uXXXX or
// U+FFFD), so a response line is always one valid JSON line.
void AppendError(std::string_view id, const auditlog::Status& status, std::string* out);

}  // namespace auditlogd
