// The Ed25519 key of the seal fuzz targets' seed corpora (checkpoint, proof): seed bytes
// 0x42 repeated, named kFuzzOrigin. Never freed (a fuzz target runs until it exits).
#pragma once

#include <array>
#include <string_view>

#include "fuzz_util.h"
#include "seal/signing_key.h"

namespace auditlog::internal {

inline constexpr std::string_view kFuzzOrigin = "auditlog/fuzz";

inline const Ed25519SigningKey& FuzzKey() {
  static const Ed25519SigningKey* key = [] {
    std::array<std::uint8_t, 32> seed;
    seed.fill(0x42);
    auto k = Ed25519SigningKey::FromSeed(kFuzzOrigin, seed);
    FUZZ_CHECK(k.ok(), k.status().ToString());
    return new Ed25519SigningKey(std::move(k).value());
  }();
  return *key;
}

}  // namespace auditlog::internal
