// Issue 8, cases 3, 7 and 16: readers never trust a manifest field that Verify does not
// check, Verify checks every manifest field against its segment, a clock step does not erase
// the real time of later events, and a deleted quarantine file is noticed.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "auditlog/auditlog.h"
#include "cli_runner.h"
#include "engine_util.h"
#include "fake_clock.h"
#include "log_builder.h"
#include "read/line_reader.h"
#include "test_util.h"

namespace auditlog {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::FakeClockEnv;
using testing::LogBuilder;
using testing::ScratchDir;
using testing::TestTime;

constexpr std::int64_t kSecond = 1000000;
constexpr std::int64_t kDay = 86400 * kSecond;

std::string Describe(const VerifyReport& r) {
  std::string out;
  for (const Finding& f : r.findings) {
    out += std::string(FindingKindName(f.kind)) + " " + f.file + ": " + f.reason + "\n";
  }
  return out;
}

// The finding of `kind` about `file` whose reason contains `text`, or nullptr.
const Finding* FindingAbout(const VerifyReport& r, FindingKind kind, const std::string& file,
                            const std::string& text) {
  for (const Finding& f : r.findings) {
    if (f.kind == kind && f.file == file && f.reason.find(text) != std::string::npos) return &f;
  }
  return nullptr;
}

Event Inference(const std::string& customer, int n) {
  return InferenceExecuted{.customer_id = customer, .job_id = "job-" + std::to_string(n)};
}

class HostileReadersTest : public ::testing::Test {
 protected:
  fs::path ManifestPath() const { return dir_.path() / "manifest.json"; }
  json LoadManifestJson() const { return json::parse(testing::ReadFile(ManifestPath())); }
  void SaveManifestJson(const json& j) { testing::WriteFile(ManifestPath(), j.dump()); }

  // Three closed segments of three records each, stamped TestTime(0..8).
  void WriteThreeSegments(const std::string& customer = "cust-1") {
    auto log = LogBuilder::Open(dir_.path());
    ASSERT_OK(log.status());
    for (int i = 0; i < 9; ++i) {
      if (i > 0 && i % 3 == 0) {
        ASSERT_OK((*log)->Rotate());
      }
      ASSERT_OK((*log)->Add(Inference(customer, i), TestTime(i)).status());
    }
    ASSERT_OK((*log)->Close());
  }

  std::vector<std::uint64_t> QuerySeqs(const Query& q, QueryOptions options = {}) {
    std::vector<std::uint64_t> seqs;
    auto cursor = QueryCursor::Open(dir_.path(), q, options);
    EXPECT_OK(cursor.status());
    if (!cursor.ok()) return seqs;
    Record r;
    for (;;) {
      auto more = (*cursor)->Next(&r);
      EXPECT_OK(more.status());
      if (!more.ok() || !*more) break;
      seqs.push_back(r.seq);
    }
    return seqs;
  }

  VerifyReport RunVerify() {
    auto r = Verify(dir_.path());
    EXPECT_OK(r.status());
    return r.ok() ? *r : VerifyReport{};
  }

