// The record's "origin" member (FORMAT.md §3): Emit with EmitOptions records who asked, the
// executable path is neutralized, readers accept exactly the documented shape, and the
// record still fits kMaxRecordBytes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "auditlog/auditlog.h"
#include "auditlog/limits.h"
#include "format/record_format.h"
#include "test_util.h"

namespace auditlog {
namespace {

using testing::ScratchDir;

Config MakeConfig(const ScratchDir& dir) {
  Config config;
  config.service_id = "daemon";
  config.mode = LocalMode{dir.path()};
  return config;
}

AuthFailure Failure() { return {.reason = "bad_password", .ip = "203.0.113.7"}; }

std::vector<std::string> AllLines(const ScratchDir& dir) {
  std::vector<std::string> lines;
  for (const auto& segment : testing::SegmentFiles(dir.path())) {
    for (auto& line : testing::ReadLines(segment)) lines.push_back(std::move(line));
  }
  return lines;
}

TEST(OriginTest, EmitRecordsTheOriginBeforePrevHashAndTheLogVerifies) {
  ScratchDir dir;
  {
    ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(MakeConfig(dir)));
    const EmitOptions options{
        .origin = Origin{.uid = 1000, .gid = 100, .pid = 4242, .exe = "/usr/bin/python3.11"}};
    ASSERT_OK_AND_ASSIGN(std::uint64_t seq, logger->Emit(Failure(), options));
    EXPECT_EQ(seq, 1u);
    std::uint64_t durable_seq = 0;
    ASSERT_OK(logger->EmitDurable(Failure(), options, &durable_seq));
    EXPECT_EQ(durable_seq, 2u);
    ASSERT_OK(logger->Emit(Failure()).status());  // no origin
    ASSERT_OK(logger->Shutdown());
  }
  const auto lines = AllLines(dir);
  ASSERT_EQ(lines.size(), 3u);
  const std::string expected =
      R"(,"origin":{"uid":1000,"gid":100,"pid":4242,"exe":"/usr/bin/python3.11"},"prev_hash":)";
  EXPECT_NE(lines[0].find(expected), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find(expected), std::string::npos) << lines[1];
  EXPECT_EQ(lines[2].find("\"origin\""), std::string::npos) << lines[2];

  ASSERT_OK_AND_ASSIGN(VerifyReport report, Verify(dir.path()));
  EXPECT_TRUE(report.intact()) << report.findings.front().reason;
  EXPECT_EQ(report.records, 3u);

  // Readers see the event alone as the event.
  internal::RecordParser parser;
  internal::RecordView view;
  ASSERT_OK(parser.Parse(lines[0], &view));
  EXPECT_TRUE(view.has_origin);
  EXPECT_EQ(view.event_json.back(), '}');
  EXPECT_EQ(view.event_json.find("origin"), std::string::npos) << view.event_json;
}

TEST(OriginTest, AHostileExecutablePathIsNeutralizedAndMarked) {
  ScratchDir dir;
  {
    ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(MakeConfig(dir)));
    const std::string exe = "/tmp/\x1b[31mevil\n\"x\"\xff" + std::string(5000, 'a');
    ASSERT_OK(logger->EmitDurable(Failure(), EmitOptions{.origin = Origin{.exe = exe}}));
  }
  const auto lines = AllLines(dir);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("\"exe\":\"/tmp/<U+001B>[31mevil<U+000A>\\\"x\\\"\xEF\xBF\xBD"),
            std::string::npos)
      << lines[0].substr(0, 300);
  EXPECT_NE(lines[0].find("\",\"exe_altered\":true},\"prev_hash\""), std::string::npos);
  EXPECT_LT(lines[0].size(), 4096u + 1024u);  // cut at 4096 bytes
  ASSERT_OK_AND_ASSIGN(VerifyReport report, Verify(dir.path()));
  EXPECT_TRUE(report.intact());
}

TEST(OriginTest, ALargestEventWithTheLongestOriginStillFitsARecord) {
  ScratchDir dir;
  {
    ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(MakeConfig(dir)));
    CustomEvent big{.event_type = "bulk"};
    for (int i = 0; i < 3000; ++i) {
      big.fields.push_back({"m" + std::to_string(i), std::string(1000, 'x')});
    }
    const Origin origin{
        .uid = 4294967295u, .gid = 4294967295u, .pid = 4294967295u, .exe = std::string(8000, '"')};
    ASSERT_OK(logger->EmitDurable(big, EmitOptions{.origin = origin}));
  }
  const auto lines = AllLines(dir);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_LE(lines[0].size(), kMaxRecordBytes);
  EXPECT_GT(lines[0].size(), kMaxRecordBytes - 64 * 1024);
  ASSERT_OK_AND_ASSIGN(VerifyReport report, Verify(dir.path()));
  EXPECT_TRUE(report.intact());
}

// A reader accepts exactly the documented shape: anything else is corruption naming "origin".
TEST(OriginTest, ReadersRefuseEveryOtherShape) {
  const std::string event = R"("event":{"event_type":"x"})";
  const std::string bad_origins[] = {
      R"(,"origin":[])",
      R"(,"origin":{})",
      R"(,"origin":{"uid":1,"gid":2,"pid":3})",
      R"(,"origin":{"uid":1,"gid":2,"pid":3,"exe":"e","exe_altered":false})",
      R"(,"origin":{"uid":1,"gid":2,"pid":3,"exe":"e","extra":1})",
      R"(,"origin":{"gid":2,"uid":1,"pid":3,"exe":"e"})",
      R"(,"origin":{"uid":-1,"gid":2,"pid":3,"exe":"e"})",
      R"(,"origin":{"uid":4294967296,"gid":2,"pid":3,"exe":"e"})",
      R"(,"origin":{"uid":1,"gid":2,"pid":3,"exe":7})",
      R"(,"origin":{"uid":1,"gid":2,"pid":3,"exe":"e"},"origin":{"uid":1,"gid":2,"pid":3,"exe":"e"})",
  };
  internal::RecordParser parser;
  internal::RecordView view;
  for (const std::string& origin : bad_origins) {
    std::string line;
    char hash[64];
    internal::FrameRecord(1, 0, "svc", false, event + origin, internal::kGenesisHash, &line, hash);
    line.pop_back();
    const Status s = parser.Parse(line, &view);
    EXPECT_EQ(s.code(), StatusCode::kCorruption) << line;
    EXPECT_NE(s.message().find("origin"), std::string::npos) << s.message();
  }
  // Before "sanitized" is out of order.
  std::string line;
  char hash[64];
  internal::FrameRecord(1, 0, "svc", false,
                        event + R"(,"origin":{"uid":1,"gid":2,"pid":3,"exe":"e"},"sanitized":[])",
                        internal::kGenesisHash, &line, hash);
  line.pop_back();
  EXPECT_EQ(parser.Parse(line, &view).code(), StatusCode::kCorruption);
  // The good shapes parse.
  for (const char* good : {R"(,"origin":{"uid":0,"gid":0,"pid":0,"exe":""})",
                           R"(,"origin":{"uid":1,"gid":2,"pid":3,"exe":"e","exe_altered":true})"}) {
    line.clear();
    internal::FrameRecord(1, 0, "svc", false, event + good, internal::kGenesisHash, &line, hash);
    line.pop_back();
    ASSERT_OK(parser.Parse(line, &view));
    EXPECT_TRUE(view.has_origin);
    EXPECT_TRUE(view.hash_matches);
  }
}

}  // namespace
}  // namespace auditlog
