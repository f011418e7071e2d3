// TailCursor (auditlog/tail.h): the last N records across segments, then new records as
// they are appended, across rotations; incomplete and malformed lines; positions.
#include "auditlog/tail.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "auditlog/auditlog.h"
#include "log_builder.h"
#include "test_util.h"

namespace auditlog {
namespace {

namespace fs = std::filesystem;
using testing::LogBuilder;
using testing::ScratchDir;
using testing::TestTime;

class TailCursorTest : public ::testing::Test {
 protected:
  // Seqs 1-3 in one segment, 4-6 in the next.
  void WriteLog() {
    ASSERT_OK_AND_ASSIGN(auto log, LogBuilder::Open(dir_.path()));
    for (int i = 0; i < 6; ++i) {
      if (i == 3) {
        ASSERT_OK(log->Rotate());
      }
      std::string shard = "s";
      shard += std::to_string(i);
      ASSERT_OK(log->Add(SealVerified{.shard_id = shard}, TestTime(i)).status());
    }
    ASSERT_OK(log->Close());
  }
  // Appends seal_verified records in a new segment (LogBuilder starts one per Open).
  void Append(int from, int count, bool rotate_midway = false) {
    ASSERT_OK_AND_ASSIGN(auto log, LogBuilder::Open(dir_.path()));
    for (int i = 0; i < count; ++i) {
      if (rotate_midway && i == count / 2) {
        ASSERT_OK(log->Rotate());
      }
      ASSERT_OK(log->Add(SealVerified{.shard_id = "s"}, TestTime(from + i)).status());
    }
    ASSERT_OK(log->Close());
  }
  // Calls Next() until it returns false; the seqs returned.
  static std::vector<std::uint64_t> Round(TailCursor& tail,
                                          std::vector<Record>* records = nullptr) {
    std::vector<std::uint64_t> seqs;
    Record r;
    for (;;) {
      auto more = tail.Next(&r);
      EXPECT_OK(more.status());
      if (!more.ok() || !*more) return seqs;
      seqs.push_back(r.seq);
      if (records) records->push_back(r);
    }
  }
  using Seqs = std::vector<std::uint64_t>;

  ScratchDir dir_;
};

TEST_F(TailCursorTest, TheLastNRecordsAcrossSegments) {
  WriteLog();
  for (const auto& [n, want] : std::vector<std::pair<std::uint64_t, Seqs>>{
           {4, {3, 4, 5, 6}}, {1, {6}}, {3, {4, 5, 6}}, {10, {1, 2, 3, 4, 5, 6}}, {0, {}}}) {
    ASSERT_OK_AND_ASSIGN(auto tail, TailCursor::Open(dir_.path(), {.last_n = n}));
    EXPECT_EQ(Round(*tail), want) << n;
    EXPECT_EQ(Round(*tail), Seqs{}) << n;  // caught up: nothing new
  }
}

TEST_F(TailCursorTest, RecordsSayWhereTheyAre) {
  WriteLog();
  ASSERT_OK_AND_ASSIGN(auto tail, TailCursor::Open(dir_.path(), {.last_n = 4}));
  std::vector<Record> records;
  Round(*tail, &records);
  ASSERT_EQ(records.size(), 4u);
  const auto segments = testing::SegmentFiles(dir_.path());
  EXPECT_EQ(records[0].segment, segments[0].filename().string());
  EXPECT_EQ(records[0].line_no, 3u);
  EXPECT_EQ(records[1].segment, segments[1].filename().string());
  EXPECT_EQ(records[1].line_no, 1u);
  EXPECT_EQ(records[3].line_no, 3u);
  EXPECT_EQ(records[3].line, testing::ReadLines(segments[1]).back());
  EXPECT_EQ(records[3].event_type, "seal_verified");
  EXPECT_EQ(records[3].hash.size(), 64u);
}

TEST_F(TailCursorTest, PollingPicksUpAppendsAndNewSegmentsInOrder) {
  WriteLog();
  ASSERT_OK_AND_ASSIGN(auto tail, TailCursor::Open(dir_.path(), {.last_n = 1}));
  EXPECT_EQ(Round(*tail), Seqs{6});
  Append(6, 4, /*rotate_midway=*/true);  // two more segments: 7-8, 9-10
  EXPECT_EQ(Round(*tail), (Seqs{7, 8, 9, 10}));
  EXPECT_EQ(Round(*tail), Seqs{});
  Append(10, 1);
  EXPECT_EQ(Round(*tail), Seqs{11});
}

TEST_F(TailCursorTest, StartingAtTheEndReturnsOnlyWhatComesLater) {
  WriteLog();
  ASSERT_OK_AND_ASSIGN(auto tail, TailCursor::Open(dir_.path(), {.last_n = 0}));
  EXPECT_EQ(Round(*tail), Seqs{});
  Append(6, 2);
  EXPECT_EQ(Round(*tail), (Seqs{7, 8}));
}

TEST_F(TailCursorTest, AnEmptyDirectoryIsFollowedFromItsFirstRecord) {
  ASSERT_OK_AND_ASSIGN(auto tail, TailCursor::Open(dir_.path(), {.last_n = 10}));
  EXPECT_EQ(Round(*tail), Seqs{});
  WriteLog();
  EXPECT_EQ(Round(*tail), (Seqs{1, 2, 3, 4, 5, 6}));
}

TEST_F(TailCursorTest, AnIncompleteLineWaitsAndAMalformedOneIsSkippedAndCounted) {
  WriteLog();
  ASSERT_OK_AND_ASSIGN(auto tail, TailCursor::Open(dir_.path(), {.last_n = 1}));
  EXPECT_EQ(Round(*tail), Seqs{6});
  const fs::path last = testing::SegmentFiles(dir_.path()).back();
  const std::string line = testing::ReadLines(last).back();  // a well-formed record line
  {
    std::ofstream out(last, std::ios::app | std::ios::binary);
    out << "not a record\n" << line.substr(0, 40);
  }
  EXPECT_EQ(Round(*tail), Seqs{});
  EXPECT_EQ(tail->malformed_lines(), 1u);
  {
    std::ofstream out(last, std::ios::app | std::ios::binary);
    out << line.substr(40) << "\n";
  }
  std::vector<Record> records;
  EXPECT_EQ(Round(*tail, &records), Seqs{6});  // the copy, now complete
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].line, line);
  EXPECT_EQ(records[0].line_no, 5u);
}

TEST_F(TailCursorTest, AMissingDirectoryIsNotFound) {
  const auto tail = TailCursor::Open(dir_.path() / "missing");
  EXPECT_EQ(tail.status().code(), StatusCode::kNotFound);
}

TEST_F(TailCursorTest, FilesThatAreNotSegmentsAreNeverRead) {
  WriteLog();
  testing::WriteFile(dir_.path() / "0000000099-2026-11-27.audit.bak", "junk\n");
  testing::WriteFile(dir_.path() / "notes.audit", "junk\n");
  ASSERT_OK_AND_ASSIGN(auto tail, TailCursor::Open(dir_.path(), {.last_n = 2}));
  EXPECT_EQ(Round(*tail), (Seqs{5, 6}));
  EXPECT_EQ(tail->malformed_lines(), 0u);
}

}  // namespace
}  // namespace auditlog
