// Ed25519 signing and verifier keys over OpenSSL 3; see signing_key.h.
#include "seal/signing_key.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <cstring>
#include <string>
#include <utility>

#include "format/sanitize.h"
#include "seal/base64.h"
#include "util/sha256.h"
#include "util/utf8.h"

namespace auditlog::internal {

namespace {

constexpr std::string_view kSignerPrefix = "PRIVATE+KEY+";
constexpr std::size_t kSeedBytes = 32;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// Wipes a string that held secret bytes when the scope ends, on every path.
class CleanseOnExit {
 public:
  explicit CleanseOnExit(std::string* s) : s_(s) {}
  ~CleanseOnExit() { OPENSSL_cleanse(s_->data(), s_->size()); }
  CleanseOnExit(const CleanseOnExit&) = delete;
  CleanseOnExit& operator=(const CleanseOnExit&) = delete;

 private:
  std::string* s_;
};

// Unicode White_Space (what Go's unicode.IsSpace, used by the reference implementation of
// signed notes, rejects in key names).
bool IsUnicodeSpace(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // uppercase is not the canonical form
}

// Parses exactly 8 lowercase hex digits.
bool ParseKeyIdHex(std::string_view hex, std::uint32_t* id) {
  if (hex.size() != 8) return false;
  std::uint32_t v = 0;
  for (char c : hex) {
    const int d = HexValue(c);
    if (d < 0) return false;
    v = (v << 4) | static_cast<std::uint32_t>(d);
  }
  *id = v;
  return true;
}

PkeyPtr PrivateKeyFromSeed(const std::uint8_t* seed) {
  return PkeyPtr(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed, kSeedBytes));
}

Result<Ed25519PublicKey> PublicKeyOf(EVP_PKEY* pkey) {
  Ed25519PublicKey pub{};
  std::size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(pkey, pub.data(), &len) != 1 || len != pub.size()) {
    return Status::IOError("OpenSSL could not export an Ed25519 public key");
  }
  return pub;
}

}  // namespace

// ---------------------------------------------------------------- names and key IDs

Status CheckKeyName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("the key name is empty");
  if (name.size() > kMaxKeyNameBytes) {
    return Status::InvalidArgument("the key name is " + std::to_string(name.size()) +
                                   " bytes, over the limit of " + std::to_string(kMaxKeyNameBytes));
  }
  for (std::size_t i = 0; i < name.size();) {
    char32_t cp = 0;
    const std::size_t len = DecodeUtf8(name, i, &cp);
    if (len == 0) {
      return Status::InvalidArgument("the key name " + QuoteUntrusted(name) +
                                     " is not valid UTF-8 at byte " + std::to_string(i));
    }
    const char* what = cp == '+'                  ? "a '+'"
                       : IsUnicodeSpace(cp)       ? "white space"
                       : IsForbiddenCodePoint(cp) ? "a control or invisible character"
                                                  : nullptr;
    if (what != nullptr) {
      return Status::InvalidArgument("the key name " + QuoteUntrusted(name) + " contains " + what +
                                     " at byte " + std::to_string(i));
    }
    i += len;
  }
  return Status::Ok();
}

std::uint32_t NoteKeyId(std::string_view name, const Ed25519PublicKey& public_key) {
  std::string input;
  input.reserve(name.size() + 2 + public_key.size());
  input.append(name);
  input.push_back('\n');
  input.push_back(static_cast<char>(kNoteEd25519Type));
  input.append(reinterpret_cast<const char*>(public_key.data()), public_key.size());
  const Digest d = Sha256(input);
  return (std::uint32_t{d[0]} << 24) | (std::uint32_t{d[1]} << 16) | (std::uint32_t{d[2]} << 8) |
         std::uint32_t{d[3]};
}

std::string KeyIdHex(std::uint32_t id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(8, '0');
  for (int i = 7; i >= 0; --i, id >>= 4) s[static_cast<std::size_t>(i)] = kHex[id & 0xF];
  return s;
}

