// Tests of src/seal/signed_note.h against the published examples of C2SP signed-note.md and
// golang/mod sumdb/note/note_test.go: the published signatures verify with the published
// verifier keys (and our signer reproduces them byte for byte), a changed byte, a wrong key
// name, an unknown key, a hyphen for the em dash, and every malformed note Go refuses are
// refused with the line named; 16 and up to 100 signatures are accepted, 101 refused.
#include "seal/signed_note.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "note_test_vectors.h"
#include "test_util.h"

namespace auditlog::internal {
namespace {

using ::testing::HasSubstr;

using ::auditlog::testing::kEnochVkey;
using ::auditlog::testing::kPeterSkey;
using ::auditlog::testing::kPeterVkey;
const std::string kText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
const std::string kPeterSig =
    "\xE2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const std::string kEnochSig =
    "\xE2\x80\x94 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/"
    "5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

// C2SP signed-note.md, "Verifier keys", "Example".
constexpr std::string_view kSpecVkey =
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const std::string kSpecNote =
    "This is an example message.\n"
    "\n"
    "\xE2\x80\x94 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM="
    "\n";
// C2SP signed-note.md, the opening example (its key is not published).
const std::string kQuasimodoNote =
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed \xC3\xA8 subito sera.\n"
    "\n"
    "\xE2\x80\x94 quasimodo.example/salvatore "
    "NnugSzTjtVAewIS+Z/iJhUPeFDkO/"
    "5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";

Ed25519VerifierKey Vkey(std::string_view text) {
  Result<Ed25519VerifierKey> k = Ed25519VerifierKey::Parse(text);
  EXPECT_OK(k.status());
  return std::move(k).value();
}

class SignedNoteTest : public ::testing::Test {
 protected:
  Result<VerifiedNote> Open(const std::string& note, const std::vector<Ed25519VerifierKey>& keys) {
    return OpenNote(note, keys);
  }
  const Ed25519VerifierKey peter_ = Vkey(kPeterVkey);
  const Ed25519VerifierKey enoch_ = Vkey(kEnochVkey);
};

TEST_F(SignedNoteTest, PublishedNoteVerifiesWithPublishedKey) {
  ASSERT_OK_AND_ASSIGN(const VerifiedNote n, Open(kText + "\n" + kPeterSig, {peter_}));
  EXPECT_EQ(n.text, kText);
  ASSERT_EQ(n.verified.size(), 1u);
  EXPECT_EQ(n.verified[0].name, "PeterNeumann");
  EXPECT_EQ(n.verified[0].key_id, 0xc74f20a3u);
  EXPECT_TRUE(n.unverified.empty());
}

TEST_F(SignedNoteTest, SpecificationExampleVerifies) {
  ASSERT_OK_AND_ASSIGN(const VerifiedNote n, Open(kSpecNote, {Vkey(kSpecVkey)}));
  EXPECT_EQ(n.text, "This is an example message.\n");
  ASSERT_EQ(n.verified.size(), 1u);
  EXPECT_EQ(n.verified[0].key_id, 0x530d903au);
}

TEST_F(SignedNoteTest, OurSignerReproducesThePublishedNote) {
  ASSERT_OK_AND_ASSIGN(const Ed25519SigningKey key, Ed25519SigningKey::ParseKeyText(kPeterSkey));
  ASSERT_OK_AND_ASSIGN(const std::string note, SignNote(kText, key));
  EXPECT_EQ(note, kText + "\n" + kPeterSig);
}

TEST_F(SignedNoteTest, OneKnownOneUnknown) {
  const std::string note = kText + "\n" + kPeterSig + kEnochSig;
  ASSERT_OK_AND_ASSIGN(const VerifiedNote n, Open(note, {peter_}));
  ASSERT_EQ(n.verified.size(), 1u);
  ASSERT_EQ(n.unverified.size(), 1u);
  EXPECT_EQ(n.unverified[0].name, "EnochRoot");
  EXPECT_EQ(n.unverified[0].key_id, 0xaf0cfe78u);
  ASSERT_OK_AND_ASSIGN(const VerifiedNote both, Open(note, {peter_, enoch_}));
  EXPECT_EQ(both.verified.size(), 2u);
  EXPECT_TRUE(both.unverified.empty());
  ASSERT_OK_AND_ASSIGN(const VerifiedNote e, Open(note, {enoch_}));
  EXPECT_EQ(e.verified[0].name, "EnochRoot");
}

TEST_F(SignedNoteTest, UnknownKeysOnlyIsAnError) {
  for (const auto& [note, keys] :
       std::vector<std::pair<std::string, std::vector<Ed25519VerifierKey>>>{
           {kText + "\n" + kPeterSig + kEnochSig, {}},
           {kText + "\n" + kEnochSig, {peter_}},
           {kSpecNote, {peter_, enoch_}},
           {kQuasimodoNote, {Vkey(kSpecVkey)}}}) {
    const Result<VerifiedNote> r = Open(note, keys);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
    EXPECT_THAT(r.status().message(), HasSubstr("no signature by a known key"));
  }
  const Result<VerifiedNote> r = Open(kText + "\n" + kEnochSig, {peter_});
  EXPECT_THAT(r.status().message(), HasSubstr("\"PeterNeumann+c74f20a3\""));
  EXPECT_THAT(r.status().message(), HasSubstr("signed by: \"EnochRoot+af0cfe78\""));
}

TEST_F(SignedNoteTest, QuasimodoExampleSplitsAtTheLastBlankLine) {
  // Its text holds a blank line; only the last one separates the signatures. Opened with
  // our own key added as a second signature, the text comes back whole.
  const std::string text = kQuasimodoNote.substr(0, kQuasimodoNote.rfind("\n\n") + 1);
  ASSERT_OK_AND_ASSIGN(const Ed25519SigningKey key, Ed25519SigningKey::ParseKeyText(kPeterSkey));
  ASSERT_OK_AND_ASSIGN(std::string ours, SignNote(text, key));
  const std::string note = kQuasimodoNote + ours.substr(text.size() + 1);
  ASSERT_OK_AND_ASSIGN(const VerifiedNote n, Open(note, {peter_}));
  EXPECT_EQ(n.text, text);
  EXPECT_THAT(n.text, HasSubstr("sole:\n\ned"));
  ASSERT_EQ(n.unverified.size(), 1u);
  EXPECT_EQ(n.unverified[0].name, "quasimodo.example/salvatore");
}

TEST_F(SignedNoteTest, EveryChangedByteOfTheTextIsRefused) {
  const std::string note = kText + "\n" + kPeterSig;
  for (std::size_t i = 0; i < kText.size(); ++i) {
    std::string m = note;
    m[i] = m[i] == 'x' ? 'y' : 'x';
    EXPECT_FALSE(Open(m, {peter_}).ok()) << i;
  }
  // And of the signature's base64 (any change: invalid base64, wrong key ID, bad signature).
  const std::size_t sig_start = note.size() - kPeterSig.size() + kPeterSig.find(' ', 4) + 1;
  for (std::size_t i = sig_start; i + 1 < note.size(); ++i) {
    std::string m = note;
    m[i] = m[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(Open(m, {peter_}).ok()) << i;
  }
}

TEST_F(SignedNoteTest, KnownKeyWithABadSignatureIsAnErrorNamingTheLine) {
  // note_test.go: "Invalid signature".
  const std::string bad_sig = kPeterSig.substr(0, 60) + "ABCD" + kPeterSig.substr(60);
  Result<VerifiedNote> r = Open(kText + "\n" + bad_sig, {peter_});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("line 4: the signature by \"PeterNeumann+c74f20a3\" does not verify"));
  // A valid signature by the same key does not excuse an invalid one beside it; a valid one
  // by another known key does not either.
  r = Open(kText + "\n" + kPeterSig + bad_sig, {peter_});
  EXPECT_THAT(r.status().message(), HasSubstr("line 5: the signature by"));
  r = Open(kText + "\n" + kEnochSig + bad_sig, {peter_, enoch_});
  EXPECT_FALSE(r.ok());
  // A wrong signature by an unknown key is ignored (note_test.go: enochABCD).
  const std::string bad_enoch = kEnochSig.substr(0, 60) + "ABCD" + kEnochSig.substr(60);
  ASSERT_OK_AND_ASSIGN(const VerifiedNote n, Open(kText + "\n" + kPeterSig + bad_enoch, {peter_}));
  EXPECT_EQ(n.unverified.size(), 1u);
}

TEST_F(SignedNoteTest, WrongKeyNameOrKeyIdIsAnUnknownKey) {
  // The same public key under another name has another key ID: not the signer.
  ASSERT_OK_AND_ASSIGN(const Ed25519VerifierKey renamed,
                       Ed25519VerifierKey::FromPublicKey("PeterNeuman", peter_.public_key()));
  Result<VerifiedNote> r = Open(kText + "\n" + kPeterSig, {renamed});
  EXPECT_THAT(r.status().message(), HasSubstr("no signature by a known key"));
  // The line renamed: unknown to a verifier holding Peter's key.
  std::string misnamed = kPeterSig;
  misnamed.replace(misnamed.find("PeterNeumann"), 12, "CarmenSandiego");
  r = Open(kText + "\n" + misnamed, {peter_});
  EXPECT_THAT(r.status().message(), HasSubstr("no signature by a known key"));
  // The key ID changed (first base64 characters): unknown too.
  std::string wrong_id = kPeterSig;
  wrong_id.replace(wrong_id.find("x08g"), 4, "xxxx");
  r = Open(kText + "\n" + wrong_id, {peter_});
  EXPECT_THAT(r.status().message(), HasSubstr("no signature by a known key"));
}

TEST_F(SignedNoteTest, RepeatedSignaturesAreListedOnce) {
  // note_test.go: "Duplicated verified and unverified signatures".
  const std::string bad_enoch = kEnochSig.substr(0, 60) + "ABCD" + kEnochSig.substr(60);
  ASSERT_OK_AND_ASSIGN(
      const VerifiedNote n,
      Open(kText + "\n" + kPeterSig + kPeterSig + kEnochSig + kEnochSig + bad_enoch, {peter_}));
  EXPECT_EQ(n.verified.size(), 1u);
  ASSERT_EQ(n.unverified.size(), 2u);
  EXPECT_EQ(n.unverified[0].base64, kEnochSig.substr(14, kEnochSig.size() - 15));
  // A known key listed twice is not ambiguous.
  EXPECT_OK(Open(kText + "\n" + kPeterSig, {enoch_, peter_, peter_}).status());
}

TEST_F(SignedNoteTest, SixteenAndUpToAHundredSignaturesAreAccepted) {
  std::vector<Ed25519SigningKey> signers;
  std::vector<Ed25519VerifierKey> verifiers;
  const std::string text = "auditlog/many\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
  std::string sig_lines;
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK_AND_ASSIGN(Ed25519SigningKey k,
                         Ed25519SigningKey::Generate("witness" + std::to_string(i)));
    ASSERT_OK_AND_ASSIGN(const std::string one, SignNote(text, k));
    sig_lines += one.substr(text.size() + 1);
    verifiers.push_back(k.verifier());
    signers.push_back(std::move(k));
  }
  const std::string note = text + "\n" + sig_lines;
  ASSERT_OK_AND_ASSIGN(const VerifiedNote all, Open(note, verifiers));
  EXPECT_EQ(all.verified.size(), 20u);
  ASSERT_OK_AND_ASSIGN(const VerifiedNote last, Open(note, {verifiers[19]}));
  EXPECT_EQ(last.verified.size(), 1u);
  EXPECT_EQ(last.unverified.size(), 19u);
  // 100 lines are fine; 101 are refused before any signature is checked.
  std::string hundred = kText + "\n";
  for (int i = 0; i < 100; ++i) hundred += kPeterSig;
  EXPECT_OK(Open(hundred, {peter_}).status());
  const Result<VerifiedNote> r = Open(hundred + kPeterSig, {peter_});
  EXPECT_THAT(r.status().message(), HasSubstr("101 signature lines, over the limit of 100"));
}

TEST_F(SignedNoteTest, EmDashIsRequired) {
  for (const std::string& dash :
       {std::string("-"), std::string("--"), std::string("\xE2\x80\x93")}) {
    std::string m = kPeterSig;
    m.replace(0, 3, dash);
    const Result<VerifiedNote> r = Open(kText + "\n" + m, {peter_});
    ASSERT_FALSE(r.ok()) << dash;
    EXPECT_THAT(r.status().message(),
                HasSubstr("line 4: a signature line must start with U+2014 EM DASH"));
    EXPECT_THAT(r.status().message(), HasSubstr("hyphen or an en dash"));
  }
  // No space after the dash.
  std::string m = kPeterSig;
  m.erase(3, 1);
  EXPECT_FALSE(Open(kText + "\n" + m, {peter_}).ok());
}

TEST_F(SignedNoteTest, MalformedNotesAreRefused) {
  // note_test.go's badMsgs, then more.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {kText, "no blank line"},
      {kText + "\n", "no signature line"},
      {kText + "\n" + kPeterSig.substr(0, kPeterSig.size() - 1), "does not end in"},
      {"\x01" + kText + "\n" + kPeterSig, "line 1, byte 1: control character 1"},
      {"\xff" + kText + "\n" + kPeterSig, "line 1, byte 1: invalid UTF-8"},
      {kText + "\n" +
           "\xE2\x80\x94 Bad Name "
           "x08go/ZJkuBS9UG/"
           "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
       "does not end in"},
      {kText + "\n" +
           "\xE2\x80\x94 Bad Name "
           "x08go/ZJkuBS9UG/"
           "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
       "line 4: the signature: not canonical base64"},
      {kText + "\n" + kPeterSig + "Unexpected line.\n", "line 5: a signature line must start"},
      {kText + "\n" + kPeterSig + "\n", "no signature line"},
      {kText + "\n" + kPeterSig + "\n" + kPeterSig, "line 6: the signature by"},
      {"a\rb\n\n" + kPeterSig, "line 1, byte 2: control character 13"},
      {kText + "\n" + kPeterSig.substr(0, kPeterSig.size() - 1) + "\r\n", "control character 13"},
      {kText + "\n\xE2\x80\x94 PeterNeumann\n", "no space between"},
      {kText + "\n\xE2\x80\x94  x08go/ZJku\n", "the key name is empty"},
      {kText + "\n\xE2\x80\x94 Peter+Neumann x08go/ZJku\n", "'+'"},
      {kText + "\n\xE2\x80\x94 PeterNeumann \n", "the signature is 0 bytes"},
      {kText + "\n\xE2\x80\x94 PeterNeumann AAAAAA==\n", "the signature is 4 bytes"},
      {kText + "\n\xE2\x80\x94 PeterNeumann x08go/ZJ ku\n", "not canonical base64"},
      {kText + "\n" + kPeterSig + "\xE2\x80\x94 x\tTab\n", "control character 9"},
      {"", "no blank line"},
  };
  for (const auto& [note, why] : bad) {
    const Result<VerifiedNote> r = Open(note, {peter_});
    ASSERT_FALSE(r.ok()) << note;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
    EXPECT_THAT(r.status().message(), HasSubstr(why)) << note;
  }
}

