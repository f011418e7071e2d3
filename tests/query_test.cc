// QueryCursor: filters, order, limits, segment skipping, damaged input; ParseTime.
#include "auditlog/query.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "auditlog/auditlog.h"
#include "log_builder.h"
#include "read/line_reader.h"
#include "storage/zstd_file.h"
#include "test_util.h"

namespace auditlog {
namespace {

using testing::LogBuilder;
using testing::ScratchDir;
using testing::TestTime;

class QueryTest : public ::testing::Test {
 protected:
  // Runs `q` over the log and returns the seqs that matched.
  std::vector<std::uint64_t> Seqs(const Query& q) {
    std::vector<std::uint64_t> seqs;
    auto cursor = QueryCursor::Open(dir_.path(), q);
    EXPECT_OK(cursor.status());
    if (!cursor.ok()) return seqs;
    cursor_stats_ = {};
    Record r;
    for (;;) {
      auto more = (*cursor)->Next(&r);
      EXPECT_OK(more.status());
      if (!more.ok() || !*more) break;
      seqs.push_back(r.seq);
    }
    cursor_stats_.skipped = (*cursor)->segments_skipped();
    cursor_stats_.malformed = (*cursor)->malformed_lines();
    cursor_stats_.scanned = (*cursor)->records_scanned();
    return seqs;
  }

  // A small log with one event of each interesting shape, one per second from TestTime(0):
  //  1 auth_success alice           2 auth_failure attempted_user=mallory (critical)
  //  3 authorization_granted bob on pool-7   4 permission_changed subject=carol by alice
  //  5 gdpr_data_access_request cust-1 by dpo   6 inference_executed cust-1 job-9
  //  7 task_submitted alice task-3   8 pool_modified bob pool-7
  void WriteSmallLog() {
    ASSERT_OK_AND_ASSIGN(auto log, LogBuilder::Open(dir_.path()));
    std::int64_t t = 0;
    auto add = [&](Event e) { ASSERT_OK(log->Add(e, TestTime(t++)).status()); };
    add(AuthSuccess{.actor = {.user_id = "alice"}, .path = "/v2", .service_id = "queen"});
    add(AuthFailure{.attempted_user = "mallory", .reason = "bad_password", .ip = "203.0.113.7"});
    add(AuthorizationGranted{.actor = {.user_id = "bob"},
                             .resource = {.resource_type = "pool", .resource_id = "pool-7"},
                             .action = "read"});
    add(PermissionChanged{.actor = {.user_id = "alice"}, .subject = "carol"});
    add(GdprDataAccessRequest{.customer_id = "cust-1", .requester = "dpo"});
    add(InferenceExecuted{.customer_id = "cust-1", .job_id = "job-9", .model_ref = "llama"});
    add(TaskSubmitted{.actor = {.user_id = "alice"}, .task_id = "task-3"});
    add(PoolModified{.actor = {.user_id = "bob"}, .pool_id = "pool-7"});
    ASSERT_OK(log->Close());
  }

