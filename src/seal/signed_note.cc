// C2SP signed notes; see signed_note.h.
#include "seal/signed_note.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <string>
#include <utility>

#include "seal/base64.h"
#include "util/utf8.h"

namespace auditlog::internal {

namespace {

// Room left after the text for the blank line and our one signature line (at most
// 4 + kMaxKeyNameBytes + 1 + 92 + 1 bytes).
constexpr std::size_t kMaxNoteTextBytes = kMaxNoteBytes - 1024;
static_assert(kMaxKeyNameBytes + 100 < 1024);

std::string LineLabel(std::size_t line) { return "line " + std::to_string(line); }

// Checks that `s` is well-formed UTF-8 with no ASCII control character but "\n". Errors
// name the line (counted from `first_line`) and the byte within it.
Status CheckNoteBytes(std::string_view s, std::size_t first_line, std::string_view what) {
  std::size_t line = first_line;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      ++line;
      line_start = ++i;
      continue;
    }
    std::string problem;
    std::size_t len = 1;
    if (c < 0x20) {  // the specification forbids those below U+0020 (DEL is allowed)
      problem = "control character " + std::to_string(c) + " (only \\n may appear)";
    } else if (c >= 0x80) {
      char32_t cp = 0;
      len = DecodeUtf8(s, i, &cp);
      if (len == 0) problem = "invalid UTF-8";
    }
    if (!problem.empty()) {
      return Status::Corruption(std::string(what) + ": " + LineLabel(line) + ", byte " +
                                std::to_string(i - line_start + 1) + ": " + problem);
    }
    i += len;
  }
  return Status::Ok();
}

struct SignatureLine {
  std::string name;
  std::uint32_t key_id = 0;
  std::string base64;
  std::string signature;  // the bytes after the key ID
};

Result<SignatureLine> ParseSignatureLine(std::string_view line, std::size_t number) {
  const std::string label = "signed note: " + LineLabel(number);
  if (line.substr(0, kNoteSignaturePrefix.size()) != kNoteSignaturePrefix) {
    const bool dash = !line.empty() && (line[0] == '-' || line.substr(0, 3) == "\xE2\x80\x93");
    return Status::Corruption(label +
                              ": a signature line must start with U+2014 EM DASH and a space" +
                              (dash ? " (this one starts with a hyphen or an en dash)" : ""));
  }
  line.remove_prefix(kNoteSignaturePrefix.size());
  const std::size_t space = line.find(' ');
  if (space == std::string_view::npos) {
    return Status::Corruption(label + ": no space between the key name and the signature");
  }
  SignatureLine sig;
  const std::string_view name = line.substr(0, space);
  if (Status s = CheckKeyName(name); !s.ok()) return Status::Corruption(label + ": " + s.message());
  const std::string_view b64 = line.substr(space + 1);
  AUDITLOG_ASSIGN_OR_RETURN(std::string raw, Base64Decode(b64, label + ": the signature"));
  if (raw.size() < 5) {
    return Status::Corruption(label + ": the signature is " + std::to_string(raw.size()) +
                              " bytes; it needs a 4-byte key ID and at least 1 more");
  }
  const auto* u = reinterpret_cast<const std::uint8_t*>(raw.data());
  sig.key_id = (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) |
               (std::uint32_t{u[2]} << 8) | std::uint32_t{u[3]};
  sig.name = std::string(name);
  sig.base64 = std::string(b64);
  sig.signature = raw.substr(4);
  return sig;
}

std::string KeyLabel(std::string_view name, std::uint32_t id) {
  return QuoteUntrusted(std::string(name) + "+" + KeyIdHex(id));
}

// The known key with `name` and `id`, or nullptr. Two different known keys with both the
// same name and ID cannot be told apart: an error (as Go's note.Open reports it).
Result<const Ed25519VerifierKey*> FindKnownKey(std::span<const Ed25519VerifierKey> known,
                                               const SignatureLine& sig, std::size_t number) {
  const Ed25519VerifierKey* found = nullptr;
  for (const Ed25519VerifierKey& k : known) {
    if (k.key_id() != sig.key_id || k.name() != sig.name) continue;
    if (found != nullptr && !(*found == k)) {
      return Status::Corruption("signed note: " + LineLabel(number) + ": two known keys are " +
                                KeyLabel(sig.name, sig.key_id) + "; cannot tell which signed");
    }
    found = &k;
  }
  return found;
}

Status NoKnownSignature(const VerifiedNote& note, std::span<const Ed25519VerifierKey> known) {
  constexpr std::size_t kMaxListed = 4;
  std::string msg = "signed note: no signature by a known key (known:";
  for (std::size_t i = 0; i < known.size() && i < kMaxListed; ++i) {
    msg += " " + KeyLabel(known[i].name(), known[i].key_id());
  }
  if (known.empty()) msg += " none";
  if (known.size() > kMaxListed) msg += " ...";
  msg += "; signed by:";
  for (std::size_t i = 0; i < note.unverified.size() && i < kMaxListed; ++i) {
    msg += " " + KeyLabel(note.unverified[i].name, note.unverified[i].key_id);
  }
  if (note.unverified.size() > kMaxListed) msg += " ...";
  return Status::Corruption(msg + ")");
}

}  // namespace