std::string QuoteUntrusted(std::string_view s) {
  constexpr std::size_t kMaxQuoted = 80;
  std::string out = "\"";
  const SanitizeOutcome outcome = SanitizeString(s, kMaxQuoted, &out);
  out += outcome.truncated ? "...\"" : "\"";
  return out;
}

// ---------------------------------------------------------------- Ed25519VerifierKey

Ed25519VerifierKey::Ed25519VerifierKey(std::string name, const Ed25519PublicKey& public_key)
    : name_(std::move(name)), key_id_(NoteKeyId(name_, public_key)), public_key_(public_key) {}

Result<Ed25519VerifierKey> Ed25519VerifierKey::FromPublicKey(
    std::string_view name, std::span<const std::uint8_t> public_key) {
  AUDITLOG_RETURN_IF_ERROR(CheckKeyName(name));
  Ed25519PublicKey pub{};
  if (public_key.size() != pub.size()) {
    return Status::InvalidArgument("an Ed25519 public key is 32 bytes, not " +
                                   std::to_string(public_key.size()));
  }
  std::memcpy(pub.data(), public_key.data(), pub.size());
  return Ed25519VerifierKey(std::string(name), pub);
}

Result<Ed25519VerifierKey> Ed25519VerifierKey::Parse(std::string_view vkey) {
  // NAME "+" 8 hex "+" base64 of 33 bytes (44 characters).
  constexpr std::size_t kMaxVkeyBytes = kMaxKeyNameBytes + 1 + 8 + 1 + 44;
  const auto bad = [](const std::string& what) {
    return Status::InvalidArgument("verifier key (NAME+KEYID+BASE64): " + what);
  };
  if (vkey.size() > kMaxVkeyBytes) {
    return bad(std::to_string(vkey.size()) + " bytes, longer than any valid key");
  }
  const std::size_t plus = vkey.find('+');
  if (plus == std::string_view::npos) return bad("no '+' after the key name");
  const std::string_view name = vkey.substr(0, plus);
  if (Status s = CheckKeyName(name); !s.ok()) return bad(s.message());
  const std::string_view rest = vkey.substr(plus + 1);
  std::uint32_t id = 0;
  if (rest.size() < 9 || rest[8] != '+' || !ParseKeyIdHex(rest.substr(0, 8), &id)) {
    return bad("the key name must be followed by '+', 8 lowercase hex digits (the key ID) and '+'");
  }
  const Result<std::string> decoded = Base64Decode(rest.substr(9), "the key");
  if (!decoded.ok()) return bad(decoded.status().message());
  const std::string& raw = decoded.value();
  if (raw.size() != 1 + sizeof(Ed25519PublicKey)) {
    return bad("the key is " + std::to_string(raw.size()) +
               " bytes, want 33 (type 0x01 and a 32-byte Ed25519 key)");
  }
  if (static_cast<std::uint8_t>(raw[0]) != kNoteEd25519Type) {
    return bad("signature type " + std::to_string(static_cast<std::uint8_t>(raw[0])) +
               " is not 1 (Ed25519)");
  }
  Ed25519PublicKey pub{};
  std::memcpy(pub.data(), raw.data() + 1, pub.size());
  Ed25519VerifierKey key{std::string(name), pub};
  if (key.key_id() != id) {
    return bad("key ID " + KeyIdHex(id) + " does not match the name and key, which give " +
               KeyIdHex(key.key_id()));
  }
  return key;
}

std::string Ed25519VerifierKey::ToString() const {
  std::uint8_t raw[1 + sizeof(Ed25519PublicKey)];
  raw[0] = kNoteEd25519Type;
  std::memcpy(raw + 1, public_key_.data(), public_key_.size());
  return name_ + "+" + KeyIdHex(key_id_) + "+" + Base64Encode(std::span<const std::uint8_t>(raw));
}

bool Ed25519VerifierKey::Verify(std::string_view message,
                                std::span<const std::uint8_t> signature) const {
  if (signature.size() != sizeof(Ed25519Signature)) return false;
  // A fresh EVP_PKEY per call keeps the object free of shared OpenSSL state (thread-safe
  // without locks); it costs a few microseconds next to the verification itself.
  const PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key_.data(),
                                                 public_key_.size()));
  const MdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok =
      pkey != nullptr && ctx != nullptr &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  // A refused signature may leave entries on this thread's OpenSSL error queue; hostile
  // input must not make them pile up or show in an unrelated later report.
  if (!ok) ERR_clear_error();
  return ok;
}

