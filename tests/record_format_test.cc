// Tests of the version-1 record format (src/record_format.cc) against the rules of
// docs/FORMAT.md: member order, the hash rule (checked by an independent OpenSSL
// re-implementation), genesis, seq and audit_id, timestamps, segment names, and a parser
// that rejects every deviation. Also checks that the worked example in docs/FORMAT.md is
// still what the code produces.
#include "format/record_format.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "format/event_codec.h"
#include "test_util.h"
#include "util/json_writer.h"

namespace auditlog::internal {
namespace {

using ::testing::HasSubstr;

constexpr std::int64_t kTs = 1795741062123456;  // 2026-11-27T00:57:42.123456Z
const std::string kZeros(64, '0');

// The event member of `e` (and its sanitized member, if any).
std::string Body(const Event& e, const EncodeOptions& options = {}) {
  EncodedEvent out;
  EXPECT_OK(EncodeEvent(e, options, &out));
  return out.body;
}

// A framed record line without its '\n'.
std::string Line(std::uint64_t seq, const std::string& body, const std::string& prev = kZeros,
                 std::int64_t ts = kTs, const std::string& service = "queen",
                 bool critical = false) {
  std::string out;
  char hash[64];
  FrameRecord(seq, ts, service, critical, body, prev, &out, hash);
  EXPECT_EQ(out.back(), '\n');
  EXPECT_EQ(out.substr(out.size() - 67, 64), std::string(hash, 64));
  out.pop_back();
  return out;
}

// `line` with its stored hash replaced by the correct one for its (possibly edited) bytes.
std::string Rehash(std::string line) {
  const std::string h = testing::OpenSslSha256Hex(line.substr(0, line.size() - 75));
  line.replace(line.size() - 66, 64, h);
  return line;
}

class RecordFormatTest : public ::testing::Test {
 protected:
  Status Parse(const std::string& line) { return parser_.Parse(line, &view_); }
  // Replaces the first `from` in `line` by `to` (which must be present) and rehashes.
  std::string Edit(const std::string& line, const std::string& from, const std::string& to) {
    const std::size_t at = line.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at == std::string::npos) return line;
    std::string edited = line;
    edited.replace(at, from.size(), to);
    return Rehash(edited);
  }
  void ExpectRejected(const std::string& line, const std::string& reason_part) {
    SCOPED_TRACE(line);
    const Status s = Parse(line);
    EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
    EXPECT_THAT(s.message(), HasSubstr(reason_part));
  }

  RecordParser parser_;
  RecordView view_;
  testing::ScratchDir dir_;
};

// ---- framing ---------------------------------------------------------------------------

TEST_F(RecordFormatTest, FrameRecordWritesTheDocumentedMembersInOrder) {
  const std::string body = Body(SealVerified{.shard_id = "s-1", .worker_id = "w-1"});
  const std::string line = Line(1, body);
  const std::string covered =
      R"({"v":1,"seq":1,"audit_id":"queen-1","timestamp":"2026-11-27T00:57:42.123456Z",)"
      R"("service_id":"queen","critical":false,)"
      R"("event":{"event_type":"seal_verified","shard_id":"s-1","worker_id":"w-1"},)"
      R"("prev_hash":")" +
      kZeros + "\"";
  EXPECT_EQ(line, covered + R"(,"hash":")" + testing::OpenSslSha256Hex(covered) + "\"}");
}

TEST_F(RecordFormatTest, CriticalAndSanitizedMembersAreFramed) {
  const std::string body =
      Body(AuthFailure{.attempted_user = "m\x1b", .reason = "r", .ip = "1.2.3.4"});
  const std::string line = Line(7, body, std::string(64, 'a'), kTs, "svc.a-b_c", true);
  const nlohmann::ordered_json j = nlohmann::ordered_json::parse(line);
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys,
            (std::vector<std::string>{"v", "seq", "audit_id", "timestamp", "service_id", "critical",
                                      "event", "sanitized", "prev_hash", "hash"}));
  EXPECT_EQ(j["critical"], true);
  EXPECT_EQ(j["audit_id"], "svc.a-b_c-7");
  EXPECT_EQ(j["service_id"], "svc.a-b_c");
  EXPECT_EQ(j["sanitized"][0]["field"], "attempted_user");
}

