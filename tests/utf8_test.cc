// The shared UTF-8 decoder (src/util/utf8.h): well-formed sequences decode, and every
// ill-formed one (overlong, surrogate, above U+10FFFF, truncated, stray byte) is rejected.
#include "util/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace auditlog::internal {
namespace {

// The length DecodeUtf8 returns for `bytes` at 0, and the code point in `*cp`.
std::size_t Decode(const std::string& bytes, char32_t* cp) { return DecodeUtf8(bytes, 0, cp); }

// The RFC 3629 encoding of `cp` (any value up to 0x1FFFFF, surrogates included).
std::string Encode(char32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

TEST(Utf8Test, EveryScalarValueDecodes) {
  for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    const std::string s = Encode(cp);
    char32_t got = 0xFFFFFFFF;
    ASSERT_EQ(Decode(s, &got), s.size()) << std::hex << static_cast<unsigned>(cp);
    ASSERT_EQ(got, cp);
  }
}

TEST(Utf8Test, DecodesAtAnOffsetAndStopsAtTheSequence) {
  const std::string s = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z";  // a é € 😀 z
  char32_t cp = 0;
  EXPECT_EQ(DecodeUtf8(s, 0, &cp), 1u);
  EXPECT_EQ(cp, U'a');
  EXPECT_EQ(DecodeUtf8(s, 1, &cp), 2u);
  EXPECT_EQ(cp, U'\u00E9');
  EXPECT_EQ(DecodeUtf8(s, 3, &cp), 3u);
  EXPECT_EQ(cp, U'\u20AC');
  EXPECT_EQ(DecodeUtf8(s, 6, &cp), 4u);
  EXPECT_EQ(cp, U'\U0001F600');
  EXPECT_EQ(DecodeUtf8(s, 10, &cp), 1u);
  EXPECT_EQ(cp, U'z');
}

TEST(Utf8Test, OverlongFormsAreRejected) {
  char32_t cp;
  for (const char* bad : {"\xC0\x80", "\xC1\xBF", "\xE0\x80\x80", "\xE0\x9F\xBF",
                          "\xF0\x80\x80\x80", "\xF0\x8F\xBF\xBF"}) {
    EXPECT_EQ(Decode(bad, &cp), 0u) << bad;
  }
  // The smallest well-formed sequence of each length.
  EXPECT_EQ(Decode("\xC2\x80", &cp), 2u);
  EXPECT_EQ(Decode("\xE0\xA0\x80", &cp), 3u);
  EXPECT_EQ(Decode("\xF0\x90\x80\x80", &cp), 4u);
}

TEST(Utf8Test, SurrogatesAreRejected) {
  char32_t cp;
  for (char32_t s = 0xD800; s <= 0xDFFF; ++s)
    EXPECT_EQ(Decode(Encode(s), &cp), 0u) << static_cast<unsigned>(s);
  EXPECT_EQ(Decode("\xED\x9F\xBF", &cp), 3u);  // U+D7FF
  EXPECT_EQ(Decode("\xEE\x80\x80", &cp), 3u);  // U+E000
}

TEST(Utf8Test, AboveU10FFFFIsRejected) {
  char32_t cp;
  EXPECT_EQ(Decode("\xF4\x8F\xBF\xBF", &cp), 4u);  // U+10FFFF
  EXPECT_EQ(cp, 0x10FFFFu);
  EXPECT_EQ(Decode("\xF4\x90\x80\x80", &cp), 0u);  // U+110000
  EXPECT_EQ(Decode("\xF7\xBF\xBF\xBF", &cp), 0u);
  for (const char* lead : {"\xF5", "\xF8", "\xFC", "\xFE", "\xFF"}) {
    EXPECT_EQ(Decode(std::string(lead) + "\x80\x80\x80", &cp), 0u);
  }
}

TEST(Utf8Test, TruncatedSequencesAreRejected) {
  char32_t cp;
  for (const std::string full : {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"}) {
    for (std::size_t n = 1; n < full.size(); ++n) {
      EXPECT_EQ(Decode(full.substr(0, n), &cp), 0u) << n;           // the string ends
      EXPECT_EQ(Decode(full.substr(0, n) + "a", &cp), 0u) << n;     // ASCII follows
      EXPECT_EQ(Decode(full.substr(0, n) + "\xC3", &cp), 0u) << n;  // a new lead byte
    }
  }
  // The end of the string, not only of a buffer: a view cut inside a sequence.
  const std::string s = "x\xE2\x82\xAC";
  EXPECT_EQ(DecodeUtf8(std::string_view(s).substr(0, 3), 1, &cp), 0u);
}

TEST(Utf8Test, StrayContinuationBytesAreRejected) {
  char32_t cp;
  for (unsigned b = 0x80; b <= 0xBF; ++b) {
    EXPECT_EQ(Decode(std::string(1, static_cast<char>(b)) + "\x80\x80", &cp), 0u) << b;
  }
}

// Every sequence of up to three bytes against the definition: a sequence is well formed
// when its bits decode to a scalar value that needs exactly that many bytes.
TEST(Utf8Test, AgreesWithTheDefinitionOnEveryShortSequence) {
  auto expected = [](const std::string& s) -> std::size_t {
    const auto b0 = static_cast<unsigned char>(s[0]);
    const std::size_t len = b0 < 0x80 ? 1 : (b0 & 0xE0) == 0xC0 ? 2 : (b0 & 0xF0) == 0xE0 ? 3 : 0;
    if (len == 0 || len > s.size()) return 0;
    char32_t c = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : (b0 & 0x0F);
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[k]);
      if ((b & 0xC0) != 0x80) return 0;
      c = (c << 6) | (b & 0x3F);
    }
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800};
    if (c < kMin[len] || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    return len;
  };
  std::string s(3, '\0');
  char32_t cp;
  for (unsigned v = 0; v < (1u << 24); ++v) {
    s[0] = static_cast<char>(v >> 16);
    s[1] = static_cast<char>(v >> 8);
    s[2] = static_cast<char>(v);
    const auto b0 = static_cast<unsigned char>(s[0]);
    if (b0 >= 0xF0) continue;  // four-byte leads: covered above
    ASSERT_EQ(Decode(s, &cp), expected(s)) << std::hex << v;
  }
}

}  // namespace
}  // namespace auditlog::internal