// ---------------------------------------------------------------- Ed25519SigningKey

struct Ed25519SigningKey::Seed {
  std::array<std::uint8_t, kSeedBytes> bytes{};
  ~Seed() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

Ed25519SigningKey::Ed25519SigningKey(std::unique_ptr<Seed> seed, Ed25519VerifierKey verifier)
    : seed_(std::move(seed)), verifier_(std::move(verifier)) {}
Ed25519SigningKey::Ed25519SigningKey(Ed25519SigningKey&&) noexcept = default;
Ed25519SigningKey& Ed25519SigningKey::operator=(Ed25519SigningKey&&) noexcept = default;
Ed25519SigningKey::~Ed25519SigningKey() = default;

Result<Ed25519SigningKey> Ed25519SigningKey::FromSeed(std::string_view name,
                                                      std::span<const std::uint8_t> seed) {
  AUDITLOG_RETURN_IF_ERROR(CheckKeyName(name));
  if (seed.size() != kSeedBytes) {
    return Status::InvalidArgument("an Ed25519 private key (seed) is 32 bytes, not " +
                                   std::to_string(seed.size()));
  }
  auto secret = std::make_unique<Seed>();
  std::memcpy(secret->bytes.data(), seed.data(), kSeedBytes);
  const PkeyPtr pkey = PrivateKeyFromSeed(secret->bytes.data());
  if (pkey == nullptr) return Status::IOError("OpenSSL could not load an Ed25519 private key");
  AUDITLOG_ASSIGN_OR_RETURN(const Ed25519PublicKey pub, PublicKeyOf(pkey.get()));
  return Ed25519SigningKey(std::move(secret), Ed25519VerifierKey(std::string(name), pub));
}

Result<Ed25519SigningKey> Ed25519SigningKey::Generate(std::string_view name) {
  AUDITLOG_RETURN_IF_ERROR(CheckKeyName(name));
  const PkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (pkey == nullptr) return Status::IOError("OpenSSL could not generate an Ed25519 key");
  auto secret = std::make_unique<Seed>();
  std::size_t len = secret->bytes.size();
  if (EVP_PKEY_get_raw_private_key(pkey.get(), secret->bytes.data(), &len) != 1 ||
      len != kSeedBytes) {
    return Status::IOError("OpenSSL could not export an Ed25519 private key");
  }
  AUDITLOG_ASSIGN_OR_RETURN(const Ed25519PublicKey pub, PublicKeyOf(pkey.get()));
  return Ed25519SigningKey(std::move(secret), Ed25519VerifierKey(std::string(name), pub));
}

Result<Ed25519SigningKey> Ed25519SigningKey::ParseKeyText(std::string_view text) {
  const auto bad = [](const std::string& what) {
    return Status::InvalidArgument("signer key (PRIVATE+KEY+NAME+KEYID+BASE64): " + what);
  };
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (text.substr(0, kSignerPrefix.size()) != kSignerPrefix) {
    return bad("it does not start with \"PRIVATE+KEY+\"");
  }
  text.remove_prefix(kSignerPrefix.size());
  const std::size_t plus = text.find('+');
  if (plus == std::string_view::npos) return bad("no '+' after the key name");
  const std::string_view name = text.substr(0, plus);
  // Not quoted: with a field missing, the "name" could be part of the secret.
  if (Status s = CheckKeyName(name); !s.ok()) return bad("the key name is not valid");
  const std::string_view rest = text.substr(plus + 1);
  std::uint32_t id = 0;
  if (rest.size() < 9 || rest[8] != '+' || !ParseKeyIdHex(rest.substr(0, 8), &id)) {
    return bad("the key name must be followed by '+', 8 lowercase hex digits (the key ID) and '+'");
  }
  Result<std::string> raw = Base64Decode(rest.substr(9), "the private key");
  if (!raw.ok()) return bad(raw.status().message());
  const CleanseOnExit wipe(&raw.value());
  if (raw->size() != 1 + kSeedBytes) {
    return bad("the private key is " + std::to_string(raw->size()) +
               " bytes, want 33 (type 0x01 and a 32-byte Ed25519 seed)");
  }
  if (static_cast<std::uint8_t>((*raw)[0]) != kNoteEd25519Type) {
    return bad("the signature type is not 1 (Ed25519)");
  }
  AUDITLOG_ASSIGN_OR_RETURN(
      Ed25519SigningKey key,
      FromSeed(name, std::span<const std::uint8_t>(
                         reinterpret_cast<const std::uint8_t*>(raw->data()) + 1, kSeedBytes)));
  if (key.key_id() != id) {
    return bad("key ID " + KeyIdHex(id) + " does not match the name and the key's public half, " +
               "which give " + KeyIdHex(key.key_id()));
  }
  return key;
}

std::string Ed25519SigningKey::SecretKeyText() const {
  std::uint8_t raw[1 + kSeedBytes];
  raw[0] = kNoteEd25519Type;
  std::memcpy(raw + 1, seed_->bytes.data(), kSeedBytes);
  std::string b64 = Base64Encode(std::span<const std::uint8_t>(raw));
  OPENSSL_cleanse(raw, sizeof(raw));
  const CleanseOnExit wipe(&b64);
  // Reserved up front so that no reallocation leaves a copy of the secret in freed memory.
  std::string text;
  text.reserve(kSignerPrefix.size() + name().size() + 10 + b64.size() + 1);
  text.append(kSignerPrefix).append(name()).append("+").append(KeyIdHex(key_id()));
  text.append("+").append(b64);
  return text;
}

Result<Ed25519Signature> Ed25519SigningKey::Sign(std::string_view message) const {
  const PkeyPtr pkey = PrivateKeyFromSeed(seed_->bytes.data());
  const MdCtxPtr ctx(EVP_MD_CTX_new());
  Ed25519Signature sig{};
  std::size_t len = sig.size();
  if (pkey == nullptr || ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig.data(), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      len != sig.size()) {
    return Status::IOError("OpenSSL could not make an Ed25519 signature");
  }
  return sig;
}

// ---------------------------------------------------------------- key files

Result<Ed25519SigningKey> Ed25519SigningKey::LoadFile(Env* env, const std::filesystem::path& path) {
  const std::string where = "key file " + path.string();
  // NewReadableFile refuses a symlink, FIFO, device or directory, naming the path.
  AUDITLOG_ASSIGN_OR_RETURN(std::unique_ptr<ReadableFile> file, env->NewReadableFile(path));
  AUDITLOG_ASSIGN_OR_RETURN(const std::uint64_t size, file->Size());
  const auto too_big = [&](std::uint64_t n) {
    return Status::FailedPrecondition(where + " is " + std::to_string(n) +
                                      " bytes; a key file holds at most " +
                                      std::to_string(kMaxKeyFileBytes));
  };
  if (size > kMaxKeyFileBytes) return too_big(size);
  std::string data;
  const CleanseOnExit wipe(&data);
  data.reserve(kMaxKeyFileBytes + 1);
  // One byte more than the limit: a file that grew after Size() is still caught.
  AUDITLOG_RETURN_IF_ERROR(file->Read(0, kMaxKeyFileBytes + 1, &data));
  if (data.size() > kMaxKeyFileBytes) return too_big(data.size());
  Result<Ed25519SigningKey> key = ParseKeyText(data);
  if (!key.ok()) return Status(key.status().code(), where + ": " + key.status().message());
  return key;
}

Status Ed25519SigningKey::SaveFile(Env* env, const std::filesystem::path& path) const {
  std::string text = SecretKeyText();
  const CleanseOnExit wipe(&text);
  text.push_back('\n');  // within the reserved capacity: no reallocation
  return WriteFileAtomically(env, path, text);
}

}  // namespace auditlog::internal
