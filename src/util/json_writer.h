// Minimal, allocation-free JSON text building on a caller's std::string. Only writing:
// parsing uses simdjson / nlohmann. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/civil_time.h"  // AppendTimestamp, FormatTimestamp: timestamps in JSON text

namespace auditlog::internal {

// Appends `s` as a JSON string literal (with quotes). Escapes '"', '\\' and every control
// character (U+0000–U+001F as \b \f \n \r \t or \u00XX, and U+007F as \u007f), so the
// output never contains a raw control byte. REQUIRES: `s` is valid UTF-8.
void AppendJsonString(std::string_view s, std::string* out);
void AppendUint(std::uint64_t v, std::string* out);
void AppendInt(std::int64_t v, std::string* out);

}  // namespace auditlog::internal
