// Neutralization of hostile strings; see sanitize.h.
#include "format/sanitize.h"

#include <cstdio>

#include "util/utf8.h"

namespace auditlog::internal {
namespace {

constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

bool IsForbiddenCodePoint(char32_t cp) {
  if (cp < 0x20 || cp == 0x7F) return true;
  if (cp >= 0x80 && cp <= 0x9F) return true;
  if (cp < 0x061C) return false;
  return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF;
}

bool IsAlreadySafe(std::string_view s, std::size_t max_bytes) {
  if (s.size() > max_bytes) return false;
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b >= 0x20 && b < 0x7F) {
      ++i;
      continue;
    }
    char32_t cp;
    const std::size_t n = DecodeUtf8(s, i, &cp);
    if (n == 0 || IsForbiddenCodePoint(cp)) return false;
    i += n;
  }
  return true;
}

SanitizeOutcome SanitizeString(std::string_view in, std::size_t max_bytes, std::string* out) {
  SanitizeOutcome outcome;
  outcome.original_bytes = in.size();
  const std::size_t start = out->size();
  for (std::size_t i = 0; i < in.size();) {
    char32_t cp;
    std::size_t n = DecodeUtf8(in, i, &cp);
    std::string_view piece;
    char marker[16];
    bool replaced = true;
    if (n == 0) {  // one invalid byte
      piece = kReplacementChar;
      n = 1;
    } else if (IsForbiddenCodePoint(cp)) {
      const int len = std::snprintf(marker, sizeof marker, "<U+%04X>", static_cast<unsigned>(cp));
      piece = std::string_view(marker, static_cast<std::size_t>(len));
    } else {
      piece = in.substr(i, n);
      replaced = false;
    }
    // Never emit half a code point or half a marker: stop before the piece that overflows.
    // What is cut off is counted as truncated, not as neutralized.
    if (out->size() - start + piece.size() > max_bytes) {
      outcome.truncated = true;
      break;
    }
    out->append(piece);
    if (replaced) ++outcome.neutralized;
    i += n;
  }
  return outcome;
}

}  // namespace auditlog::internal