TEST_F(RecordFormatTest, HashIsSha256OfTheLineWithoutItsLast75Bytes) {
  EXPECT_EQ(kHashSuffixBytes, 75u);
  EXPECT_EQ(kHashMemberPrefix, ",\"hash\":\"");
  const std::string line =
      Line(3, Body(CustomEvent{.event_type = "x", .fields = {{"hash", "not this one"}}}));
  const std::string stored = nlohmann::json::parse(line)["hash"];
  EXPECT_EQ(line.substr(line.size() - 75), ",\"hash\":\"" + stored + "\"}");
  EXPECT_EQ(stored, testing::OpenSslSha256Hex(line.substr(0, line.size() - 75)));
  EXPECT_EQ(ComputeLineHash(line), stored);
  EXPECT_EQ(ComputeLineHash(line).find_first_not_of("0123456789abcdef"), std::string::npos);
}

// ---- a real log: genesis, links, seq, audit_id, timestamps -----------------------------

TEST_F(RecordFormatTest, WrittenLogFollowsEveryChainRuleAcrossSegmentsAndRestarts) {
  std::vector<Event> events;
  for (int i = 0; i < 7; ++i) {
    events.push_back(SealVerified{.shard_id = "s-" + std::to_string(i)});
  }
  events.push_back(AuthFailure{.attempted_user = "x\n", .reason = "r", .ip = "::1"});
  // Two writer sessions (a restart), the first rotating every 3 records.
  ASSERT_OK(testing::WriteTestLog(dir_.path(), events, "queen", kTs, 3));
  ASSERT_OK(testing::WriteTestLog(dir_.path(), {SealVerified{.shard_id = "after-restart"}}, "queen",
                                  kTs + 60000000));
  std::vector<std::string> lines;
  std::vector<std::string> names;
  for (const auto& seg : testing::SegmentFiles(dir_.path())) {
    names.push_back(seg.filename().string());
    const std::string data = testing::ReadFile(seg);
    ASSERT_TRUE(data.empty() || data.back() == '\n');
    for (const std::string& l : testing::ReadLines(seg)) lines.push_back(l);
  }
  ASSERT_GE(names.size(), 4u);
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_TRUE(std::regex_match(names[i], std::regex(R"(\d{10}-\d{4}-\d{2}-\d{2}\.audit)")))
        << names[i];
    EXPECT_EQ(ParseSegmentFileName(names[i]), i + 1);  // indexes 1, 2, 3, ... in name order
  }
  ASSERT_GE(lines.size(), 9u);
  const std::regex ts_shape(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)");
  std::string prev = kZeros;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    SCOPED_TRACE("record " + std::to_string(i + 1));
    const std::string& line = lines[i];
    EXPECT_EQ(testing::FindForbiddenText(line), "");
    ASSERT_FALSE(testing::HasDuplicateMembers(line));
    const nlohmann::ordered_json j = nlohmann::ordered_json::parse(line);
    EXPECT_EQ(j.begin().key(), "v");
    EXPECT_EQ(j["v"], 1);
    EXPECT_EQ(j["seq"], i + 1);
    EXPECT_EQ(j["audit_id"], "queen-" + std::to_string(i + 1));
    EXPECT_TRUE(std::regex_match(j["timestamp"].get<std::string>(), ts_shape));
    EXPECT_EQ(j["prev_hash"], prev);
    const std::string hash = j["hash"];
    EXPECT_EQ(hash, testing::OpenSslSha256Hex(line.substr(0, line.size() - 75)));
    EXPECT_EQ((--j.end()).key(), "hash");
    prev = hash;
    ASSERT_OK(Parse(line));
    EXPECT_TRUE(view_.hash_matches);
  }
  EXPECT_EQ(nlohmann::json::parse(lines[0])["timestamp"], "2026-11-27T00:57:42.123456Z");
  EXPECT_EQ(nlohmann::json::parse(lines[7])["critical"], true);
}

