// The verification key of a sealed log (docs/FORMAT.md §12.2):
//   alsk1:<base64 of the 32-byte secret S>:<start, Unix ms>:<interval ms>:<log_id>
// printed once by `auditlog seal init` and kept off the host. Errors never quote the key.
// Thread-safe (no state).
#pragma once

#include <string>
#include <string_view>

#include "auditlog/status.h"
#include "seal/key_chain.h"

namespace auditlog::internal {

struct VerificationKey {
  SecretKey secret;
  SealSchedule schedule;
};

std::string FormatVerificationKey(const VerificationKey& key);
// Accepts the text with surrounding whitespace (a key file's final newline); anything else
// that is not exactly the form above is kInvalidArgument naming the part.
Result<VerificationKey> ParseVerificationKey(std::string_view text);

}  // namespace auditlog::internal
