// Storage lifecycle at the RecordWriter level: rotation, the chain across segments and
// restarts, segment naming, the directory lock, torn-tail recovery, the manifest and its
// checksums, and retention with an injected clock.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "auditlog/query.h"
#include "auditlog/verify.h"
#include "format/manifest.h"
#include "format/record_format.h"
#include "read/line_reader.h"
#include "storage/record_writer.h"
#include "storage/zstd_file.h"
#include "test_util.h"
#include "util/sha256.h"

namespace auditlog::internal {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::ReadLines;
using testing::ScratchDir;
using testing::SegmentFiles;

constexpr std::int64_t kDay = 86400LL * 1000000;
// 2026-11-27T23:59:00Z
constexpr std::int64_t kBeforeMidnight = 1795823940LL * 1000000;

// Posix env with a settable wall clock.
class ClockEnv : public EnvWrapper {
 public:
  ClockEnv() : EnvWrapper(Env::Default()) {}
  std::int64_t NowMicros() override { return now_; }
  void Set(std::int64_t micros) { now_ = micros; }
  void Advance(std::int64_t micros) { now_ += micros; }

 private:
  std::int64_t now_ = kBeforeMidnight;
};

class StorageTest : public ::testing::Test {
 protected:
  RecordWriter::Options Options() {
    RecordWriter::Options o;
    o.env = &env_;
    o.dir = dir_.path();
    o.service_id = "svc";
    return o;
  }

  // Frames, writes and syncs `n` task_completed records.
  void Append(RecordWriter* w, int n) {
    std::string batch;
    for (int i = 0; i < n; ++i) {
      EncodedEvent e;
      std::string task_id = std::to_string(counter_++);  // (not "t" + …: GCC 12 -Wrestrict bug)
      task_id.insert(0, "t");
      ASSERT_OK(
          EncodeEvent(TaskCompleted{.task_id = task_id, .worker_id = "w1"}, EncodeOptions{}, &e));
      w->Frame(env_.NowMicros(), e, &batch);
    }
    ASSERT_OK(w->Write(batch));
    ASSERT_OK(w->Sync());
  }

  VerifyReport VerifyLog() {
    auto r = Verify(dir_.path());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : VerifyReport{};
  }

  Manifest LoadedManifest() {
    auto m = LoadManifest(&env_, dir_.path());
    EXPECT_TRUE(m.ok() && m->has_value());
    return m.ok() && m->has_value() ? **m : Manifest{};
  }

  ClockEnv env_;
  ScratchDir dir_;
  int counter_ = 0;
};

TEST_F(StorageTest, SizeRotationKeepsTheChainAcrossSegments) {
  auto o = Options();
  o.rotation = RotationPolicy::SizeLimit(2000);
  ASSERT_OK_AND_ASSIGN(auto w, RecordWriter::Open(o));
  for (int i = 0; i < 30; ++i) {
    Append(w.get(), 1);
    if (w->RotationDue(env_.NowMicros())) {
      ASSERT_OK(w->Rotate());
    }
  }
  ASSERT_OK(w->Close());
  const auto segments = SegmentFiles(dir_.path());
  EXPECT_GT(segments.size(), 3u);
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    EXPECT_LT(fs::file_size(segments[i]), 2000u + 400u) << segments[i];
  }
  const VerifyReport r = VerifyLog();
  EXPECT_TRUE(r.intact());
  EXPECT_EQ(r.records, 30u);
  // The first record of each later segment links to the last record of the one before.
  for (std::size_t i = 1; i < segments.size(); ++i) {
    const auto prev = ReadLines(segments[i - 1]);
    const auto cur = ReadLines(segments[i]);
    if (prev.empty() || cur.empty()) continue;
    const std::string prev_hash = prev.back().substr(prev.back().size() - 66, 64);
    EXPECT_NE(cur.front().find("\"prev_hash\":\"" + prev_hash + "\""), std::string::npos);
  }
}

