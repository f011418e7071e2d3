// Tests of src/seal/signing_key.h and base64.h: strict base64, key names, signed-note key IDs
// (against the published Go sumdb/note and C2SP signed-note keys, and an independent
// SHA-256), the verifier-key and signer-key texts (every mangling of the published keys is
// refused), Ed25519 signing, and key files (mode 0600, atomic replace, hostile files refused
// with the path named, no secret in any message).
#include "seal/signing_key.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "note_test_vectors.h"
#include "seal/base64.h"
#include "test_util.h"

namespace auditlog::internal {
namespace {

namespace fs = std::filesystem;
using ::auditlog::testing::ScratchDir;
using ::testing::HasSubstr;
using ::testing::Not;

using ::auditlog::testing::kEnochVkey;
using ::auditlog::testing::kPeterSkey;
using ::auditlog::testing::kPeterVkey;
// C2SP signed-note.md, "Verifier keys", "Example".
constexpr std::string_view kSpecVkey =
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
// The secret part of kPeterSkey, which no error message may contain.
constexpr std::string_view kPeterSecretB64 = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

// ---------------------------------------------------------------- base64

TEST(Base64Test, Rfc4648Vectors) {
  // RFC 4648 §10.
  const std::vector<std::pair<std::string, std::string>> vectors = {{"", ""},
                                                                    {"f", "Zg=="},
                                                                    {"fo", "Zm8="},
                                                                    {"foo", "Zm9v"},
                                                                    {"foob", "Zm9vYg=="},
                                                                    {"fooba", "Zm9vYmE="},
                                                                    {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    ASSERT_OK_AND_ASSIGN(const std::string back, Base64Decode(encoded, "v"));
    EXPECT_EQ(back, plain) << encoded;
  }
}

TEST(Base64Test, EveryLengthAndByteRoundTrips) {
  std::string data;
  for (int i = 0; i < 300; ++i) {
    data.push_back(static_cast<char>((i * 37 + 11) & 0xFF));
    const std::string enc = Base64Encode(data);
    ASSERT_OK_AND_ASSIGN(const std::string back, Base64Decode(enc, "v"));
    ASSERT_EQ(back, data);
  }
}

TEST(Base64Test, RejectsNonCanonicalText) {
  const std::vector<std::string> bad = {
      "Zg",     "Zg=",
      "Zg===",  "Zh==",  // missing padding, extra, unused bits
      "Zm9=",   "Zm8",
      "Z===",   "====",  // unused bits, missing pad, only pad
      " Zm9v",  "Zm9v ",
      "Zm9v\n", "Zm\n9v",  // white space and newlines
      "Zm9v\r", "Zm-v",
      "Zm_v",   "Zg==Zg==",  // CR, URL alphabet, pad in the middle
      "Zm=v",   std::string("Zm9\0", 4),
      "Zm9v\t", "\xC3\xA9XYZ"};
  for (const std::string& s : bad) {
    const Result<std::string> r = Base64Decode(s, "the field");
    EXPECT_FALSE(r.ok()) << '"' << s << '"';
    if (!r.ok()) {
      EXPECT_THAT(r.status().message(), HasSubstr("the field: not canonical base64"));
    }
  }
}

// ---------------------------------------------------------------- names and key IDs

TEST(KeyNameTest, SpecificationRules) {
  EXPECT_OK(CheckKeyName("PeterNeumann"));
  EXPECT_OK(CheckKeyName("example.com/log42"));
  EXPECT_OK(CheckKeyName("auditlog/0123abcd"));
  EXPECT_OK(CheckKeyName("quasimodo.example/salvatore"));
  EXPECT_OK(CheckKeyName("caf\xC3\xA9"));
  EXPECT_OK(CheckKeyName(std::string(kMaxKeyNameBytes, 'n')));
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "empty"},
      {"a+b", "'+'"},
      {"a b", "white space"},
      {"a\tb", "white space"},
      {"a\nb", "white space"},
      {"a\xC2\xA0"
       "b",
       "white space"},  // U+00A0 NO-BREAK SPACE
      {"a\xE3\x80\x80"
       "b",
       "white space"},  // U+3000 IDEOGRAPHIC SPACE
      {"a\xE2\x80\xA8"
       "b",
       "white space"},  // U+2028 LINE SEPARATOR
      {std::string("a\0b", 3), "control"},
      {"a\x1b[31m", "control"},
      {"a\x7f", "control"},
      {"evil\xE2\x80\xAEtxt", "control"},  // U+202E RIGHT-TO-LEFT OVERRIDE
      {"a\xFF", "UTF-8"},
      {"a\xC0\xAF", "UTF-8"},
      {std::string(kMaxKeyNameBytes + 1, 'n'), "over the limit"},
  };
  for (const auto& [name, why] : bad) {
    const Status s = CheckKeyName(name);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << why;
    EXPECT_THAT(s.message(), HasSubstr(why));
    EXPECT_THAT(s.message(), Not(HasSubstr("\x1b"))) << "the name is quoted sanitized";
  }
}

TEST(KeyIdTest, PublishedKeys) {
  for (const auto& [vkey, name, id] : {std::tuple{kPeterVkey, "PeterNeumann", 0xc74f20a3u},
                                       std::tuple{kEnochVkey, "EnochRoot", 0xaf0cfe78u},
                                       std::tuple{kSpecVkey, "example.com/foo", 0x530d903au}}) {
    ASSERT_OK_AND_ASSIGN(const Ed25519VerifierKey key, Ed25519VerifierKey::Parse(vkey));
    EXPECT_EQ(key.name(), name);
    EXPECT_EQ(key.key_id(), id);
    EXPECT_EQ(NoteKeyId(name, key.public_key()), id);
    EXPECT_EQ(key.ToString(), vkey);
    // Independently: SHA-256(name || 0x0A || 0x01 || pub), first 4 bytes as hex.
    std::string input = std::string(name) + "\n\x01";
    input.append(reinterpret_cast<const char*>(key.public_key().data()), 32);
    EXPECT_EQ(KeyIdHex(id), ::auditlog::testing::OpenSslSha256Hex(input).substr(0, 8));
  }
  EXPECT_EQ(KeyIdHex(0), "00000000");
  EXPECT_EQ(KeyIdHex(0x0000abcd), "0000abcd");
  EXPECT_EQ(KeyIdHex(0xffffffff), "ffffffff");
}

// ---------------------------------------------------------------- verifier keys

TEST(VerifierKeyTest, EveryManglingOfThePublishedKeyIsRefused) {
  // As note_test.go's TestNewVerifier: every proper substring and every byte + 1.
  ASSERT_OK(Ed25519VerifierKey::Parse(kPeterVkey).status());
  const std::string b(kPeterVkey);
  for (std::size_t i = 0; i <= b.size(); ++i) {
    for (std::size_t j = i + 1; j <= b.size(); ++j) {
      if (i == 0 && j == b.size()) continue;
      EXPECT_FALSE(Ed25519VerifierKey::Parse(b.substr(i, j - i)).ok()) << b.substr(i, j - i);
    }
  }
  for (std::size_t i = 0; i < b.size(); ++i) {
    std::string m = b;
    ++m[i];
    EXPECT_FALSE(Ed25519VerifierKey::Parse(m).ok()) << m;
  }
}

TEST(VerifierKeyTest, ErrorsNameWhatIsWrong) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      // note_test.go: wrong length key (with adjusted key hash; Go's lax decoder accepts its
      // non-zero padding bits, ours does not), unknown algorithm (same).
      {"PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
       "the key: not canonical base64"},
      {"PeterNeumann+c74f20a3+" + Base64Encode("\x01" + std::string(33, 'k')), "want 33"},
      {"PeterNeumann+c74f20a3+" + Base64Encode("\x01" + std::string(31, 'k')), "want 33"},
      {"PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
       "signature type 101 is not 1"},
      {"PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
       "key ID c74f20a4 does not match the name and key, which give c74f20a3"},
      {"PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 lowercase hex"},
      {"PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 lowercase hex"},
      {"Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "white space"},
      {"+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "empty"},
      {"PeterNeumann", "no '+'"},
      {"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n", "base64"},
      {" PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "white space"},
      {"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TX", "does not match"},
      {std::string(4000, 'a'), "longer than any valid key"},
  };
  for (const auto& [vkey, why] : bad) {
    const Result<Ed25519VerifierKey> r = Ed25519VerifierKey::Parse(vkey);
    ASSERT_FALSE(r.ok()) << vkey;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr(why)) << vkey;
  }
}

TEST(VerifierKeyTest, FromPublicKeyChecksNameAndLength) {
  ASSERT_OK_AND_ASSIGN(const Ed25519VerifierKey peter, Ed25519VerifierKey::Parse(kPeterVkey));
  ASSERT_OK_AND_ASSIGN(const Ed25519VerifierKey again,
                       Ed25519VerifierKey::FromPublicKey("PeterNeumann", peter.public_key()));
  EXPECT_EQ(again.ToString(), kPeterVkey);
  EXPECT_TRUE(again == peter);
  const std::vector<std::uint8_t> short_key(31, 1);
  EXPECT_FALSE(Ed25519VerifierKey::FromPublicKey("PeterNeumann", short_key).ok());
  EXPECT_FALSE(Ed25519VerifierKey::FromPublicKey("Peter+Neumann", peter.public_key()).ok());
}

// ---------------------------------------------------------------- signer keys

TEST(SigningKeyTest, PublishedSignerKeyParsesAndMatchesItsVerifier) {
  ASSERT_OK_AND_ASSIGN(const Ed25519SigningKey key, Ed25519SigningKey::ParseKeyText(kPeterSkey));
  EXPECT_EQ(key.name(), "PeterNeumann");
  EXPECT_EQ(key.key_id(), 0xc74f20a3u);
  EXPECT_EQ(key.verifier().ToString(), kPeterVkey);
  std::string text = key.SecretKeyText();
  EXPECT_EQ(text, kPeterSkey);
  // With one trailing newline (the key file form) too.
  ASSERT_OK(Ed25519SigningKey::ParseKeyText(std::string(kPeterSkey) + "\n").status());
  EXPECT_FALSE(Ed25519SigningKey::ParseKeyText(std::string(kPeterSkey) + "\n\n").ok());
  EXPECT_FALSE(Ed25519SigningKey::ParseKeyText(std::string(kPeterSkey) + "\r\n").ok());
}

TEST(SigningKeyTest, EveryManglingOfThePublishedSignerKeyIsRefusedWithoutLeakingIt) {
  // As note_test.go's TestNewSigner.
  const std::string b(kPeterSkey);
  const auto refused = [](const std::string& s) {
    const Result<Ed25519SigningKey> r = Ed25519SigningKey::ParseKeyText(s);
    EXPECT_FALSE(r.ok()) << s;
    if (r.ok()) return;
    EXPECT_THAT(r.status().message(), Not(HasSubstr(kPeterSecretB64.substr(0, 12))));
    EXPECT_THAT(r.status().message(), Not(HasSubstr(kPeterSecretB64.substr(20, 12))));
  };
  for (std::size_t i = 0; i <= b.size(); ++i) {
    for (std::size_t j = i + 1; j <= b.size(); ++j) {
      if (i == 0 && j == b.size()) continue;
      refused(b.substr(i, j - i));
    }
  }
  for (std::size_t i = 0; i < b.size(); ++i) {
    std::string m = b;
    ++m[i];
    refused(m);
  }
}

TEST(SigningKeyTest, GeneratedKeysSignAndVerify) {
  ASSERT_OK_AND_ASSIGN(const Ed25519SigningKey a, Ed25519SigningKey::Generate("auditlog/test"));
  ASSERT_OK_AND_ASSIGN(const Ed25519SigningKey b, Ed25519SigningKey::Generate("auditlog/test"));
  EXPECT_NE(a.public_key(), b.public_key());
  EXPECT_EQ(a.key_id(), NoteKeyId("auditlog/test", a.public_key()));
  ASSERT_OK_AND_ASSIGN(Ed25519Signature sig, a.Sign("hi"));
  EXPECT_TRUE(a.verifier().Verify("hi", sig));
  EXPECT_FALSE(b.verifier().Verify("hi", sig));
  EXPECT_FALSE(a.verifier().Verify("hj", sig));
  EXPECT_FALSE(a.verifier().Verify("hi", std::span<const std::uint8_t>(sig.data(), 63)));
  sig[0] ^= 1;
  EXPECT_FALSE(a.verifier().Verify("hi", sig));
  // The text form round-trips.
  std::string text = a.SecretKeyText();
  ASSERT_OK_AND_ASSIGN(const Ed25519SigningKey a2, Ed25519SigningKey::ParseKeyText(text));
  EXPECT_EQ(a2.public_key(), a.public_key());
  ASSERT_OK_AND_ASSIGN(const Ed25519VerifierKey v,
                       Ed25519VerifierKey::Parse(a.verifier().ToString()));
  EXPECT_TRUE(v == a.verifier());
  EXPECT_FALSE(Ed25519SigningKey::Generate("bad name").ok());
}

TEST(SigningKeyTest, Rfc8032TestVector1) {
  // RFC 8032 §7.1, TEST 1: the empty message.
  const std::string seed_hex = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
  std::vector<std::uint8_t> seed;
  for (std::size_t i = 0; i < seed_hex.size(); i += 2) {
    seed.push_back(static_cast<std::uint8_t>(std::stoi(seed_hex.substr(i, 2), nullptr, 16)));
  }
  ASSERT_OK_AND_ASSIGN(const Ed25519SigningKey key, Ed25519SigningKey::FromSeed("rfc8032", seed));
  std::string pub_hex;
  for (std::uint8_t c : key.public_key()) {
    pub_hex += "0123456789abcdef"[c >> 4];
    pub_hex += "0123456789abcdef"[c & 15];
  }
  EXPECT_EQ(pub_hex, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  ASSERT_OK_AND_ASSIGN(const Ed25519Signature sig, key.Sign(""));
  EXPECT_EQ(Base64Encode(std::span<const std::uint8_t>(sig)),
            Base64Encode(
                Bytes({0xe5, 0x56, 0x43, 0x00, 0xc3, 0x60, 0xac, 0x72, 0x90, 0x86, 0xe2, 0xcc, 0x80,
                       0x6e, 0x82, 0x8a, 0x84, 0x87, 0x7f, 0x1e, 0xb8, 0xe5, 0xd9, 0x74, 0xd8, 0x73,
                       0xe0, 0x65, 0x22, 0x49, 0x01, 0x55, 0x5f, 0xb8, 0x82, 0x15, 0x90, 0xa3, 0x3b,
                       0xac, 0xc6, 0x1e, 0x39, 0x70, 0x1c, 0xf9, 0xb4, 0x6b, 0xd2, 0x5b, 0xf5, 0xf0,
                       0x59, 0x5b, 0xbe, 0x24, 0x65, 0x51, 0x41, 0x43, 0x8e, 0x7a, 0x10, 0x0b})));
  EXPECT_FALSE(Ed25519SigningKey::FromSeed("rfc8032", std::span(seed).first(31)).ok());
}

// ---------------------------------------------------------------- key files

fs::perms PermsOf(const fs::path& p) {
  return fs::symlink_status(p).permissions() & fs::perms::mask;
}

TEST(KeyFileTest, SaveWritesMode0600AndLoadReadsItBack) {
  ScratchDir dir;
  const fs::path path = dir.path() / "checkpoint.key";
  ASSERT_OK_AND_ASSIGN(const Ed25519SigningKey key, Ed25519SigningKey::ParseKeyText(kPeterSkey));
  ASSERT_OK(key.SaveFile(Env::Default(), path));
  EXPECT_EQ(PermsOf(path), fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(::auditlog::testing::ReadFile(path), std::string(kPeterSkey) + "\n");
  EXPECT_FALSE(fs::exists(dir.path() / "checkpoint.key.tmp"));
  ASSERT_OK_AND_ASSIGN(const Ed25519SigningKey back,
                       Ed25519SigningKey::LoadFile(Env::Default(), path));
  EXPECT_EQ(back.verifier().ToString(), kPeterVkey);
}

TEST(KeyFileTest, SaveReplacesAWorldReadableFileWithA0600One) {
  // The file mode comes from the new file Env creates (0600), not from what was there.
  ScratchDir dir;
  const fs::path path = dir.path() / "checkpoint.key";
  ::auditlog::testing::WriteFile(path, "old\n");
  fs::permissions(path, fs::perms(0644));
  ASSERT_OK_AND_ASSIGN(const Ed25519SigningKey key, Ed25519SigningKey::Generate("auditlog/x"));
  ASSERT_OK(key.SaveFile(Env::Default(), path));
  EXPECT_EQ(PermsOf(path), fs::perms::owner_read | fs::perms::owner_write);
  ASSERT_OK_AND_ASSIGN(const Ed25519SigningKey back,
                       Ed25519SigningKey::LoadFile(Env::Default(), path));
  EXPECT_EQ(back.public_key(), key.public_key());
}

TEST(KeyFileTest, SaveNeverWritesThroughASymlink) {
  ScratchDir dir;
  const fs::path victim = dir.path() / "victim";
  const fs::path victim_tmp = dir.path() / "victim_tmp";
  ::auditlog::testing::WriteFile(victim, "precious\n");
  ::auditlog::testing::WriteFile(victim_tmp, "precious too\n");
  const fs::path path = dir.path() / "checkpoint.key";
  fs::create_symlink(victim, path);
  fs::create_symlink(victim_tmp, dir.path() / "checkpoint.key.tmp");
  ASSERT_OK_AND_ASSIGN(const Ed25519SigningKey key, Ed25519SigningKey::Generate("auditlog/x"));
  ASSERT_OK(key.SaveFile(Env::Default(), path));
  EXPECT_EQ(::auditlog::testing::ReadFile(victim), "precious\n");
  EXPECT_EQ(::auditlog::testing::ReadFile(victim_tmp), "precious too\n");
  EXPECT_FALSE(fs::is_symlink(path));
  EXPECT_EQ(PermsOf(path), fs::perms::owner_read | fs::perms::owner_write);
}

TEST(KeyFileTest, HostileKeyFilesAreRefusedNamingThePath) {
  ScratchDir dir;
  const fs::path good = dir.path() / "good.key";
  ::auditlog::testing::WriteFile(good, std::string(kPeterSkey) + "\n");
  ASSERT_OK(Ed25519SigningKey::LoadFile(Env::Default(), good).status());

  const fs::path link = dir.path() / "link.key";
  fs::create_symlink(good, link);
  const fs::path fifo = dir.path() / "fifo.key";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const fs::path subdir = dir.path() / "dir.key";
  fs::create_directory(subdir);
  const fs::path big = dir.path() / "big.key";
  ::auditlog::testing::WriteFile(big, std::string(kPeterSkey) + "\n" + std::string(5000, '#'));
  const fs::path just_over = dir.path() / "just_over.key";
  ::auditlog::testing::WriteFile(just_over, std::string(kMaxKeyFileBytes + 1, 'A'));
  const fs::path missing = dir.path() / "missing.key";
  const fs::path wrong_id = dir.path() / "wrong_id.key";
  std::string mangled(kPeterSkey);
  mangled.replace(mangled.find("c74f20a3"), 8, "c74f20a4");
  ::auditlog::testing::WriteFile(wrong_id, mangled + "\n");
  const fs::path vkey_instead = dir.path() / "vkey.key";
  ::auditlog::testing::WriteFile(vkey_instead, std::string(kPeterVkey) + "\n");
  const fs::path crlf = dir.path() / "crlf.key";
  ::auditlog::testing::WriteFile(crlf, std::string(kPeterSkey) + "\r\n");
  const fs::path empty = dir.path() / "empty.key";
  ::auditlog::testing::WriteFile(empty, "");

  for (const auto& [path, why] :
       std::vector<std::pair<fs::path, std::string>>{{link, "symbolic link"},
                                                     {fifo, "FIFO"},
                                                     {subdir, "directory"},
                                                     {big, "at most 4096"},
                                                     {just_over, "at most 4096"},
                                                     {missing, ""},
                                                     {wrong_id, "key ID c74f20a4 does not match"},
                                                     {vkey_instead, "PRIVATE+KEY+"},
                                                     {crlf, "base64"},
                                                     {empty, "PRIVATE+KEY+"}}) {
    const Result<Ed25519SigningKey> r = Ed25519SigningKey::LoadFile(Env::Default(), path);
    ASSERT_FALSE(r.ok()) << path;
    EXPECT_THAT(r.status().message(), HasSubstr(path.string()));
    EXPECT_THAT(r.status().message(), HasSubstr(why)) << path;
    EXPECT_THAT(r.status().message(), Not(HasSubstr(kPeterSecretB64.substr(0, 12))));
  }
}

TEST(KeyFileTest, PermissionBitsAreNotChecked) {
  // Documented limitation: Env cannot see permission bits, so a key file someone made
  // world-readable still loads. (SaveFile always writes 0600.)
  ScratchDir dir;
  const fs::path path = dir.path() / "open.key";
  ::auditlog::testing::WriteFile(path, std::string(kPeterSkey) + "\n");
  fs::permissions(path, fs::perms(0644));
  EXPECT_OK(Ed25519SigningKey::LoadFile(Env::Default(), path).status());
}

TEST(SigningKeyTest, MovedKeyStillSigns) {
  ASSERT_OK_AND_ASSIGN(Ed25519SigningKey a, Ed25519SigningKey::ParseKeyText(kPeterSkey));
  Ed25519SigningKey b = std::move(a);
  EXPECT_EQ(b.verifier().ToString(), kPeterVkey);
  ASSERT_OK_AND_ASSIGN(const Ed25519Signature sig, b.Sign("x"));
  EXPECT_TRUE(b.verifier().Verify("x", sig));
}

}  // namespace
}  // namespace auditlog::internal
