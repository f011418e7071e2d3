// The alsk1 verification key (verification_key.h).
#include "seal/verification_key.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <charconv>
#include <cstring>
#include <vector>

#include "seal/base64.h"

namespace auditlog::internal {
namespace {

constexpr std::string_view kPrefix = "alsk1:";

bool ParseDecimal(std::string_view s, std::uint64_t* out) {
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0')) return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string FormatVerificationKey(const VerificationKey& key) {
  std::string out(kPrefix);
  std::string b64 = Base64Encode(std::span<const std::uint8_t>(key.secret.data(), 32));
  out += b64;
  OPENSSL_cleanse(b64.data(), b64.size());
  out += ':' + std::to_string(key.schedule.start_ms) + ':' +
         std::to_string(key.schedule.interval_ms) + ':' + key.schedule.log_id;
  return out;
}

Result<VerificationKey> ParseVerificationKey(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' ||
                           text.back() == '\t')) {
    text.remove_suffix(1);
  }
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\n')) {
    text.remove_prefix(1);
  }
  if (text.substr(0, kPrefix.size()) != kPrefix) {
    return Status::InvalidArgument("verification key: does not start with \"alsk1:\"");
  }
  text.remove_prefix(kPrefix.size());
  std::vector<std::string_view> parts;
  for (std::size_t at = 0;;) {
    const std::size_t colon = text.find(':', at);
    parts.push_back(text.substr(at, colon == std::string_view::npos ? colon : colon - at));
    if (colon == std::string_view::npos || parts.size() > 4) break;
    at = colon + 1;
  }
  if (parts.size() != 4) {
    return Status::InvalidArgument(
        "verification key: not alsk1:SECRET:START_MS:INTERVAL_MS:LOG_ID (4 fields after alsk1)");
  }
  VerificationKey key;
  auto secret = Base64Decode(parts[0], "verification key: the secret");
  if (!secret.ok() || secret->size() != 32) {
    if (secret.ok()) OPENSSL_cleanse(secret->data(), secret->size());
    return Status::InvalidArgument("verification key: the secret is not 32 bytes of base64");
  }
  std::memcpy(key.secret.data(), secret->data(), 32);
  OPENSSL_cleanse(secret->data(), secret->size());
  std::uint64_t start = 0, interval = 0;
  if (!ParseDecimal(parts[1], &start)) {
    return Status::InvalidArgument("verification key: the start is not a decimal number");
  }
  if (!ParseDecimal(parts[2], &interval) || interval > kMaxSealIntervalMs) {
    return Status::InvalidArgument("verification key: the interval is not a valid number");
  }
  key.schedule.start_ms = static_cast<std::int64_t>(start);
  key.schedule.interval_ms = static_cast<std::uint32_t>(interval);
  key.schedule.log_id.assign(parts[3]);
  if (Status s = ValidateSealSchedule(key.schedule); !s.ok()) {
    return Status::InvalidArgument("verification key: " + s.message());
  }
  return key;
}

}  // namespace auditlog::internal