  ScratchDir dir_;
};

// ---- case 3: manifest timestamps ---------------------------------------------------------

TEST_F(HostileReadersTest, EditedManifestTimestampsHideNoRecordAndAreAFinding) {
  WriteThreeSegments();
  ASSERT_TRUE(RunVerify().intact());
  json m = LoadManifestJson();
  for (json& e : m["segments"]) {
    e["first_timestamp"] = "2000-01-01T00:00:00.000000Z";
    e["last_timestamp"] = "2000-01-01T00:00:01.000000Z";
  }
  SaveManifestJson(m);

  // The readers go by the records' own timestamps.
  EXPECT_EQ(
      QuerySeqs({.start_time = MicrosToTime(TestTime(3)), .end_time = MicrosToTime(TestTime(5))}),
      (std::vector<std::uint64_t>{4, 5, 6}));
  EXPECT_EQ(QuerySeqs({.start_time = MicrosToTime(TestTime(7))}),
            (std::vector<std::uint64_t>{8, 9}));
  EXPECT_EQ(QuerySeqs({.end_time = MicrosToTime(TestTime(1))}), (std::vector<std::uint64_t>{1, 2}));

  // Verify names each edited entry and field.
  const VerifyReport r = RunVerify();
  const auto segments = testing::SegmentFiles(dir_.path());
  ASSERT_EQ(segments.size(), 3u);
  for (const fs::path& seg : segments) {
    const std::string name = seg.filename().string();
    EXPECT_NE(FindingAbout(r, FindingKind::kManifestMismatch, name, "first_timestamp"), nullptr)
        << Describe(r);
    EXPECT_NE(FindingAbout(r, FindingKind::kManifestMismatch, name, "last_timestamp"), nullptr)
        << Describe(r);
  }

  // The export finds the records too.
  const testing::CliResult cli = testing::RunCli(
      AUDITLOG_CLI_PATH, {"export", dir_.path().string(), "--customer", "cust-1", "--since",
                          "2026-11-27T00:00:03Z", "--until", "2026-11-27T00:00:05Z"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  const json out = json::parse(cli.out);
  EXPECT_EQ(out["records"].size(), 3u);
  EXPECT_EQ(out["verification"]["chain_verified"], true);
}

TEST_F(HostileReadersTest, VerifyNamesEveryManifestFieldThatDoesNotDescribeItsSegment) {
  const std::string other_hash(64, 'a');
  // Each edit keeps the manifest consistent in itself (Manifest::Parse refuses an entry whose
  // record count does not fit its seq range, or whose seqs overlap the next entry's), so only
  // the comparison with the file can catch it.
  const std::vector<std::pair<std::string, json>> edits = {
      {"first_seq", {{"first_seq", 2}, {"records", 2}}},
      {"last_seq", {{"last_seq", 2}, {"records", 2}}},
      {"records", {{"records", 2}}},
      {"first_hash", {{"first_hash", other_hash}}},
      {"last_hash", {{"last_hash", other_hash}}},
      {"bytes", {{"bytes", 7}}},
      {"first_timestamp", {{"first_timestamp", "2026-11-27T00:00:00.500000Z"}}},
      {"last_timestamp", {{"last_timestamp", "2026-11-27T00:00:01.500000Z"}}},
  };
  for (const auto& [field, patch] : edits) {
    SCOPED_TRACE(field);
    fs::remove_all(dir_.path());
    fs::create_directories(dir_.path());
    WriteThreeSegments();
    json m = LoadManifestJson();
    ASSERT_EQ(m["segments"][0]["state"], "closed");
    for (const auto& [member, value] : patch.items()) m["segments"][0][member] = value;
    SaveManifestJson(m);
    const VerifyReport r = RunVerify();
    const std::string name = testing::SegmentFiles(dir_.path())[0].filename().string();
    const Finding* f = FindingAbout(r, FindingKind::kManifestMismatch, name, field + " (manifest");
    EXPECT_NE(f, nullptr) << Describe(r);
    EXPECT_TRUE(r.tampered());
  }
}

TEST_F(HostileReadersTest, ActiveEntryMayLagBehindButNotContradictItsFile) {
  ASSERT_OK(testing::WriteTestLog(dir_.path(), {Inference("c", 1), Inference("c", 2)}, "queen",
                                  TestTime(0), 0, /*clean_close=*/false));
  json m = LoadManifestJson();
  ASSERT_EQ(m["segments"].back()["state"], "active");
  ASSERT_TRUE(RunVerify().intact()) << Describe(RunVerify());
  // More records than the file holds (consistent in itself, so the manifest parses).
  json& active = m["segments"].back();
  active["records"] = 5;
  active["first_seq"] = 1;
  active["last_seq"] = 5;
  active["first_hash"] = std::string(64, 'a');
  active["last_hash"] = std::string(64, 'b');
  active["first_timestamp"] = "2000-01-01T00:00:00.000000Z";
  SaveManifestJson(m);
  const VerifyReport r = RunVerify();
  const std::string name = testing::SegmentFiles(dir_.path()).back().filename().string();
  EXPECT_NE(FindingAbout(r, FindingKind::kManifestMismatch, name, "records (manifest 5"), nullptr)
      << Describe(r);
  EXPECT_NE(FindingAbout(r, FindingKind::kManifestMismatch, name, "first_timestamp"), nullptr)
      << Describe(r);
}

// After a clock step back, a time range is no longer one contiguous run of seqs: the export
// must not call records verified that the ranged verification did not read.
TEST_F(HostileReadersTest, ExportNeverStatesVerifiedAboutRecordsItDidNotVerify) {
  {
    ASSERT_OK_AND_ASSIGN(auto log, LogBuilder::Open(dir_.path()));
    for (int i = 0; i < 5; ++i) ASSERT_OK(log->Add(Inference("c1", i), TestTime(100 + i)).status());
    ASSERT_OK(log->Rotate());  // the clock stepped back 100 s
    for (int i = 0; i < 5; ++i) ASSERT_OK(log->Add(Inference("c1", i), TestTime(i)).status());
    ASSERT_OK(log->Close());
  }
  const testing::CliResult cli =
      testing::RunCli(AUDITLOG_CLI_PATH, {"export", dir_.path().string(), "--customer", "c1",
                                          "--since", FormatTime(MicrosToTime(TestTime(2))),
                                          "--until", FormatTime(MicrosToTime(TestTime(102)))});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  const json out = json::parse(cli.out);
  ASSERT_EQ(out["records"].size(), 6u);  // seq 1-3 and 8-10
  const json& v = out["verification"];
  ASSERT_EQ(v["chain_verified"], true) << v.dump();
  EXPECT_EQ(v["unverified_records"], 0);
  for (const json& rec : out["records"]) {
    EXPECT_GE(rec["seq"].get<std::uint64_t>(), v["first_seq"].get<std::uint64_t>());
    EXPECT_LE(rec["seq"].get<std::uint64_t>(), v["last_seq"].get<std::uint64_t>());
  }
  EXPECT_EQ(v["scope"], "log");
}

// ---- case 7: clock steps -----------------------------------------------------------------

class ClockStepTest : public HostileReadersTest {
 protected:
  Config MakeConfig() {
    Config config;
    config.service_id = "svc";
    config.mode = LocalMode{dir_.path()};
    config.env = &clock_;
    // The clock jumps a year ahead: keep retention from archiving (not what is tested here).
    config.retention.archive_after_days = 3650;
    return config;
  }
  // The records of the log, with the segment each is in.
  std::vector<Record> AllRecords() {
    std::vector<Record> out;
    auto cursor = QueryCursor::Open(dir_.path(), {});
    EXPECT_OK(cursor.status());
    if (!cursor.ok()) return out;
    Record r;
    for (;;) {
      auto more = (*cursor)->Next(&r);
      EXPECT_OK(more.status());
      if (!more.ok() || !*more) break;
      out.push_back(r);
    }
    return out;
  }
  static std::int64_t N(const Record& r) {
    const json e = json::parse(r.event_json);
    return e.contains("n") ? e["n"].get<std::int64_t>() : -1;
  }

  static constexpr std::int64_t kT0 = FakeClockEnv::kDefaultWallMicros;
  FakeClockEnv clock_;
};

TEST_F(ClockStepTest, AFutureDatedRecordDoesNotStampTheRecordsAfterIt) {
  ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(MakeConfig()));
  ASSERT_OK(logger->EmitDurable(testing::NumberedEvent(0, 1)));
  clock_.SetWallMicros(kT0 + 365 * kDay);  // a forward jump
  ASSERT_OK(logger->EmitDurable(testing::NumberedEvent(0, 2)));
  clock_.Advance(std::chrono::seconds(2));
  clock_.SetWallMicros(kT0 + 2 * kSecond);  // and back to the real time
  ASSERT_OK(logger->EmitDurable(testing::NumberedEvent(0, 3)));
  clock_.Advance(std::chrono::seconds(1));
  ASSERT_OK(logger->EmitDurable(testing::NumberedEvent(0, 4)));
  ASSERT_OK(logger->Shutdown());

  const std::vector<Record> records = AllRecords();
  ASSERT_EQ(records.size(), 6u);
  EXPECT_EQ(N(records[0]), 1);
  EXPECT_EQ(records[0].ts_micros, kT0);
  EXPECT_EQ(records[1].event_type, "clock_stepped");
  EXPECT_TRUE(records[1].critical);
  EXPECT_NE(records[1].event_json.find("\"direction\":\"forward\""), std::string::npos);
  EXPECT_EQ(N(records[2]), 2);
  EXPECT_EQ(records[2].ts_micros, kT0 + 365 * kDay);
  EXPECT_EQ(records[3].event_type, "clock_stepped");
  EXPECT_TRUE(records[3].critical);
  EXPECT_NE(records[3].event_json.find("\"direction\":\"backward\""), std::string::npos);
  EXPECT_NE(records[3].event_json.find("\"from\":\"2027-01-01T12:00:02.000000Z\""),
            std::string::npos)
      << records[3].event_json;
  EXPECT_EQ(N(records[4]), 3);
  EXPECT_EQ(records[4].ts_micros, kT0 + 2 * kSecond);  // the real time, not the jump's
  EXPECT_EQ(N(records[5]), 4);
  EXPECT_EQ(records[5].ts_micros, kT0 + 3 * kSecond);
  // Timestamps stay non-decreasing within each segment: the step back started a new one.
  EXPECT_NE(records[3].segment, records[2].segment);
  EXPECT_EQ(records[4].segment, records[3].segment);

  const VerifyReport v = RunVerify();
  EXPECT_TRUE(v.intact()) << Describe(v);
  // A range query finds the later events at their real time.
  std::vector<std::uint64_t> seqs =
      QuerySeqs({.start_time = MicrosToTime(kT0), .end_time = MicrosToTime(kT0 + 3600 * kSecond)});
  EXPECT_EQ(seqs, (std::vector<std::uint64_t>{records[0].seq, records[3].seq, records[4].seq,
                                              records[5].seq}));
  // The jump and the record stamped during it.
  seqs = QuerySeqs({.start_time = MicrosToTime(kT0 + 300 * kDay)});
  EXPECT_EQ(seqs, (std::vector<std::uint64_t>{records[1].seq, records[2].seq}));
}

TEST_F(ClockStepTest, ASmallStepBackIsClampedWithinTheSegment) {
  ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(MakeConfig()));
  ASSERT_OK(logger->EmitDurable(testing::NumberedEvent(0, 1)));
  clock_.SetWallMicros(kT0 - kSecond / 2);
  ASSERT_OK(logger->EmitDurable(testing::NumberedEvent(0, 2)));
  ASSERT_OK(logger->Shutdown());
  const std::vector<Record> records = AllRecords();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].ts_micros, kT0);  // clamped
  EXPECT_EQ(records[1].segment, records[0].segment);
  EXPECT_TRUE(RunVerify().intact());
}

