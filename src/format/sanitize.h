// Neutralization of hostile strings before they reach an audit record.
//
// Services log attacker-controlled text (user names of failed logins, requested paths).
// Rejecting such events would let an attacker keep their own activity out of the log, so
// instead every dangerous code point is replaced by a visible marker and the record says
// which fields were altered. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace auditlog::internal {

// What SanitizeString changed.
struct SanitizeOutcome {
  std::uint32_t neutralized = 0;  // code points or invalid bytes replaced
  bool truncated = false;         // the value was cut to the length limit
  std::uint64_t original_bytes = 0;

  bool altered() const { return neutralized != 0 || truncated; }
};

// True for a code point that must never appear in a record: C0 and C1 controls, DEL, the
// Unicode bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069),
// the line and paragraph separators (U+2028, U+2029) and the byte-order mark (U+FEFF).
bool IsForbiddenCodePoint(char32_t cp);

// Appends to `*out` a version of `in` that is valid UTF-8 with no forbidden code point and at
// most `max_bytes` bytes long (cut at a code-point boundary):
//  - a forbidden code point becomes the visible text "<U+XXXX>" (e.g. ESC -> "<U+001B>");
//  - each byte that is not part of well-formed UTF-8 becomes U+FFFD.
// The result is not JSON-escaped; quotes and backslashes are left as they are.
SanitizeOutcome SanitizeString(std::string_view in, std::size_t max_bytes, std::string* out);

// True when `s` needs no change at all under `max_bytes` (the common, fast case).
bool IsAlreadySafe(std::string_view s, std::size_t max_bytes);

}  // namespace auditlog::internal
