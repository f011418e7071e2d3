// The writer's sealing state (docs/FORMAT.md §12.4): DIR/seal/state.a and DIR/seal/state.b,
// two slots of which the newer valid one counts. Saving writes the OTHER slot (truncate,
// write, fsync) and only then empties the older one, so a crash at any point leaves one
// valid slot, and once a save returns no file holds an earlier epoch key. (On SSDs and
// journaling or copy-on-write file systems the old blocks may survive physically; see
// docs/SECURITY.md.)
//
// Every byte read back is hostile: a slot counts only if its size, magic, version, schedule
// and SHA-256 check out, and the key it holds is only ever trusted to seal from its epoch on.
// Thread-compatible: one writer (the directory lock's holder) at a time.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "auditlog/env.h"
#include "auditlog/status.h"
#include "seal/key_chain.h"

namespace auditlog::internal {

inline constexpr std::string_view kSealDirName = "seal";
inline constexpr std::size_t kSealStateSlotBytes = 256;
// DIR/seal/checkpoint.key: the host's Ed25519 checkpoint signer (signing_key.h text form).
inline constexpr std::string_view kCheckpointKeyFileName = "checkpoint.key";

struct SealState {
  SealSchedule schedule;
  std::uint64_t generation = 0;  // grows by one with every save; the newer slot wins
  std::uint64_t epoch = 0;       // of epoch_key
  SecretKey epoch_key;           // E of `epoch`
  SecretKey next_day_key;        // D of the day after `epoch`'s
  // The last seal known durable when the state was saved (0 / zeros: none yet).
  std::uint64_t last_seal_seq = 0;
  std::uint64_t last_seal_epoch = 0;
  std::array<std::uint8_t, 32> last_tag{};
};

// True when DIR/seal exists (anything there): the log is sealed.
bool IsSealedLog(Env* env, const std::filesystem::path& dir);

// The newer valid slot. kNotFound when DIR/seal/ holds no state file; kCorruption naming
// the file(s) when no slot is valid.
Result<SealState> ReadSealState(Env* env, const std::filesystem::path& dir);

// `auditlog seal init`: creates DIR/seal/ (0700) and a state at generation 1 in slot A,
// fsync'ed with its directory. kFailedPrecondition if DIR/seal already exists.
Status CreateSealState(Env* env, const std::filesystem::path& dir, SealState state);

// The writer's handle on both slots, open for its lifetime.
class SealStateFile {
 public:
  // REQUIRES: the caller holds the directory lock and read `current` with ReadSealState.
  static Result<std::unique_ptr<SealStateFile>> Open(Env* env, const std::filesystem::path& dir,
                                                     const SealState& current);
  // Writes `state` (generation = the last one + 1) into the slot not holding the current
  // state, fsyncs it, then empties the other. A failure leaves the previous state valid.
  Status Save(SealState* state);

 private:
  SealStateFile() = default;
  std::unique_ptr<WritableFile> slots_[2];
  int current_ = 0;  // the slot holding the last saved state
  std::uint64_t generation_ = 0;
};

// The slot bytes of `state` (exposed for the tests of hostile slots).
std::string EncodeSealStateSlot(const SealState& state);

}  // namespace auditlog::internal