TEST_F(ClockStepTest, ANewProcessDoesNotInheritAFutureDatedLastRecord) {
  {
    ASSERT_OK_AND_ASSIGN(auto log, LogBuilder::Open(dir_.path(), "svc"));
    ASSERT_OK(log->Add(testing::NumberedEvent(0, 1), kT0 + 365 * kDay).status());
    ASSERT_OK(log->Close());
  }
  ASSERT_OK_AND_ASSIGN(auto logger, Logger::Open(MakeConfig()));
  ASSERT_OK(logger->EmitDurable(testing::NumberedEvent(0, 2)));
  ASSERT_OK(logger->Shutdown());
  const std::vector<Record> records = AllRecords();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1].event_type, "clock_stepped");
  EXPECT_NE(records[1].event_json.find("\"detected\":\"at_open\""), std::string::npos);
  EXPECT_EQ(records[1].ts_micros, kT0);
  EXPECT_EQ(N(records[2]), 2);
  EXPECT_EQ(records[2].ts_micros, kT0);
  EXPECT_TRUE(RunVerify().intact()) << Describe(RunVerify());
}

TEST_F(ClockStepTest, VerifyReportsTimestampsThatDecreaseWithinASegment) {
  {
    ASSERT_OK_AND_ASSIGN(auto log, LogBuilder::Open(dir_.path()));
    ASSERT_OK(log->Add(testing::NumberedEvent(0, 1), TestTime(10)).status());
    ASSERT_OK(log->Add(testing::NumberedEvent(0, 2), TestTime(5)).status());
    ASSERT_OK(log->Close());
  }
  const VerifyReport r = RunVerify();
  const std::string name = testing::SegmentFiles(dir_.path())[0].filename().string();
  const Finding* f = FindingAbout(r, FindingKind::kBadSegment, name, "timestamps decrease");
  ASSERT_NE(f, nullptr) << Describe(r);
  EXPECT_EQ(f->seq, 2u);
  EXPECT_TRUE(r.tampered());
  // Readers do not skip such a segment by its ends.
  EXPECT_EQ(
      QuerySeqs({.start_time = MicrosToTime(TestTime(4)), .end_time = MicrosToTime(TestTime(6))}),
      (std::vector<std::uint64_t>{2}));
}

