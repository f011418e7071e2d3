// Events given as JSON text: the shape of a record's "event" member (docs/FORMAT.md §5),
// decoded into the typed Event that Logger::Emit takes. This is how callers outside C++
// log (the C API, auditlogd's socket protocol): the typed form is validated and encoded
// exactly as if the caller had built the struct.
//
//   auto event = auditlog::EventFromJson(R"({"event_type":"auth_failure",
//                                            "attempted_user":"mallory","ip":"203.0.113.7"})");
//   if (event.ok()) auto seq = logger->Emit(std::move(*event));
#pragma once

#include <memory>
#include <string_view>

#include "auditlog/events.h"
#include "auditlog/export.h"
#include "auditlog/status.h"

namespace auditlog {

// Decodes one event. Rules (docs/API.md, "Events as JSON"):
//   - a JSON object whose first member is "event_type";
//   - a built-in type name gives that type's struct: every other member must be one of its
//     fields, with the JSON type the record uses (strings, unsigned integers, booleans,
//     timestamps as in records, nested objects); a missing member keeps the struct's
//     default, and null stands for an absent optional member;
//   - any other name gives a CustomEvent with criticality `custom_criticality`, its members
//     as Values (arrays may hold strings only).
// Validation that Emit does (required fields, IP addresses, snake_case names) is left to
// Emit; hostile strings are passed on unchanged, for Emit to neutralize and record.
// Errors: kInvalidArgument naming the problem and its place ("event.actor.user_id: must be
// a string"); messages quote member names only when they are snake_case, never values.
// Input nested deeper than kMaxNestingDepth + 1 levels is refused. Not thread-safe (one
// decoder per thread); the parser's buffers are kept between calls.
class AUDITLOG_EXPORT EventJsonDecoder {
 public:
  EventJsonDecoder();
  ~EventJsonDecoder();
  EventJsonDecoder(const EventJsonDecoder&) = delete;
  EventJsonDecoder& operator=(const EventJsonDecoder&) = delete;

  Result<Event> Decode(std::string_view json,
                       Criticality custom_criticality = Criticality::kRoutine);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-off decoding with a decoder of the calling thread's own. Thread-safe.
AUDITLOG_EXPORT Result<Event> EventFromJson(std::string_view json,
                                            Criticality custom_criticality = Criticality::kRoutine);

}  // namespace auditlog