TEST_F(StorageTest, DailyRotationPutsTheFirstEventAfterMidnightInANewSegment) {
  auto o = Options();
  o.rotation = RotationPolicy::Daily();
  ASSERT_OK_AND_ASSIGN(auto w, RecordWriter::Open(o));
  Append(w.get(), 2);
  EXPECT_FALSE(w->RotationDue(env_.NowMicros()));
  env_.Advance(61LL * 1000000);  // 00:00:01 the next day
  ASSERT_TRUE(w->RotationDue(env_.NowMicros()));
  ASSERT_OK(w->Rotate());
  Append(w.get(), 1);
  ASSERT_OK(w->Close());
  const auto segments = SegmentFiles(dir_.path());
  ASSERT_EQ(segments.size(), 2u);
  EXPECT_NE(segments[0].filename().string().find("2026-11-27"), std::string::npos);
  EXPECT_NE(segments[1].filename().string().find("2026-11-28"), std::string::npos);
  const auto day2 = ReadLines(segments[1]);
  ASSERT_EQ(day2.size(), 1u);
  EXPECT_NE(day2[0].find("\"timestamp\":\"2026-11-28T00:00:01"), std::string::npos);
  EXPECT_TRUE(VerifyLog().intact());
}

TEST_F(StorageTest, SeqAndChainContinueAcrossRestarts) {
  for (int run = 0; run < 3; ++run) {
    ASSERT_OK_AND_ASSIGN(auto w, RecordWriter::Open(Options()));
    EXPECT_EQ(w->next_seq(), static_cast<std::uint64_t>(run * 5 + 1));
    Append(w.get(), 5);
    ASSERT_OK(w->Close());
  }
  const VerifyReport r = VerifyLog();
  EXPECT_TRUE(r.intact());
  EXPECT_EQ(r.records, 15u);
  EXPECT_EQ(r.segments, 3u);
}

TEST_F(StorageTest, SegmentNamesSortInLogOrderPastThousands) {
  for (std::uint64_t index : {1ull, 9ull, 10ull, 99ull, 100ull, 999ull, 1000ull, 12345ull}) {
    const std::string a = SegmentFileName(index, kBeforeMidnight);
    const std::string b = SegmentFileName(index + 1, kBeforeMidnight - 5 * kDay);
    EXPECT_LT(a, b) << a << " vs " << b;
    EXPECT_EQ(ParseSegmentFileName(a), index);
  }
  auto o = Options();
  o.rotation = RotationPolicy::SizeLimit(1);
  ASSERT_OK_AND_ASSIGN(auto w, RecordWriter::Open(o));
  for (int i = 0; i < 120; ++i) {
    Append(w.get(), 1);
    ASSERT_OK(w->Rotate());
  }
  ASSERT_OK(w->Close());
  const auto segments = SegmentFiles(dir_.path());  // sorted by name
  ASSERT_EQ(segments.size(), 121u);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    EXPECT_EQ(ParseSegmentFileName(segments[i].filename().string()), i + 1);
  }
  EXPECT_TRUE(VerifyLog().intact());
}

TEST_F(StorageTest, SecondWriterOnTheSameDirectoryFailsNamingTheHolder) {
  ASSERT_OK_AND_ASSIGN(auto w, RecordWriter::Open(Options()));
  auto second = RecordWriter::Open(Options());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("locked by process " + std::to_string(::getpid())),
            std::string::npos)
      << second.status().message();
  ASSERT_OK(w->Close());
  w.reset();
  EXPECT_OK(RecordWriter::Open(Options()).status());  // released with the first writer
}