  ScratchDir dir_;
  struct {
    std::uint64_t skipped = 0, malformed = 0, scanned = 0;
  } cursor_stats_;
};

using Seq = std::vector<std::uint64_t>;

TEST_F(QueryTest, EmptyQueryReturnsEveryRecordInSeqOrder) {
  WriteSmallLog();
  EXPECT_EQ(Seqs({}), (Seq{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST_F(QueryTest, ActorMatchesUserIdAttemptedUserRequesterAndSubject) {
  WriteSmallLog();
  EXPECT_EQ(Seqs({.actor = "alice"}), (Seq{1, 4, 7}));
  EXPECT_EQ(Seqs({.actor = "mallory"}), (Seq{2}));
  EXPECT_EQ(Seqs({.actor = "dpo"}), (Seq{5}));
  EXPECT_EQ(Seqs({.actor = "carol"}), (Seq{4}));
  EXPECT_EQ(Seqs({.actor = "alic"}), Seq{});  // exact, not substring
}

TEST_F(QueryTest, ResourceMatchesResourceIdAndIdMembers) {
  WriteSmallLog();
  EXPECT_EQ(Seqs({.resource_id = "pool-7"}), (Seq{3, 8}));
  EXPECT_EQ(Seqs({.resource_id = "cust-1"}), (Seq{5, 6}));
  EXPECT_EQ(Seqs({.resource_id = "job-9"}), (Seq{6}));
  EXPECT_EQ(Seqs({.resource_id = "task-3"}), (Seq{7}));
  EXPECT_EQ(Seqs({.resource_id = "queen"}), Seq{});  // service_id is not a resource
}

TEST_F(QueryTest, TypeCriticalAndLimitFiltersCombine) {
  WriteSmallLog();
  EXPECT_EQ(Seqs({.event_types = {"auth_failure", "pool_modified"}}), (Seq{2, 8}));
  EXPECT_EQ(Seqs({.critical_only = true}), (Seq{2}));
  EXPECT_EQ(Seqs({.actor = "alice", .limit = 2}), (Seq{1, 4}));
  EXPECT_EQ(Seqs({.actor = "bob", .event_types = {"pool_modified"}}), (Seq{8}));
}

TEST_F(QueryTest, TimeBoundsAreInclusive) {
  WriteSmallLog();
  EXPECT_EQ(Seqs({.start_time = MicrosToTime(TestTime(2)), .end_time = MicrosToTime(TestTime(4))}),
            (Seq{3, 4, 5}));
  EXPECT_EQ(Seqs({.start_time = MicrosToTime(TestTime(7))}), (Seq{8}));
  EXPECT_EQ(Seqs({.end_time = MicrosToTime(TestTime(0))}), (Seq{1}));
}

TEST_F(QueryTest, RecordExposesEnvelopeAndExactLine) {
  WriteSmallLog();
  ASSERT_OK_AND_ASSIGN(auto cursor, QueryCursor::Open(dir_.path(), {.critical_only = true}));
  Record r;
  ASSERT_OK_AND_ASSIGN(bool more, cursor->Next(&r));
  ASSERT_TRUE(more);
  EXPECT_EQ(r.seq, 2u);
  EXPECT_EQ(r.audit_id, "queen-2");
  EXPECT_EQ(r.timestamp, "2026-11-27T00:00:01.000000Z");
  EXPECT_EQ(r.ts_micros, TestTime(1));
  EXPECT_EQ(r.service_id, "queen");
  EXPECT_TRUE(r.critical);
  EXPECT_EQ(r.event_type, "auth_failure");
  EXPECT_EQ(r.line_no, 2u);
  const auto lines = testing::ReadLines(testing::SegmentFiles(dir_.path())[0]);
  EXPECT_EQ(r.line, lines[1]);
  EXPECT_EQ(r.hash, r.line.substr(r.line.size() - 66, 64));
  EXPECT_NE(r.event_json.find("\"attempted_user\":\"mallory\""), std::string::npos);
  ASSERT_OK_AND_ASSIGN(more, cursor->Next(&r));
  EXPECT_FALSE(more);
}

TEST_F(QueryTest, WalksSegmentsInOrderAndSkipsThoseBeforeTheRange) {
  ASSERT_OK_AND_ASSIGN(auto log, LogBuilder::Open(dir_.path()));
  for (int i = 0; i < 40; ++i) {
    if (i > 0 && i % 10 == 0) {
      ASSERT_OK(log->Rotate());
    }
    ASSERT_OK(log->Add(SealVerified{.shard_id = "s" + std::to_string(i)}, TestTime(i)).status());
  }
  ASSERT_OK(log->Close());
  Seq all;
  for (std::uint64_t s = 1; s <= 40; ++s) all.push_back(s);
  EXPECT_EQ(Seqs({}), all);
  EXPECT_EQ(cursor_stats_.skipped, 0u);

  EXPECT_EQ(
      Seqs({.start_time = MicrosToTime(TestTime(25)), .end_time = MicrosToTime(TestTime(26))}),
      (Seq{26, 27}));
  // Segments 1 and 2 (seq 1-20) end before the range; segment 4 starts after it.
  EXPECT_EQ(cursor_stats_.skipped, 3u);
  EXPECT_EQ(cursor_stats_.scanned, 10u);
  // A bound exactly on a segment's first record keeps the segment before it out, and the
  // record in.
  EXPECT_EQ(Seqs({.start_time = MicrosToTime(TestTime(9)), .limit = 2}), (Seq{10, 11}));
}

TEST_F(QueryTest, ReadsArchivedSegments) {
  ASSERT_OK_AND_ASSIGN(auto log, LogBuilder::Open(dir_.path()));
  ASSERT_OK(log->Add(SealVerified{.shard_id = "a"}, TestTime(0)).status());
  const auto first = log->segment_path();
  ASSERT_OK(log->Rotate());
  ASSERT_OK(log->Add(SealVerified{.shard_id = "b"}, TestTime(1)).status());
  ASSERT_OK(log->Close());
  auto zst = first;
  zst += ".zst";
  ASSERT_OK(internal::CompressFile(Env::Default(), first, zst).status());
  std::filesystem::remove(first);
  EXPECT_EQ(Seqs({}), (Seq{1, 2}));
}

TEST_F(QueryTest, SkipsMalformedLinesAndCountsThem) {
  WriteSmallLog();
  const auto seg = testing::SegmentFiles(dir_.path())[0];
  auto lines = testing::ReadLines(seg);
  lines[2] = "{\"not\":\"a record\"}";
  testing::WriteLines(seg, lines);
  EXPECT_EQ(Seqs({}), (Seq{1, 2, 4, 5, 6, 7, 8}));
  EXPECT_EQ(cursor_stats_.malformed, 1u);
}

TEST_F(QueryTest, IgnoresATornLastLine) {
  WriteSmallLog();
  const auto seg = testing::SegmentFiles(dir_.path())[0];
  testing::WriteFile(seg, testing::ReadFile(seg) + "{\"v\":1,\"seq\":9,");
  ASSERT_OK_AND_ASSIGN(auto cursor, QueryCursor::Open(dir_.path(), {}));
  Record r;
  std::uint64_t n = 0;
  for (;;) {
    ASSERT_OK_AND_ASSIGN(bool more, cursor->Next(&r));
    if (!more) break;
    ++n;
  }
  EXPECT_EQ(n, 8u);
  EXPECT_EQ(cursor->torn_segments(), 1u);
  EXPECT_EQ(cursor->malformed_lines(), 0u);
}

TEST_F(QueryTest, RejectsBadQueriesAndMissingLogs) {
  WriteSmallLog();
  auto backwards = QueryCursor::Open(dir_.path(), {.start_time = MicrosToTime(TestTime(5)),
                                                   .end_time = MicrosToTime(TestTime(1))});
  EXPECT_EQ(backwards.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(QueryCursor::Open(dir_.path(), {.limit = 0}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(QueryCursor::Open(dir_.path() / "nope", {}).status().code(), StatusCode::kNotFound);
}

TEST_F(QueryTest, EscapedStringsStillMatch) {
  // A hand-made record whose user id is spelt with a JSON escape ("\u0061lice" is "alice"):
  // the matcher compares decoded values, so the cheap substring pre-check must not hide it.
  ASSERT_OK_AND_ASSIGN(auto log, LogBuilder::Open(dir_.path()));
  ASSERT_OK(log->AddRawEvent(R"({"event_type":"auth_success","actor":{"user_id":"\u0061lice"}})",
                             TestTime(0))
                .status());
  ASSERT_OK(log->Close());
  EXPECT_EQ(Seqs({.actor = "alice"}), (Seq{1}));
}

TEST(ParseTimeTest, AcceptsRfc3339AndDates) {
  ASSERT_OK_AND_ASSIGN(Time t, ParseTime("2026-11-27T00:00:01Z"));
  EXPECT_EQ(TimeToMicros(t), TestTime(1));
  ASSERT_OK_AND_ASSIGN(t, ParseTime("2026-11-27t02:00:01.5+02:00"));
  EXPECT_EQ(TimeToMicros(t), TestTime(1) + 500000);
  ASSERT_OK_AND_ASSIGN(t, ParseTime("2026-11-26 23:00:00.000001234-01:00"));
  EXPECT_EQ(TimeToMicros(t), TestTime(0) + 1);
  ASSERT_OK_AND_ASSIGN(t, ParseTime("2026-11-27"));
  EXPECT_EQ(TimeToMicros(t), TestTime(0));
  ASSERT_OK_AND_ASSIGN(t, ParseTime("2026-11-27", TimeBound::kEnd));
  EXPECT_EQ(TimeToMicros(t), TestTime(86400) - 1);
  EXPECT_EQ(FormatTime(MicrosToTime(TestTime(1) + 7)), "2026-11-27T00:00:01.000007Z");
}

TEST(ParseTimeTest, RejectsEverythingElse) {
  for (const char* bad :
       {"", "yesterday", "2026-11-27T00:00:00", "2026-02-30", "2026-13-01", "2026-11-27T25:00:00Z",
        "2026-11-27T00:00:00.Z", "2026-11-27T00:00Z", "2026-11-27T00:00:00+0200", "2026-11-27Z",
        "2026-11-27T00:00:00Zjunk", "20261127"}) {
    auto t = ParseTime(bad);
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument) << bad;
    if (!t.ok() && bad[0] != '\0') {
      EXPECT_EQ(t.status().message().find(bad), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace auditlog
