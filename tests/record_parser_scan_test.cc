// RecordParser's fast paths against byte-by-byte references: the 64-byte scan for the raw
// byte rules of docs/FORMAT.md §2 (control characters, forbidden code points, whitespace
// outside strings) and the extent of the raw "event" / "sanitized" values. Every line is
// checked twice: by the reference below (the parser's original loops) and by Parse; a
// line the reference rejects must be rejected with the same reason, and for a line it
// accepts, Parse must not report one of its reasons.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "format/record_format.h"

namespace auditlog::internal {
namespace {

bool ForbiddenAt(std::string_view s, std::size_t i) {
  auto at = [&](std::size_t k) {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u;
  };
  switch (at(0)) {
    case 0xC2:
      return at(1) >= 0x80 && at(1) <= 0x9F;
    case 0xD8:
      return at(1) == 0x9C;
    case 0xE2:
      if (at(1) == 0x80) return at(2) == 0x8E || at(2) == 0x8F || (at(2) >= 0xA8 && at(2) <= 0xAE);
      return at(1) == 0x81 && at(2) >= 0xA6 && at(2) <= 0xA9;
    case 0xEF:
      return at(1) == 0xBB && at(2) == 0xBF;
    default:
      return false;
  }
}

// The reason the byte rules reject `line` for, or "" when they accept it.
std::string ReferenceScan(std::string_view line) {
  bool in_string = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto b = static_cast<unsigned char>(line[i]);
    if (b < 0x20 || b == 0x7F) return "raw control character in line";
    if (b >= 0xC2 && ForbiddenAt(line, i))
      return "raw C1, bidi, line-separator or BOM code point in line";
    if (in_string) {
      if (b == '\\') {
        ++i;
      } else if (b == '"') {
        in_string = false;
      }
    } else if (b == '"') {
      in_string = true;
    } else if (b == ' ') {
      return "whitespace outside a string (records are compact JSON)";
    }
  }
  return "";
}

bool IsScanReason(const std::string& message) {
  return message == "raw control character in line" ||
         message == "raw C1, bidi, line-separator or BOM code point in line" ||
         message == "whitespace outside a string (records are compact JSON)";
}

std::size_t ReferenceValueEnd(std::string_view s, std::size_t i) {
  int depth = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\') ++i;
      }
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return s.size();
}

struct Tally {
  int scan_rejected = 0, other_rejected = 0, parsed = 0;
};

void ExpectSameAsReference(RecordParser* parser, const std::string& line, Tally* tally) {
  RecordView r;
  const Status s = parser->Parse(line, &r);
  const std::string want = ReferenceScan(line);
  if (!want.empty()) {
    EXPECT_EQ(s.message(), want) << line;
    ++tally->scan_rejected;
    return;
  }
  EXPECT_FALSE(!s.ok() && IsScanReason(s.message())) << s.message() << "\n" << line;
  if (!s.ok()) {
    ++tally->other_rejected;
    return;
  }
  ++tally->parsed;
  const std::size_t event_at = line.find(",\"event\":") + 9;
  const std::size_t event_end = ReferenceValueEnd(line, event_at);
  EXPECT_EQ(r.event_json, std::string_view(line).substr(event_at, event_end - event_at)) << line;
  if (r.sanitized_json.empty()) {
    EXPECT_EQ(line.compare(event_end, 13, ",\"prev_hash\":"), 0) << line;
  } else {
    const std::size_t san_at = event_end + 13;
    EXPECT_EQ(r.sanitized_json,
              std::string_view(line).substr(san_at, ReferenceValueEnd(line, san_at) - san_at));
  }
}

std::string Frame(std::string_view body) {
  std::string line;
  char hash[64];
  FrameRecord(7, 1795743462123456, "queen", false, body, kGenesisHash, &line, hash);
  line.pop_back();
  return line;
}

// A valid record that spans several 64-byte blocks, with strings holding spaces and
// multi-byte characters.
std::string BaseLine() {
  return Frame(
      "\"event\":{\"event_type\":\"custom_thing\",\"note\":\"a b  c, d: {e} [f] caf\xC3\xA9 "
      "\xE2\x80\x8B zero-width\",\"nested\":{\"x\":\"y z\",\"list\":[\"1 2\",\"3\"]},"
      "\"sanitized\":[1]},\"sanitized\":[{\"field\":\"note\",\"neutralized\":1}]");
}

