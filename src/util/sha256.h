// SHA-256 through OpenSSL's libcrypto (no hand-written cryptography). Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace auditlog::internal {

using Digest = std::array<std::uint8_t, 32>;

Digest Sha256(std::string_view data);
// SHA-256 of the concatenation of `parts` (no copy into one buffer), with the same per-thread
// context as Sha256.
Digest Sha256Parts(std::initializer_list<std::string_view> parts);
// Lowercase hex of `d` (64 characters).
std::string ToHex(const Digest& d);
// Writes the 64 lowercase hex digits of `d` to `out` (which must have room for 64 chars).
void ToHex(const Digest& d, char* out);
inline std::string Sha256Hex(std::string_view data) { return ToHex(Sha256(data)); }

// Incremental hashing, for whole files.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void Update(std::string_view data);
  Digest Finish();

 private:
  void* ctx_;  // EVP_MD_CTX*
};

}  // namespace auditlog::internal