TEST_F(StorageTest, TornTailIsQuarantinedAndRecordedNotDropped) {
  {
    ASSERT_OK_AND_ASSIGN(auto w, RecordWriter::Open(Options()));
    Append(w.get(), 3);
    ASSERT_OK(w->Sync());
    // Simulate a crash mid-write: half a record after the last complete line, no Close.
    const fs::path seg = w->segment_path();
    w.reset();
    std::ofstream(seg, std::ios::app) << "{\"v\":1,\"seq\":4,\"audit_id\":\"svc-4\",\"times";
  }
  const fs::path seg = SegmentFiles(dir_.path()).back();
  const std::string torn = "{\"v\":1,\"seq\":4,\"audit_id\":\"svc-4\",\"times";
  const std::uint64_t offset = fs::file_size(seg) - torn.size();
  EXPECT_TRUE(VerifyLog().torn_tail());

  ASSERT_OK_AND_ASSIGN(auto w, RecordWriter::Open(Options()));
  EXPECT_EQ(w->next_seq(), 5u);  // seq 4 went to the log_recovered record
  Append(w.get(), 1);
  ASSERT_OK(w->Close());

  const fs::path quarantine = seg.string() + ".torn-" + std::to_string(offset);
  ASSERT_TRUE(fs::exists(quarantine));
  EXPECT_EQ(ReadFile(quarantine), torn);
  EXPECT_EQ(fs::file_size(seg), offset);
  const auto recovered = ReadLines(SegmentFiles(dir_.path()).back());
  ASSERT_FALSE(recovered.empty());
  const auto j = nlohmann::json::parse(recovered.front());
  EXPECT_EQ(j["critical"], true);
  EXPECT_EQ(j["event"]["event_type"], "log_recovered");
  EXPECT_EQ(j["event"]["offset"], offset);
  EXPECT_EQ(j["event"]["length"], torn.size());
  EXPECT_EQ(j["event"]["sha256"], Sha256Hex(torn));
  EXPECT_EQ(j["event"]["quarantine_file"], quarantine.filename().string());
  const VerifyReport r = VerifyLog();
  EXPECT_TRUE(r.intact());
  EXPECT_EQ(r.records, 5u);
}

TEST_F(StorageTest, LargeTornTailIsQuarantinedWhole) {
  std::uint64_t offset = 0;
  {
    ASSERT_OK_AND_ASSIGN(auto w, RecordWriter::Open(Options()));
    Append(w.get(), 300);  // > 64 KiB of records before the tail
    offset = fs::file_size(w->segment_path());
  }
  const fs::path seg = SegmentFiles(dir_.path()).back();
  const std::string torn(200 * 1024, 'x');  // larger than the first tail window
  std::ofstream(seg, std::ios::app) << torn;
  ASSERT_OK_AND_ASSIGN(auto w, RecordWriter::Open(Options()));
  EXPECT_EQ(w->next_seq(), 302u);  // 300 records, then the log_recovered record
  ASSERT_OK(w->Close());
  EXPECT_EQ(ReadFile(seg.string() + ".torn-" + std::to_string(offset)), torn);
  EXPECT_TRUE(VerifyLog().intact());
}

TEST_F(StorageTest, ManifestDescribesClosedSegmentsWithChecksums) {
  auto o = Options();
  ASSERT_OK_AND_ASSIGN(auto w, RecordWriter::Open(o));
  Append(w.get(), 4);
  ASSERT_OK(w->Rotate());
  Append(w.get(), 2);
  ASSERT_OK(w->Close());
  const Manifest m = LoadedManifest();
  EXPECT_TRUE(m.clean_shutdown);
  ASSERT_EQ(m.segments.size(), 2u);
  const auto files = SegmentFiles(dir_.path());
  for (std::size_t i = 0; i < 2; ++i) {
    const SegmentEntry& e = m.segments[i];
    EXPECT_EQ(e.name, files[i].filename().string());
    EXPECT_EQ(e.state, SegmentState::kClosed);
    const std::string contents = ReadFile(files[i]);
    EXPECT_EQ(e.sha256, Sha256Hex(contents));
    EXPECT_EQ(e.bytes, contents.size());
    EXPECT_EQ(ReadFile(files[i].string() + ".sha256"), e.sha256 + "  " + e.name + "\n");
    const auto lines = ReadLines(files[i]);
    EXPECT_EQ(e.records, lines.size());
    EXPECT_EQ(e.last_hash, lines.back().substr(lines.back().size() - 66, 64));
  }
  EXPECT_EQ(m.segments[0].first_seq, 1u);
  EXPECT_EQ(m.segments[0].last_seq, 4u);
  EXPECT_EQ(m.segments[1].first_seq, 5u);
  EXPECT_EQ(m.segments[1].last_seq, 6u);
}

