// C2SP signed notes (c2sp.org/signed-note): a UTF-8 text ending in "\n", a blank line, and
// signature lines "— NAME BASE64(keyid4 || signature)\n" (U+2014 EM DASH, space). We sign
// with one Ed25519 key; opening accepts any number of signatures up to kMaxNoteSignatures,
// ignores those of unknown keys, and fails unless a known key's signature verifies and no
// known key's signature fails. docs/FORMAT.md §12.9 gives the exact rules.
//
// Pure functions over their arguments; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "auditlog/status.h"
#include "seal/signing_key.h"

namespace auditlog::internal {

// Bounds on hostile input: larger notes, or more signature lines, are refused before any
// signature is checked. (The specification requires accepting at least 16 signatures.)
inline constexpr std::size_t kMaxNoteBytes = std::size_t{1} << 20;
inline constexpr std::size_t kMaxNoteSignatures = 100;

// The U+2014 EM DASH and space that open every signature line.
inline constexpr std::string_view kNoteSignaturePrefix = "\xE2\x80\x94 ";

struct NoteSignature {
  std::string name;
  std::uint32_t key_id = 0;
  std::string base64;  // base64(key ID || signature), as on the line
  friend bool operator==(const NoteSignature&, const NoteSignature&) = default;
};

struct VerifiedNote {
  std::string text;                       // the note text, ending in "\n"
  std::vector<NoteSignature> verified;    // known keys whose signature verified, once each
  std::vector<NoteSignature> unverified;  // signatures of unknown keys (ignored), once each
};

// OK when `text` can be the text of a signed note: non-empty, ending in "\n", well-formed
// UTF-8 with no ASCII control character other than "\n", and short enough that the signed
// note stays within kMaxNoteBytes. Otherwise kInvalidArgument naming the problem and line.
Status CheckNoteText(std::string_view text);

// `text`, a blank line, and one signature line by `key`. kInvalidArgument when CheckNoteText
// refuses `text`; kIOError when OpenSSL fails.
Result<std::string> SignNote(std::string_view text, const Ed25519SigningKey& key);

// Parses and verifies the signed note `note` against the keys `known`. Succeeds when the
// note is well formed (within the bounds above), at least one signature line names a known
// key (same name and key ID) and verifies, and every signature line naming a known key
// verifies. Errors are kCorruption and name the line (1-based, counted over the whole note)
// and the key: a malformed signature line, a known key whose signature does not verify, two
// different known keys with the same name and ID, or no signature by any known key.
Result<VerifiedNote> OpenNote(std::string_view note, std::span<const Ed25519VerifierKey> known);

}  // namespace auditlog::internal
