// Classification of 64 bytes at a time for the record line scan (format/record_format.cc):
// SSE2 where the target has it, a portable loop otherwise. The platform-specific bits of the
// scan are here so that the format code has no intrinsics.
#pragma once

#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace auditlog::internal {

// Bit masks of 64 bytes: bit k describes p[k].
struct ByteMasks {
  std::uint64_t quote = 0, backslash = 0, space = 0;
  std::uint64_t control = 0;  // 0x00-0x1F and 0x7F
  std::uint64_t high = 0;     // 0x80-0xFF
};

// The byte-by-byte reference (and the fallback where there is no SSE2).
// REQUIRES: p[0..63] are readable.
inline ByteMasks Classify64Portable(const unsigned char* p) {
  ByteMasks m;
  for (int k = 0; k < 64; ++k) {
    const unsigned b = p[k];
    const std::uint64_t bit = std::uint64_t{1} << k;
    m.quote |= b == '"' ? bit : 0;
    m.backslash |= b == '\\' ? bit : 0;
    m.space |= b == ' ' ? bit : 0;
    m.control |= (b < 0x20 || b == 0x7F) ? bit : 0;
    m.high |= b >= 0x80 ? bit : 0;
  }
  return m;
}

// REQUIRES: p[0..63] are readable.
inline ByteMasks Classify64(const unsigned char* p) {
#if defined(__SSE2__)
  ByteMasks m;
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
                space = _mm_set1_epi8(' '), del = _mm_set1_epi8(0x7F);
  for (int k = 0; k < 4; ++k) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    auto bits = [&](__m128i eq) {
      return static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(eq))) << (16 * k);
    };
    const std::uint64_t high = bits(v);  // the sign bits
    m.high |= high;
    m.quote |= bits(_mm_cmpeq_epi8(v, quote));
    m.backslash |= bits(_mm_cmpeq_epi8(v, backslash));
    m.space |= bits(_mm_cmpeq_epi8(v, space));
    // Signed compare: bytes >= 0x80 are negative and also "less than" 0x20.
    m.control |= (bits(_mm_cmplt_epi8(v, space)) & ~high) | bits(_mm_cmpeq_epi8(v, del));
  }
  return m;
#else
  return Classify64Portable(p);
#endif
}

}  // namespace auditlog::internal
