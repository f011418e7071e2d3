// End-to-end tests of the auditor commands (query, tail, stats, export, verify ranges):
// exit codes, JSON outputs parsed back, tail -f across a rotation, terminal safety with
// hostile content, and verify running while a writer appends.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "auditlog/auditlog.h"
#include "cli_runner.h"
#include "log_builder.h"
#include "test_util.h"

namespace auditlog {
namespace {

using nlohmann::json;
using testing::CliResult;
using testing::LogBuilder;
using testing::RunCli;
using testing::ScratchDir;
using testing::TestTime;

const std::string kCli = AUDITLOG_CLI_PATH;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// No raw control byte (other than '\n'), C1 control, bidi control, U+2028/9 or BOM.
void ExpectTerminalSafe(const std::string& text) {
  std::string without_newlines;
  for (char c : text) {
    if (c != '\n') without_newlines.push_back(c);
  }
  EXPECT_EQ(testing::FindForbiddenText(without_newlines), "");
}

class CliToolsTest : public ::testing::Test {
 protected:
  CliResult Run(std::vector<std::string> args) { return RunCli(kCli, args); }
  std::string Dir() const { return dir_.path().string(); }

  // 6 records at TestTime(0..5) in 2 segments:
  //  1 auth_success alice  2 auth_failure mallory (critical)  3 inference_executed cust-1
  //  | rotation |
  //  4 gdpr_data_access_request cust-1  5 inference_executed cust-2  6 data_deleted cust-1
  void WriteLog() {
    ASSERT_OK_AND_ASSIGN(auto log, LogBuilder::Open(dir_.path()));
    ASSERT_OK(
        log->Add(AuthSuccess{.actor = {.user_id = "alice"}, .path = "/v2"}, TestTime(0)).status());
    ASSERT_OK(log->Add(AuthFailure{.attempted_user = "mallory",
                                   .reason = "bad_password",
                                   .ip = "203.0.113.7"},
                       TestTime(1))
                  .status());
    ASSERT_OK(log->Add(InferenceExecuted{.customer_id = "cust-1",
                                         .job_id = "job-1",
                                         .model_ref = "llama",
                                         .tokens_processed = 10},
                       TestTime(2))
                  .status());
    ASSERT_OK(log->Rotate());
    ASSERT_OK(
        log->Add(GdprDataAccessRequest{.customer_id = "cust-1", .requester = "dpo"}, TestTime(3))
            .status());
    ASSERT_OK(log->Add(InferenceExecuted{.customer_id = "cust-2",
                                         .job_id = "job-2",
                                         .model_ref = "mistral",
                                         .tokens_processed = 5},
                       TestTime(4))
                  .status());
    ASSERT_OK(
        log->Add(
               DataDeleted{.customer_id = "cust-1", .data_types = {"prompts"}, .reason = "erasure"},
               TestTime(5))
            .status());
    ASSERT_OK(log->Close());
  }

  std::vector<std::string> AllLogLines() {
    std::vector<std::string> all;
    for (const auto& seg : testing::SegmentFiles(dir_.path())) {
      for (auto& l : testing::ReadLines(seg)) all.push_back(l);
    }
    return all;
  }

