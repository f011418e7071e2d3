// Standard base64 (RFC 4648 §4, with '=' padding) over OpenSSL's EVP_EncodeBlock and
// EVP_DecodeBlock, as the C2SP signed-note and checkpoint formats use it. Decoding is strict:
// only the canonical encoding of some byte string is accepted (no whitespace or newlines, no
// missing or extra padding, no non-zero bits in the unused low bits of the last character),
// so every accepted text has exactly one meaning and re-encodes to itself. Pure functions;
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "auditlog/status.h"

namespace auditlog::internal {

// Inputs longer than this are refused by Base64Decode (far above anything the formats hold;
// keeps every length inside OpenSSL's int).
inline constexpr std::size_t kMaxBase64Chars = std::size_t{1} << 24;

std::string Base64Encode(std::span<const std::uint8_t> bytes);
std::string Base64Encode(std::string_view bytes);

// Decodes the canonical base64 text `text`. On error the status (kCorruption) says what is
// wrong, prefixed by `what` (e.g. "line 4: signature"), and never quotes the input.
// The decoded bytes are returned as a std::string; callers decoding secrets must
// OPENSSL_cleanse it.
Result<std::string> Base64Decode(std::string_view text, std::string_view what);

}  // namespace auditlog::internal
