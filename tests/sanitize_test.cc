// Tests of hostile-input handling (src/sanitize.cc and its use by src/event_codec.cc): every
// class of hostile string is neutralized visibly, never rejected, and reported in the
// record's "sanitized" member; over-long fields are cut at a UTF-8 boundary; and nothing a
// caller passes can add a line or forge a member (end to end, through the record writer).
#include "format/sanitize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "auditlog/verify.h"
#include "format/event_codec.h"
#include "test_util.h"

namespace auditlog::internal {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kFffd = "\xEF\xBF\xBD";

struct HostileCase {
  const char* name;
  std::string input;
  std::string expected;  // the value as written (before JSON escaping)
  std::uint32_t neutralized;
};

std::string Cp(const char* utf8) { return utf8; }

std::vector<HostileCase> HostileCases() {
  std::vector<HostileCase> cases = {
      {"nul", std::string("a\0b", 3), "a<U+0000>b", 1},
      {"newline", "a\nb", "a<U+000A>b", 1},
      {"carriage_return", "a\rb", "a<U+000D>b", 1},
      {"tab", "a\tb", "a<U+0009>b", 1},
      {"crlf", "x\r\ny", "x<U+000D><U+000A>y", 2},
      {"bell_backspace_formfeed_vt", "\a\b\f\v", "<U+0007><U+0008><U+000C><U+000B>", 4},
      {"unit_separator", "\x1f", "<U+001F>", 1},
      {"ansi_color", "\x1b[31mred\x1b[0m", "<U+001B>[31mred<U+001B>[0m", 2},
      {"ansi_clear_screen", "\x1b[2J\x1b[H", "<U+001B>[2J<U+001B>[H", 2},
      {"osc_title", "\x1b]0;pwned\x07", "<U+001B>]0;pwned<U+0007>", 2},
      {"del", "a\x7f", "a<U+007F>", 1},
      {"c1_first", "\xc2\x80", "<U+0080>", 1},
      {"c1_nel", "a\xc2\x85z", "a<U+0085>z", 1},
      {"c1_csi",
       "\xc2\x9b"
       "31m",
       "<U+009B>31m", 1},
      {"c1_last", "\xc2\x9f", "<U+009F>", 1},
      {"lre", Cp("\u202A"), "<U+202A>", 1},
      {"rle", Cp("\u202B"), "<U+202B>", 1},
      {"pdf", Cp("\u202C"), "<U+202C>", 1},
      {"lro", Cp("\u202D"), "<U+202D>", 1},
      {"rlo", "evil" + Cp("\u202E") + "txt.exe", "evil<U+202E>txt.exe", 1},
      {"lri", Cp("\u2066"), "<U+2066>", 1},
      {"rli", Cp("\u2067"), "<U+2067>", 1},
      {"fsi", Cp("\u2068"), "<U+2068>", 1},
      {"pdi", Cp("\u2069"), "<U+2069>", 1},
      {"lrm", Cp("\u200E"), "<U+200E>", 1},
      {"rlm", Cp("\u200F"), "<U+200F>", 1},
      {"alm", Cp("\u061C"), "<U+061C>", 1},
      {"line_separator", "a" + Cp("\u2028") + "b", "a<U+2028>b", 1},
      {"paragraph_separator", Cp("\u2029"), "<U+2029>", 1},
      {"bom", Cp("\uFEFF") + "x", "<U+FEFF>x", 1},
      {"lone_continuation", "a\x80z", "a" + kFffd + "z", 1},
      {"lone_continuation_bf", "\xbf", kFffd, 1},
      {"overlong_slash_2", "\xc0\xaf", kFffd + kFffd, 2},
      {"overlong_nul_2", "\xc0\x80", kFffd + kFffd, 2},
      {"overlong_3", "\xe0\x80\xaf", kFffd + kFffd + kFffd, 3},
      {"overlong_4", "\xf0\x80\x80\xaf", kFffd + kFffd + kFffd + kFffd, 4},
      {"surrogate_high", "\xed\xa0\x80", kFffd + kFffd + kFffd, 3},
      {"surrogate_low", "\xed\xbf\xbf", kFffd + kFffd + kFffd, 3},
      {"above_10ffff", "\xf4\x90\x80\x80", kFffd + kFffd + kFffd + kFffd, 4},
      {"f5_lead", "\xf5\x80\x80\x80", kFffd + kFffd + kFffd + kFffd, 4},
      {"ff_byte", "\xff", kFffd, 1},
      {"truncated_2_at_end", "ab\xc3", "ab" + kFffd, 1},
      {"truncated_3_at_end", "ab\xe2\x82", "ab" + kFffd + kFffd, 2},
      {"truncated_4_at_end", "\xf0\x9f\x98", kFffd + kFffd + kFffd, 3},
      {"truncated_3_mid",
       "\xe2\x82"
       "A",
       kFffd + kFffd + "A", 2},
      {"mixed", "ok\x1b\xc2\x85\xff" + Cp("\u202E") + "\xc3\xa9",
       "ok<U+001B><U+0085>" + kFffd + "<U+202E>\xc3\xa9", 4},
  };
  return cases;
}

class SanitizeTest : public ::testing::Test {
 protected:
  // Encodes `e` (which must succeed) and returns {"event":…,"sanitized":…} parsed; also
  // checks the invariants every encoded body must satisfy.
  nlohmann::json EncodeChecked(const Event& e, const EncodeOptions& options = {}) {
    EncodedEvent out;
    Status s = EncodeEvent(e, options, &out);
    EXPECT_OK(s);
    EXPECT_EQ(testing::FindForbiddenText(out.body), "") << out.body;
    const std::string doc = "{" + out.body + "}";
    nlohmann::json j = nlohmann::json::parse(doc, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << out.body;
    if (j.is_discarded()) return nlohmann::json::object();
    EXPECT_FALSE(testing::HasDuplicateMembers(doc));
    EXPECT_EQ(j.contains("sanitized"), out.altered_fields > 0);
    if (j.contains("sanitized")) {
      EXPECT_EQ(j["sanitized"].size(), out.altered_fields);
    }
    return j;
  }
};

// ---- every hostile class, through a real event ---------------------------------------

TEST_F(SanitizeTest, EveryHostileClassIsNeutralizedVisiblyAndReported) {
  for (const HostileCase& c : HostileCases()) {
    SCOPED_TRACE(c.name);
    const nlohmann::json j = EncodeChecked(
        AuthFailure{.attempted_user = c.input, .reason = "bad_password", .ip = "203.0.113.7"});
    EXPECT_EQ(j["event"]["attempted_user"].get<std::string>(), c.expected);
    EXPECT_EQ(j["sanitized"], nlohmann::json::parse(R"([{"field":"attempted_user","neutralized":)" +
                                                    std::to_string(c.neutralized) + "}]"));
    // The unit agrees with the codec.
    std::string out;
    const SanitizeOutcome o = SanitizeString(c.input, 1024, &out);
    EXPECT_EQ(out, c.expected);
    EXPECT_EQ(o.neutralized, c.neutralized);
    EXPECT_FALSE(o.truncated);
    EXPECT_FALSE(IsAlreadySafe(c.input, 1024));
  }
}

TEST_F(SanitizeTest, SafeTextIsLeftExactlyAsIs) {
  const std::string safe[] = {"",
                              "plain ascii ~!@#$%^&*()",
                              "quote\" and backslash\\ stay",
                              "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",  // é € 😀
                              Cp("\u200B\u200C\u200D"),  // zero-width, not bidi controls
                              Cp("\u00A0\u061B\u061D\u2027\u202F\u2065\u206A\uFEFE\uFFFD"),
                              "\xf4\x8f\xbf\xbf"};  // U+10FFFF
  for (const std::string& s : safe) {
    SCOPED_TRACE(s);
    EXPECT_TRUE(IsAlreadySafe(s, 1024));
    std::string out;
    EXPECT_FALSE(SanitizeString(s, 1024, &out).altered());
    EXPECT_EQ(out, s);
    const nlohmann::json j = EncodeChecked(SealVerified{.shard_id = "s", .worker_id = s});
    EXPECT_EQ(j["event"]["worker_id"].get<std::string>(), s);
    EXPECT_FALSE(j.contains("sanitized"));
  }
}

TEST_F(SanitizeTest, ForbiddenCodePointsAreExactlyTheDocumentedOnes) {
  for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    const bool expected = cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || cp == 0x200E ||
                          cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
                          (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029 ||
                          cp == 0xFEFF;
    ASSERT_EQ(IsForbiddenCodePoint(cp), expected) << std::hex << static_cast<unsigned>(cp);
  }
}

TEST_F(SanitizeTest, MarkersUseFourUppercaseHexDigits) {
  std::string out;
  SanitizeString("\x0b\xc2\x9f" + Cp("\u202a"), 1024, &out);
  EXPECT_EQ(out, "<U+000B><U+009F><U+202A>");
}

// ---- the "sanitized" member names the altered field ---------------------------------

TEST_F(SanitizeTest, SanitizedNamesNestedFieldPaths) {
  const nlohmann::json j =
      EncodeChecked(TokenCreated{.actor = {.user_id = "alice\x1b[0m", .session_id = "s\n1"},
                                 .token_fingerprint = "fp",
                                 .scope = {"read", "wr\xc2\x85ite", "ok", "\xff"}});
  EXPECT_EQ(j["sanitized"], nlohmann::json::parse(R"([
      {"field":"actor.user_id","neutralized":1},
      {"field":"actor.session_id","neutralized":1},
      {"field":"scope[1]","neutralized":1},
      {"field":"scope[3]","neutralized":1}])"));
  EXPECT_EQ(j["event"]["scope"][1], "wr<U+0085>ite");
}

TEST_F(SanitizeTest, SanitizedNamesResourceAndResultPaths) {
  const nlohmann::json j = EncodeChecked(AuthorizationDenied{
      .actor = {.user_id = "u"},
      .resource = {.resource_type = "pool", .resource_id = "p\t1", .parent_id = "\x7f"},
      .action = "read",
      .reason = "no\r"});
  EXPECT_EQ(j["sanitized"], nlohmann::json::parse(R"([
      {"field":"resource.resource_id","neutralized":1},
      {"field":"resource.parent_id","neutralized":1},
      {"field":"reason","neutralized":1}])"));
  const nlohmann::json k =
      EncodeChecked(TaskCompleted{.task_id = "t", .result = AuditResult::Failure("disk\x1b full")});
  EXPECT_EQ(k["sanitized"][0]["field"], "result.failure.reason");
  EXPECT_EQ(k["event"]["result"]["failure"]["reason"], "disk<U+001B> full");
  const nlohmann::json m = EncodeChecked(InferenceExecuted{
      .customer_id = "c", .job_id = "j", .result = AuditResult::PartialSuccess(Cp("\u2028"))});
  EXPECT_EQ(m["sanitized"][0]["field"], "result.partial_success.details");
}

TEST_F(SanitizeTest, SanitizedNamesCustomEventPaths) {
  const nlohmann::json j = EncodeChecked(
      CustomEvent{.event_type = "upload",
                  .fields = {{"a", Object{{"b", "x\ny"}, {"c", StringList{"ok", "\x1b"}}}},
                             {"tags", StringList{"\xc0"}},
                             {"top", Cp("\u202E")}}});
  EXPECT_EQ(j["sanitized"], nlohmann::json::parse(R"([
      {"field":"a.b","neutralized":1},
      {"field":"a.c[1]","neutralized":1},
      {"field":"tags[0]","neutralized":1},
      {"field":"top","neutralized":1}])"));
  const nlohmann::json k = EncodeChecked(
      PoolModified{.actor = {.user_id = "u"}, .pool_id = "p", .changes = Object{{"note", "\x1b"}}});
  EXPECT_EQ(k["sanitized"][0]["field"], "changes.note");
}

TEST_F(SanitizeTest, EveryStringFieldOfEveryKindIsSanitized) {
  // Fields that the seed never validated (VA-6) are covered too.
  const std::string h = "\x1b";
  const nlohmann::json j = EncodeChecked(SealVerificationFailed{.shard_id = h,
                                                                .reason = h,
                                                                .expected_digest = h,
                                                                .actual_digest = h,
                                                                .worker_id = h,
                                                                .severity = h});
  EXPECT_EQ(j["sanitized"].size(), 6u);
  const nlohmann::json k = EncodeChecked(
      AuthSuccess{.actor = {.user_id = h, .session_id = h}, .path = h, .service_id = h});
  EXPECT_EQ(k["sanitized"].size(), 4u);
}

// ---- over-long fields ----------------------------------------------------------------

TEST_F(SanitizeTest, OverLongFieldIsCutToTheDefaultLimitWithOriginalLengthAndHash) {
  const std::string original(2000, 'x');
  const nlohmann::json j =
      EncodeChecked(AuthFailure{.attempted_user = original, .reason = "r", .ip = "1.2.3.4"});
  EXPECT_EQ(j["event"]["attempted_user"].get<std::string>(), std::string(1024, 'x'));
  EXPECT_EQ(j["sanitized"],
            nlohmann::json::parse(R"([{"field":"attempted_user","neutralized":0,"truncated":true,)"
                                  R"("original_bytes":2000,"original_sha256":")" +
                                  testing::OpenSslSha256Hex(original) + "\"}]"));
}

TEST_F(SanitizeTest, FieldExactlyAtTheLimitIsNotTruncated) {
  nlohmann::json j = EncodeChecked(SealVerified{.shard_id = std::string(1024, 'a')});
  EXPECT_FALSE(j.contains("sanitized"));
  j = EncodeChecked(SealVerified{.shard_id = std::string(1025, 'a')});
  EXPECT_EQ(j["sanitized"][0]["original_bytes"], 1025);
  EXPECT_EQ(j["event"]["shard_id"].get<std::string>().size(), 1024u);
}

TEST_F(SanitizeTest, LimitIsConfigurable) {
  const EncodeOptions options{.max_field_bytes = 16};
  const std::string original = "0123456789abcdefXYZ";
  const nlohmann::json j = EncodeChecked(SealVerified{.shard_id = original}, options);
  EXPECT_EQ(j["event"]["shard_id"], "0123456789abcdef");
  EXPECT_EQ(j["sanitized"][0]["original_bytes"], 19);
  EXPECT_EQ(j["sanitized"][0]["original_sha256"], testing::OpenSslSha256Hex(original));
  // Each list element has the limit on its own.
  const nlohmann::json k = EncodeChecked(
      DataDeleted{.customer_id = "c", .data_types = {std::string(20, 'a'), "short"}}, options);
  EXPECT_EQ(k["sanitized"].size(), 1u);
  EXPECT_EQ(k["sanitized"][0]["field"], "data_types[0]");
}

TEST_F(SanitizeTest, TruncationNeverSplitsAMultiByteCharacter) {
  struct Cut {
    std::string in;
    std::size_t limit;
    std::string out;
  };
  const std::string e_acute = "\xc3\xa9", euro = "\xe2\x82\xac", grin = "\xf0\x9f\x98\x80";
  const Cut cuts[] = {
      {e_acute + e_acute + e_acute, 5, e_acute + e_acute},
      {e_acute + e_acute + e_acute, 4, e_acute + e_acute},
      {"a" + euro + euro, 3, "a"},
      {"a" + euro + euro, 4, "a" + euro},
      {"a" + euro + euro, 6, "a" + euro},
      {grin + grin, 7, grin},
      {grin + grin, 3, ""},
      {"abc\x1b"
       "def",
       6, "abc"},  // a marker is never cut in half
      {"abc\x1b"
       "def",
       11, "abc<U+001B>"},
      {"ab\xff", 4, "ab"},  // nor is U+FFFD
  };
  for (const Cut& c : cuts) {
    SCOPED_TRACE(::testing::PrintToString(c.in) + " limit " + std::to_string(c.limit));
    std::string out;
    const SanitizeOutcome o = SanitizeString(c.in, c.limit, &out);
    EXPECT_EQ(out, c.out);
    EXPECT_TRUE(o.truncated);
    EXPECT_EQ(o.original_bytes, c.in.size());
    EXPECT_EQ(testing::FindForbiddenText(out), "");
    const nlohmann::json j = EncodeChecked(SealVerified{.shard_id = "s", .worker_id = c.in},
                                           {.max_field_bytes = c.limit});
    EXPECT_EQ(j["event"]["worker_id"].get<std::string>(), c.out);
    EXPECT_EQ(j["sanitized"][0]["truncated"], true);
    EXPECT_EQ(j["sanitized"][0]["original_sha256"], testing::OpenSslSha256Hex(c.in));
  }
}

TEST_F(SanitizeTest, NeutralizedCountsOnlyWhatWasWritten) {
  // The ESC after the cut is dropped with the rest, not replaced: it is not counted.
  std::string out;
  SanitizeOutcome o = SanitizeString(
      "abc\x1b"
      "def",
      6, &out);
  EXPECT_EQ(out, "abc");
  EXPECT_EQ(o.neutralized, 0u);
  out.clear();
  o = SanitizeString(
      "\x1b"
      "abcdefgh\x1b",
      10, &out);
  EXPECT_EQ(out, "<U+001B>ab");
  EXPECT_EQ(o.neutralized, 1u);
}

TEST_F(SanitizeTest, HostileAndOverLongTogetherReportsBoth) {
  const std::string original = std::string(10, '\n') + std::string(2000, 'y');
  const nlohmann::json j = EncodeChecked(SealVerified{.shard_id = original});
  const std::string value = j["event"]["shard_id"];
  EXPECT_EQ(value.size(), 1024u);
  EXPECT_EQ(value.substr(0, 16), "<U+000A><U+000A>");
  EXPECT_EQ(j["sanitized"][0]["neutralized"], 10);
  EXPECT_EQ(j["sanitized"][0]["truncated"], true);
  EXPECT_EQ(j["sanitized"][0]["original_bytes"], 2010);
  EXPECT_EQ(j["sanitized"][0]["original_sha256"], testing::OpenSslSha256Hex(original));
}

TEST_F(SanitizeTest, TokenPrefixIsCutToSixBytes) {
  const nlohmann::json j =
      EncodeChecked(InvalidTokenUsed{.ip = "1.2.3.4", .token_prefix = "abcdefghijkl"});
  EXPECT_EQ(j["event"]["token_prefix"], "abcdef");
  EXPECT_EQ(j["sanitized"][0]["field"], "token_prefix");
  EXPECT_EQ(j["sanitized"][0]["original_bytes"], 12);
  // A tighter configured limit still applies to a field with its own limit.
  const nlohmann::json k = EncodeChecked(
      InvalidTokenUsed{.ip = "1.2.3.4", .token_prefix = "abcdef"}, {.max_field_bytes = 4});
  EXPECT_EQ(k["event"]["token_prefix"], "abcd");
}

// ---- no log injection, end to end ------------------------------------------------------

class LogInjectionTest : public ::testing::Test {
 protected:
  testing::ScratchDir dir_;
};

TEST_F(LogInjectionTest, ForgedRecordsAndMembersStayInsideTheirField) {
  const std::string forged_line =
      "\n{\"v\":1,\"seq\":2,\"audit_id\":\"queen-2\",\"timestamp\":\"2026-11-27T00:57:43.000000Z\","
      "\"service_id\":\"queen\",\"critical\":false,\"event\":{\"event_type\":\"auth_success\"},"
      "\"prev_hash\":\"" +
      std::string(64, '0') + "\",\"hash\":\"" + std::string(64, 'a') + "\"}\n";
  const std::string forged_member = "\",\"hash\":\"" + std::string(64, 'b');
  const std::string forged_event =
      "x\"},\"event\":{\"event_type\":\"auth_success\"},\"y\":{\"z\":\"";
  const std::vector<Event> events = {
      AuthFailure{.attempted_user = forged_line,
                  .reason = "bad_password",
                  .ip = "203.0.113.7",
                  .path = forged_member},
      AuthSuccess{.actor = {.user_id = forged_event, .session_id = "\r\n\r\n"},
                  .path = "\\\",\\\"critical\\\":true"},
      CustomEvent{.event_type = "note",
                  .fields = {{"text", "\u2028{\"v\":1}\u2029"},
                             {"raw", std::string("\0\n", 2)},
                             {"list", StringList{"\n", "\"}"}}}},
      PolicyViolation{.policy = "p", .details = "\x1b[1A\x1b[2K{\"v\":1,\"seq\":99}"},
      SealVerified{.shard_id = "ok"},
  };
  ASSERT_OK(testing::WriteTestLog(dir_.path(), events));

  const auto segments = testing::SegmentFiles(dir_.path());
  ASSERT_EQ(segments.size(), 1u);
  const std::string data = testing::ReadFile(segments[0]);
  EXPECT_EQ(std::count(data.begin(), data.end(), '\n'), 5);  // one line per record
  EXPECT_EQ(data.back(), '\n');
  const std::vector<std::string> lines = testing::ReadLines(segments[0]);
  ASSERT_EQ(lines.size(), 5u);
  const std::vector<std::string> members = {"v",          "seq",      "audit_id", "timestamp",
                                            "service_id", "critical", "event",    "sanitized",
                                            "prev_hash",  "hash"};
  for (std::size_t i = 0; i < lines.size(); ++i) {
    SCOPED_TRACE("line " + std::to_string(i + 1));
    EXPECT_EQ(testing::FindForbiddenText(lines[i]), "");
    ASSERT_FALSE(testing::HasDuplicateMembers(lines[i]));
    const nlohmann::ordered_json j = nlohmann::ordered_json::parse(lines[i]);
    EXPECT_EQ(j["seq"], i + 1);
    std::vector<std::string> keys;
    for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
    std::vector<std::string> expected = members;
    if (i == 4) expected.erase(expected.begin() + 7);  // the clean record has no "sanitized"
    EXPECT_EQ(keys, expected);
    EXPECT_EQ(j["critical"], i == 0 || i == 3);
  }
  // The hostile text is kept, visibly, inside the field it was passed in.
  const nlohmann::json first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["event"]["path"], forged_member);
  EXPECT_THAT(first["event"]["attempted_user"].get<std::string>(),
              HasSubstr("<U+000A>{\"v\":1,\"seq\":2"));
  const nlohmann::json second = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(second["event"]["actor"]["user_id"], forged_event);
  EXPECT_EQ(second["critical"], false);
  const nlohmann::json third = nlohmann::json::parse(lines[2]);
  EXPECT_EQ(third["event"]["text"], "<U+2028>{\"v\":1}<U+2029>");
  EXPECT_EQ(third["sanitized"].size(), 3u);

  ASSERT_OK_AND_ASSIGN(VerifyReport report, Verify(dir_.path()));
  EXPECT_TRUE(report.intact());
  EXPECT_EQ(report.records, 5u);
  EXPECT_EQ(report.critical_records, 2u);
}

}  // namespace
}  // namespace auditlog::internal
