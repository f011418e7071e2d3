// Issue 8, retention side: a hostile manifest must never steer deletion. Names read from
// manifest.json that could point outside the log (case 1), deletions the chain does not
// record and ages from unchecked manifest fields (case 2), and a manifest service_id with
// control bytes (case 15). Each attack is run through the CLI and/or Logger::Open, the two
// ways retention runs, with a victim file outside the log directory that must survive.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "auditlog/auditlog.h"
#include "cli_runner.h"
#include "engine_util.h"
#include "fake_clock.h"
#include "fault_env.h"
#include "format/record_format.h"
#include "log_builder.h"
#include "storage/record_writer.h"
#include "test_util.h"

namespace auditlog {
namespace {

namespace fs = std::filesystem;
using testing::CliResult;
using testing::ReadFile;
using testing::ScratchDir;
using testing::SegmentFiles;
using testing::TestTime;

const std::string kCli = AUDITLOG_CLI_PATH;
// 2040-01-01T00:00:00Z: every record of the test logs is years old then.
constexpr std::int64_t k2040 = 2208988800LL * 1000000;
constexpr char kLongAgo[] = "2000-01-01T00:00:00.000000Z";

class HostileRetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directory(dir_);
    testing::WriteFile(victim_, "precious");
  }

  // Three closed segments of three records each, stamped `first_ts` + i seconds.
  void BuildLog(std::int64_t first_ts = TestTime(0)) {
    ASSERT_OK_AND_ASSIGN(auto log, testing::LogBuilder::Open(dir_, "queen"));
    for (int s = 0; s < 3; ++s) {
      for (int i = 0; i < 3; ++i) {
        ASSERT_OK(log->Add(TaskCompleted{.task_id = "t", .worker_id = "w1"},
                           first_ts + (s * 3 + i) * 1000000LL)
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

  nlohmann::json Manifest() const {
    return nlohmann::json::parse(ReadFile(dir_ / "manifest.json"));
  }
  void WriteManifest(const nlohmann::json& j) {
    testing::WriteFile(dir_ / "manifest.json", j.dump(2) + "\n");
  }
  // Puts a copy of the first segment's entry, with `name`, in front of the others.
  void PrependEntry(const std::string& name) {
    nlohmann::json j = Manifest();
    nlohmann::json e = j["segments"][0];
    e["name"] = name;
    e["closed_at"] = kLongAgo;
    e["last_timestamp"] = kLongAgo;
    j["segments"].insert(j["segments"].begin(), e);
    WriteManifest(j);
  }

  CliResult Cli(std::vector<std::string> args) { return testing::RunCli(kCli, args); }

  Config LoggerConfig(Env* env, RetentionPolicy retention) {
    Config config;
    config.service_id = "queen";
    config.mode = LocalMode{dir_};
    config.flush_mode = Immediate{};
    config.retention = retention;
    config.env = env;
    return config;
  }

  bool AllSegmentsPresent() const {
    for (const fs::path& p : segments_) {
      if (!fs::exists(p)) return false;
    }
    return true;
  }

  static bool Has(const VerifyReport& r, FindingKind kind, const std::string& file) {
    for (const Finding& f : r.findings) {
      if (f.kind == kind && f.file == file) return true;
    }
    return false;
  }
  static std::string Describe(const VerifyReport& r) {
    std::string s;
    for (const Finding& f : r.findings) {
      s += std::string(FindingKindName(f.kind)) + " " + f.file + ": " + f.reason + "\n";
    }
    return s;
  }
  std::string Name(int i) const { return segments_[i].filename().string(); }

  ScratchDir root_;
  const fs::path dir_ = root_.path() / "log";
  const fs::path victim_ = root_.path() / "victim";  // outside the log directory
  std::vector<fs::path> segments_;
};

const RetentionPolicy kDeleteAfterADay{
    .min_retention_days = 1, .archive_after_days = 1, .delete_after_days = 1};

// ---- case 1: names from the manifest never reach outside the directory -------------------

TEST_F(HostileRetentionTest, CliRefusesARelativeNameOutsideTheDirectory) {
  BuildLog();
  PrependEntry("../victim");
  const CliResult r = Cli({"retention", dir_.string(), "--apply", "--delete-after-days", "1",
                           "--min-retention-days", "1", "--now", "2040-01-01"});
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.err.find("../victim"), std::string::npos) << r.err;
  EXPECT_EQ(ReadFile(victim_), "precious");
  EXPECT_TRUE(AllSegmentsPresent());
}

TEST_F(HostileRetentionTest, CliRefusesAnAbsoluteName) {
  BuildLog();
  PrependEntry(victim_.string());
  const CliResult dry = Cli({"retention", dir_.string(), "--now", "2040-01-01"});
  EXPECT_NE(dry.exit_code, 0) << dry.out;
  const CliResult r = Cli({"retention", dir_.string(), "--apply", "--delete-after-days", "1",
                           "--min-retention-days", "1", "--now", "2040-01-01"});
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.err.find(victim_.string()), std::string::npos) << r.err;
  EXPECT_EQ(ReadFile(victim_), "precious");
  EXPECT_TRUE(AllSegmentsPresent());
}

TEST_F(HostileRetentionTest, LoggerOpenFailsWithCorruptionNamingTheEntry) {
  BuildLog();
  PrependEntry("../victim");
  testing::FakeClockEnv clock(Env::Default(), k2040);
  auto logger = Logger::Open(LoggerConfig(&clock, kDeleteAfterADay));
  ASSERT_FALSE(logger.ok());
  EXPECT_EQ(logger.status().code(), StatusCode::kCorruption);
  EXPECT_NE(logger.status().message().find("../victim"), std::string::npos)
      << logger.status().ToString();
  EXPECT_EQ(ReadFile(victim_), "precious");
  EXPECT_TRUE(AllSegmentsPresent());
}

TEST_F(HostileRetentionTest, ArchivedEntryWhoseArchiveIsAnotherFileIsRefused) {
  BuildLog();
  // "Archived" into a file outside the log: finishing that archival would remove the
  // segment itself.
  nlohmann::json j = Manifest();
  j["segments"][0]["state"] = "archived";
  j["segments"][0]["archive"] = {
      {"name", "../victim"}, {"bytes", 8}, {"sha256", std::string(64, '0')}};
  WriteManifest(j);
  const CliResult r = Cli({"retention", dir_.string(), "--apply", "--archive-after-days", "0"});
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.err.find("../victim"), std::string::npos) << r.err;
  EXPECT_TRUE(AllSegmentsPresent());
  EXPECT_EQ(ReadFile(victim_), "precious");
}

TEST_F(HostileRetentionTest, ArchivedOutsideNameWithAnExistingArchiveIsRefusedAtOpen) {
  BuildLog();
  // The plain name points outside, the "archive" is a file that exists: the interrupted-
  // archival step would unlink the outside file.
  nlohmann::json j = Manifest();
  nlohmann::json e = j["segments"][0];
  e["name"] = "../victim";
  e["state"] = "archived";
  e["archive"] = {{"name", "manifest.json"}, {"bytes", 8}, {"sha256", "00"}};
  j["segments"].insert(j["segments"].begin(), e);
  WriteManifest(j);
  auto logger = Logger::Open(LoggerConfig(Env::Default(), RetentionPolicy{}));
  ASSERT_FALSE(logger.ok());
  EXPECT_EQ(logger.status().code(), StatusCode::kCorruption);
  EXPECT_NE(logger.status().message().find("../victim"), std::string::npos)
      << logger.status().ToString();
  EXPECT_EQ(ReadFile(victim_), "precious");
  EXPECT_TRUE(AllSegmentsPresent());
}

TEST_F(HostileRetentionTest, NameAndIndexMustBeTheWritersOwn) {
  BuildLog();
  for (const std::string& name :
       {std::string("0000000001-2026-02-30.audit"), std::string("0000000000-2026-11-27.audit"),
        std::string("./") + Name(0)}) {
    nlohmann::json j = Manifest();
    const nlohmann::json saved = j;
    j["segments"][0]["name"] = name;
    WriteManifest(j);
    auto logger = Logger::Open(LoggerConfig(Env::Default(), RetentionPolicy{}));
    ASSERT_FALSE(logger.ok()) << name;
    EXPECT_EQ(logger.status().code(), StatusCode::kCorruption) << name;
    WriteManifest(saved);
  }
  nlohmann::json j = Manifest();
  j["segments"][0]["index"] = 7;  // not the index in its name
  WriteManifest(j);
  auto logger = Logger::Open(LoggerConfig(Env::Default(), RetentionPolicy{}));
  ASSERT_FALSE(logger.ok());
  EXPECT_NE(logger.status().message().find(Name(0)), std::string::npos);
  EXPECT_TRUE(AllSegmentsPresent());
}

// ---- case 2: only the chain says what was deleted, and how old it is ---------------------

TEST_F(HostileRetentionTest, ManifestDeletionWithoutAChainedRecordIsReported) {
  BuildLog();
  fs::remove(segments_[0]);
  fs::remove(segments_[0].string() + ".sha256");
  nlohmann::json j = Manifest();
  j["segments"][0]["state"] = "deleted";
  WriteManifest(j);
  ASSERT_OK_AND_ASSIGN(VerifyReport r, Verify(dir_));
  EXPECT_TRUE(r.tampered()) << Describe(r);
  EXPECT_TRUE(Has(r, FindingKind::kSegmentMissing, Name(0))) << Describe(r);
  // And the remaining chain is not anchored by the manifest's word.
  EXPECT_TRUE(Has(r, FindingKind::kSeqGap, Name(1))) << Describe(r);
  EXPECT_FALSE(r.anchor_seq.has_value());
}

TEST_F(HostileRetentionTest, OldClosedAtDoesNotMakeTheServiceDeleteASegment) {
  BuildLog(Env::Default()->NowMicros());  // records of today
  nlohmann::json j = Manifest();
  for (const char* member : {"created_at", "closed_at", "first_timestamp", "last_timestamp"}) {
    j["segments"][0][member] = kLongAgo;
  }
  WriteManifest(j);
  const CliResult dry = Cli({"retention", dir_.string()});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(dry.out.find("\ndelete "), std::string::npos) << dry.out;
  {
    ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(LoggerConfig(Env::Default(), {})));
    ASSERT_OK(logger->Flush());
    ASSERT_OK(logger->Shutdown());
  }
  EXPECT_TRUE(AllSegmentsPresent());
  for (const auto& record : testing::ReadRecords(dir_)) {
    EXPECT_NE(record.event_type, "segment_deleted") << record.event_json;
  }
}