// ---- the parser ------------------------------------------------------------------------

TEST_F(RecordFormatTest, ParserReadsEveryMemberOfAValidLine) {
  const std::string body =
      Body(AuthFailure{.attempted_user = "m\x1b", .reason = "r", .ip = "1.2.3.4"});
  const std::string line = Line(42, body, std::string(64, 'b'), kTs, "queen", true);
  ASSERT_OK(Parse(line));
  EXPECT_EQ(view_.seq, 42u);
  EXPECT_EQ(view_.audit_id, "queen-42");
  EXPECT_EQ(view_.timestamp, "2026-11-27T00:57:42.123456Z");
  EXPECT_EQ(view_.ts_micros, kTs);
  EXPECT_EQ(view_.service_id, "queen");
  EXPECT_TRUE(view_.critical);
  EXPECT_EQ(view_.event_type, "auth_failure");
  EXPECT_EQ(view_.event_json,
            R"({"event_type":"auth_failure","attempted_user":"m<U+001B>","reason":"r",)"
            R"("ip":"1.2.3.4","path":"","service_id":""})");
  EXPECT_EQ(view_.sanitized_json, R"([{"field":"attempted_user","neutralized":1}])");
  EXPECT_EQ(view_.prev_hash, std::string(64, 'b'));
  EXPECT_EQ(view_.hash, ComputeLineHash(line));
  EXPECT_TRUE(view_.hash_matches);
}

TEST_F(RecordFormatTest, ParserReportsAHashMismatchWithoutFailing) {
  std::string line = Line(1, Body(SealVerified{.shard_id = "s"}));
  line[line.find("\"s\"") + 1] = 't';
  ASSERT_OK(Parse(line));
  EXPECT_FALSE(view_.hash_matches);
  ASSERT_OK(parser_.Parse(line, &view_, /*compute_hash=*/false));
  EXPECT_FALSE(view_.hash_matches);
}

TEST_F(RecordFormatTest, RawViewsAreNotFooledByLookalikeMembersInsideTheEvent) {
  // A custom event may use any snake_case member name, including the envelope's.
  const std::string body = Body(CustomEvent{.event_type = "x",
                                            .fields = {{"event", Object{{"sanitized", "a"}}},
                                                       {"sanitized", StringList{"]", "[{"}},
                                                       {"prev_hash", kZeros},
                                                       {"s", "\x1b"}}});
  const std::string line = Line(1, body);
  ASSERT_OK(Parse(line));
  EXPECT_EQ(view_.event_json,
            R"({"event_type":"x","event":{"sanitized":"a"},"sanitized":["]","[{"],)"
            R"("prev_hash":")" +
                kZeros + R"(","s":"<U+001B>"})");
  EXPECT_EQ(view_.sanitized_json, R"([{"field":"s","neutralized":1}])");
  // Without a top-level "sanitized", the lookalike inside the event is not taken for it.
  const std::string clean =
      Line(1, Body(CustomEvent{.event_type = "x", .fields = {{"sanitized", StringList{"a"}}}}));
  ASSERT_OK(Parse(clean));
  EXPECT_EQ(view_.event_json, R"({"event_type":"x","sanitized":["a"]})");
  EXPECT_EQ(view_.sanitized_json, "");
}

