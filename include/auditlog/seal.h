// Sealing a log directory (docs/FORMAT.md §12, docs/SECURITY.md): forward-secure HMAC seals
// every interval, so that whoever later takes the host (root included) cannot rewrite,
// truncate and continue, or delete what was logged before without `verify` with the
// verification key catching it. Sealing is a property of the directory, like the manifest:
// once InitSealing has run, every Logger opened on it seals by itself.
// Thread-safe (no state).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "auditlog/env.h"
#include "auditlog/export.h"
#include "auditlog/status.h"

namespace auditlog {

struct SealInitOptions {
  Env* env = nullptr;  // nullptr: Env::Default(); must outlive the call
  // How often the key evolves and a seal is written while records come: 100 ms to 1 h,
  // dividing a day. Shorter means a smaller window of records that a compromise of the host
  // could still change.
  std::chrono::milliseconds interval{1000};
};

struct SealInitResult {
  // "alsk1:…": the forward-secure secret from which every epoch's key is derived. It is
  // never stored in the directory: keep it off the host (the one copy is this string);
  // `verify --key-file` needs it.
  std::string verification_key;
  // "NAME+KEYID+BASE64": the Ed25519 public key of the host's checkpoint signer (its
  // private key is DIR/seal/checkpoint.key), in the C2SP signed-note verifier-key form.
  std::string checkpoint_key;
  std::string log_id;  // 32 hex digits, random, in every seal
};

// Turns sealing on for the log in `dir` (created if missing; an existing log's records are
// sealed by the first seal its next writer makes). Takes the directory lock, so no Logger
// may have it open. kFailedPrecondition if the log is sealed already (DIR/seal exists; it
// is never re-initialised) or another process holds the lock; kInvalidArgument for a bad
// interval; kIOError.
AUDITLOG_EXPORT Result<SealInitResult> InitSealing(const std::filesystem::path& dir,
                                                   const SealInitOptions& options = {});

}  // namespace auditlog
