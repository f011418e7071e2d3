// Input limits shared by the writer and every reader: what Emit accepts, the readers accept.
// docs/FORMAT.md ("Limits") is the normative description.
#pragma once

#include <cstddef>

namespace auditlog {

// The longest record line, in bytes, without its '\n'. The writer never frames a longer line
// (an event that would not fit is cut to fit; see FORMAT.md "Limits"); readers stop at it.
inline constexpr std::size_t kMaxRecordBytes = 1 << 20;

// The deepest an event may nest: the event object is depth 1 and every object or array in
// it adds one (`{"event_type":"x","a":{"b":["s"]}}` has depth 3). A record adds one level
// around its event. A deeper value given to Emit is replaced by a marker and reported in the
// record's "sanitized" member; the event is kept. Far below the JSON parser's own limit
// (1024), so every reader accepts what the writer writes, and it bounds the encoder's
// recursion; built-in events use at most 3.
inline constexpr std::size_t kMaxNestingDepth = 64;

// The longest event given as JSON text (EventFromJson, the C API, auditlogd): four times a
// record, since escapes such as \u0001 take six bytes for one; longer text is refused. What
// is accepted but does not fit a record is cut to fit, as for Emit.
inline constexpr std::size_t kMaxEventJsonBytes = std::size_t{4} << 20;

// There is deliberately no separate limit on the members of one object: kMaxRecordBytes
// bounds them (a member takes at least 6 bytes), and the duplicate-name checks of the writer
// and the readers take O(n log n) time in the number of members.

}  // namespace auditlog