TEST_F(StorageTest, ManifestTimeRangesLetQueriesSkipSegmentsUnread) {
  {
    ASSERT_OK_AND_ASSIGN(auto w, RecordWriter::Open(Options()));
    for (int day = 0; day < 3; ++day) {
      Append(w.get(), 2);
      ASSERT_OK(w->Rotate());
      env_.Advance(kDay);
    }
    ASSERT_OK(w->Close());
  }
  ASSERT_OK_AND_ASSIGN(auto segments, ListLogSegments(&env_, dir_.path()));
  ASSERT_GE(segments.size(), 3u);
  const Manifest m = LoadedManifest();
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(m.segments[i].first_ts_micros, kBeforeMidnight + static_cast<std::int64_t>(i) * kDay);
    // Readers take the range from the segment's own records, not from the manifest
    // (issue 8 case 3); both agree on an untouched log.
    ASSERT_OK_AND_ASSIGN(auto range, PeekTimeRange(&env_, segments[i]));
    ASSERT_TRUE(range.has_value());
    EXPECT_EQ(range->first_micros, m.segments[i].first_ts_micros);
    EXPECT_EQ(range->last_micros, m.segments[i].last_ts_micros);
  }
  // Only the third day: the first two segments are skipped after a peek at their ends.
  Query q;
  q.start_time = Time(std::chrono::microseconds(kBeforeMidnight + 2 * kDay));
  ASSERT_OK_AND_ASSIGN(auto cursor, QueryCursor::Open(dir_.path(), q, {.env = &env_}));
  Record r;
  int matched = 0;
  for (;;) {
    ASSERT_OK_AND_ASSIGN(bool more, cursor->Next(&r));
    if (!more) break;
    ++matched;
  }
  EXPECT_EQ(matched, 2);
  EXPECT_EQ(cursor->segments_skipped(), 2u);
}

TEST_F(StorageTest, SegmentLeftOpenByACrashIsClosedAtTheNextOpen) {
  {
    ASSERT_OK_AND_ASSIGN(auto w, RecordWriter::Open(Options()));
    Append(w.get(), 3);
    // no Close: the process "crashed"
  }
  EXPECT_FALSE(LoadedManifest().clean_shutdown);
  ASSERT_OK_AND_ASSIGN(auto w, RecordWriter::Open(Options()));
  const SegmentEntry& first = w->manifest().segments.front();
  EXPECT_EQ(first.state, SegmentState::kClosed);
  EXPECT_EQ(first.records, 3u);
  EXPECT_EQ(first.sha256, Sha256Hex(ReadFile(SegmentFiles(dir_.path()).front())));
  ASSERT_OK(w->Close());
}

