// Tests of `auditlog verify` (tools/cmd_verify.cc), run as a separate process: exit codes
// 0 intact, 1 findings, 2 usage or I/O error, 3 torn tail only; and the --json report.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_util.h"

namespace auditlog {
namespace {

struct RunResult {
  int exit_code = -1;
  std::string out;
};

// Runs the CLI with `args` (already shell-quoted), capturing stdout.
RunResult RunCli(const std::string& args) {
  RunResult r;
  const std::string cmd = std::string(AUDITLOG_CLI_PATH) + " " + args + " 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string Quote(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

class CliVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string(AUDITLOG_CLI_PATH).empty()) GTEST_SKIP() << "CLI not built";
  }
  void WriteLog(int n, bool clean_close = true) {
    std::vector<Event> events;
    for (int i = 1; i <= n; ++i)
      events.push_back(SealVerified{.shard_id = "s" + std::to_string(i)});
    ASSERT_OK(
        testing::WriteTestLog(dir_.path(), events, "queen", 1795741062123456, 0, clean_close));
  }
  std::filesystem::path Segment() const { return testing::SegmentFiles(dir_.path()).at(0); }

  testing::ScratchDir dir_;
};

TEST_F(CliVerifyTest, IntactLogExitsZero) {
  WriteLog(3);
  const RunResult r = RunCli("verify " + Quote(dir_.path()));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("INTACT"), std::string::npos) << r.out;
}

TEST_F(CliVerifyTest, TamperedLogExitsOneAndJsonListsFindings) {
  WriteLog(4);
  std::vector<std::string> lines = testing::ReadLines(Segment());
  lines.erase(lines.begin() + 1);  // delete seq 2
  testing::WriteLines(Segment(), lines);
  EXPECT_EQ(RunCli("verify " + Quote(dir_.path())).exit_code, 1);

  const RunResult r = RunCli("verify --json " + Quote(dir_.path()));
  EXPECT_EQ(r.exit_code, 1);
  const nlohmann::json j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["intact"], false);
  EXPECT_EQ(j["tampered"], true);
  EXPECT_EQ(j["records"], 3);
  ASSERT_TRUE(j["findings"].is_array());
  ASSERT_FALSE(j["findings"].empty());
  bool seq_gap = false;
  for (const auto& f : j["findings"]) {
    ASSERT_TRUE(f.contains("kind") && f.contains("file") && f.contains("line") &&
                f.contains("seq") && f.contains("reason"))
        << f.dump();
    EXPECT_EQ(f["file"], Segment().filename().string());
    if (f["kind"] == "seq_gap") {
      seq_gap = true;
      EXPECT_EQ(f["line"], 2);
      EXPECT_EQ(f["seq"], 3);
    }
  }
  EXPECT_TRUE(seq_gap) << r.out;
}

TEST_F(CliVerifyTest, TornTailOnlyExitsThree) {
  WriteLog(3, /*clean_close=*/false);
  std::string data = testing::ReadFile(Segment());
  data.resize(data.size() - 10);
  testing::WriteFile(Segment(), data);
  EXPECT_EQ(RunCli("verify " + Quote(dir_.path())).exit_code, 3);
  const RunResult r = RunCli("verify " + Quote(dir_.path()) + " --json");
  EXPECT_EQ(r.exit_code, 3);
  const nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["tampered"], false);
  EXPECT_EQ(j["torn_tail"], true);
  ASSERT_EQ(j["findings"].size(), 1u);
  EXPECT_EQ(j["findings"][0]["kind"], "torn_tail");
  EXPECT_EQ(j["findings"][0]["line"], 3);
  EXPECT_TRUE(j["findings"][0]["seq"].is_null());
}

TEST_F(CliVerifyTest, MissingDirectoryExitsTwo) {
  EXPECT_EQ(RunCli("verify " + Quote(dir_.path() / "nope")).exit_code, 2);
  EXPECT_EQ(RunCli("verify").exit_code, 2);  // usage error: no directory
}

TEST_F(CliVerifyTest, JsonReportOfAnIntactLogHasTheSummary) {
  WriteLog(2);
  const RunResult r = RunCli("verify --json " + Quote(dir_.path()));
  EXPECT_EQ(r.exit_code, 0);
  const nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["intact"], true);
  EXPECT_EQ(j["records"], 2);
  EXPECT_EQ(j["first_seq"], 1);
  EXPECT_EQ(j["last_seq"], 2);
  EXPECT_TRUE(j["findings"].empty());
  const std::string last = testing::ReadLines(Segment()).back();
  EXPECT_EQ(j["last_hash"], last.substr(last.size() - 66, 64));
}

}  // namespace
}  // namespace auditlog
