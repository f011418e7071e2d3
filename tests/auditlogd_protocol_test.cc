// auditlogd's request parser and response formatting (daemon/protocol.h): every member of a
// request, every refusal with the message that names it, ids of every JSON kind echoed
// verbatim, and responses that stay one valid JSON line whatever the error text holds.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "protocol.h"

namespace auditlogd {
namespace {

using auditlog::StatusCode;

TEST(AuditlogdProtocolTest, ReadsEveryMember) {
  RequestParser parser;
  const Request r = parser.Parse(
      R"({"event":{"event_type":"backup_done","bytes":7},"durable":true,"id":"a-1","critical":true})");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.event_json, R"({"event_type":"backup_done","bytes":7})");
  EXPECT_TRUE(r.durable);
  EXPECT_TRUE(r.critical);
  EXPECT_TRUE(r.critical_given);
  EXPECT_EQ(r.id, R"("a-1")");
}

TEST(AuditlogdProtocolTest, DefaultsWhenOnlyTheEventIsGiven) {
  RequestParser parser;
  const Request r = parser.Parse("  {\"event\" : {\"event_type\":\"x\"} }\r");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.event_json, R"({"event_type":"x"})");
  EXPECT_FALSE(r.durable);
  EXPECT_FALSE(r.critical_given);
  EXPECT_EQ(r.id, "null");
}

TEST(AuditlogdProtocolTest, EchoesIdsOfEveryKindVerbatim) {
  RequestParser parser;
  for (const std::string id : {"7", "-3.5e2", R"("x\"y")", "null", "true", "[1,[2,{}]]",
                               R"({"a":{"b":[null]}})", "18446744073709551615"}) {
    const Request r = parser.Parse(R"({"id":)" + id + R"(,"event":{"event_type":"x"}})");
    EXPECT_TRUE(r.status.ok()) << id << ": " << r.status.ToString();
    EXPECT_EQ(r.id, id);
  }
}

TEST(AuditlogdProtocolTest, RefusesIdIntegersBeyond64Bits) {
  // simdjson's limit (documented in PROTOCOL.md): the id could not be echoed faithfully by
  // clients that parse it either.
  RequestParser parser;
  const Request r = parser.Parse(R"({"id":18446744073709551616,"event":{"event_type":"x"}})");
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status.message().rfind("id: not valid JSON", 0), 0u) << r.status.message();
  EXPECT_EQ(r.id, "null");
}

TEST(AuditlogdProtocolTest, KeepsTheIdForRequestLevelErrors) {
  RequestParser parser;
  const Request r = parser.Parse(R"({"durable":"yes","id":42,"event":{"event_type":"x"}})");
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status.message(), "durable: must be true or false");
  EXPECT_EQ(r.id, "42");
  EXPECT_TRUE(r.event_json.empty());
}

TEST(AuditlogdProtocolTest, RefusesOriginAndUnknownMembersNamingThem) {
  RequestParser parser;
  Request r = parser.Parse(
      R"({"event":{"event_type":"x"},"origin":{"uid":0,"gid":0,"pid":1,"exe":"/sbin/init"},"id":1})");
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status.message().find("\"origin\" cannot be set by a client"), std::string::npos)
      << r.status.message();
  EXPECT_EQ(r.id, "1");
  r = parser.Parse(R"({"event":{"event_type":"x"},"colour":1})");
  EXPECT_EQ(r.status.message(),
            "request: \"colour\" is not a request member (allowed: event, durable, id, critical)");
  r = parser.Parse(R"({"event":{"event_type":"x"},"Bad Name\u0007":1})");
  EXPECT_EQ(r.status.message(),
            "request: a member is not a request member (allowed: event, durable, id, critical)");
}

TEST(AuditlogdProtocolTest, RefusesMalformedRequests) {
  RequestParser parser;
  struct Case {
    std::string line, message, id = "null";
  };
  const Case cases[] = {
      {"", "request: empty line"},
      {"   ", "request: empty line"},
      {"[1,2]", "request: must be a JSON object"},
      {R"({"id":1})", "event: missing", "1"},
      {R"({"event":"auth_failure"})", "event: must be a JSON object"},
      {R"({"event":{"event_type":"x"},"event":{"event_type":"y"}})",
       "request: \"event\" appears twice"},
      {R"({"event":{"event_type":"x"},"critical":1})", "critical: must be true or false"},
      {R"({"event":{"event_type":"x"}} {"event":{}})", "request: not valid JSON"},
      {R"({"event":{"event_type":"x"},})", "request: not valid JSON"},
      {R"({"event":{"event_type":"x"})", "request: not valid JSON"},
      {"{\"event\":{\"event_type\":\"\xff\"}}", "request: not valid UTF-8"},
      {R"({"id":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]],"event":{"event_type":"x"}})",
       "id: nested deeper than 16 levels"},
      {R"({"id":tru,"event":{"event_type":"x"}})", "id: not valid JSON"},
  };
  for (const Case& c : cases) {
    const Request r = parser.Parse(c.line);
    EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument) << c.line;
    EXPECT_EQ(r.status.message().rfind(c.message, 0), 0u) << c.line << " -> " << r.status.message();
    EXPECT_EQ(r.id, c.id) << c.line;
  }
}

TEST(AuditlogdProtocolTest, RefusesALineOverTheLimit) {
  RequestParser parser;
  const std::string line(kMaxRequestLineBytes + 1, ' ');
  const Request r = parser.Parse(line);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status.message().find("longer than"), std::string::npos);
}

TEST(AuditlogdProtocolTest, DeepNestingInTheEventIsLeftToTheDecoder) {
  // The envelope is only skipped over structurally: no recursion, whatever the depth.
  RequestParser parser;
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const Request r = parser.Parse(R"({"event":{"event_type":"x","a":)" + deep + "}}");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.event_json.size(), deep.size() + 23);
}

TEST(AuditlogdProtocolTest, FormatsResponses) {
  std::string out;
  AppendSuccess(R"({"k":[1]})", 42, true, &out);
  AppendSuccess("null", 43, false, &out);
  EXPECT_EQ(out,
            "{\"id\":{\"k\":[1]},\"seq\":42,\"durable\":true}\n"
            "{\"id\":null,\"seq\":43,\"durable\":false}\n");
  out.clear();
  AppendError("7", auditlog::Status::BufferFull("queue full"), &out);
  EXPECT_EQ(out, "{\"id\":7,\"error\":{\"code\":\"buffer_full\",\"message\":\"queue full\"}}\n");
}

TEST(AuditlogdProtocolTest, ErrorResponsesStayOneValidJsonLine) {
  std::string out;
  AppendError("null", auditlog::Status::InvalidArgument("bad \n\x1b[2J \xff\xfe \"q\" \\"), &out);
  ASSERT_EQ(out.back(), '\n');
  EXPECT_EQ(out.find('\n'), out.size() - 1);
  const auto json = nlohmann::json::parse(out);
  EXPECT_EQ(json["error"]["code"], "invalid_argument");
  EXPECT_NE(json["error"]["message"].get<std::string>().find("\"q\""), std::string::npos);
}

}  // namespace
}  // namespace auditlogd
