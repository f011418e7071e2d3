// Seal records (seal_record.h).
#include "seal/seal_record.h"

#include <openssl/crypto.h>

#include <nlohmann/json.hpp>

#include "format/record_format.h"
#include "util/sha256.h"

namespace auditlog::internal {
namespace {

constexpr std::string_view kTagDomain = "alseal-v1 seal\n";
constexpr std::string_view kTagMember = ",\"tag\":\"";
// `,"tag":"` + 64 hex + `"}` ends every seal value.
constexpr std::size_t kTagSuffixBytes = kTagMember.size() + 64 + 2;

// The MAC of the bytes before the tag member of a seal's event value.
std::array<std::uint8_t, 32> TagOf(std::string_view value_before_tag, const SecretKey& mac_key) {
  std::string input;
  input.reserve(kTagDomain.size() + value_before_tag.size());
  input.append(kTagDomain).append(value_before_tag);
  std::array<std::uint8_t, 32> tag;
  HmacSha256(mac_key, input, tag.data());
  return tag;
}

// `event_json` up to the tag member, or nullopt when it does not end in one.
std::optional<std::string_view> BeforeTag(std::string_view event_json) {
  if (event_json.size() < kTagSuffixBytes + 2) return std::nullopt;
  const std::size_t at = event_json.size() - kTagSuffixBytes;
  if (event_json.substr(at, kTagMember.size()) != kTagMember ||
      event_json.substr(event_json.size() - 2) != "\"}" ||
      !IsLowerHex64(event_json.substr(at + kTagMember.size(), 64))) {
    return std::nullopt;
  }
  return event_json.substr(0, at);
}

}  // namespace

std::string_view SealKindName(SealKind kind) {
  switch (kind) {
    case SealKind::kData:
      return "data";
    case SealKind::kIdle:
      return "idle";
    case SealKind::kResume:
      return "resume";
    case SealKind::kShutdown:
      return "shutdown";
  }
  return "data";
}

std::optional<SealKind> ParseSealKind(std::string_view name) {
  for (SealKind k : {SealKind::kData, SealKind::kIdle, SealKind::kResume, SealKind::kShutdown}) {
    if (SealKindName(k) == name) return k;
  }
  return std::nullopt;
}

Status EncodeSealEvent(LogSealed seal, const SecretKey& mac_key, EncodedEvent* out) {
  seal.tag = std::string(kZeroTag);
  AUDITLOG_RETURN_IF_ERROR(EncodeEvent(LibraryEvent{std::move(seal)}, EncodeOptions{}, out));
  // body is `"event":{…,"tag":"000…"}`: the value starts at its first '{'.
  const std::size_t value = out->body.find('{');
  const std::string_view body(out->body);
  if (value == std::string::npos || out->altered_fields != 0) {
    return Status::InvalidArgument("log_sealed: a member needed neutralizing");
  }
  const auto before = BeforeTag(body.substr(value));
  if (!before) return Status::InvalidArgument("log_sealed: the encoding does not end in the tag");
  const auto tag = TagOf(*before, mac_key);
  ToHex(tag, out->body.data() + value + before->size() + kTagMember.size());
  return Status::Ok();
}

Result<SealRecord> ParseSealEvent(std::string_view event_json) {
  if (!BeforeTag(event_json)) {
    return Status::Corruption("log_sealed: the event does not end in a \"tag\" member");
  }
  const auto j = nlohmann::ordered_json::parse(event_json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::Corruption("log_sealed: the event is not a JSON object");
  static constexpr const char* kMembers[] = {
      "event_type", "log_id", "kind",      "epoch", "t_start",  "t_end", "first_seq",
      "last_seq",   "chain",  "tree_size", "root",  "prev_tag", "tag"};
  if (j.size() != std::size(kMembers)) {
    return Status::Corruption("log_sealed: " + std::to_string(j.size()) + " members, not " +
                              std::to_string(std::size(kMembers)));
  }
  std::size_t i = 0;
  for (auto it = j.begin(); it != j.end(); ++it, ++i) {
    if (it.key() != kMembers[i]) {
      return Status::Corruption("log_sealed: member " + std::to_string(i + 1) + " is not \"" +
                                kMembers[i] + "\"");
    }
  }
  auto str = [&](const char* name, std::string* out) -> Status {
    const auto& v = j[name];
    if (!v.is_string())
      return Status::Corruption(std::string("log_sealed.") + name + ": not a string");
    *out = v.get<std::string>();
    return Status::Ok();
  };
  auto u64 = [&](const char* name, std::uint64_t* out) -> Status {
    const auto& v = j[name];
    if (!v.is_number_unsigned()) {
      return Status::Corruption(std::string("log_sealed.") + name + ": not an unsigned integer");
    }
    *out = v.get<std::uint64_t>();
    return Status::Ok();
  };
  auto time = [&](const char* name, std::int64_t* out) -> Status {
    std::string s;
    AUDITLOG_RETURN_IF_ERROR(str(name, &s));
    const auto t = ParseRecordTimestamp(s);
    if (!t) return Status::Corruption(std::string("log_sealed.") + name + ": not a timestamp");
    *out = *t;
    return Status::Ok();
  };
  auto hex = [&](const char* name, std::string* out) -> Status {
    AUDITLOG_RETURN_IF_ERROR(str(name, out));
    if (!IsLowerHex64(*out)) {
      return Status::Corruption(std::string("log_sealed.") + name +
                                ": not 64 lowercase hex digits");
    }
    return Status::Ok();
  };
  SealRecord s;
  std::string type, kind;
  AUDITLOG_RETURN_IF_ERROR(str("event_type", &type));
  if (type != kSealEventType) return Status::Corruption("log_sealed: event_type is not log_sealed");
  AUDITLOG_RETURN_IF_ERROR(str("log_id", &s.log_id));
  AUDITLOG_RETURN_IF_ERROR(str("kind", &kind));
  const auto k = ParseSealKind(kind);
  if (!k) return Status::Corruption("log_sealed.kind: not data, idle, resume or shutdown");
  s.kind = *k;
  AUDITLOG_RETURN_IF_ERROR(u64("epoch", &s.epoch));
  AUDITLOG_RETURN_IF_ERROR(time("t_start", &s.t_start_micros));
  AUDITLOG_RETURN_IF_ERROR(time("t_end", &s.t_end_micros));
  AUDITLOG_RETURN_IF_ERROR(u64("first_seq", &s.first_seq));
  AUDITLOG_RETURN_IF_ERROR(u64("last_seq", &s.last_seq));
  AUDITLOG_RETURN_IF_ERROR(hex("chain", &s.chain));
  AUDITLOG_RETURN_IF_ERROR(u64("tree_size", &s.tree_size));
  AUDITLOG_RETURN_IF_ERROR(hex("root", &s.root));
  AUDITLOG_RETURN_IF_ERROR(hex("prev_tag", &s.prev_tag));
  AUDITLOG_RETURN_IF_ERROR(hex("tag", &s.tag));
  return s;
}

bool SealTagMatches(std::string_view event_json, const SealRecord& seal, const SecretKey& mac_key) {
  const auto before = BeforeTag(event_json);
  if (!before || !IsLowerHex64(seal.tag)) return false;
  const auto tag = TagOf(*before, mac_key);
  char hex[64];
  ToHex(tag, hex);
  return CRYPTO_memcmp(hex, seal.tag.data(), 64) == 0;
}

}  // namespace auditlog::internal
