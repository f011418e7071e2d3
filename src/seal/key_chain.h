// The forward-secure key chain of sealing ("alseal-v1", docs/FORMAT.md §12): a two-level
// HMAC-SHA256 chain from which the host can only step forward, while the verifier, who holds
// the initial secret, reaches any epoch in at most (days + epochs per day) steps.
//
//   D_0       = HKDF-SHA256(key=S, salt=log_id, info="alseal-v1 day")
//   D_{d+1}   = HMAC(D_d, "alseal-v1 next-day")
//   E_{d,0}   = HMAC(D_d, "alseal-v1 epoch0")
//   E_{d,s+1} = HMAC(E_{d,s}, "alseal-v1 next-epoch")
//   M_{d,s}   = HMAC(E_{d,s}, "alseal-v1 mac")   (the MAC key; never the evolving key)
//
// Epoch e is day d = e / epochs_per_day, step s = e % epochs_per_day. A writer keeps E_{d,s}
// and D_{d+1} only; nothing it keeps derives an earlier epoch's key.
//
// Thread-compatible. Every secret lives in a SecretKey, which erases itself
// (OPENSSL_cleanse) when destroyed or overwritten; no key is ever formatted into a message.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "auditlog/status.h"

namespace auditlog::internal {

// 32 secret bytes, wiped when destroyed or replaced.
class SecretKey {
 public:
  SecretKey() { bytes_.fill(0); }
  explicit SecretKey(const std::array<std::uint8_t, 32>& bytes) : bytes_(bytes) {}
  ~SecretKey();
  SecretKey(const SecretKey& other) : bytes_(other.bytes_) {}
  SecretKey& operator=(const SecretKey& other);
  const std::uint8_t* data() const { return bytes_.data(); }
  std::uint8_t* data() { return bytes_.data(); }
  static constexpr std::size_t size() { return 32; }
  // Overwrites the bytes with zeros (OPENSSL_cleanse).
  void Wipe();

 private:
  std::array<std::uint8_t, 32> bytes_;
};

// When the epochs fall: epoch e covers [start_ms + e*interval_ms, start_ms + (e+1)*interval_ms).
struct SealSchedule {
  std::int64_t start_ms = 0;  // Unix time in ms, a multiple of interval_ms
  std::uint32_t interval_ms = 1000;
  std::string log_id;  // 32 lowercase hex digits

  std::uint64_t epochs_per_day() const { return 86'400'000 / interval_ms; }
  // The epoch holding Unix time `unix_ms` (0 for any time before start).
  std::uint64_t EpochAt(std::int64_t unix_ms) const;
  std::int64_t EpochStartMs(std::uint64_t epoch) const;
};

inline constexpr std::uint32_t kMinSealIntervalMs = 100;
inline constexpr std::uint32_t kMaxSealIntervalMs = 3'600'000;
// The last epoch a key chain goes to (keeps every epoch's start time within int64 ms and
// bounds a verifier's seek).
inline constexpr std::uint64_t kMaxSealEpoch = std::uint64_t{1} << 40;

// kInvalidArgument unless the interval is within [100 ms, 1 h] and divides a day, start is
// a non-negative multiple of it, and log_id is 32 lowercase hex digits.
Status ValidateSealSchedule(const SealSchedule& schedule);

// HMAC-SHA256(key, data) into `out`. Aborts only if libcrypto cannot run HMAC at all.
void HmacSha256(const SecretKey& key, std::string_view data, std::uint8_t out[32]);

class ForwardKeyChain {
 public:
  // The chain at epoch 0, from the initial secret (seal init; the verifier).
  static ForwardKeyChain FromSecret(const SecretKey& secret, const SealSchedule& schedule);
  // The chain a writer resumes from its state file.
  static ForwardKeyChain FromState(std::uint64_t epoch, std::uint64_t epochs_per_day,
                                   const SecretKey& epoch_key, const SecretKey& next_day_key);

  std::uint64_t epoch() const { return epoch_; }
  // The MAC key M of the current epoch.
  SecretKey MacKey() const;
  // Steps to epoch()+1, erasing the current epoch key (and the day key at a day change).
  void Evolve();
  // Steps forward to `epoch`. REQUIRES: epoch >= this->epoch(), epoch <= kMaxSealEpoch.
  // Crosses whole days with one step each.
  void SeekForward(std::uint64_t epoch);

  // For the state file: E of the current epoch and D of the next day.
  const SecretKey& epoch_key() const { return epoch_key_; }
  const SecretKey& next_day_key() const { return next_day_key_; }

 private:
  ForwardKeyChain(std::uint64_t epochs_per_day) : epochs_per_day_(epochs_per_day) {}
  // Enters the day whose key is next_day_key_ (at its epoch 0).
  void EnterNextDay();

  std::uint64_t epochs_per_day_;
  std::uint64_t epoch_ = 0;
  SecretKey epoch_key_;     // E_{d,s}
  SecretKey next_day_key_;  // D_{d+1}
};

// Finds MAC keys for any epoch from the initial secret, cheaply for increasing epochs (verify
// reads seals in order): a request behind the cached position restarts from D_0.
class SealKeyDeriver {
 public:
  SealKeyDeriver(const SecretKey& secret, const SealSchedule& schedule);
  // REQUIRES: epoch <= kMaxSealEpoch.
  SecretKey MacKeyFor(std::uint64_t epoch);

 private:
  SecretKey secret_;
  SealSchedule schedule_;
  ForwardKeyChain chain_;
};

}  // namespace auditlog::internal