TEST_F(HostileRetentionTest, ARecordEditedToLookOldIsNotTrusted) {
  BuildLog(Env::Default()->NowMicros());
  // Re-stamp the first segment's last record in the year 2000 and re-hash it: it no
  // longer links to the next segment's first record, so retention does not believe it.
  std::vector<std::string> lines = testing::ReadLines(segments_[0]);
  std::string& last = lines.back();
  const std::size_t ts = last.find("\"timestamp\":\"") + 13;
  last.replace(ts, 27, kLongAgo);
  last.replace(last.size() - 66, 64, internal::ComputeLineHash(last));
  testing::WriteLines(segments_[0], lines);
  nlohmann::json j = Manifest();
  j["segments"][0]["closed_at"] = kLongAgo;
  j["segments"][0]["last_timestamp"] = kLongAgo;
  WriteManifest(j);
  const CliResult r = Cli({"retention", dir_.string(), "--apply"});
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.err.find(Name(0)), std::string::npos) << r.err;
  EXPECT_TRUE(AllSegmentsPresent());
}

TEST_F(HostileRetentionTest, RetentionNeverDeletesBeforeTheMinimumByRecordTimestamps) {
  BuildLog(Env::Default()->NowMicros() - 10 * 86400LL * 1000000);  // 10 days old
  nlohmann::json j = Manifest();
  for (auto& e : j["segments"]) e["closed_at"] = kLongAgo;
  WriteManifest(j);
  const CliResult r = Cli({"retention", dir_.string(), "--apply", "--delete-after-days", "1",
                           "--min-retention-days", "30"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("\ndelete "), std::string::npos) << r.out;
  EXPECT_TRUE(AllSegmentsPresent());
}

TEST_F(HostileRetentionTest, LegitimateDeletionIsAnchoredOnTheChainedRecord) {
  BuildLog();
  const CliResult r = Cli({"retention", dir_.string(), "--apply", "--delete-after-days", "1",
                           "--min-retention-days", "1", "--now", "2040-01-01"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const fs::path& p : segments_) EXPECT_FALSE(fs::exists(p)) << p;
  ASSERT_OK_AND_ASSIGN(VerifyReport v, Verify(dir_));
  EXPECT_TRUE(v.intact()) << Describe(v);
  EXPECT_EQ(v.anchor_seq, 9u);
  EXPECT_EQ(v.first_seq, 10u);
  // The manifest's anchor is not what verify uses: a wrong last_hash there changes nothing
  // about the chain, but removing the segment that holds the records is noticed.
  const fs::path holder = SegmentFiles(dir_).back();
  fs::remove(holder);
  fs::remove(holder.string() + ".sha256");
  nlohmann::json j = Manifest();
  j["segments"].back()["state"] = "deleted";
  WriteManifest(j);
  ASSERT_OK_AND_ASSIGN(VerifyReport gone, Verify(dir_));
  EXPECT_TRUE(gone.tampered());
  EXPECT_TRUE(Has(gone, FindingKind::kSegmentMissing, holder.filename().string()))
      << Describe(gone);
}

TEST_F(HostileRetentionTest, ACrashBeforeTheFilesAreRemovedVerifiesAndIsFinishedLater) {
  BuildLog();
  testing::FaultEnv fault;
  {
    internal::RecordWriter::Options options;
    options.env = &fault;
    options.dir = dir_;
    options.service_id = "queen";
    ASSERT_OK_AND_ASSIGN(auto w, internal::RecordWriter::Open(options));
    std::vector<internal::LibraryEvent> records;
    ASSERT_OK(w->ApplyRetention(kDeleteAfterADay, k2040, &records));
    ASSERT_EQ(records.size(), 3u);
    EXPECT_TRUE(AllSegmentsPresent());  // nothing removed before the records are durable
    std::string batch;
    for (const auto& e : records) ASSERT_OK(w->FrameSystemEvent(k2040, e, &batch));
    ASSERT_OK(w->Write(batch));
    fault.FailRename(1, Status::IOError("injected"));  // the manifest update fails
    ASSERT_OK(w->Sync());
    EXPECT_FALSE(w->retention_error().ok());
    // The process dies here: the records are durable, the files still there.
  }
  EXPECT_TRUE(AllSegmentsPresent());
  ASSERT_OK_AND_ASSIGN(VerifyReport v, Verify(dir_));
  EXPECT_TRUE(v.intact()) << Describe(v);
  ASSERT_OK_AND_ASSIGN(std::size_t done, internal::ApplyRetentionToLog(Env::Default(), dir_,
                                                                       kDeleteAfterADay, k2040));
  EXPECT_EQ(done, 3u);
  for (const fs::path& p : segments_) EXPECT_FALSE(fs::exists(p)) << p;
  ASSERT_OK_AND_ASSIGN(VerifyReport after, Verify(dir_));
  EXPECT_TRUE(after.intact()) << Describe(after);
  EXPECT_EQ(after.anchor_seq, 9u);
}

TEST_F(HostileRetentionTest, LoggerDeletesOnlyAfterRecordingAndTheLogVerifies) {
  BuildLog();
  testing::FakeClockEnv clock(Env::Default(), k2040);
  {
    ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(LoggerConfig(&clock, kDeleteAfterADay)));
    ASSERT_OK(logger->Flush());
    ASSERT_OK(logger->Shutdown());
  }
  for (const fs::path& p : segments_) EXPECT_FALSE(fs::exists(p)) << p;
  int deleted = 0;
  for (const auto& record : testing::ReadRecords(dir_)) {
    deleted += record.event_type == "segment_deleted";
  }
  EXPECT_EQ(deleted, 3);
  ASSERT_OK_AND_ASSIGN(VerifyReport v, Verify(dir_));
  EXPECT_TRUE(v.intact()) << Describe(v);
  EXPECT_EQ(v.anchor_seq, 9u);
}

TEST_F(HostileRetentionTest, NoDeletionWhoseRecordWouldBeCut) {
  BuildLog();
  internal::RecordWriter::Options options;
  options.env = Env::Default();
  options.dir = dir_;
  options.service_id = "queen";
  options.max_field_bytes = 32;  // shorter than a last_hash
  ASSERT_OK_AND_ASSIGN(auto w, internal::RecordWriter::Open(options));
  std::vector<internal::LibraryEvent> records;
  const Status s = w->ApplyRetention(kDeleteAfterADay, k2040, &records);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_TRUE(records.empty());
  ASSERT_OK(w->Close());
  EXPECT_TRUE(AllSegmentsPresent());
}

// ---- case 15: strings the library writes are validated like a caller's ------------------

TEST_F(HostileRetentionTest, ManifestServiceIdWithControlBytesIsRefused) {
  BuildLog();
  nlohmann::json j = Manifest();
  j["service_id"] = "evil\x1b[2J\nforged";
  WriteManifest(j);
  const CliResult r = Cli({"retention", dir_.string(), "--apply", "--archive-after-days", "0"});
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.err.find("service_id"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos);
  for (const fs::path& p : SegmentFiles(dir_)) {
    EXPECT_EQ(ReadFile(p).find('\x1b'), std::string::npos) << p;
  }
  EXPECT_TRUE(AllSegmentsPresent());  // nothing archived either
}

}  // namespace
}  // namespace auditlog