TEST_F(StorageTest, RetentionArchivesThenDeletesHonouringTheMinimum) {
  {
    ASSERT_OK_AND_ASSIGN(auto w, RecordWriter::Open(Options()));
    for (int i = 0; i < 4; ++i) {
      Append(w.get(), 3);
      ASSERT_OK(w->Rotate());
      env_.Advance(30 * kDay);
    }
    ASSERT_OK(w->Close());
  }
  // Segments were closed at day 0, 30, 60, 90; the last (empty) one at day 120.
  const RetentionPolicy policy{
      .min_retention_days = 100, .archive_after_days = 50, .delete_after_days = 80};
  auto plan = PlanRetention(LoadedManifest(), policy, env_.NowMicros());
  // Ages: 120, 90, 60, 30, 0 days. Delete needs >= max(80, 100) = 100 days: only the first.
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0].kind, RetentionAction::kDelete);
  EXPECT_EQ(plan[0].age_days, 120u);
  EXPECT_EQ(plan[1].kind, RetentionAction::kArchive);
  EXPECT_EQ(plan[2].kind, RetentionAction::kArchive);

  ASSERT_OK_AND_ASSIGN(auto w, RecordWriter::Open(Options()));
  std::vector<internal::LibraryEvent> records;
  ASSERT_OK(w->ApplyRetention(policy, env_.NowMicros(), &records));
  std::string batch;
  for (const auto& e : records) ASSERT_OK(w->FrameSystemEvent(env_.NowMicros(), e, &batch));
  ASSERT_OK(w->Write(batch));
  ASSERT_OK(w->Close());

  const Manifest m = LoadedManifest();
  EXPECT_EQ(m.segments[0].state, SegmentState::kDeleted);
  EXPECT_EQ(m.segments[0].last_seq, 3u);
  EXPECT_EQ(m.segments[1].state, SegmentState::kArchived);
  EXPECT_EQ(m.segments[2].state, SegmentState::kArchived);
  EXPECT_EQ(m.segments[3].state, SegmentState::kClosed);
  EXPECT_FALSE(fs::exists(dir_.path() / m.segments[0].name));
  EXPECT_FALSE(fs::exists(dir_.path() / m.segments[1].name));
  ASSERT_TRUE(fs::exists(dir_.path() / m.segments[1].archive_name));

  // The archive decompresses to exactly the bytes the checksum covers.
  auto z = OpenCompressedFile(&env_, dir_.path() / m.segments[1].archive_name);
  ASSERT_OK(z.status());
  std::string data;
  ASSERT_OK((*z)->Read(0, 1 << 20, &data));
  EXPECT_EQ(Sha256Hex(data), m.segments[1].sha256);

  // Every action is itself an audit record.
  const auto lines = ReadLines(SegmentFiles(dir_.path()).back());
  int archived = 0, deleted = 0;
  for (const auto& l : lines) {
    const auto j = nlohmann::json::parse(l);
    archived += j["event"]["event_type"] == "segment_archived";
    deleted += j["event"]["event_type"] == "segment_deleted";
  }
  EXPECT_EQ(archived, 2);
  EXPECT_EQ(deleted, 1);
}

TEST_F(StorageTest, RetentionNeverDeletesBeforeTheMinimumRetention) {
  {
    ASSERT_OK_AND_ASSIGN(auto w, RecordWriter::Open(Options()));
    Append(w.get(), 2);
    ASSERT_OK(w->Close());
  }
  env_.Advance(400 * kDay);
  const RetentionPolicy policy{
      .min_retention_days = 2555, .archive_after_days = 90, .delete_after_days = 30};
  auto plan = PlanRetention(LoadedManifest(), policy, env_.NowMicros());
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].kind, RetentionAction::kArchive);
}

TEST_F(StorageTest, RetentionRefusesToArchiveATamperedSegment) {
  {
    ASSERT_OK_AND_ASSIGN(auto w, RecordWriter::Open(Options()));
    Append(w.get(), 2);
    ASSERT_OK(w->Close());
  }
  const fs::path seg = SegmentFiles(dir_.path()).front();
  std::string contents = ReadFile(seg);
  contents[10] = contents[10] == '1' ? '2' : '1';
  testing::WriteFile(seg, contents);
  env_.Advance(100 * kDay);
  ASSERT_OK_AND_ASSIGN(auto w, RecordWriter::Open(Options()));
  std::vector<internal::LibraryEvent> records;
  const Status s = w->ApplyRetention(RetentionPolicy{}, env_.NowMicros(), &records);
  EXPECT_TRUE(records.empty());
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_TRUE(fs::exists(seg));
  EXPECT_FALSE(fs::exists(seg.string() + ".zst"));
}

// ---- Verify against the manifest ---------------------------------------------------------

