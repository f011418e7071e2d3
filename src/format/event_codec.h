// Turns a typed Event into the JSON text of a record's "event" member (and its "sanitized"
// member when hostile input was neutralized), driven only by each type's description in
// events.h. This is where validation happens. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "auditlog/events.h"
#include "auditlog/status.h"
#include "format/record_format.h"

namespace auditlog::internal {

struct EncodeOptions {
  std::size_t max_field_bytes = 1024;  // longer strings are cut (and recorded as cut)
  // The longest body (EncodedEvent::body) written; with it a framed record stays within
  // kMaxRecordBytes. An event that would be longer is cut to fit (see EncodeEvent).
  std::size_t max_body_bytes = kMaxEventBodyBytes;
};

struct EncodedEvent {
  // `"event":{…}` followed, when any field was altered, by `,"sanitized":[…]`.
  std::string body;
  bool critical = false;
  std::uint32_t altered_fields = 0;  // fields whose value was neutralized or truncated
};

// Validates and encodes `event`. Hostile strings never fail: they are neutralized and
// reported in "sanitized". So are hostile shapes: a value nested deeper than
// kMaxNestingDepth is replaced by the string "<too deep>", and an event whose encoding
// would exceed `max_body_bytes` is cut at the first element that does not fit (that string
// is truncated; every later string is emptied, every later list item and custom member
// removed), each reported with a "limit" member (docs/FORMAT.md, "Limits"). Programming
// errors fail with kInvalidArgument naming the field ("auth_failure.ip: not a valid IPv4
// or IPv6 address"); messages never echo the input.
// Reuses `out->body`'s capacity; in steady state the only allocation is growing it.
Status EncodeEvent(const Event& event, const EncodeOptions& options, EncodedEvent* out);

// What the library records of its own accord: its system events, and an integrity_violation
// when it finds its active segment replaced under it.
using LibraryEvent = std::variant<LogRecovered, LogWritesResumed, SegmentArchived, SegmentDeleted,
                                  ClockStepped, LogSealed, IntegrityViolation>;

// EncodeEvent for the library's own records (the same rules and encoding).
Status EncodeEvent(const LibraryEvent& event, const EncodeOptions& options, EncodedEvent* out);

// True for names of the form [a-z][a-z0-9_]*, at most 64 bytes.
bool IsSnakeCaseName(std::string_view name);

}  // namespace auditlog::internal