TEST_F(RecordFormatTest, ParserRejectsDuplicateMembersAtAnyDepth) {
  const std::string line = Line(1, Body(AuthSuccess{.actor = {.user_id = "u\n"}}));
  ExpectRejected(Edit(line, R"("seq":1,)", R"("seq":1,"seq":1,)"), "duplicated or out of order");
  ExpectRejected(Edit(line, R"("critical":false,)", R"("critical":false,"critical":false,)"),
                 "duplicated or out of order");
  ExpectRejected(
      Edit(line, R"("method":"bearer_token")", R"("method":"bearer_token","method":"api_key")"),
      "duplicate member \"method\"");
  ExpectRejected(Edit(line, R"("user_id":)", R"("user_id":"x","user_id":)"),
                 "duplicate member \"user_id\"");
  ExpectRejected(Edit(line, R"("event_type":"auth_success")",
                      R"("event_type":"auth_success","event_type":"auth_failure")"),
                 "duplicate member \"event_type\"");
  ExpectRejected(Edit(line, R"({"field":)", R"({"field":"forged","field":)"),
                 "duplicate member \"field\"");
  // A member name repeated in different objects is not a duplicate.
  ASSERT_OK(Parse(Line(1, Body(CustomEvent{.event_type = "x",
                                           .fields = {{"a", Object{{"a", Object{{"a", 1}}}}}}}))));
}

TEST_F(RecordFormatTest, ParserRejectsUnknownMissingAndMisorderedMembers) {
  const std::string line = Line(1, Body(SealVerified{.shard_id = "s"}));
  ExpectRejected(Edit(line, R"("critical":false,)", R"("critical":false,"signature":"x",)"),
                 "unknown member \"signature\"");
  ExpectRejected(Edit(line, R"({"v":1,"seq":1,)", R"({"seq":1,"v":1,)"), "member \"v\"");
  ExpectRejected(Edit(line, R"("service_id":"queen","critical":false,)",
                      R"("critical":false,"service_id":"queen",)"),
                 "member \"service_id\"");
  ExpectRejected(Edit(line, R"("audit_id":"queen-1",)", ""), "missing member \"audit_id\"");
  ExpectRejected(Edit(line, R"("service_id":"queen",)", ""), "missing member \"service_id\"");
  ExpectRejected(Edit(line, R"(,"prev_hash":")" + kZeros + "\"", ""), "missing member");
  ExpectRejected(Edit(line, R"({"v":1,)", "{"), "missing member \"v\"");
  // "hash" must be the last member, and exactly at the end.
  std::string moved = line.substr(0, line.size() - 1) + R"(,"x":1})";
  ExpectRejected(moved, "does not end with the \"hash\" member");
  ExpectRejected(line + " ", "whitespace");
  ExpectRejected(line + "x", "does not end with the \"hash\" member");
  ExpectRejected(line + "}", "does not end with the \"hash\" member");
  ExpectRejected("", "does not end with the \"hash\" member");
  ExpectRejected("[" + line + "]", "does not end with the \"hash\" member");
}

TEST_F(RecordFormatTest, ParserRejectsRawControlAndInvisibleCharacters) {
  const std::string line = Line(1, Body(SealVerified{.shard_id = "s"}));
  const std::string controls[] = {std::string(1, '\0'), "\t", "\n", "\r", "\x1b", "\x7f", "\x01"};
  for (const std::string& c : controls) {
    ExpectRejected(Edit(line, R"("shard_id":"s")", "\"shard_id\":\"s" + c + "\""),
                   "raw control character");
  }
  const std::string invisible[] = {"\xc2\x80",     "\xc2\x85",     "\xc2\x9f",     "\xd8\x9c",
                                   "\xe2\x80\x8e", "\xe2\x80\x8f", "\xe2\x80\xa8", "\xe2\x80\xa9",
                                   "\xe2\x80\xaa", "\xe2\x80\xae", "\xe2\x81\xa6", "\xe2\x81\xa9",
                                   "\xef\xbb\xbf"};
  for (const std::string& c : invisible) {
    ExpectRejected(Edit(line, R"("shard_id":"s")", "\"shard_id\":\"s" + c + "\""), "raw C1, bidi");
  }
  // Neighbours of the forbidden ranges are ordinary text.
  for (const std::string ok : {"\xc2\xa0", "\xe2\x80\x8d", "\xe2\x80\xaf", "\xe2\x81\xa5",
                               "\xe2\x81\xaa", "\xef\xbb\xbe", "\xd8\x9b"}) {
    ASSERT_OK(Parse(Edit(line, R"("shard_id":"s")", "\"shard_id\":\"s" + std::string(ok) + "\"")));
  }
}

