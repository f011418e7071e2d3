// The public retention API (auditlog/retention.h): PlanRetention reads and changes nothing,
// ApplyRetention carries the plan out and records it in the chain; a hostile manifest or a
// directory that is not a log is a Status naming the problem, and nothing is touched.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "auditlog/auditlog.h"
#include "auditlog/retention.h"
#include "engine_util.h"
#include "fake_clock.h"
#include "log_builder.h"
#include "test_util.h"

namespace auditlog {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::ScratchDir;
using testing::SegmentFiles;
using testing::TestTime;

// 2040-01-01T00:00:00Z: every record of the test log is years old then.
constexpr std::int64_t k2040 = 2208988800LL * 1000000;

const RetentionPolicy kDeleteAfterADay{
    .min_retention_days = 1, .archive_after_days = 1, .delete_after_days = 1};
const RetentionPolicy kArchiveOnly{
    .min_retention_days = 100000, .archive_after_days = 1, .delete_after_days = 100000};

class RetentionApiTest : public ::testing::Test {
 protected:
  // Three closed segments of three records each (seqs 1-3, 4-6, 7-9), from TestTime(0).
  void BuildLog() {
    ASSERT_OK_AND_ASSIGN(auto log, testing::LogBuilder::Open(dir_));
    for (int s = 0; s < 3; ++s) {
      for (int i = 0; i < 3; ++i) {
        ASSERT_OK(log->Add(TaskCompleted{.task_id = "t", .worker_id = "w1"}, TestTime(s * 3 + i))
                      .status());
      }
      if (s < 2) {
        ASSERT_OK(log->Rotate());
      }
    }
    ASSERT_OK(log->Close());
    segments_ = SegmentFiles(dir_);
    ASSERT_EQ(segments_.size(), 3u);
  }
  RetentionOptions At2040() const { return {.now = MicrosToTime(k2040)}; }
  std::vector<std::string> Listing() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }

  ScratchDir root_;
  const fs::path dir_ = root_.path() / "log";
  std::vector<fs::path> segments_;
};

TEST_F(RetentionApiTest, PlanNamesEachExpiredSegmentWithItsChainFactsAndChangesNothing) {
  BuildLog();
  const std::vector<std::string> before = Listing();
  const std::string manifest = ReadFile(dir_ / "manifest.json");
  ASSERT_OK_AND_ASSIGN(std::vector<RetentionStep> plan,
                       PlanRetention(dir_, kDeleteAfterADay, At2040()));
  ASSERT_EQ(plan.size(), 3u);
  for (std::size_t i = 0; i < plan.size(); ++i) {
    EXPECT_EQ(plan[i].kind, RetentionStep::Kind::kDelete);
    EXPECT_EQ(plan[i].segment, segments_[i].filename().string());
    EXPECT_EQ(plan[i].first_seq, 3 * i + 1);
    EXPECT_EQ(plan[i].last_seq, 3 * i + 3);
    EXPECT_EQ(plan[i].last_hash.size(), 64u);
    EXPECT_GT(plan[i].age_days, 4000u);
  }
  // The last hash stated is the one the next segment's first record links to.
  const std::string next_first = testing::ReadLines(segments_[1]).front();
  EXPECT_NE(next_first.find("\"prev_hash\":\"" + plan[0].last_hash + "\""), std::string::npos);
  EXPECT_EQ(Listing(), before);
  EXPECT_EQ(ReadFile(dir_ / "manifest.json"), manifest);
}

TEST_F(RetentionApiTest, PlanArchivesWhenDeletionIsNotDue) {
  BuildLog();
  ASSERT_OK_AND_ASSIGN(std::vector<RetentionStep> plan,
                       PlanRetention(dir_, kArchiveOnly, At2040()));
  ASSERT_EQ(plan.size(), 3u);
  for (const RetentionStep& step : plan) EXPECT_EQ(step.kind, RetentionStep::Kind::kArchive);
  // Today nothing is old enough for anything.
  ASSERT_OK_AND_ASSIGN(plan,
                       PlanRetention(dir_, kArchiveOnly, {.now = MicrosToTime(TestTime(60))}));
  EXPECT_TRUE(plan.empty());
}

TEST_F(RetentionApiTest, NowDefaultsToTheEnvsClock) {
  BuildLog();
  testing::FakeClockEnv clock(Env::Default(), k2040);
  ASSERT_OK_AND_ASSIGN(std::vector<RetentionStep> plan,
                       PlanRetention(dir_, kDeleteAfterADay, {.env = &clock}));
  EXPECT_EQ(plan.size(), 3u);
  clock.SetWallMicros(TestTime(60));
  ASSERT_OK_AND_ASSIGN(plan, PlanRetention(dir_, kDeleteAfterADay, {.env = &clock}));
  EXPECT_TRUE(plan.empty());
}