Status CheckNoteText(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("note text is empty");
  if (text.size() > kMaxNoteTextBytes) {
    return Status::InvalidArgument("note text is " + std::to_string(text.size()) +
                                   " bytes, over the limit of " +
                                   std::to_string(kMaxNoteTextBytes));
  }
  if (text.back() != '\n') return Status::InvalidArgument("note text does not end in \"\\n\"");
  Status s = CheckNoteBytes(text, 1, "note text");
  if (!s.ok()) return Status::InvalidArgument(s.message());
  return Status::Ok();
}

Result<std::string> SignNote(std::string_view text, const Ed25519SigningKey& key) {
  AUDITLOG_RETURN_IF_ERROR(CheckNoteText(text));
  AUDITLOG_ASSIGN_OR_RETURN(const Ed25519Signature sig, key.Sign(text));
  std::uint8_t raw[4 + sizeof(Ed25519Signature)];
  const std::uint32_t id = key.key_id();
  raw[0] = static_cast<std::uint8_t>(id >> 24);
  raw[1] = static_cast<std::uint8_t>(id >> 16);
  raw[2] = static_cast<std::uint8_t>(id >> 8);
  raw[3] = static_cast<std::uint8_t>(id);
  std::memcpy(raw + 4, sig.data(), sig.size());
  std::string note(text);
  note += "\n";
  note += kNoteSignaturePrefix;
  note += key.name();
  note += " ";
  note += Base64Encode(std::span<const std::uint8_t>(raw));
  note += "\n";
  return note;
}

Result<VerifiedNote> OpenNote(std::string_view note, std::span<const Ed25519VerifierKey> known) {
  if (note.size() > kMaxNoteBytes) {
    return Status::Corruption("signed note is " + std::to_string(note.size()) +
                              " bytes, over the limit of " + std::to_string(kMaxNoteBytes));
  }
  AUDITLOG_RETURN_IF_ERROR(CheckNoteBytes(note, 1, "signed note"));
  // The text ends at the last blank line (the text itself may hold blank lines).
  const std::size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) {
    return Status::Corruption("signed note: no blank line before the signature lines");
  }
  VerifiedNote out;
  out.text = std::string(note.substr(0, split + 1));
  std::string_view sigs = note.substr(split + 2);
  if (sigs.empty())
    return Status::Corruption("signed note: no signature line after the blank line");
  if (sigs.back() != '\n') {
    return Status::Corruption("signed note: the last signature line does not end in \"\\n\"");
  }
  const std::size_t count = static_cast<std::size_t>(std::count(sigs.begin(), sigs.end(), '\n'));
  if (count > kMaxNoteSignatures) {
    return Status::Corruption("signed note: " + std::to_string(count) +
                              " signature lines, over the limit of " +
                              std::to_string(kMaxNoteSignatures));
  }
  // Line number of the first signature line: the text's lines, then the blank line.
  std::size_t number =
      static_cast<std::size_t>(std::count(out.text.begin(), out.text.end(), '\n')) + 2;
  std::set<std::pair<std::string, std::uint32_t>> verified_keys;
  std::set<std::string> unverified_lines;
  for (; !sigs.empty(); ++number) {
    const std::size_t eol = sigs.find('\n');  // always found: sigs ends in "\n"
    const std::string_view line = sigs.substr(0, eol);
    sigs.remove_prefix(eol + 1);
    AUDITLOG_ASSIGN_OR_RETURN(SignatureLine sig, ParseSignatureLine(line, number));
    AUDITLOG_ASSIGN_OR_RETURN(const Ed25519VerifierKey* key, FindKnownKey(known, sig, number));
    if (key == nullptr) {  // unknown: ignored, listed once
      if (unverified_lines.insert(std::string(line)).second) {
        out.unverified.push_back({std::move(sig.name), sig.key_id, std::move(sig.base64)});
      }
      continue;
    }
    // Every line of a known key is checked, repeated ones too (the specification: a
    // verifier MUST verify a signature whose key name and ID match a known key).
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(sig.signature.data());
    if (!key->Verify(out.text, std::span<const std::uint8_t>(bytes, sig.signature.size()))) {
      return Status::Corruption("signed note: " + LineLabel(number) + ": the signature by " +
                                KeyLabel(sig.name, sig.key_id) + " does not verify");
    }
    if (verified_keys.emplace(sig.name, sig.key_id).second) {
      out.verified.push_back({std::move(sig.name), sig.key_id, std::move(sig.base64)});
    }
  }
  if (out.verified.empty()) return NoKnownSignature(out, known);
  return out;
}

}  // namespace auditlog::internal