class ManifestVerifyTest : public StorageTest {
 protected:
  // Three closed segments of 3 records each, cleanly shut down.
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(auto w, RecordWriter::Open(Options()));
    for (int i = 0; i < 3; ++i) {
      Append(w.get(), 3);
      if (i < 2) {
        ASSERT_OK(w->Rotate());
      }
    }
    ASSERT_OK(w->Close());
    segments_ = SegmentFiles(dir_.path());
    ASSERT_EQ(segments_.size(), 3u);
    ASSERT_TRUE(VerifyLog().intact());
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

  std::vector<fs::path> segments_;
};

TEST_F(ManifestVerifyTest, MissingSegmentIsReported) {
  fs::remove(segments_[1]);
  const VerifyReport r = VerifyLog();
  EXPECT_TRUE(Has(r, FindingKind::kSegmentMissing, Name(1))) << Describe(r);
}

TEST_F(ManifestVerifyTest, ExtraSegmentIsReported) {
  const std::string extra = SegmentFileName(7, kBeforeMidnight);
  fs::copy_file(segments_[2], dir_.path() / extra);
  const VerifyReport r = VerifyLog();
  EXPECT_TRUE(Has(r, FindingKind::kSegmentUnexpected, extra)) << Describe(r);
}

TEST_F(ManifestVerifyTest, RenamedSegmentIsReportedAsRenamed) {
  const std::string renamed = SegmentFileName(2, kBeforeMidnight + 3 * kDay);  // other date
  fs::rename(segments_[1], dir_.path() / renamed);
  const VerifyReport r = VerifyLog();
  EXPECT_TRUE(Has(r, FindingKind::kSegmentMissing, Name(1))) << Describe(r);
  EXPECT_TRUE(Has(r, FindingKind::kSegmentUnexpected, renamed)) << Describe(r);
  EXPECT_NE(Describe(r).find("renamed"), std::string::npos) << Describe(r);
}

TEST_F(ManifestVerifyTest, ReplacedSegmentWithAValidChainIsReported) {
  // Rebuild segment 2 from scratch with different (correctly chained) records: the line
  // hashes and links all check out, but the manifest's checksum and hashes do not.
  const std::string last_of_first = ReadLines(segments_[0]).back();
  std::string prev = last_of_first.substr(last_of_first.size() - 66, 64);
  std::string rebuilt;
  for (int i = 0; i < 3; ++i) {
    EncodedEvent e;
    ASSERT_OK(
        EncodeEvent(TaskCompleted{.task_id = "forged", .worker_id = "w9"}, EncodeOptions{}, &e));
    char hash[64];
    FrameRecord(4 + i, kBeforeMidnight, "svc", false, e.body, prev, &rebuilt, hash);
    prev.assign(hash, 64);
  }
  testing::WriteFile(segments_[1], rebuilt);
  const VerifyReport r = VerifyLog();
  EXPECT_TRUE(Has(r, FindingKind::kChecksumMismatch, Name(1))) << Describe(r);
  EXPECT_TRUE(Has(r, FindingKind::kManifestMismatch, Name(1))) << Describe(r);
}

TEST_F(ManifestVerifyTest, RecordsMissingAtTheEndOfAClosedSegmentAreReported) {
  auto lines = ReadLines(segments_[0]);
  lines.pop_back();
  testing::WriteLines(segments_[0], lines);
  const VerifyReport r = VerifyLog();
  EXPECT_TRUE(Has(r, FindingKind::kManifestMismatch, Name(0))) << Describe(r);
  EXPECT_NE(Describe(r).find("records missing at the end"), std::string::npos) << Describe(r);
}

TEST_F(ManifestVerifyTest, RecordsMissingAtTheEndOfTheLastSegmentAfterCleanShutdown) {
  // Without the manifest, dropping the newest records would leave a perfect chain.
  auto lines = ReadLines(segments_[2]);
  lines.pop_back();
  testing::WriteLines(segments_[2], lines);
  const VerifyReport r = VerifyLog();
  EXPECT_TRUE(Has(r, FindingKind::kManifestMismatch, Name(2))) << Describe(r);
}

