// Turns a typed Event into the JSON text of a record's "event" member (and its "sanitized"
// member when hostile input was neutralized), driven only by each type's description in
// events.h. This is where validation happens. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "auditlog/events.h"
#include "auditlog/status.h"

namespace auditlog::internal {

struct EncodeOptions {
  std::size_t max_field_bytes = 1024;  // longer strings are cut (and recorded as cut)
};

struct EncodedEvent {
  // `"event":{…}` followed, when any field was altered, by `,"sanitized":[…]`.
  std::string body;
  bool critical = false;
  std::uint32_t altered_fields = 0;  // fields whose value was neutralized or truncated
};

// Validates and encodes `event`. Hostile strings never fail: they are neutralized and
// reported in "sanitized". Programming errors fail with kInvalidArgument naming the field
// ("auth_failure.ip: not a valid IPv4 or IPv6 address"); messages never echo the input.
// Reuses `out->body`'s capacity; in steady state the only allocation is growing it.
Status EncodeEvent(const Event& event, const EncodeOptions& options, EncodedEvent* out);

// True for names of the form [a-z][a-z0-9_]*, at most 64 bytes.
bool IsSnakeCaseName(std::string_view name);

}  // namespace auditlog::internal