// ---- case 16: a deleted quarantine file ----------------------------------------------------

TEST_F(HostileReadersTest, DeletedQuarantineFileIsReported) {
  ASSERT_OK(testing::WriteTestLog(dir_.path(), {Inference("c", 1), Inference("c", 2)}, "queen",
                                  TestTime(0), 0, /*clean_close=*/false));
  const fs::path seg = testing::SegmentFiles(dir_.path()).back();
  testing::WriteFile(seg, testing::ReadFile(seg) + "{\"v\":1,\"seq\":3,\"aud");  // torn
  {
    ASSERT_OK_AND_ASSIGN(auto log, LogBuilder::Open(dir_.path()));  // recovers
    ASSERT_OK(log->Close());
  }
  ASSERT_TRUE(RunVerify().intact()) << Describe(RunVerify());
  std::string quarantine;
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    const std::string name = entry.path().filename().string();
    if (name.find(".torn-") != std::string::npos) quarantine = name;
  }
  ASSERT_FALSE(quarantine.empty());
  fs::remove(dir_.path() / quarantine);
  const VerifyReport r = RunVerify();
  const Finding* f = FindingAbout(r, FindingKind::kChecksumMismatch, quarantine, "missing");
  ASSERT_NE(f, nullptr) << Describe(r);
  EXPECT_TRUE(f->seq.has_value());
  EXPECT_TRUE(r.tampered());
}

}  // namespace
}  // namespace auditlog