TEST_F(ManifestVerifyTest, TamperedChecksumFileIsReported) {
  testing::WriteFile(segments_[0].string() + ".sha256",
                     std::string(64, 'a') + "  " + Name(0) + "\n");
  const VerifyReport r = VerifyLog();
  EXPECT_TRUE(Has(r, FindingKind::kChecksumMismatch, Name(0) + ".sha256")) << Describe(r);
}

TEST_F(ManifestVerifyTest, MissingManifestIsReported) {
  fs::remove(dir_.path() / "manifest.json");
  const VerifyReport r = VerifyLog();
  EXPECT_TRUE(Has(r, FindingKind::kManifestMismatch, "manifest.json")) << Describe(r);
}

TEST_F(ManifestVerifyTest, UnrecordedQuarantineFileIsReported) {
  const std::string q = Name(2) + ".torn-123";
  testing::WriteFile(dir_.path() / q, "{\"v\":1,\"se");
  const VerifyReport r = VerifyLog();
  EXPECT_TRUE(Has(r, FindingKind::kQuarantineUnrecorded, q)) << Describe(r);
}

TEST_F(ManifestVerifyTest, ArchivedAndDeletedSegmentsStillVerify) {
  env_.Advance(200 * kDay);
  const RetentionPolicy policy{
      .min_retention_days = 150, .archive_after_days = 100, .delete_after_days = 150};
  {
    ASSERT_OK_AND_ASSIGN(auto w, RecordWriter::Open(Options()));
    std::vector<internal::LibraryEvent> records;
    // All three are 200 days old: the policy deletes all three.
    ASSERT_OK(w->ApplyRetention(policy, env_.NowMicros(), &records));
    EXPECT_EQ(records.size(), 3u);
    std::string batch;
    for (const auto& e : records) ASSERT_OK(w->FrameSystemEvent(env_.NowMicros(), e, &batch));
    ASSERT_OK(w->Write(batch));
    ASSERT_OK(w->Close());
  }
  const VerifyReport r = VerifyLog();
  EXPECT_TRUE(r.intact()) << Describe(r);
  EXPECT_EQ(r.anchor_seq, 9u);  // the chain continues from the last deleted record
  EXPECT_EQ(r.first_seq, 10u);
}

TEST_F(ManifestVerifyTest, ArchivedSegmentsVerifyAndATamperedArchiveIsReported) {
  env_.Advance(120 * kDay);
  {
    ASSERT_OK_AND_ASSIGN(auto w, RecordWriter::Open(Options()));
    std::vector<internal::LibraryEvent> records;
    ASSERT_OK(w->ApplyRetention(RetentionPolicy{}, env_.NowMicros(), &records));
    EXPECT_EQ(records.size(), 3u);  // archived, not deleted (2555-day minimum)
    ASSERT_OK(w->Close());
  }
  VerifyReport r = VerifyLog();
  EXPECT_TRUE(r.intact()) << Describe(r);
  EXPECT_EQ(r.records, 9u);
  // Replace an archive with a re-compression of altered contents.
  const fs::path archive = segments_[0].string() + ".zst";
  ASSERT_TRUE(fs::exists(archive));
  auto z = OpenCompressedFile(&env_, archive);
  ASSERT_OK(z.status());
  std::string data;
  ASSERT_OK((*z)->Read(0, 1 << 20, &data));
  data[data.find("w1")] = 'W';
  testing::WriteFile(segments_[0], data);
  fs::remove(archive);
  ASSERT_OK(CompressFile(&env_, segments_[0], archive).status());
  fs::remove(segments_[0]);
  r = VerifyLog();
  EXPECT_TRUE(Has(r, FindingKind::kChecksumMismatch, Name(0))) << Describe(r);
  EXPECT_TRUE(Has(r, FindingKind::kChecksumMismatch, Name(0) + ".zst")) << Describe(r);
  EXPECT_TRUE(r.tampered());
}

}  // namespace
}  // namespace auditlog::internal