TEST_F(RecordFormatTest, ParserRejectsInvalidUtf8AndInvalidJson) {
  const std::string line = Line(1, Body(SealVerified{.shard_id = "s"}));
  for (const std::string bad :
       {"\x80", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff", "\xe2\x82"}) {
    ExpectRejected(Edit(line, R"("shard_id":"s")", "\"shard_id\":\"s" + bad + "\""),
                   "not valid JSON");
  }
  ExpectRejected(Edit(line, R"("shard_id":"s")", R"("shard_id":s)"), "not valid JSON");
  ExpectRejected(Edit(line, R"("shard_id":"s")", R"("shard_id":"s",)"), "not valid JSON");
}

TEST_F(RecordFormatTest, ParserRejectsWhitespaceOutsideStrings) {
  const std::string line = Line(1, Body(SealVerified{.shard_id = "a b"}));
  ASSERT_OK(Parse(line));  // inside a string it is text
  ExpectRejected(Edit(line, R"("seq":1)", R"("seq": 1)"), "whitespace");
  ExpectRejected(Edit(line, R"(,"event":)", R"(, "event":)"), "whitespace");
  ExpectRejected(Edit(line, R"("shard_id":"a b")", R"("shard_id" :"a b")"), "whitespace");
}

TEST_F(RecordFormatTest, ParserChecksTheTypeOfEveryEnvelopeMember) {
  const std::string line = Line(1, Body(SealVerified{.shard_id = "s"}));
  ExpectRejected(Edit(line, R"("v":1)", R"("v":2)"), "\"v\" is not 1");
  ExpectRejected(Edit(line, R"("v":1)", R"("v":"1")"), "\"v\" is not 1");
  ExpectRejected(Edit(line, R"("v":1)", R"("v":1.0)"), "\"v\" is not 1");
  ExpectRejected(Edit(line, R"("seq":1)", R"("seq":0)"), "\"seq\"");
  ExpectRejected(Edit(line, R"("seq":1)", R"("seq":-1)"), "\"seq\"");
  ExpectRejected(Edit(line, R"("seq":1)", R"("seq":"1")"), "\"seq\"");
  ExpectRejected(Edit(line, R"("seq":1)", R"("seq":1.5)"), "\"seq\"");
  ExpectRejected(Edit(line, R"("audit_id":"queen-1")", R"("audit_id":1)"), "\"audit_id\"");
  ExpectRejected(Edit(line, R"("service_id":"queen")", R"("service_id":null)"), "\"service_id\"");
  ExpectRejected(Edit(line, R"("critical":false)", R"("critical":"false")"), "\"critical\"");
  ExpectRejected(Edit(line, R"("critical":false)", R"("critical":0)"), "\"critical\"");
  ExpectRejected(
      Edit(line, R"("event":{"event_type":"seal_verified",)", R"("event":["seal_verified",)"),
      "not valid JSON");
  ExpectRejected(
      Edit(line, R"("event":{"event_type":"seal_verified","shard_id":"s","worker_id":""})",
           R"("event":"seal_verified")"),
      "\"event\" is not an object");
  ExpectRejected(Edit(line, R"({"event_type":"seal_verified","shard_id":"s",)",
                      R"({"shard_id":"s","event_type":"seal_verified",)"),
                 "does not start with a string \"event_type\"");
  ExpectRejected(Edit(line, R"("event_type":"seal_verified")", R"("event_type":7)"),
                 "does not start with a string \"event_type\"");
  ExpectRejected(
      Edit(line, R"("event":{"event_type":"seal_verified","shard_id":"s","worker_id":""})",
           R"("event":{})"),
      "does not start with a string \"event_type\"");
  ExpectRejected(Edit(line, R"("worker_id":""},)", R"("worker_id":""},"sanitized":{},)"),
                 "\"sanitized\" is not an array");
}

TEST_F(RecordFormatTest, ParserRejectsHashesThatAreNot64LowercaseHexDigits) {
  const std::string line = Line(1, Body(SealVerified{.shard_id = "s"}));
  const std::string bad_prev[] = {std::string(64, 'A'), std::string(63, '0'), std::string(65, '0'),
                                  std::string(63, '0') + "g", ""};
  for (const std::string& p : bad_prev) {
    ExpectRejected(Edit(line, "\"prev_hash\":\"" + kZeros + "\"", "\"prev_hash\":\"" + p + "\""),
                   "\"prev_hash\" is not 64 lowercase hex digits");
  }
  // The stored hash: uppercase, non-hex.
  std::string upper = line;
  for (std::size_t i = upper.size() - 66; i < upper.size() - 2; ++i) {
    upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
  }
  if (upper != line) ExpectRejected(upper, "\"hash\" is not 64 lowercase hex digits");
  std::string non_hex = line;
  non_hex[non_hex.size() - 3] = 'g';
  ExpectRejected(non_hex, "\"hash\" is not 64 lowercase hex digits");
}

TEST_F(RecordFormatTest, ParserRejectsMalformedTimestamps) {
  const std::string line = Line(1, Body(SealVerified{.shard_id = "s"}));
  const std::string bad[] = {"2026-11-27T00:57:42Z",
                             "2026-11-27T00:57:42.123Z",
                             "2026-11-27T00:57:42.123456789Z",
                             "2026-11-27T00:57:42.123456+00:00",
                             "2026-11-27 00:57:42.123456Z",
                             "2026-11-27t00:57:42.123456Z",
                             "2026-11-27T00:57:42.123456z",
                             "2026-02-30T00:00:00.000000Z",
                             "2026-13-01T00:00:00.000000Z",
                             "2026-00-01T00:00:00.000000Z",
                             "2026-11-00T00:00:00.000000Z",
                             "2026-11-27T24:00:00.000000Z",
                             "2026-11-27T00:60:00.000000Z",
                             "2026-11-27T00:00:60.000000Z",
                             "2026-11-27T00:57:4x.123456Z",
                             "+2026-11-27T00:57:42.12345Z",
                             ""};
  for (const std::string& ts : bad) {
    SCOPED_TRACE(ts);
    EXPECT_FALSE(ParseRecordTimestamp(ts).has_value());
    ExpectRejected(Edit(line, "2026-11-27T00:57:42.123456Z", ts), "\"timestamp\"");
  }
}

TEST(RecordTimestampTest, FormatAndParseRoundTrip) {
  const std::int64_t cases[] = {0,
                                1,
                                kTs,
                                951782400000000 /* 2000-02-29 */,
                                4102444799999999 /* 2099-12-31T23:59:59.999999Z */,
                                -1};
  for (std::int64_t micros : cases) {
    const std::string s = FormatTimestamp(micros);
    EXPECT_EQ(s.size(), 27u);
    EXPECT_EQ(ParseRecordTimestamp(s), micros) << s;
  }
  EXPECT_EQ(FormatTimestamp(kTs), "2026-11-27T00:57:42.123456Z");
  EXPECT_EQ(FormatTimestamp(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(ParseRecordTimestamp("2024-02-29T12:00:00.000001Z"), 1709208000000001);
}

TEST(SegmentFileNameTest, NamesAreIndexDateAndSuffix) {
  EXPECT_EQ(SegmentFileName(1, kTs), "0000000001-2026-11-27.audit");
  EXPECT_EQ(SegmentFileName(4294967296, 0), "4294967296-1970-01-01.audit");
  EXPECT_EQ(ParseSegmentFileName("0000000001-2026-11-27.audit"), 1u);
  EXPECT_EQ(ParseSegmentFileName("0000000042-1999-01-31.audit"), 42u);
  const std::string bad[] = {"1-2026-11-27.audit",
                             "0000000001-2026-11-27.log",
                             "0000000001-2026-11-27.audit.zst",
                             "0000000001_2026-11-27.audit",
                             "000000000a-2026-11-27.audit",
                             "0000000001-2026-1-127.audit",
                             "0000000001-2026-11-27.Audit",
                             "manifest.json",
                             "0000000001-2026-11-27.torn-0",
                             ".audit"};
  for (const std::string& name : bad) EXPECT_FALSE(ParseSegmentFileName(name)) << name;
  // Fixed-width indexes sort by name in log order.
  EXPECT_LT(SegmentFileName(9, kTs), SegmentFileName(10, 0));
}

TEST(RecordFormatHelpersTest, AuditIdAndHexChecks) {
  EXPECT_EQ(MakeAuditId("queen", 1), "queen-1");
  EXPECT_EQ(MakeAuditId("a.b-c", 18446744073709551615ull), "a.b-c-18446744073709551615");
  EXPECT_EQ(kGenesisHash, kZeros);
  EXPECT_TRUE(IsLowerHex64(kZeros));
  EXPECT_TRUE(IsLowerHex64(std::string(32, 'a') + std::string(32, 'f')));
  EXPECT_FALSE(IsLowerHex64(std::string(64, 'F')));
  EXPECT_FALSE(IsLowerHex64(std::string(63, '0')));
  EXPECT_FALSE(IsLowerHex64(std::string(63, '0') + "g"));
}

// ---- the worked example of docs/FORMAT.md ---------------------------------------------

// The lines of the first ```json block after `marker` in docs/FORMAT.md.
std::vector<std::string> DocBlock(const std::string& marker) {
  std::ifstream in(std::string(AUDITLOG_SOURCE_DIR) + "/docs/FORMAT.md");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  std::vector<std::string> lines;
  std::size_t at = doc.find(marker);
  if (at == std::string::npos) return lines;
  at = doc.find("```json\n", at);
  if (at == std::string::npos) return lines;
  at += 8;
  const std::size_t end = doc.find("```", at);
  std::istringstream block(doc.substr(at, end - at));
  for (std::string l; std::getline(block, l);) lines.push_back(l);
  return lines;
}

TEST(FormatDocTest, WorkedExampleIsWhatTheWriterProducesAndVerifies) {
  const std::vector<std::string> doc_lines = DocBlock("<!-- worked-example -->");
  ASSERT_EQ(doc_lines.size(), 2u) << "docs/FORMAT.md lost its worked example";
  // The same two records, framed by the code.
  const std::int64_t t1 = 1795741062123456, t2 = 1795741062124001;
  const std::string first = Line(1,
                                 Body(AuthFailure{.attempted_user = "mallory\x1b[2J",
                                                  .reason = "bad_password",
                                                  .ip = "203.0.113.7",
                                                  .path = "/v2/tasks",
                                                  .service_id = "queen"}),
                                 kZeros, t1, "queen", true);
  const std::string second = Line(2, Body(SealVerified{.shard_id = "shard-7", .worker_id = "w-1"}),
                                  first.substr(first.size() - 66, 64), t2, "queen", false);
  EXPECT_EQ(doc_lines[0], first);
  EXPECT_EQ(doc_lines[1], second);
  // And the hashes the text states.
  const std::vector<std::string> hashes = DocBlock("<!-- worked-example-hashes -->");
  ASSERT_EQ(hashes.size(), 2u);
  EXPECT_EQ(hashes[0], "SHA-256(line 1 without its last 75 bytes) = " +
                           testing::OpenSslSha256Hex(first.substr(0, first.size() - 75)));
  EXPECT_EQ(hashes[1], "SHA-256(line 2 without its last 75 bytes) = " +
                           testing::OpenSslSha256Hex(second.substr(0, second.size() - 75)));
}

}  // namespace
}  // namespace auditlog::internal
