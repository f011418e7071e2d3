// libFuzzer target: the signed-note, checkpoint and key parsers of src/seal on the input:
// OpenNote and OpenCheckpoint (with a fixed key, the one that signed the seed checkpoints),
// ParseCheckpointBody, Ed25519VerifierKey::Parse, Ed25519SigningKey::ParseKeyText and
// Base64Decode. Properties besides "no crash, no UB, no leak": every rejection names its
// reason; what is accepted is canonical (it prints back to the same bytes); a note opened
// has a verified signature by the fixed key and its text; an accepted checkpoint body, signed
// by the fixed key, opens to the same checkpoint; any text SignNote accepts opens again.
#include <array>
#include <string>

#include "fuzz_seal_key.h"
#include "fuzz_util.h"
#include "seal/base64.h"
#include "seal/checkpoint.h"
#include "seal/signed_note.h"
#include "seal/signing_key.h"

namespace {

using namespace auditlog::internal;

void CheckOpenNote(std::string_view input) {
  const Ed25519VerifierKey& v = FuzzKey().verifier();
  auto note = OpenNote(input, std::span<const Ed25519VerifierKey>(&v, 1));
  if (!note.ok()) {
    FUZZ_CHECK(!note.status().message().empty(), "a rejection names its reason");
    return;
  }
  FUZZ_CHECK(note->verified.size() == 1 && note->verified[0].name == v.name() &&
                 note->verified[0].key_id == v.key_id(),
             "the fixed key verified");
  FUZZ_CHECK(input.substr(0, note->text.size()) == note->text, note->text);
  FUZZ_CHECK(CheckNoteText(note->text).ok(), note->text);
}

void CheckCheckpoint(std::string_view input) {
  auto opened = OpenCheckpoint(input, FuzzKey().verifier(), kFuzzOrigin);
  if (!opened.ok()) FUZZ_CHECK(!opened.status().message().empty(), "a rejection names it");
  auto c = ParseCheckpointBody(input);
  if (!c.ok()) {
    FUZZ_CHECK(!c.status().message().empty(), "a rejection names its reason");
    return;
  }
  FUZZ_CHECK(FormatCheckpointBody(*c) == input, "an accepted body is canonical");
  auto signed_note = SignCheckpoint(*c, FuzzKey());
  FUZZ_CHECK(signed_note.ok(), signed_note.status().ToString());
  auto back = OpenCheckpoint(*signed_note, FuzzKey().verifier(), c->origin);
  FUZZ_CHECK(back.ok(), back.status().ToString() + "\n" + *signed_note);
  FUZZ_CHECK(*back == *c, *signed_note);
}

void CheckKeysAndBase64(std::string_view input) {
  auto vkey = Ed25519VerifierKey::Parse(input);
  if (vkey.ok()) FUZZ_CHECK(vkey->ToString() == input, "an accepted vkey is canonical");
  auto skey = Ed25519SigningKey::ParseKeyText(input);
  if (skey.ok()) {
    std::string text = skey->SecretKeyText();
    FUZZ_CHECK(text == input || text + "\n" == input, "an accepted signer key is canonical");
  }
  auto raw = Base64Decode(input, "fuzz");
  if (raw.ok()) FUZZ_CHECK(Base64Encode(*raw) == input, "accepted base64 is canonical");
}

void CheckSignRoundTrip(std::string_view input) {
  if (!CheckNoteText(input).ok()) return;
  auto note = SignNote(input, FuzzKey());
  FUZZ_CHECK(note.ok(), note.status().ToString());
  const Ed25519VerifierKey& v = FuzzKey().verifier();
  auto opened = OpenNote(*note, std::span<const Ed25519VerifierKey>(&v, 1));
  FUZZ_CHECK(opened.ok(), opened.status().ToString());
  FUZZ_CHECK(opened->text == input, *note);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckOpenNote(input);
  CheckCheckpoint(input);
  CheckKeysAndBase64(input);
  CheckSignRoundTrip(input);
  return 0;
}
