// SHA-256 through OpenSSL; see sha256.h.
#include "util/sha256.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstdlib>

namespace auditlog::internal {

namespace {

// OpenSSL 3's one-shot SHA256() looks the algorithm up in the provider tables (under a lock)
// on every call, which costs about as much as hashing a whole record. The writer hashes every
// record, so the algorithm is fetched once and each thread reuses its own context.
struct ThreadDigestContext {
  ThreadDigestContext() : ctx(EVP_MD_CTX_new()) {}
  ~ThreadDigestContext() { EVP_MD_CTX_free(ctx); }
  EVP_MD_CTX* ctx;
};

const EVP_MD* FetchedSha256() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);  // never freed
  return md;
}

}  // namespace

Digest Sha256Parts(std::initializer_list<std::string_view> parts) {
  Digest d;
  thread_local ThreadDigestContext t;
  const EVP_MD* md = FetchedSha256();
  unsigned int len = 0;
  bool ok = md != nullptr && t.ctx != nullptr && EVP_DigestInit_ex2(t.ctx, md, nullptr) == 1;
  for (std::string_view p : parts) {
    ok = ok && (p.empty() || EVP_DigestUpdate(t.ctx, p.data(), p.size()) == 1);
  }
  if (!ok || EVP_DigestFinal_ex(t.ctx, d.data(), &len) != 1) {
    std::abort();  // libcrypto out of memory for an in-memory digest: nothing sensible left
  }
  return d;
}

Digest Sha256(std::string_view data) { return Sha256Parts({data}); }

void ToHex(const Digest& d, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < d.size(); ++i) {
    out[2 * i] = kHex[d[i] >> 4];
    out[2 * i + 1] = kHex[d[i] & 0xF];
  }
}

std::string ToHex(const Digest& d) {
  std::string s(64, '0');
  ToHex(d, s.data());
  return s;
}

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr ||
      EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr) != 1) {
    std::abort();  // out of memory inside libcrypto: nothing sensible to continue with
  }
}

Sha256Stream::~Sha256Stream() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256Stream::Update(std::string_view data) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}

Digest Sha256Stream::Finish() {
  Digest d;
  unsigned int len = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), d.data(), &len);
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr);
  return d;
}

}  // namespace auditlog::internal