TEST(RecordParserScanTest, EveryInsertionAtEveryPositionMatchesTheReference) {
  RecordParser parser;
  Tally tally;
  const std::string base = BaseLine();
  {
    RecordView r;
    ASSERT_TRUE(parser.Parse(base, &r).ok());
  }
  const std::vector<std::string> inserts = {" ",
                                            "\x01",
                                            "\x1F",
                                            "\x7F",
                                            "\"",
                                            "\\",
                                            "\\\"",
                                            "\\\\",
                                            "\t",
                                            "\xC2\x85",
                                            "\xC2\xA0",
                                            "\xC2\x9F",
                                            "\xD8\x9C",
                                            "\xD8\x9D",
                                            "\xE2\x80\x8E",
                                            "\xE2\x80\xAE",
                                            "\xE2\x80\x8B",
                                            "\xE2\x81\xA6",
                                            "\xE2\x81\xAA",
                                            "\xEF\xBB\xBF",
                                            "\xEF\xBF\xBD",
                                            "\xC3\xA9",
                                            "\x80",
                                            "\xFF",
                                            "\xC2",
                                            "\xE2\x80",
                                            "a",
                                            "{",
                                            "]"};
  for (std::size_t pos = 0; pos <= base.size(); ++pos) {
    for (const std::string& ins : inserts) {
      std::string line = base;
      line.insert(pos, ins);
      ExpectSameAsReference(&parser, line, &tally);
    }
  }
  EXPECT_GT(tally.scan_rejected, 1000);
  EXPECT_GT(tally.other_rejected, 1000);
  EXPECT_GT(tally.parsed, 1000);
}

TEST(RecordParserScanTest, ValidRecordsOfEveryLengthMatchTheReference) {
  // Lines whose ends fall on every offset within a 64-byte block, with and without
  // "sanitized", with and without backslash escapes.
  RecordParser parser;
  Tally tally;
  for (int n = 0; n < 200; ++n) {
    const std::string pad(static_cast<std::size_t>(n), 'x');
    for (const std::string& body :
         {"\"event\":{\"event_type\":\"t\",\"s\":\"" + pad + " y\"}",
          "\"event\":{\"event_type\":\"t\",\"s\":\"" + pad +
              "\\\" \\\\\"},\"sanitized\":[{\"field\":\"s\"}]",
          "\"event\":{\"event_type\":\"t\",\"s\":\"" + pad + "\"},\"sanitized\":[{\"a\":\"]\"}]"}) {
      ExpectSameAsReference(&parser, Frame(body), &tally);
    }
  }
  EXPECT_EQ(tally.parsed, 600);
}

TEST(RecordParserScanTest, RandomLinesMatchTheReference) {
  RecordParser parser;
  Tally tally;
  std::mt19937 rng(12345);
  const std::vector<std::string> tokens = {"\"",
                                           "\"",
                                           "\"",
                                           " ",
                                           " ",
                                           "a",
                                           "bc",
                                           "{",
                                           "}",
                                           "[",
                                           "]",
                                           ":",
                                           ",",
                                           "\\",
                                           "\\\"",
                                           "\x01",
                                           "\x7F",
                                           "\xC2\x85",
                                           "\xC3\xA9",
                                           "\xE2\x80\xAE",
                                           "\xE2\x80\x8B",
                                           "\xEF\xBB\xBF",
                                           "1"};
  const std::string base = BaseLine();
  for (int n = 0; n < 20000; ++n) {
    std::string line;
    const int len = static_cast<int>(rng() % 160);
    for (int k = 0; k < len; ++k) line += tokens[rng() % tokens.size()];
    // Half of them: a valid record with the random text spliced into a string value.
    if (n % 2 == 0) {
      std::string framed = base;
      framed.insert(base.find("a b  c") + 1, line);
      line = std::move(framed);
    }
    ExpectSameAsReference(&parser, line, &tally);
  }
  EXPECT_GT(tally.scan_rejected, 1000);
  EXPECT_GT(tally.other_rejected, 100);
  EXPECT_GT(tally.parsed, 100);
}

}  // namespace
}  // namespace auditlog::internal
