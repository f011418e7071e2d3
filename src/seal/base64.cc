// Strict standard base64 over OpenSSL; see base64.h.
#include "seal/base64.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <string>

namespace auditlog::internal {

namespace {

// The 6-bit value of a base64 alphabet character, or -1.
int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

Status DecodeError(std::string_view what, const std::string& problem) {
  std::string msg(what);
  msg += ": not canonical base64: ";
  msg += problem;
  return Status::Corruption(std::move(msg));
}

}  // namespace

std::string Base64Encode(std::span<const std::uint8_t> bytes) {
  // EVP_EncodeBlock takes an int length; the formats never encode more than a few KiB.
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                static_cast<int>(bytes.size()));
  out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));  // drop the NUL EVP_EncodeBlock adds
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  return Base64Encode(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

Result<std::string> Base64Decode(std::string_view text, std::string_view what) {
  const std::size_t n = text.size();
  if (n > kMaxBase64Chars) {
    return DecodeError(what, std::to_string(n) + " characters, over the limit of " +
                                 std::to_string(kMaxBase64Chars));
  }
  if (n % 4 != 0) {
    return DecodeError(what, "its length " + std::to_string(n) + " is not a multiple of 4");
  }
  // EVP_DecodeBlock skips leading and trailing whitespace and treats '=' loosely, so the
  // alphabet, the padding and the unused bits are checked here first.
  std::size_t pad = 0;
  if (n >= 1 && text[n - 1] == '=') pad = (n >= 2 && text[n - 2] == '=') ? 2 : 1;
  for (std::size_t i = 0; i + pad < n; ++i) {
    if (Base64Value(text[i]) < 0) {
      return DecodeError(what, "invalid character at offset " + std::to_string(i) +
                                   (text[i] == '=' ? " ('=' before the end)" : ""));
    }
  }
  if (pad > 0) {
    // The last data character carries 4 (pad 2) or 2 (pad 1) bits past the encoded bytes;
    // a canonical encoder leaves them zero.
    const int last = Base64Value(text[n - pad - 1]);
    const int unused_mask = pad == 2 ? 0x0F : 0x03;
    if ((last & unused_mask) != 0) {
      return DecodeError(what, "non-zero padding bits in the last character");
    }
  }
  std::string out(3 * (n / 4), '\0');
  const int decoded =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(n));
  if (decoded < 0 || static_cast<std::size_t>(decoded) != out.size()) {
    OPENSSL_cleanse(out.data(), out.size());
    return DecodeError(what, "OpenSSL's decoder refused it");
  }
  out.resize(out.size() - pad);  // EVP_DecodeBlock counts the padding as zero bytes
  return out;
}

}  // namespace auditlog::internal
