// Sealing a log directory (docs/FORMAT.md §12, docs/SECURITY.md): forward-secure HMAC seals
// every interval, so that whoever later takes the host (root included) cannot rewrite,
// truncate and continue, or delete what was logged before without `verify` with the
// verification key catching it. Sealing is a property of the directory, like the manifest:
// once InitSealing has run, every Logger opened on it seals by itself.
// Thread-safe (no state).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

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

// ---- Proofs (docs/FORMAT.md, "Proofs"). `env` nullptr: Env::Default().

// The JSON inclusion proof of record `seq` of the sealed log in `dir` against the latest
// signed checkpoint covering it (DIR/seal/checkpoints, proved from the tiles in DIR/tree).
// kNotFound when no checkpoint covers `seq` yet or the record is gone; kCorruption when the
// directory's tiles or checkpoint do not prove the record (the proof is checked first).
AUDITLOG_EXPORT Result<std::string> ProveRecord(const std::filesystem::path& dir, std::uint64_t seq,
                                                Env* env = nullptr);

struct ProvenRecord {
  std::uint64_t seq = 0;
  std::uint64_t tree_size = 0;  // of the signed checkpoint it was proven against
  std::string record;           // the record's line (untrusted text: escape before printing)
};

// Checks an inclusion proof without the log: the checkpoint's signature by `checkpoint_key`
// (the "NAME+KEYID+BASE64" InitSealing printed) first, then the record line and its path
// to the signed root. kCorruption with a one-line reason when it does not prove the
// record; kInvalidArgument for a malformed key.
AUDITLOG_EXPORT Result<ProvenRecord> VerifyProof(std::string_view proof_json,
                                                 std::string_view checkpoint_key);

// The latest signed checkpoint (note text) of the sealed log in `dir`; only one that the
// directory's own checkpoint key signed for the log's origin is returned.
AUDITLOG_EXPORT Result<std::string> LatestCheckpoint(const std::filesystem::path& dir,
                                                     Env* env = nullptr);

// The JSON consistency proof between the trees of `old_size` and `new_size` leaves of the
// sealed log in `dir`, from its tiles; `new_size` 0: the latest checkpoint's tree size.
AUDITLOG_EXPORT Result<std::string> ProveConsistency(const std::filesystem::path& dir,
                                                     std::uint64_t old_size, std::uint64_t new_size,
                                                     Env* env = nullptr);

// Checks that the signed checkpoint `new_checkpoint` extends `old_checkpoint` (both signed
// notes, opened with `checkpoint_key` first) with the consistency proof `proof_json`.
AUDITLOG_EXPORT Status CheckConsistency(std::string_view old_checkpoint,
                                        std::string_view new_checkpoint,
                                        std::string_view proof_json,
                                        std::string_view checkpoint_key);

// The same, with the proof made from the tiles of the log in `dir` (after both checkpoints'
// signatures were checked).
AUDITLOG_EXPORT Status CheckConsistencyWithLog(const std::filesystem::path& dir,
                                               std::string_view old_checkpoint,
                                               std::string_view new_checkpoint,
                                               std::string_view checkpoint_key, Env* env = nullptr);

}  // namespace auditlog