TEST_F(RetentionApiTest, ApplyDeletesRecordsItInTheChainAndTheLogVerifies) {
  BuildLog();
  ASSERT_OK_AND_ASSIGN(std::size_t done, ApplyRetention(dir_, kDeleteAfterADay, At2040()));
  EXPECT_EQ(done, 3u);
  for (const fs::path& p : segments_) EXPECT_FALSE(fs::exists(p)) << p;
  int deleted = 0;
  for (const auto& record : testing::ReadRecords(dir_)) {
    deleted += record.event_type == "segment_deleted";
  }
  EXPECT_EQ(deleted, 3);
  ASSERT_OK_AND_ASSIGN(VerifyReport v, Verify(dir_));
  EXPECT_TRUE(v.intact());
  EXPECT_EQ(v.anchor_seq, 9u);
  // Nothing left to do on the deleted segments (the new one, holding the records of the
  // deletions, may expire in its turn).
  ASSERT_OK_AND_ASSIGN(std::vector<RetentionStep> plan,
                       PlanRetention(dir_, kDeleteAfterADay, At2040()));
  for (const RetentionStep& step : plan) {
    for (const fs::path& p : segments_) EXPECT_NE(step.segment, p.filename().string());
  }
}

TEST_F(RetentionApiTest, ApplyArchivesAndQueriesStillReadTheRecords) {
  BuildLog();
  ASSERT_OK_AND_ASSIGN(std::size_t done, ApplyRetention(dir_, kArchiveOnly, At2040()));
  EXPECT_EQ(done, 3u);
  for (const fs::path& p : segments_) {
    EXPECT_FALSE(fs::exists(p)) << p;
    EXPECT_TRUE(fs::exists(p.string() + ".zst")) << p;
  }
  ASSERT_OK_AND_ASSIGN(VerifyReport v, Verify(dir_));
  EXPECT_TRUE(v.intact());
  EXPECT_EQ(v.first_seq, 1u);
}

TEST_F(RetentionApiTest, ADirectoryWithoutManifestIsNotFound) {
  fs::create_directory(dir_);
  const auto plan = PlanRetention(dir_, kDeleteAfterADay, At2040());
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kNotFound);
  EXPECT_NE(plan.status().message().find("no manifest.json"), std::string::npos);
  const auto missing = PlanRetention(dir_ / "missing", kDeleteAfterADay, At2040());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  const auto apply = ApplyRetention(dir_, kDeleteAfterADay, At2040());
  EXPECT_EQ(apply.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(RetentionApiTest, AManifestNamingAFileOutsideTheLogIsRefusedByPlanAndApply) {
  BuildLog();
  const fs::path victim = root_.path() / "victim";
  testing::WriteFile(victim, "precious");
  nlohmann::json j = nlohmann::json::parse(ReadFile(dir_ / "manifest.json"));
  nlohmann::json e = j["segments"][0];
  e["name"] = "../victim";
  j["segments"].insert(j["segments"].begin(), e);
  testing::WriteFile(dir_ / "manifest.json", j.dump(2) + "\n");
  for (const Status& s : {PlanRetention(dir_, kDeleteAfterADay, At2040()).status(),
                          ApplyRetention(dir_, kDeleteAfterADay, At2040()).status()}) {
    EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
    EXPECT_NE(s.message().find("../victim"), std::string::npos) << s.ToString();
  }
  EXPECT_EQ(ReadFile(victim), "precious");
  for (const fs::path& p : segments_) EXPECT_TRUE(fs::exists(p)) << p;
}

TEST_F(RetentionApiTest, ApplyFailsWhileALoggerHoldsTheLog) {
  BuildLog();
  Config config;
  config.service_id = "queen";
  config.mode = LocalMode{dir_};
  config.retention = {
      .min_retention_days = 100000, .archive_after_days = 100000, .delete_after_days = 100000};
  ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(config));
  const auto apply = ApplyRetention(dir_, kDeleteAfterADay, At2040());
  EXPECT_EQ(apply.status().code(), StatusCode::kFailedPrecondition) << apply.status().ToString();
  ASSERT_OK(logger->Shutdown());
  for (const fs::path& p : segments_) EXPECT_TRUE(fs::exists(p)) << p;
}

}  // namespace
}  // namespace auditlog