  ScratchDir dir_;
};

// ---- query ------------------------------------------------------------------------------

TEST_F(CliToolsTest, VersionIsTheLibrarysVersion) {
  const CliResult r = Run({"--version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "auditlog " + std::string(kVersion) + "\n");
  EXPECT_EQ(kVersion, std::to_string(AUDITLOG_VERSION_MAJOR) + "." +
                          std::to_string(AUDITLOG_VERSION_MINOR) + "." +
                          std::to_string(AUDITLOG_VERSION_PATCH));
  EXPECT_EQ(Version(), kVersion);  // the library linked in is the one these headers describe
}

TEST_F(CliToolsTest, QueryPrintsTheExactRecordLinesAsJsonLines) {
  WriteLog();
  const CliResult r = Run({"query", Dir()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out), AllLogLines());
  for (const auto& line : Lines(r.out)) EXPECT_TRUE(json::accept(line)) << line;
}

TEST_F(CliToolsTest, QueryFiltersCombine) {
  WriteLog();
  CliResult r = Run({"query", Dir(), "--resource", "cust-1", "--type", "inference_executed",
                     "--type", "data_deleted"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(json::parse(lines[0])["seq"], 3);
  EXPECT_EQ(json::parse(lines[1])["seq"], 6);

  r = Run({"query", Dir(), "--critical"});
  ASSERT_EQ(Lines(r.out).size(), 1u);
  EXPECT_EQ(json::parse(Lines(r.out)[0])["event"]["attempted_user"], "mallory");

  r = Run({"query", Dir(), "--actor", "alice"});
  ASSERT_EQ(Lines(r.out).size(), 1u);

  r = Run({"query", Dir(), "--since", "2026-11-27T00:00:02Z", "--until", "2026-11-27T00:00:04Z",
           "--limit", "2"});
  lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(json::parse(lines[0])["seq"], 3);
  EXPECT_EQ(json::parse(lines[1])["seq"], 4);

  // A date alone as --until covers the whole day; the day before has nothing.
  EXPECT_EQ(Lines(Run({"query", Dir(), "--until", "2026-11-27"}).out).size(), 6u);
  EXPECT_EQ(Lines(Run({"query", Dir(), "--until", "2026-11-26"}).out).size(), 0u);
}

TEST_F(CliToolsTest, QueryTableIsAlignedWithAHeader) {
  WriteLog();
  const CliResult r = Run({"query", Dir(), "--format", "table"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[0].rfind("SEQ", 0), 0u);
  const std::size_t type_col = lines[0].find("TYPE");
  EXPECT_EQ(lines[2].find("auth_failure"), type_col);
  EXPECT_NE(lines[2].find("mallory"), std::string::npos);
  EXPECT_NE(lines[2].find("yes"), std::string::npos);  // critical
}

TEST_F(CliToolsTest, BadArgumentsGetOneLineNamingTheArgumentAndExitCode2) {
  WriteLog();
  struct Case {
    std::vector<std::string> args;
    std::string names;
  };
  const std::vector<Case> cases = {
      {{"query", Dir(), "--since", "last tuesday"}, "--since"},
      {{"query", Dir(), "--until", "2026-02-30"}, "--until"},
      {{"query", Dir(), "--limit", "0"}, "--limit"},
      {{"query", Dir(), "--limit", "many"}, "--limit"},
      {{"query", Dir(), "--format", "xml"}, "--format"},
      {{"query", Dir(), "--since", "2026-11-28", "--until", "2026-11-27"}, "--since"},
      {{"verify", Dir(), "--last", "0"}, "--last"},
      {{"verify", Dir(), "--last", "3", "--since", "2026-11-27"}, "--last"},
      {{"verify", Dir(), "--since", "soon"}, "--since"},
      {{"export", Dir()}, "--customer"},
      {{"export", Dir(), "--customer", "c", "--until", "x"}, "--until"},
      {{"tail", Dir(), "-n", "-3"}, "--lines"},
  };
  for (const Case& c : cases) {
    const CliResult r = Run(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args[2] << " " << r.err;
    EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
    EXPECT_NE(r.err.find(c.names), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
  // I/O errors are exit code 2 too.
  for (const char* cmd : {"query", "tail", "stats", "verify"}) {
    const CliResult r = Run({cmd, Dir() + "/missing"});
    EXPECT_EQ(r.exit_code, 2) << cmd;
    EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  }
}

// ---- terminal safety --------------------------------------------------------------------

TEST_F(CliToolsTest, HostileContentNeverReachesTheTerminalRaw) {
  ASSERT_OK_AND_ASSIGN(auto log, LogBuilder::Open(dir_.path()));
  // Through the library: neutralized on write.
  ASSERT_OK(log->Add(AuthFailure{.attempted_user = "eve\x1b[2J\xe2\x80\xae\xff",
                                 .reason = "bad_password",
                                 .ip = "203.0.113.7"},
                     TestTime(0))
                .status());
  // Hand-made records the library would never write: JSON escapes that decode to ESC, NUL,
  // C1 CSI and bidi controls; and raw UTF-8 bidi / C1 / line-separator characters.
  ASSERT_OK(
      log->AddRawEvent(
             R"({"event_type":"auth_failure","attempted_user":"x\u001b[31mRED\u0000\u009b2J\u202e","reason":"\u2028"})",
             TestTime(1), true)
          .status());
  ASSERT_OK(log->AddRawEvent("{\"event_type\":\"custom_thing\",\"actor\":{\"user_id\":"
                             "\"m\xe2\x80\xae"
                             "evil\xc2\x9b"
                             "1m\xe2\x80\xa8\xef\xbb\xbf\"},"
                             "\"note_id\":\"\xe2\x81\xa6z\"}",
                             TestTime(2))
                .status());
  ASSERT_OK(log->Close());

  for (const char* format : {"jsonl", "table"}) {
    const CliResult r = Run({"query", Dir(), "--format", format});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // The record with raw bidi / C1 bytes is not a valid record (the parser refuses such
    // code points raw): it is skipped, with a warning.
    ASSERT_EQ(Lines(r.out).size(), std::string(format) == "table" ? 3u : 2u) << r.out;
    EXPECT_NE(r.err.find("skipped 1 malformed line"), std::string::npos) << r.err;
    ExpectTerminalSafe(r.out);
    ExpectTerminalSafe(r.err);
    if (std::string(format) == "jsonl") {
      // Still the same JSON values: the escapes decode back to the hostile text.
      const auto lines = Lines(r.out);
      EXPECT_EQ(json::parse(lines[1])["event"]["attempted_user"],
                std::string("x\x1b[31mRED\0\xc2\x9b"
                            "2J\xe2\x80\xae",
                            17));
      EXPECT_EQ(lines[0], AllLogLines()[0]);  // the library's own lines are byte-exact
    } else {
      EXPECT_NE(r.out.find("<U+001B>"), std::string::npos) << r.out;
      EXPECT_NE(r.out.find("<U+202E>"), std::string::npos) << r.out;
    }
  }
  for (std::vector<std::string> args :
       {std::vector<std::string>{"tail", Dir(), "--format", "table"},
        {"tail", Dir()},
        {"stats", Dir()},
        {"stats", Dir(), "--json"},
        {"verify", Dir()},
        {"verify", Dir(), "--json"},
        {"export", Dir(), "--customer", "m\xe2\x80\xae"}}) {
    const CliResult r = Run(args);
    EXPECT_NE(r.exit_code, -1);
    ExpectTerminalSafe(r.out);
    ExpectTerminalSafe(r.err);
  }
}

// ---- tail -------------------------------------------------------------------------------

TEST_F(CliToolsTest, TailPrintsTheLastRecordsAcrossSegments) {
  WriteLog();
  CliResult r = Run({"tail", Dir(), "-n", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 4u);
  const auto all = AllLogLines();
  EXPECT_EQ(lines, std::vector<std::string>(all.begin() + 2, all.end()));
  EXPECT_EQ(Lines(Run({"tail", Dir()}).out).size(), 6u);  // fewer than 10
  EXPECT_EQ(Lines(Run({"tail", Dir(), "-n", "0"}).out).size(), 0u);
}

TEST_F(CliToolsTest, TailFollowPicksUpNewRecordsAcrossARotation) {
  WriteLog();
  testing::BackgroundCli tail(kCli, {"tail", Dir(), "-n", "1", "-f", "--poll-ms", "20",
                                     "--exit-after", "5", "--max-seconds", "20"});
  // Wait until the initial record is out, then append, rotate, append.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (Lines(tail.OutputSoFar()).size() < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  {
    ASSERT_OK_AND_ASSIGN(auto log, LogBuilder::Open(dir_.path()));  // a new segment
    ASSERT_OK(log->Add(SealVerified{.shard_id = "s7"}, TestTime(6)).status());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_OK(log->Add(SealVerified{.shard_id = "s8"}, TestTime(7)).status());
    ASSERT_OK(log->Rotate());
    ASSERT_OK(log->Add(SealVerified{.shard_id = "s9"}, TestTime(8)).status());
    ASSERT_OK(log->Add(SealVerified{.shard_id = "s10"}, TestTime(9)).status());
    ASSERT_OK(log->Close());
  }
  const CliResult r = tail.Wait();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(json::parse(lines[i])["seq"], 6 + i);
  }
}

TEST_F(CliToolsTest, TailFollowStopsCleanlyOnSigint) {
  WriteLog();
  testing::BackgroundCli tail(kCli, {"tail", Dir(), "-n", "2", "-f", "--poll-ms", "20"});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (Lines(tail.OutputSoFar()).size() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  tail.Signal(SIGINT);
  const CliResult r = tail.Wait(std::chrono::seconds(10));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).size(), 2u);
}

// ---- stats ------------------------------------------------------------------------------

TEST_F(CliToolsTest, StatsJsonCountsTypesCriticalityDaysSanitizedAndRecoveries) {
  ASSERT_OK_AND_ASSIGN(auto log, LogBuilder::Open(dir_.path()));
  ASSERT_OK(log->Add(AuthSuccess{.actor = {.user_id = "alice"}}, TestTime(0)).status());
  ASSERT_OK(log->Add(AuthFailure{.attempted_user = "x\x1b", .reason = "r\x07", .ip = "10.0.0.1"},
                     TestTime(1))
                .status());
  ASSERT_OK(log->Add(AuthSuccess{.actor = {.user_id = "bob"}}, TestTime(86400)).status());
  ASSERT_OK(log->Add(LogRecovered{.segment = "0000000001-2026-11-27.audit",
                                  .offset = 10,
                                  .length = 3,
                                  .sha256 = std::string(64, 'a'),
                                  .quarantine_file = "q"},
                     TestTime(86401))
                .status());
  ASSERT_OK(log->Close());
  const CliResult r = Run({"stats", Dir(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["records"], 4);
  EXPECT_EQ(j["critical"], 2);
  EXPECT_EQ(j["routine"], 2);
  EXPECT_EQ(j["by_type"]["auth_success"], 2);
  EXPECT_EQ(j["by_type"]["auth_failure"], 1);
  EXPECT_EQ(j["by_day"]["2026-11-27"], 2);
  EXPECT_EQ(j["by_day"]["2026-11-28"], 2);
  EXPECT_EQ(j["sanitized_records"], 1);
  EXPECT_EQ(j["sanitized_fields"], 2);
  EXPECT_EQ(j["recoveries"], 1);
  EXPECT_EQ(j["first"]["seq"], 1);
  EXPECT_EQ(j["last"]["seq"], 4);
  EXPECT_EQ(j["last"]["event_type"], "log_recovered");

  const CliResult text = Run({"stats", Dir()});
  ASSERT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("recoveries:   1"), std::string::npos) << text.out;
}

// ---- export -----------------------------------------------------------------------------

TEST_F(CliToolsTest, ExportListsTheCustomersRecordsWithAVerificationStatement) {
  WriteLog();
  const CliResult r = Run({"export", Dir(), "--customer", "cust-1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["customer_id"], "cust-1");
  ASSERT_EQ(j["records"].size(), 3u);
  EXPECT_EQ(j["records"][0]["seq"], 3);
  EXPECT_EQ(j["records"][1]["event_type"], "gdpr_data_access_request");
  EXPECT_EQ(j["records"][2]["event_type"], "data_deleted");
  EXPECT_EQ(j["summary"]["inference_count"], 1);
  EXPECT_EQ(j["summary"]["access_requests"], 1);
  EXPECT_EQ(j["summary"]["deletion_count"], 1);
  const json& v = j["verification"];
  EXPECT_EQ(v["chain_verified"], true);
  EXPECT_EQ(v["records_in_range"], 6);
  // Each exported line re-hashes to its stored hash, which the log's chain vouches for.
  for (const json& rec : j["records"]) {
    const std::string line = rec["line"];
    EXPECT_EQ(testing::OpenSslSha256Hex(line.substr(0, line.size() - 75)), rec["hash"]);
  }
  EXPECT_EQ(v["last_hash"], json::parse(AllLogLines().back())["hash"]);
}

TEST_F(CliToolsTest, ExportOfARangeIsAnchoredAndReportsTampering) {
  WriteLog();
  CliResult r = Run({"export", Dir(), "--customer", "cust-1", "--since", "2026-11-27T00:00:03Z",
                     "--until", "2026-11-27T00:00:04Z"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  ASSERT_EQ(j["records"].size(), 1u);
  EXPECT_EQ(j["records"][0]["seq"], 4);
  EXPECT_EQ(j["verification"]["records_in_range"], 2);
  EXPECT_EQ(j["verification"]["anchor_seq"], 3);
  EXPECT_EQ(j["verification"]["anchor_hash"], json::parse(AllLogLines()[2])["hash"]);

  // Alter a record inside the range: the export still comes out, flagged, exit code 1.
  const auto seg = testing::SegmentFiles(dir_.path())[1];
  auto lines = testing::ReadLines(seg);
  const std::size_t at = lines[0].find("\"dpo\"");
  ASSERT_NE(at, std::string::npos);
  lines[0].replace(at, 5, "\"eve\"");
  testing::WriteLines(seg, lines);
  r = Run({"export", Dir(), "--customer", "cust-1", "--since", "2026-11-27T00:00:03Z"});
  EXPECT_EQ(r.exit_code, 1);
  j = json::parse(r.out);
  EXPECT_EQ(j["verification"]["chain_verified"], false);
  EXPECT_FALSE(j["verification"]["findings"].empty());
}

// ---- verify ranges ----------------------------------------------------------------------

TEST_F(CliToolsTest, VerifyLastNChecksTheLinkAcrossTheRangeBoundary) {
  WriteLog();
  CliResult r = Run({"verify", Dir(), "--last", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["records"], 2);
  EXPECT_EQ(j["first_seq"], 5);
  EXPECT_EQ(j["anchor_seq"], 4);
  EXPECT_EQ(j["ranged"], true);

  // Break the link into the range: record 5's prev_hash no longer matches record 4.
  const auto seg = testing::SegmentFiles(dir_.path())[1];
  auto lines = testing::ReadLines(seg);
  lines[0] = AllLogLines()[0];  // record 4 replaced by an intact copy of record 1
  testing::WriteLines(seg, lines);
  r = Run({"verify", Dir(), "--last", "2", "--json"});
  EXPECT_EQ(r.exit_code, 1);
  j = json::parse(r.out);
  bool broken_link = false;
  for (const json& f : j["findings"]) {
    broken_link |= f["kind"] == "chain_broken" && f["seq"] == 5;
  }
  EXPECT_TRUE(broken_link) << r.out;
  // The records outside the range are not verified.
  EXPECT_EQ(Run({"verify", Dir(), "--last", "1"}).exit_code, 0);
}

TEST_F(CliToolsTest, VerifyTimeRangeCoversExactlyTheRange) {
  WriteLog();
  const CliResult r = Run({"verify", Dir(), "--since", "2026-11-27T00:00:02Z", "--until",
                           "2026-11-27T00:00:03Z", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["records"], 2);
  EXPECT_EQ(j["first_seq"], 3);
  EXPECT_EQ(j["last_seq"], 4);
  EXPECT_EQ(j["anchor_seq"], 2);
  EXPECT_EQ(j["segments"], 2);
  // Text output names the anchor.
  const CliResult text = Run({"verify", Dir(), "--since", "2026-11-27T00:00:02Z"});
  EXPECT_NE(text.out.find("anchor:    seq 2"), std::string::npos) << text.out;
}

TEST(VerifyLibraryTest, RangesMatchAFullRunAndParallelEqualsSequential) {
  ScratchDir dir;
  ASSERT_OK_AND_ASSIGN(auto log, LogBuilder::Open(dir.path()));
  // Large enough (> 8 MiB) for the parallel path.
  const std::string pad(900, 'p');
  for (int i = 0; i < 12000; ++i) {
    if (i > 0 && i % 4000 == 0) {
      ASSERT_OK(log->Rotate());
    }
    ASSERT_OK(log->Add(CustomEvent{.event_type = "bulk", .fields = {{"pad", pad}}}, TestTime(i))
                  .status());
  }
  ASSERT_OK(log->Close());
  // Damage one line in the middle of the second segment.
  const auto seg = testing::SegmentFiles(dir.path())[1];
  auto lines = testing::ReadLines(seg);
  lines[100][lines[100].find("ppp")] = 'q';
  testing::WriteLines(seg, lines);

  VerifyOptions sequential;
  sequential.threads = 1;
  VerifyOptions parallel;
  parallel.threads = 3;
  int progress_calls = 0;
  parallel.progress = [&](const VerifyProgress& p) {
    ++progress_calls;
    EXPECT_LE(p.bytes_done, p.bytes_total);
  };
  ASSERT_OK_AND_ASSIGN(VerifyReport a, Verify(dir.path(), sequential));
  ASSERT_OK_AND_ASSIGN(VerifyReport b, Verify(dir.path(), parallel));
  EXPECT_EQ(a.records, 12000u);
  EXPECT_EQ(b.records, a.records);
  EXPECT_EQ(b.bytes, a.bytes);
  EXPECT_EQ(b.last_hash, a.last_hash);
  // One altered line; the manifest adds its whole-file finding (line 0) after the line's.
  ASSERT_EQ(a.findings.size(), 2u);
  ASSERT_EQ(b.findings.size(), 2u);
  EXPECT_EQ(b.findings[1].kind, FindingKind::kChecksumMismatch);
  EXPECT_EQ(b.findings[0].kind, FindingKind::kHashMismatch);
  EXPECT_EQ(b.findings[0].seq, a.findings[0].seq);
  EXPECT_EQ(b.findings[0].line, 101u);
  EXPECT_EQ(b.findings[0].offset, a.findings[0].offset);

  VerifyOptions last;
  last.last_n = 3000;
  ASSERT_OK_AND_ASSIGN(VerifyReport c, Verify(dir.path(), last));
  EXPECT_TRUE(c.intact());
  EXPECT_EQ(c.records, 3000u);
  EXPECT_EQ(c.first_seq, 9001u);
  EXPECT_EQ(c.anchor_seq, 9000u);
  EXPECT_EQ(c.last_hash, a.last_hash);

  VerifyOptions range;
  range.since = MicrosToTime(TestTime(4000));  // the first record of segment 2
  range.until = MicrosToTime(TestTime(4099));
  ASSERT_OK_AND_ASSIGN(VerifyReport d, Verify(dir.path(), range));
  EXPECT_TRUE(d.intact());
  EXPECT_EQ(d.records, 100u);
  EXPECT_EQ(d.anchor_seq, 4000u);  // the last record of segment 1
  range.until = MicrosToTime(TestTime(4100));
  ASSERT_OK_AND_ASSIGN(d, Verify(dir.path(), range));
  EXPECT_EQ(d.findings.size(), 1u);

  last.since = MicrosToTime(TestTime(0));
  EXPECT_EQ(Verify(dir.path(), last).status().code(), StatusCode::kInvalidArgument);
}

// ---- concurrent write + verify ----------------------------------------------------------

TEST(ConcurrentVerifyTest, VerifyingWhileAppendingGivesNoFalseAlarm) {
  ScratchDir dir;
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  Status writer_status;
  std::thread writer([&] {
    auto log = LogBuilder::Open(dir.path());
    if (!log.ok()) {
      writer_status = log.status();
      return;
    }
    for (int i = 0; !stop.load(); ++i) {
      if (i > 0 && i % 700 == 0) {
        writer_status = (*log)->Rotate();
        if (!writer_status.ok()) return;
      }
      auto seq =
          (*log)->Add(AuthSuccess{.actor = {.user_id = "u" + std::to_string(i)}}, TestTime(i));
      if (!seq.ok()) {
        writer_status = seq.status();
        return;
      }
      ++written;
    }
    writer_status = (*log)->Close();
  });
  while (written.load() < 50) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  int runs = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  while (std::chrono::steady_clock::now() < until) {
    auto report = Verify(dir.path());
    ASSERT_OK(report.status());
    // A line being written may be cut by the snapshot (a "torn tail" in the newest
    // segment); nothing else may be reported.
    EXPECT_FALSE(report->tampered())
        << FindingKindName(report->findings[0].kind) << ": " << report->findings[0].reason;
    auto last = Verify(dir.path(), {.last_n = 20});
    ASSERT_OK(last.status());
    EXPECT_FALSE(last->tampered());
    ++runs;
  }
  const CliResult cli = RunCli(kCli, {"verify", dir.path().string(), "--json"});
  EXPECT_TRUE(cli.exit_code == 0 || cli.exit_code == 3) << cli.out;
  stop = true;
  writer.join();
  ASSERT_OK(writer_status);
  EXPECT_GT(runs, 1);
  ASSERT_OK_AND_ASSIGN(VerifyReport final_report, Verify(dir.path()));
  EXPECT_TRUE(final_report.intact());
  EXPECT_EQ(final_report.records, static_cast<std::uint64_t>(written.load()));
}

}  // namespace
}  // namespace auditlog
