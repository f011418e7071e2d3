// The UTF-8 decoder shared by every component that looks at code points. Thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

namespace auditlog::internal {

// Decodes one well-formed UTF-8 sequence at `s[i]` (RFC 3629: no overlong forms, no
// surrogates U+D800-U+DFFF, nothing above U+10FFFF, no sequence cut short by the end of `s`).
// Returns its length (1-4) and sets `*cp`, or returns 0 if the bytes there are not a
// well-formed sequence. REQUIRES: i < s.size().
std::size_t DecodeUtf8(std::string_view s, std::size_t i, char32_t* cp);

}  // namespace auditlog::internal
