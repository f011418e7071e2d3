// The two-slot seal state (seal_state.h).
#include "seal/seal_state.h"

#include <openssl/crypto.h>

#include <cstring>
#include <optional>

#include "util/sha256.h"

namespace auditlog::internal {
namespace {

constexpr std::string_view kMagic = "ALSEAL1\n";
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kChecksumOffset = kSealStateSlotBytes - 32;
constexpr const char* kSlotNames[2] = {"state.a", "state.b"};

std::filesystem::path SlotPath(const std::filesystem::path& dir, int slot) {
  return dir / kSealDirName / kSlotNames[slot];
}

void PutU64(std::string* s, std::size_t at, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) (*s)[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
void PutU32(std::string* s, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) (*s)[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
std::uint64_t GetU64(std::string_view s, std::size_t at) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(s[at + i]);
  return v;
}
std::uint32_t GetU32(std::string_view s, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(s[at + i]);
  return v;
}

// Layout (little-endian): magic[8] version u32, interval_ms u32, start_ms u64, log_id[32],
// generation u64, epoch u64, E[32], D_next[32], last_seal_seq u64, last_seal_epoch u64,
// last_tag[32], zeros up to 224, SHA-256 of bytes 0..223.
Result<SealState> DecodeSlot(std::string_view b) {
  if (b.size() != kSealStateSlotBytes) {
    return Status::Corruption("size " + std::to_string(b.size()) + ", not " +
                              std::to_string(kSealStateSlotBytes) + " bytes");
  }
  if (b.substr(0, 8) != kMagic) return Status::Corruption("no ALSEAL1 magic");
  const Digest sum = Sha256(b.substr(0, kChecksumOffset));
  if (CRYPTO_memcmp(sum.data(), b.data() + kChecksumOffset, 32) != 0) {
    return Status::Corruption("checksum mismatch");
  }
  if (GetU32(b, 8) != kVersion) {
    return Status::Corruption("version " + std::to_string(GetU32(b, 8)) + " is not 1");
  }
  SealState s;
  s.schedule.interval_ms = GetU32(b, 12);
  s.schedule.start_ms = static_cast<std::int64_t>(GetU64(b, 16));
  s.schedule.log_id.assign(b.substr(24, 32));
  if (Status v = ValidateSealSchedule(s.schedule); !v.ok()) {
    return Status::Corruption(v.message());
  }
  s.generation = GetU64(b, 56);
  s.epoch = GetU64(b, 64);
  if (s.epoch > kMaxSealEpoch) return Status::Corruption("epoch beyond the last");
  std::memcpy(s.epoch_key.data(), b.data() + 72, 32);
  std::memcpy(s.next_day_key.data(), b.data() + 104, 32);
  s.last_seal_seq = GetU64(b, 136);
  s.last_seal_epoch = GetU64(b, 144);
  std::memcpy(s.last_tag.data(), b.data() + 152, 32);
  return s;
}

}  // namespace

std::string EncodeSealStateSlot(const SealState& s) {
  std::string b(kSealStateSlotBytes, '\0');
  b.replace(0, 8, kMagic);
  PutU32(&b, 8, kVersion);
  PutU32(&b, 12, s.schedule.interval_ms);
  PutU64(&b, 16, static_cast<std::uint64_t>(s.schedule.start_ms));
  b.replace(24, 32, s.schedule.log_id.substr(0, 32));
  PutU64(&b, 56, s.generation);
  PutU64(&b, 64, s.epoch);
  std::memcpy(b.data() + 72, s.epoch_key.data(), 32);
  std::memcpy(b.data() + 104, s.next_day_key.data(), 32);
  PutU64(&b, 136, s.last_seal_seq);
  PutU64(&b, 144, s.last_seal_epoch);
  std::memcpy(b.data() + 152, s.last_tag.data(), 32);
  const Digest sum = Sha256(std::string_view(b).substr(0, kChecksumOffset));
  std::memcpy(b.data() + kChecksumOffset, sum.data(), 32);
  return b;
}

bool IsSealedLog(Env* env, const std::filesystem::path& dir) {
  return env->FileExists(dir / kSealDirName);
}

Result<SealState> ReadSealState(Env* env, const std::filesystem::path& dir) {
  std::optional<SealState> best;
  std::string problems;
  bool any_file = false;
  for (int slot = 0; slot < 2; ++slot) {
    const std::filesystem::path path = SlotPath(dir, slot);
    if (!env->FileExists(path)) continue;
    any_file = true;
    std::string why;
    auto size = env->GetFileSize(path);
    if (!size.ok()) {
      why = size.status().message();
    } else if (*size == 0) {
      continue;  // the emptied older slot
    } else if (*size != kSealStateSlotBytes) {
      why = "size " + std::to_string(*size) + ", not " + std::to_string(kSealStateSlotBytes);
    } else {
      auto file = env->NewReadableFile(path);
      std::string bytes;
      Status read = file.ok() ? (*file)->Read(0, kSealStateSlotBytes, &bytes) : file.status();
      if (!read.ok()) {
        why = read.message();
      } else if (auto state = DecodeSlot(bytes); !state.ok()) {
        why = state.status().message();
      } else if (!best || state->generation > best->generation) {
        best = std::move(*state);
      }
      OPENSSL_cleanse(bytes.data(), bytes.size());
    }
    if (!why.empty()) {
      problems += (problems.empty() ? "" : "; ") + std::string(kSealDirName) + "/" +
                  kSlotNames[slot] + ": " + why;
    }
  }
  if (best) return std::move(*best);
  if (!any_file) return Status::NotFound("no seal state in " + (dir / kSealDirName).string());
  return Status::Corruption("no valid seal state in " + (dir / kSealDirName).string() +
                            (problems.empty() ? ": both slots empty" : ": " + problems));
}

Status CreateSealState(Env* env, const std::filesystem::path& dir, SealState state) {
  AUDITLOG_RETURN_IF_ERROR(ValidateSealSchedule(state.schedule));
  const std::filesystem::path seal_dir = dir / kSealDirName;
  if (env->FileExists(seal_dir)) {
    return Status::FailedPrecondition(seal_dir.string() +
                                      " exists: the log is sealed already (seal init refuses to "
                                      "re-initialise it)");
  }
  AUDITLOG_RETURN_IF_ERROR(env->CreateDir(seal_dir));
  state.generation = 1;
  std::string bytes = EncodeSealStateSlot(state);
  for (int slot = 0; slot < 2; ++slot) {
    AUDITLOG_ASSIGN_OR_RETURN(
        auto file, env->NewWritableFile(SlotPath(dir, slot), OpenMode::kCreateExclusive));
    if (slot == 0) AUDITLOG_RETURN_IF_ERROR(file->Append(bytes));
    AUDITLOG_RETURN_IF_ERROR(file->Sync());
    AUDITLOG_RETURN_IF_ERROR(file->Close());
  }
  OPENSSL_cleanse(bytes.data(), bytes.size());
  AUDITLOG_RETURN_IF_ERROR(env->SyncDir(seal_dir));
  return env->SyncDir(dir);
}

Result<std::unique_ptr<SealStateFile>> SealStateFile::Open(Env* env,
                                                           const std::filesystem::path& dir,
                                                           const SealState& current) {
  std::unique_ptr<SealStateFile> f(new SealStateFile());
  for (int slot = 0; slot < 2; ++slot) {
    const std::filesystem::path path = SlotPath(dir, slot);
    // A slot file deleted by someone is made again (the other one holds the state).
    const OpenMode mode =
        env->FileExists(path) ? OpenMode::kAppendExisting : OpenMode::kCreateExclusive;
    AUDITLOG_ASSIGN_OR_RETURN(f->slots_[slot], env->NewWritableFile(path, mode));
  }
  // The slot holding `current` (by generation) is kept; the other is free. After a crash
  // between writing one slot and emptying the other both are full: the older one is free.
  f->current_ = 0;
  for (int slot = 0; slot < 2; ++slot) {
    if (f->slots_[slot]->Size() != kSealStateSlotBytes) continue;
    auto file = env->NewReadableFile(SlotPath(dir, slot));
    std::string bytes;
    if (!file.ok() || !(*file)->Read(0, kSealStateSlotBytes, &bytes).ok()) continue;
    auto decoded = DecodeSlot(bytes);
    OPENSSL_cleanse(bytes.data(), bytes.size());
    if (decoded.ok() && decoded->generation == current.generation) f->current_ = slot;
  }
  f->generation_ = current.generation;
  return f;
}

Status SealStateFile::Save(SealState* state) {
  state->generation = generation_ + 1;
  std::string bytes = EncodeSealStateSlot(*state);
  const int next = 1 - current_;
  WritableFile* file = slots_[next].get();
  Status s = file->Truncate(0);
  if (s.ok()) s = file->Append(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  if (s.ok()) s = file->Sync();
  if (!s.ok()) return s;
  generation_ = state->generation;
  current_ = next;
  // The older state (an earlier epoch key) goes; the new one is durable already. Its
  // emptying becomes durable with the next save's fsync at the latest.
  return slots_[1 - next]->Truncate(0);
}

}  // namespace auditlog::internal
