// Terminal-safe display (auditlog/format_table.h): the table's fixed columns, and that no
// hostile code point reaches a terminal raw from a row, a text or a JSON line.
#include "auditlog/format_table.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "test_util.h"

namespace auditlog {
namespace {

Record MakeRecord(std::string event_json, std::string type = "auth_failure") {
  Record r;
  r.seq = 42;
  r.timestamp = "2026-11-27T00:57:42.123456Z";
  r.event_type = std::move(type);
  r.event_json = std::move(event_json);
  return r;
}

// The number of code points of UTF-8 text.
std::size_t CodePoints(const std::string& s) {
  std::size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

TEST(FormatTableTest, HeaderNamesTheColumnsAtTheirWidths) {
  EXPECT_EQ(FormatTableHeader(),
            "SEQ        TIME                        TYPE                       CRIT ACTOR        "
            "        SUMMARY\n");
}

TEST(FormatTableTest, RowColumnsLineUpWithTheHeader) {
  Record r = MakeRecord(
      R"({"event_type":"auth_failure","attempted_user":"mallory","reason":"bad_password","n":3})");
  r.critical = true;
  const std::string row = FormatTableRow(r);
  const std::string header = FormatTableHeader();
  EXPECT_EQ(row.back(), '\n');
  EXPECT_EQ(row.find("42 "), 0u);
  EXPECT_EQ(row.find("2026-11-27T00:57:42.123456Z"), header.find("TIME"));
  EXPECT_EQ(row.find("auth_failure"), header.find("TYPE"));
  EXPECT_EQ(row.find("yes"), header.find("CRIT"));
  EXPECT_EQ(row.find("mallory"), header.find("ACTOR"));
  EXPECT_EQ(row.substr(header.find("SUMMARY")), "attempted_user=mallory reason=bad_password n=3\n");
  r.critical = false;
  EXPECT_EQ(FormatTableRow(r).find("yes"), std::string::npos);
}

TEST(FormatTableTest, TheActorIsTheFirstOfItsMembersPresent) {
  const auto actor = [](const std::string& event) {
    const std::string row = FormatTableRow(MakeRecord(event));
    const std::size_t at = FormatTableHeader().find("ACTOR");
    std::string cell = row.substr(at, 20);
    while (!cell.empty() && cell.back() == ' ') cell.pop_back();
    return cell;
  };
  EXPECT_EQ(actor(R"({"actor":{"user_id":"alice"},"requester":"dpo"})"), "alice");
  EXPECT_EQ(actor(R"({"requester":"dpo","customer_id":"c"})"), "dpo");
  EXPECT_EQ(actor(R"({"subject":"carol"})"), "carol");
  EXPECT_EQ(actor(R"({"customer_id":"cust-1"})"), "cust-1");
  EXPECT_EQ(actor(R"({"other":1})"), "");
  EXPECT_EQ(actor("not json"), "");  // a malformed event: empty columns, no failure
}

TEST(FormatTableTest, LongValuesAreCutWithAnEllipsisAndWidthsHold) {
  Record r = MakeRecord(R"({"actor":{"user_id":")" + std::string(50, 'a') + R"("},"x":")" +
                            std::string(300, 'b') + R"("})",
                        std::string(40, 't'));
  const std::string row = FormatTableRow(r);
  EXPECT_NE(row.find(std::string(25, 't') + "\xE2\x80\xA6 "), std::string::npos) << row;
  EXPECT_NE(row.find(std::string(19, 'a') + "\xE2\x80\xA6 "), std::string::npos) << row;
  // 10 + 27 + 26 + 4 + 20 + 100 code points and five separating spaces, then '\n'.
  EXPECT_EQ(CodePoints(row), 10u + 27 + 26 + 4 + 20 + 100 + 5 + 1) << row;
}

TEST(FormatTableTest, HostileContentBecomesVisibleMarkers) {
  // JSON escapes that decode to ESC, C1 CSI, bidi override and a line separator.
  const Record r =
      MakeRecord(R"({"attempted_user":"x\u001b[31m\u009b2J\u202e","reason":"\u2028\u0000"})");
  const std::string row = FormatTableRow(r);
  EXPECT_EQ(testing::FindForbiddenText(row.substr(0, row.size() - 1)), "") << row;
  EXPECT_NE(row.find("x<U+001B>[31m<U+009B>2J<U+202E>"), std::string::npos) << row;
  EXPECT_NE(row.find("reason=<U+2028><U+0000>"), std::string::npos) << row;
  Record hostile_type = MakeRecord("{}", "t\x1b]0;pwned\x07");
  const std::string row2 = FormatTableRow(hostile_type);
  EXPECT_EQ(testing::FindForbiddenText(row2.substr(0, row2.size() - 1)), "") << row2;
}

TEST(FormatTableTest, TerminalSafeTextMarksEveryForbiddenCodePoint) {
  EXPECT_EQ(TerminalSafeText("plain text, caf\xc3\xa9"), "plain text, caf\xc3\xa9");
  EXPECT_EQ(TerminalSafeText("a\x1b[2Jb"), "a<U+001B>[2Jb");
  EXPECT_EQ(TerminalSafeText("\xe2\x80\xae"), "<U+202E>");
  EXPECT_EQ(TerminalSafeText("\xff"), "\xEF\xBF\xBD");  // U+FFFD
  EXPECT_EQ(TerminalSafeText("line\nbreak"), "line<U+000A>break");
}

TEST(FormatTableTest, TerminalSafeJsonLineEscapesButKeepsTheValue) {
  const std::string clean = R"({"a":"caf\u00e9","b":"é ok"})";
  EXPECT_EQ(TerminalSafeJsonLine(clean), clean);
  const std::string hostile = "{\"a\":\"x\x1b[2J\xe2\x80\xae\xc2\x9b\xe2\x80\xa8\xef\xbb\xbf\"}";
  const std::string safe = TerminalSafeJsonLine(hostile);
  EXPECT_EQ(safe, R"({"a":"x\u001b[2J\u202e\u009b\u2028\ufeff"})");
  // The same value: the escapes decode back to the hostile text.
  EXPECT_EQ(nlohmann::json::parse(safe)["a"],
            "x\x1b[2J\xe2\x80\xae\xc2\x9b\xe2\x80\xa8\xef\xbb\xbf");
  EXPECT_EQ(TerminalSafeJsonLine("\"\xff\""), "\"\\ufffd\"");
}

}  // namespace
}  // namespace auditlog
