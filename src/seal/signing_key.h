// Ed25519 keys for C2SP signed notes (c2sp.org/signed-note), through OpenSSL 3's EVP API only.
//
// Ed25519SigningKey is the host's checkpoint signer: it holds the 32-byte RFC 8032 seed (wiped
// with OPENSSL_cleanse when the object dies) and is stored in a key file in the Go
// sumdb/note signer-key text "PRIVATE+KEY+NAME+KEYID+BASE64(0x01 || seed)". Ed25519VerifierKey
// is the public half in the signed-note verifier-key text "NAME+KEYID+BASE64(0x01 || pub)",
// the form `auditlog seal init` prints as `checkpoint-key:`. The exact formats are in
// docs/FORMAT.md §12.9.
//
// Thread-safety: both classes are immutable after construction; their const methods may be
// called from several threads at once. Nothing here ever puts secret bytes into a Status
// message.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "auditlog/env.h"
#include "auditlog/status.h"

namespace auditlog::internal {

using Ed25519PublicKey = std::array<std::uint8_t, 32>;
using Ed25519Signature = std::array<std::uint8_t, 64>;

// The signed-note signature type byte of Ed25519 (signed-note.md, "Signature types").
inline constexpr std::uint8_t kNoteEd25519Type = 0x01;
// Our bound on key names (the specification sets none); a name is also an origin.
inline constexpr std::size_t kMaxKeyNameBytes = 512;
// Key files larger than this are refused before they are read.
inline constexpr std::uint64_t kMaxKeyFileBytes = 4096;

// OK when `name` is a valid key name: 1..kMaxKeyNameBytes bytes of well-formed UTF-8 with no
// '+', no Unicode white space (signed-note.md) and no control, bidi or other code point that
// sanitize.h forbids in records (our addition: names appear in messages and terminals).
// Otherwise kInvalidArgument saying what is wrong (the name quoted, sanitized).
Status CheckKeyName(std::string_view name);

// The signed-note key ID of an Ed25519 key: the first 4 bytes, big-endian, of
// SHA-256(name || 0x0A || 0x01 || public_key).
std::uint32_t NoteKeyId(std::string_view name, const Ed25519PublicKey& public_key);
// `id` as 8 lowercase hex digits.
std::string KeyIdHex(std::uint32_t id);

// `s` in double quotes, safe to put in an error message: forbidden code points become
// "<U+XXXX>", invalid UTF-8 U+FFFD, and more than 80 bytes are cut with "...". Never use it
// on secret text.
std::string QuoteUntrusted(std::string_view s);

class Ed25519VerifierKey {
 public:
  // A key named `name` (see CheckKeyName) with the 32-byte RFC 8032 public key `public_key`.
  static Result<Ed25519VerifierKey> FromPublicKey(std::string_view name,
                                                  std::span<const std::uint8_t> public_key);
  // Parses the verifier-key text "NAME+KEYID+BASE64(0x01 || 32-byte key)" strictly: a valid
  // name, exactly 8 lowercase hex digits equal to the key ID computed from name and key,
  // canonical base64 of 33 bytes whose first is 0x01. No surrounding white space or newline.
  // Errors (kInvalidArgument) say which part is wrong.
  static Result<Ed25519VerifierKey> Parse(std::string_view vkey);

  const std::string& name() const { return name_; }
  std::uint32_t key_id() const { return key_id_; }
  const Ed25519PublicKey& public_key() const { return public_key_; }
  // The verifier-key text; Parse(ToString()) gives this key back.
  std::string ToString() const;

  // True when `signature` is a valid 64-byte Ed25519 signature of `message` by this key.
  // Any other length, or an OpenSSL failure, is false.
  bool Verify(std::string_view message, std::span<const std::uint8_t> signature) const;

  friend bool operator==(const Ed25519VerifierKey& a, const Ed25519VerifierKey& b) {
    return a.name_ == b.name_ && a.public_key_ == b.public_key_;
  }

 private:
  friend class Ed25519SigningKey;
  // REQUIRES: CheckKeyName(name) is OK.
  Ed25519VerifierKey(std::string name, const Ed25519PublicKey& public_key);

  std::string name_;
  std::uint32_t key_id_;
  Ed25519PublicKey public_key_;
};

class Ed25519SigningKey {
 public:
  // A fresh key from OpenSSL's CSPRNG (EVP_PKEY_Q_keygen), named `name` (see CheckKeyName).
  static Result<Ed25519SigningKey> Generate(std::string_view name);
  // The key with the 32-byte RFC 8032 private key (seed) `seed`; for tests and fuzzing.
  static Result<Ed25519SigningKey> FromSeed(std::string_view name,
                                            std::span<const std::uint8_t> seed);
  // Parses the signer-key text "PRIVATE+KEY+NAME+KEYID+BASE64(0x01 || 32-byte seed)" (what Go's
  // note.GenerateKey produces), optionally followed by one "\n". KEYID must be the key ID of
  // the public key derived from the seed. Errors (kInvalidArgument) never quote the text.
  static Result<Ed25519SigningKey> ParseKeyText(std::string_view text);

  // Reads a key file written by SaveFile (or by hand in the same text form). Refuses, naming
  // the path, a symlink or anything but a regular file at `path` (Env's rule) and a file over
  // kMaxKeyFileBytes. The file's permission bits are not checked (Env cannot see them).
  static Result<Ed25519SigningKey> LoadFile(Env* env, const std::filesystem::path& path);
  // Writes SecretKeyText() + "\n" to `path` atomically (Env's WriteFileAtomically: a new
  // file "<path>.tmp" created with mode 0600, fsync, rename over `path`, fsync of the
  // directory), replacing whatever was at `path`. The caller decides whether replacing an
  // existing key is allowed.
  Status SaveFile(Env* env, const std::filesystem::path& path) const;

  Ed25519SigningKey(Ed25519SigningKey&&) noexcept;
  Ed25519SigningKey& operator=(Ed25519SigningKey&&) noexcept;
  Ed25519SigningKey(const Ed25519SigningKey&) = delete;
  Ed25519SigningKey& operator=(const Ed25519SigningKey&) = delete;
  ~Ed25519SigningKey();

  const std::string& name() const { return verifier_.name(); }
  std::uint32_t key_id() const { return verifier_.key_id(); }
  const Ed25519PublicKey& public_key() const { return verifier_.public_key(); }
  const Ed25519VerifierKey& verifier() const { return verifier_; }

  // The signer-key text, without newline. It holds the secret: the caller must
  // OPENSSL_cleanse it when done (SaveFile does).
  std::string SecretKeyText() const;

  // The RFC 8032 Ed25519 signature of `message`. Fails (kIOError) only when OpenSSL does
  // (out of memory). REQUIRES: *this was not moved from.
  Result<Ed25519Signature> Sign(std::string_view message) const;

 private:
  struct Seed;  // 32 secret bytes, cleansed by its destructor
  Ed25519SigningKey(std::unique_ptr<Seed> seed, Ed25519VerifierKey verifier);

  std::unique_ptr<Seed> seed_;
  Ed25519VerifierKey verifier_;
};

}  // namespace auditlog::internal