TEST_F(SignedNoteTest, OversizedNoteIsRefusedUpFront) {
  std::string huge(kMaxNoteBytes, 'a');
  huge[kMaxNoteBytes - 3] = '\n';
  const Result<VerifiedNote> r = Open(huge + "\n" + kPeterSig, {peter_});
  EXPECT_THAT(r.status().message(), HasSubstr("over the limit of 1048576"));
}

TEST_F(SignedNoteTest, SignThenOpenRoundTrips) {
  ASSERT_OK_AND_ASSIGN(const Ed25519SigningKey key, Ed25519SigningKey::Generate("auditlog/rt"));
  for (const std::string& text :
       {std::string("one line\n"), std::string("\n"), std::string("a\n\nb\n"),
        std::string("ends blank\n\n"), std::string("\xE2\x80\x94 looks like a signature\n"),
        std::string("caf\xC3\xA9 \xF0\x9F\x94\x92\n"),
        std::string(kMaxNoteBytes - 1024, 'x') + "\n"}) {
    if (text.size() > kMaxNoteBytes - 1024) {
      EXPECT_FALSE(SignNote(text, key).ok());  // one byte over the text bound
      continue;
    }
    ASSERT_OK_AND_ASSIGN(const std::string note, SignNote(text, key));
    ASSERT_OK_AND_ASSIGN(const VerifiedNote n, OpenNote(note, {&key.verifier(), 1}));
    EXPECT_EQ(n.text, text);
  }
}

TEST_F(SignedNoteTest, SignRefusesBadText) {
  ASSERT_OK_AND_ASSIGN(const Ed25519SigningKey key, Ed25519SigningKey::Generate("auditlog/rt"));
  for (const auto& [text, why] : std::vector<std::pair<std::string, std::string>>{
           {"", "empty"},
           {"abc", "does not end in"},
           {"a\nb", "does not end in"},
           {"a\r\n", "line 1, byte 2: control character 13"},
           {std::string("ok\nnul\0here\n", 12), "line 2, byte 4: control character 0"},
           {"\xC0\xAF\n", "invalid UTF-8"}}) {
    const Result<std::string> r = SignNote(text, key);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr(why));
  }
}

}  // namespace
}  // namespace auditlog::internal
