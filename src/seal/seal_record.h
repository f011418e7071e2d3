// Seal records (docs/FORMAT.md §12.5): a log_sealed system event whose last member, "tag",
// is the HMAC-SHA256, under the MAC key of the seal's epoch, of
//   "alseal-v1 seal\n" || the event member's JSON value up to (excluding) `,"tag":"`
// i.e. of the exact bytes on disk, so that a verifier needs no canonical re-encoding.
// Thread-safe (no state).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auditlog/events.h"
#include "auditlog/status.h"
#include "format/event_codec.h"
#include "seal/key_chain.h"

namespace auditlog::internal {

inline constexpr std::string_view kSealEventType = "log_sealed";
inline constexpr std::string_view kZeroTag =
    "0000000000000000000000000000000000000000000000000000000000000000";

enum class SealKind : std::uint8_t { kData, kIdle, kResume, kShutdown };
std::string_view SealKindName(SealKind kind);  // "data", "idle", "resume", "shutdown"
std::optional<SealKind> ParseSealKind(std::string_view name);

// The most epochs between two consecutive seals (docs/FORMAT.md §12.6): a minute's worth,
// at least one. A writer seals at least that often, even when idle, so that a log cut back
// to an earlier seal and continued shows a gap a key of the current epoch cannot fill.
inline std::uint64_t MaxSealGapEpochs(std::uint32_t interval_ms) {
  return interval_ms >= 60'000 ? 1 : 60'000 / interval_ms;
}

// Encodes `seal` (whose `tag` is ignored) and sets its tag with `mac_key`.
Status EncodeSealEvent(LogSealed seal, const SecretKey& mac_key, EncodedEvent* out);

// A seal as read back from a record's raw "event" value.
struct SealRecord {
  std::string log_id;
  SealKind kind = SealKind::kData;
  std::uint64_t epoch = 0;
  std::int64_t t_start_micros = 0, t_end_micros = 0;
  std::uint64_t first_seq = 0, last_seq = 0;
  std::string chain;
  std::uint64_t tree_size = 0;
  std::string root, prev_tag, tag;  // 64 lowercase hex digits each
};

// Parses a log_sealed event value strictly: every member present with its type and form
// (hashes 64 lowercase hex, times in the record form, kind one of the four), nothing else,
// and `tag` last. kCorruption naming the member otherwise.
Result<SealRecord> ParseSealEvent(std::string_view event_json);

// True when `seal`'s tag is the MAC of `event_json` (the value ParseSealEvent accepted)
// under `mac_key`. Constant-time comparison.
bool SealTagMatches(std::string_view event_json, const SealRecord& seal, const SecretKey& mac_key);

}  // namespace auditlog::internal
